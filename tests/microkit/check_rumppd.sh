#!/usr/bin/env bash
# check_rumppd.sh SDK IMAGE LOG ELF [BASELINE_IMAGE]
# Boot the rump kernel PD (tests/microkit/rump/rumppd.c) under QEMU, at
# most 120 s, and check the console: the kernel's boot messages (the NetBSD
# copyright banner, its version), rump_init and every step after it passed
# (getpid, a UDP socket, tmpfs mount, a file written and read back with its
# checksum, a host file refused by the hypercall, naming itself), the
# counter green thread advanced while the kernel booted and
# while it worked, and the kernel halted cleanly (rump_sys_reboot ->
# rumpuser_exit(0)) with no fault and no panic.  Prints the figures: boot
# time in cntpct cycles, the memory region's peak, the PD's text and data.
# BASELINE_IMAGE (rumppd_noslice: no time slices) is booted after it for
# the boot time's baseline, reported only.  Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3 elf=$4 base=${5:-}
. "$(dirname "$0")/check_common.sh"
mk_boot 120 'rumppd: halted cleanly.*|MON\|ERROR|panic'
grep -E '^(rumppd|rumpuser|MON\|ERROR|panic)' "$log.txt"
mk_boot_ok
need '^Copyright \(c\) 1996, 1997' "the rump kernel's copyright banner"
need 'The NetBSD Foundation, Inc\.  All rights reserved\.' "the rump kernel's copyright banner"
need '^NetBSD [0-9.]+ \(RUMP-ROAST\)$' "the kernel's version line, whole (the strlen fix)"
need '^total memory = [0-9]+ KB$' "the kernel's memory line"
need '^rumppd: ok libkern strlen' "the fixed strlen"
need '^rumppd: ok rump_init v=0$' "rump_init"
need '^rumppd: ok getpid v=[1-9]' "rump_sys_getpid"
need '^rumppd: ok socket\(AF_INET, SOCK_DGRAM\) v=[0-9]' "a UDP socket"
need '^rumppd: ok open of a missing file fails v=2$' "ENOENT through errno"
need '^rumppd: ok mount tmpfs /tmp' "the tmpfs mount"
need '^rumppd: ok write 20000 bytes v=20000$' "the file write"
need '^rumppd: ok pread 20000 bytes v=20000$' "the file read"
need '^rumppd: ok file checksum v=0$' "the file's checksum"
need '^unmounted tmpfs on /tmp type tmpfs$' "the kernel unmounting at halt"
need '^rumpuser: exit\(0\): the rump kernel has stopped' "rumpuser_exit(0) reported"
need '^rumpuser: rumpuser_getfileinfo\("/some/host/file"\): a PD has no host files$' "the file hypercall naming itself"
need '^rumppd: ok etfs_register of a host file fails' "a host file refused"
need '^rumppd: ok nanosleep 3 ms in the kernel' "a sleep in the kernel"
need '^rumppd: halted cleanly status=0 failures=0$' "the clean halt"
boot=$(grep -E '^rumppd: boot ' "$log.txt" | head -1)
during_boot=$(sed -nE 's/.*counter_during_boot=([0-9]+).*/\1/p' <<<"$boot")
during_work=$(grep -E '^rumppd: work ' "$log.txt" | sed -nE 's/.*counter_during_work=([0-9]+).*/\1/p')
if [ -z "$during_boot" ] || [ "$during_boot" -eq 0 ]; then
	echo "FAIL: the counter green thread did not advance while the kernel booted"
	fail=1
fi
if [ -z "$during_work" ] || [ "$during_work" -eq 0 ]; then
	echo "FAIL: the counter green thread did not advance while the kernel worked"
	fail=1
fi
if grep -qE '^rumppd: FAIL|MON\|ERROR|panic' "$log.txt"; then
	echo "FAIL: a failed step, a fault or a panic"
	fail=1
fi
if [ $fail -ne 0 ]; then
	echo "FAIL: log: $log"
	exit 1
fi
cycles=$(sed -nE 's/.* cycles=([0-9]+).*/\1/p' <<<"$boot")
peak=$(grep -E '^rumppd: halted mem_size' "$log.txt" | sed -nE 's/.*mem_peak=([0-9]+).*/\1/p')
size=$(aarch64-linux-gnu-size "$elf" 2>/dev/null | tail -1)
slices=$(sed -nE 's/.* slice_yields=([0-9]+).*/\1/p' <<<"$(grep -E '^rumppd: after_boot' "$log.txt")")
echo "figures: rump_init ${cycles} cntpct cycles (62.5 MHz under QEMU TCG) with ${slices} slice yields; memory region peak ${peak} bytes"
if [ -n "$base" ] && [ -r "$base" ]; then
	RUN_QEMU_LOG=$log.base timeout 150 "$sdk/run-qemu" "$base" 120 \
		'rumppd: halted cleanly.*|MON\|ERROR|panic' >/dev/null
	bcycles=$(tr -d '\r' <"$log.base" | sed -nE 's/^rumppd: boot cycles=([0-9]+).*/\1/p')
	echo "figures: baseline, the same PD without time slices: rump_init ${bcycles:-?} cntpct cycles"
fi
[ -n "$size" ] && echo "figures: PD image (text data bss dec hex): $size"
echo "PASS"
