#!/usr/bin/env bash
# check_fault.sh SDK IMAGE LOG
# Boot fault.system under QEMU (at most 60 s): the green thread "deep" of
# the faulter PD overruns its stack; the supervisor PD's fault handler must
# name it and say it hit the guard page.  Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"
mk_boot 60 'supervisor: done|FAIL|MON\|ERROR'
grep -E '^(faulter|supervisor|MON\|ERROR)' "$log" | tr -d '\r'
mk_boot_ok
if ! grep -q "supervisor: fault in child 1 at 0x[0-9a-f]*: green thread 'deep' overran its stack (guard page)" "$log"; then
	echo "FAIL: the fault handler did not name the green thread; log: $log"
	exit 1
fi
if grep -qE 'FAIL|MON\|ERROR' "$log"; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
