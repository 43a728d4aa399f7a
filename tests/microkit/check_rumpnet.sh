#!/usr/bin/env bash
# check_rumpnet.sh SDK IMAGE LOG [JSON [RUMP_PD_ELF]]
# Boot examples/microkit-rump (client, rump kernel, NIC PDs) under QEMU, at
# most 120 s, and check the console: the rump kernel's boot messages; virt0
# configured and the socket bound; the quiet phase (no request, counter
# paused): every return of the rump PD to seL4_Recv ended by a wake-up
# source; all NSEND datagrams sent by notification and verified by the NIC
# PD (Ethernet, IPv4, UDP headers and checksums, payload), none bad; the
# counter green thread advanced while the sender waited; the reverse
# direction delivered NRECV datagrams through recvfrom with the right
# payloads, a runt refused and a bad UDP checksum dropped on the way; over the whole run no spinning (loop returns <= timer
# interrupts + notifications + 1); virt0 destroyed (its receive thread
# ends); the clean halt.  Prints the latency
# figures (cntpct cycles) beside the baseline's (a plain PD forwarding a
# prebuilt frame), rump_init's time and the rump PD's memory (text, data,
# bss, the rump region's peak), and writes them to JSON when given.
# Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3 json=${4:-} elf=${5:-}
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	echo "SKIPPED: qemu-system-aarch64 not found (Debian qemu-system-arm; scripts/deps.sh installs it)"
	exit 77
fi
[ -r "$img" ] || { echo "FAIL: no image $img"; exit 1; }
RUN_QEMU_LOG=$log timeout 150 "$sdk/run-qemu" "$img" 120 \
	'rumpnet: halted cleanly.*|MON\|ERROR|panic' >/dev/null
rc=$?
tr -d '\r' <"$log" >"$log.txt"
grep -E '^(rumpnet|rumpuser|client|nic|fwd|MON\|ERROR|panic)' "$log.txt"
if [ $rc -ne 0 ]; then
	echo "FAIL: run-qemu exited $rc (timeout or QEMU died); log: $log"
	exit 1
fi
fail=0
need() { # need REGEX WHAT
	if ! grep -qE "$1" "$log.txt"; then
		echo "FAIL: $2 (no line matching '$1')"
		fail=1
	fi
}
field() { # field LINE_REGEX KEY: the value of KEY= on the first matching line
	grep -E "$1" "$log.txt" | head -1 | sed -nE "s/.* $2=([0-9]+).*/\1/p"
}
need '^Copyright \(c\) 1996, 1997' "the rump kernel's copyright banner"
need '^NetBSD [0-9.]+ \(RUMP-ROAST\)$' "the kernel's version line"
need '^rumpnet: ok rump_init v=0$' "rump_init"
need '^nic: attached to the rings$' "the NIC PD attached to the rings"
need '^virt0: Ethernet address 02:00:00:00:00:02$' "if_virt attached virt0 with the configured address"
need '^rumpnet: ok netconfig ipv4 10.0.0.2/24' "virt0's address"
need '^rumpnet: ok netconfig ifup virt0' "virt0 up"
need '^rumpnet: ok bind 10.0.0.2:7' "the socket bound"
need '^rumpnet: ok receiver lwp' "the receiver's lwp"
need '^client: sent n=([0-9]+) verified=\1 bad=0 arp_replies=1$' "every datagram verified by the NIC PD, none bad, one ARP exchange"
need '^client: baseline n=([0-9]+) verified=\1$' "every baseline frame (fwd PD) verified by the NIC PD"
need '^client: received n=([0-9]+) bad_payloads=0 injected=' "the reverse direction's payloads"
need '^rumpnet: sender sent=[0-9]+ .* failures=0$' "the sender"
need '^rumpnet: ok netconfig ifdestroy virt0 v=0$' "virt0 destroyed (rumpcomp_virt_dying, _destroy)"
need '^rumpuser: exit\(0\): the rump kernel has stopped' "rumpuser_exit(0) reported"
need '^rumpnet: halted cleanly status=0 failures=0$' "the clean halt"
if grep -qE '^(rumpnet: FAIL|fwd: FAIL|nic: bad frame|MON\|ERROR|panic)' "$log.txt"; then
	echo "FAIL: a failed step, a bad frame, a fault or a panic (above)"
	fail=1
