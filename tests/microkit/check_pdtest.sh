#!/usr/bin/env bash
# check_pdtest.sh SDK IMAGE LOG
# Boot the PD unit tests (pdtest.c) under QEMU, at most 60 s, and pass when
# the last line says every test passed (and there were as many as the
# source lists).  Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	echo "SKIPPED: qemu-system-aarch64 not found (Debian qemu-system-arm; scripts/deps.sh installs it)"
	exit 77
fi
[ -r "$img" ] || { echo "FAIL: no image $img"; exit 1; }
RUN_QEMU_LOG=$log timeout 90 "$sdk/run-qemu" "$img" 60 'pdtest: [0-9]+ passed, [0-9]+ failed|MON\|ERROR' >/dev/null
rc=$?
grep -E '^(pdtest|MON\|ERROR)' "$log" | tr -d '\r' | sed 's/^pdtest: \([0-9]* passed\)/pdtest: in the PD: \1/'
if [ $rc -ne 0 ]; then
	echo "FAIL: run-qemu exited $rc (timeout or QEMU died); log: $log"
	exit 1
fi
line=$(tr -d '\r' <"$log" | grep -E '^pdtest: [0-9]+ passed, [0-9]+ failed' | tail -1)
passed=$(sed -E 's/^pdtest: ([0-9]+) passed.*/\1/' <<<"$line")
failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
if [ -z "$line" ] || [ "$failed" -ne 0 ] || [ "$passed" -lt 9 ] || grep -qE 'MON\|ERROR|pdtest: FAIL' "$log"; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
