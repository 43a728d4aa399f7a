#!/usr/bin/env bash
# check_fault.sh SDK IMAGE LOG
# Boot fault.system under QEMU (at most 60 s).  The green thread "deep" of
# the faulter PD first executes a brk, which the supervisor PD's fault
# handler steps over and answers with a reply (deep goes on), then
# overruns its stack: the handler must name it, say it hit the guard page
# and stop the child.  The supervisor is a domain PD in the library's
# event loop: both fault() calls must have run from a receive in place (on
# the stack of its green thread "watch", which waited meanwhile), and
# watch must have run after each fault() returned, woken by the bit
# fault() raised, with exactly one in-place receive (the fault's) in
# between.  Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"
mk_boot 60 'supervisor: done|FAIL|MON\|ERROR'
grep -E '^(faulter|supervisor|MON\|ERROR)' "$log" | tr -d '\r'
need "^supervisor: fault in child 1 at 0x[0-9a-f]*: green thread 'deep' overran its stack \(guard page\)$" \
	"the fault handler did not name the green thread"
need "^supervisor: child stopped$" "the fault handler did not stop the child"
need "^supervisor: fault in child 1: brk at 0x[0-9a-f]*, stepped over: replying$" \
	"the fault handler did not take the brk"
need "^faulter: resumed after the brk$" "the reply to the brk's fault did not resume the child"
for n in 1 2; do
	need "^supervisor: fault\(\) $n ran in a receive in place, on green thread 'watch''s stack$" \
		"fault() $n did not run from the green thread's receive in place"
	need "^supervisor: watch ran after fault\(\) returned fault=$n in_place=1 " \
		"the supervisor's green thread did not run after fault() $n returned, one in-place receive on"
done
if grep -qE 'FAIL|MON\|ERROR' "$log.txt"; then
	echo "FAIL: a FAIL or monitor error on the console"
	fail=1
fi
mk_boot_ok
if [ "$fail" -ne 0 ]; then
	echo "FAIL: log: $log"
	exit 1
fi
echo "PASS"