fi
nsend=$(field '^client: sent ' n)
nrecv=$(field '^client: received ' n)
sent=$(field '^rumpnet: sender ' sent)
injected=$(field '^client: received ' injected)
[ "${nsend:-0}" -ge 1000 ] || { echo "FAIL: fewer than 1000 datagrams sent (${nsend:-none})"; fail=1; }
[ "${sent:-x}" = "${nsend:-y}" ] || { echo "FAIL: the rump PD sent ${sent:-?} of ${nsend:-?}"; fail=1; }
[ "${nrecv:-0}" -ge 100 ] || { echo "FAIL: fewer than 100 datagrams received (${nrecv:-none})"; fail=1; }
# the NIC injected one frame per datagram, one ARP reply, a runt and a
# datagram with a wrong UDP checksum; the rump PD took them all, refused
# the runt (rx_bad) and its stack dropped the bad checksum (the client saw
# only the good payloads, in order)
[ "${injected:-x}" = "$(( ${nrecv:-0} + 3 ))" ] || { echo "FAIL: the NIC injected ${injected:-?} frames for ${nrecv:-?} datagrams, 1 ARP reply, 2 bad frames"; fail=1; }
rxf=$(field '^rumpnet: before_halt ' rx_frames) rxb=$(field '^rumpnet: before_halt ' rx_bad)
[ "${rxf:-x}" = "${injected:-y}" ] || { echo "FAIL: the rump PD took ${rxf:-?} frames of ${injected:-?} injected"; fail=1; }
[ "${rxb:-x}" = 1 ] || { echo "FAIL: the rump PD refused ${rxb:-?} frames, not 1 (the runt)"; fail=1; }
cw=$(field '^rumpnet: sender ' counter_during_waits)
if [ -z "$cw" ] || [ "$cw" -eq 0 ]; then
	echo "FAIL: the counter green thread did not advance while the sender waited"
	fail=1
fi
# the interface's destroy ended and joined its receive thread (its stack
# may stay in the domain's stack cache, so stack slots do not tell)
tb=$(field '^rumpnet: before_halt ' rx_thread) th=$(field '^rumpnet: halted ' rx_thread)
[ "${tb:-x}" = 1 ] && [ "${th:-x}" = 0 ] || { echo "FAIL: receive thread ${tb:-?} before virt0's destroy, ${th:-?} after (it did not end)"; fail=1; }
# no spinning: in the quiet phase and over the whole run, each return to
# seL4_Recv was ended by a timer interrupt or a notification
for tag in '^rumpnet: quiet ' '^rumpnet: before_halt '; do
	lr=$(field "$tag" loop_returns) ti=$(field "$tag" timer_irqs) no=$(field "$tag" notifications)
	if [ -z "$lr" ] || [ -z "$ti" ] || [ -z "$no" ]; then
		echo "FAIL: no line '$tag' with loop_returns, timer_irqs, notifications"
		fail=1
	elif [ "$lr" -lt 1 ] || [ "$lr" -gt $((ti + no + 1)) ]; then
		echo "FAIL: '$tag': $lr returns to seL4_Recv for $ti timer interrupts and $no notifications (spinning?)"
		fail=1
	fi
done
# the rump PD runs the library's event loop: its threads received in place
ipr=$(field '^rumpnet: before_halt ' in_place_receives)
[ "${ipr:-0}" -gt 0 ] || { echo "FAIL: no receive in place (in_place_receives ${ipr:-missing})"; fail=1; }
med=$(field '^client: latency notify' median) p99=$(field '^client: latency notify' p99)
bmed=$(field '^client: latency baseline' median) bp99=$(field '^client: latency baseline' p99)
boot=$(field '^rumpnet: boot ' cycles)
peak=$(field '^rumpnet: before_halt ' mem_peak)
read -r text data bss _ < <(aarch64-linux-gnu-size "$elf" 2>/dev/null | tail -1) || true
if [ -n "$med" ] && [ -n "$bmed" ] && [ "$bmed" -gt 0 ] && [ "$bp99" -gt 0 ]; then
	rmed=$(awk -v a="$med" -v b="$bmed" 'BEGIN { printf "%.2f", a / b }')
	rp99=$(awk -v a="$p99" -v b="$bp99" 'BEGIN { printf "%.2f", a / b }')
	echo "client notification -> frame verified at the NIC PD, cntpct cycles over $nsend requests each"
	echo "(QEMU TCG: only the ratios mean anything, and those move with the host's load)"
	printf '  %-34s %10s %10s\n' "" median p99
	printf '  %-34s %10s %10s\n' "rump kernel PD (sendto)" "$med" "$p99"
	printf '  %-34s %10s %10s\n' "plain PD, prebuilt frame" "$bmed" "$bp99"
	printf '  %-34s %10s %10s\n' "ratio" "$rmed" "$rp99"
	echo "  rump_init: $boot cycles"
	echo "  rump PD: text ${text:-?} data ${data:-?} bss ${bss:-?} bytes; rump region peak ${peak:-?} bytes of 32 MiB"
	if [ -n "$json" ] && [ $fail -eq 0 ]; then
		printf '{"n": %s, "rump_median_cycles": %s, "rump_p99_cycles": %s, "baseline_median_cycles": %s, "baseline_p99_cycles": %s, "ratio_median": %s, "ratio_p99": %s, "rump_init_cycles": %s, "text": %s, "data": %s, "bss": %s, "mem_peak": %s}\n' \
			"$nsend" "$med" "$p99" "$bmed" "$bp99" "$rmed" "$rp99" "$boot" "${text:-null}" "${data:-null}" "${bss:-null}" "${peak:-null}" >"$json"
		echo "  written: $json"
	fi
else
	echo "FAIL: no latency figures"
	fail=1
fi
[ $fail -eq 0 ] && echo "PASS: examples/microkit-rump"
exit $fail
