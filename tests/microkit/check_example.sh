#!/usr/bin/env bash
# check_example.sh SDK IMAGE LOG
# Boot examples/microkit's image under QEMU (the SDK's run-qemu, at most
# 60 s) and check the console (the lines are printed by
# examples/microkit/domain.c):
#   - every round trip completed: rounds = 100, and the client finished;
#   - the counters advanced while the waiter was blocked, in every round;
#   - count_b's timer sleeps ended, none early;
#   - no spinning: every return of the PD to the Microkit event loop
#     (seL4_Recv) was ended by a wake-up source, a notification that woke
#     the waiter or a timer interrupt, so loop_returns <= wakeups +
#     timer_irqs + 1 (the first); and over the client's quiet half second
#     the domain armed no timer and went back to the loop exactly once
#     (twice, with one timer interrupt, when the kernel had taken the
#     interrupt of a deadline armed before the quiet part);
#   - the waiter received the client's notifications in place (the
#     domain PD runs the library's event loop: in_place_receives > 0).
# Exit 0: pass; 1: fail; 77: skipped (no QEMU).
set -uo pipefail
sdk=$1 img=$2 log=$3
. "$(dirname "$0")/check_common.sh"

mk_boot 60 'client: done|FAIL|MON\|ERROR'
grep -E '^(domain|client|MON\|ERROR)' "$log" | tr -d '\r'
mk_boot_ok
if grep -qE 'FAIL|MON\|ERROR' "$log"; then
	echo "FAIL: the system reported an error; log: $log"
	exit 1
fi

# field LINE-TAG NAME: the value of NAME= on the "domain: TAG" line
field() {
	tr -d '\r' <"$log" | grep -E "^domain: $1 " | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
fails=0
check() { # description, condition (arithmetic)
	if (($2)); then echo "ok: $1"; else echo "FAIL: $1 ($2)"; fails=$((fails + 1)); fi
}
for f in rounds wakeups advanced count_a count_b b_sleeps b_early loop_returns in_place_receives timer_irqs; do
	v=$(field done $f)
	[ -n "$v" ] || { echo "FAIL: no $f on the 'domain: done' line"; exit 1; }
	declare "d_$f=$v"
done
r_lr=$(field report loop_returns)
r_ti=$(field report timer_irqs)
r_ta=$(field report timer_arms)
d_ta=$(field done timer_arms)
[ -n "$r_lr" ] && [ -n "$r_ti" ] && [ -n "$r_ta" ] && [ -n "$d_ta" ] ||
	{ echo "FAIL: no 'domain: report' line, or no timer_arms"; exit 1; }
grep -q '^client: done' "$log" || { echo "FAIL: the client did not finish"; exit 1; }

check "every round trip completed" "d_rounds == 100"
check "the counters advanced while the waiter was blocked, every round" "d_advanced == d_rounds"
check "both counters counted" "d_count_a > 0 && d_count_b > 0"
check "timer sleeps ended, none early" "d_b_sleeps > 0 && d_b_early == 0"
check "the PD went back to seL4_Recv at least once per round" "d_loop_returns >= d_rounds"
check "no spinning: each return to the loop ended by a wake-up source" \
	"d_loop_returns <= d_wakeups + d_timer_irqs + 1"
check "the waiter received in place (the library's event loop)" "d_in_place_receives > 0"
# The quiet half second: no timer is armed in it (no tick, no poll); the
# one return to the loop, plus at most the interrupt of a deadline armed
# before "done" that the kernel took while the threads ran, delivered at
# the next receive, and its own trip round the loop (about 1 boot in 40
# at load 2, with libmicrokit's loop as with the library's).
check "idle while the client was quiet: no timer armed, one return to the loop (two with a timer interrupt armed before)" \
	"r_ta == d_ta && ((r_lr - d_loop_returns == 1 && r_ti == d_timer_irqs) || (r_lr - d_loop_returns == 2 && r_ti - d_timer_irqs == 1))"
if [ $fails -ne 0 ]; then
	echo "FAIL: $fails checks; log: $log"
	exit 1
fi
echo "PASS"
