#!/usr/bin/env bash
# check_pdtest.sh SDK IMAGE LOG [LOOP]
# Boot the PD unit tests (pdtest.c) under QEMU, at most 60 s, and pass when
# the last line says every test passed (and there were as many as the
# source lists).  LOOP (libmicrokit or own): the event loop the image must
# say it runs ("pdtest: event loop: LOOP", pdtest.c's init()).  Exit 77
# (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3 loop=${4:-}
. "$(dirname "$0")/check_common.sh"
mk_boot 60 'pdtest: [0-9]+ passed, [0-9]+ failed|MON\|ERROR'
grep -E '^(pdtest|MON\|ERROR)' "$log" | tr -d '\r' | sed 's/^pdtest: \([0-9]* passed\)/pdtest: in the PD: \1/'
if [ "$boot_rc" -ne 0 ]; then
	last=$(grep -aE '^pdtest: test ' "$log.txt" | tail -1)
	echo "the last test to finish: ${last:-none} (the next one in pdtest.c's list hung)"
fi
mk_boot_ok
line=$(tr -d '\r' <"$log" | grep -E '^pdtest: [0-9]+ passed, [0-9]+ failed' | tail -1)
passed=$(sed -E 's/^pdtest: ([0-9]+) passed.*/\1/' <<<"$line")
failed=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
if [ -n "$loop" ] && ! grep -qx "pdtest: event loop: $loop" "$log.txt"; then
	echo "FAIL: the image does not say it runs the $loop event loop; log: $log"
	exit 1
fi
if [ -z "$line" ] || [ "$failed" -ne 0 ] || [ "$passed" -lt 10 ] || grep -qE 'MON\|ERROR|pdtest: FAIL' "$log"; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
