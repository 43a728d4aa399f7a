#!/usr/bin/env bash
# check_rumppd_panic.sh SDK IMAGE LOG
# Boot rumppd_panic (the rump PD built with RUMPPD_PANIC, as the child of
# rumpsup) under QEMU, at most 120 s: after the boot the kernel panics in
# its own panic(); librumpuser must report it on the console naming the
# thread, and the parent PD's fault() must hear of it (the brk librumpuser
# raises: a vCPU fault with exception class BRK under this SDK's kernel).
# Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"
mk_boot 120 'rumpsup: child stopped|MON\|ERROR'
grep -E '^(rumppd: (boot|panicking)|panic:|rump kernel|rumpuser|rumpsup|MON\|ERROR)' "$log.txt"
mk_boot_ok
need '^rumppd: ok rump_init v=0$' "rump_init"
need '^panic: rumppd: a panic on purpose$' "the kernel's panic message"
need '^rumpuser: rump kernel panic \(thread rump_main\)$' "librumpuser reporting the panic with the thread's name"
need '^rumpsup: fault in child 1 label [0-9]+ esr 0x[0-9a-f]+ \(brk: the rump kernel.s panic\)$' \
	"the parent's fault handler hearing of it"
need '^rumpsup: child stopped' "the parent stopping the child"
if grep -qE '^rumppd: FAIL|MON\|ERROR' "$log.txt"; then
	echo "FAIL: a failed step or a fault the monitor saw"
	fail=1
fi
if [ $fail -ne 0 ]; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
