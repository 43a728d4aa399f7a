#!/usr/bin/env bash
# check_fault.sh SDK IMAGE LOG
# Boot fault.system under QEMU (at most 60 s): the green thread "deep" of
# the faulter PD overruns its stack; the supervisor PD's fault handler must
# name it and say it hit the guard page.  The supervisor is a domain PD in
# the library's event loop: fault() must have run from a receive in place
# (on the stack of its green thread "watch", which waited meanwhile), and
# watch must have run after fault() returned, woken by the bit fault()
# raised, with exactly one in-place receive (the fault's) in between.
# Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"
mk_boot 60 'supervisor: done|FAIL|MON\|ERROR'
grep -E '^(faulter|supervisor|MON\|ERROR)' "$log" | tr -d '\r'
mk_boot_ok
need "^supervisor: fault in child 1 at 0x[0-9a-f]*: green thread 'deep' overran its stack \(guard page\)$" \
	"the fault handler did not name the green thread"
need "^supervisor: child stopped$" "the fault handler did not stop the child"
need "^supervisor: fault\(\) ran in a receive in place, on green thread 'watch''s stack$" \
	"fault() did not run from the green thread's receive in place"
need "^supervisor: watch ran after fault\(\) returned in_place=1 " \
	"the supervisor's green thread did not run after fault() returned, one in-place receive on"
if grep -qE 'FAIL|MON\|ERROR' "$log.txt"; then
	echo "FAIL: a FAIL or monitor error on the console"
	fail=1
fi
if [ "$fail" -ne 0 ]; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
