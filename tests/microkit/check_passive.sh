#!/usr/bin/env bash
# check_passive.sh SDK IMAGE LOG
# Boot passive.system under QEMU (at most 60 s): pcaller calls the passive
# domain PD pserver and checks each answer of its domain after the call
# returned (pcaller.c).  Passes when pserver says it runs the library's
# event loop, pcaller's last line says every check passed, and neither
# says FAIL nor the monitor an error, with all 132 checks made.  Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"
mk_boot 60 'passive: [0-9]+ passed, [0-9]+ failed|MON\|ERROR'
grep -E '^(pserver|passive|MON\|ERROR)' "$log.txt"
if [ "$boot_rc" -ne 0 ]; then
	last=$(grep -E '^passive: ' "$log.txt" | tail -1)
	echo "the last line of pcaller: ${last:-none} (a call or the sleeper's notification never came back)"
fi
mk_boot_ok
need '^pserver: event loop: own$' "pserver runs mk_microkit_event_loop"
need '^MON\|INFO: PD .pserver. is now passive' "the monitor made pserver passive"
for phase in event sem after-notify; do
	need "^passive: $phase: calls_ok=20 of=20\$" "all 20 calls of phase $phase answered"
done
need '^passive: timer: ' "the sleeper's naps ended on timer interrupts"
need '^passive: stats .* in_place_receives=0 ' "no receive in place in the passive PD"
line=$(grep -E '^passive: [0-9]+ passed, [0-9]+ failed' "$log.txt" | tail -1)
passed=$(sed -E 's/^passive: ([0-9]+) passed.*/\1/' <<<"$line")
failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
if [ -z "$line" ] || [ "$failed" -ne 0 ] || [ "$passed" -ne 132 ]; then
	echo "FAIL: pcaller: ${line:-no summary}"
	fail=1
fi
if grep -qE 'FAIL|MON\|ERROR|event loop: libmicrokit' "$log.txt"; then
	fail=1
fi
if [ "$fail" -ne 0 ]; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
