#!/usr/bin/env bash
# test_bench_rumpuser_method.sh WORKER [WORKER...]
# How bench_rumpuser's workers measure a case of one or two threads
# (bench_rumpuser.c, run()): asked "<op> <iters> v", a worker prints the
# figure and, per thread, its start, end, calls, sleeps, preemptions, time
# on a core and time waiting for one.
# Checked for each
# worker and case:
#   - every thread made at least one call and at most iters; the thread
#     that finished first made exactly iters (the others stop when it
#     does: one common interval, not each its own iters);
#   - the figure is the threads' time summed over the calls they made,
#     scaled to iters calls (sum(end - start) / sum(calls) * iters);
#   - the same for the "_cpu" variant, whose figure is CPU time, which
#     cannot exceed the wall time the threads spent.
# Nothing here depends on how fast the machine is.
set -euo pipefail
iters=200000
fail=0
for w in "$@"; do
	ops="getpid_bound_host getpid_bound_host_2threads cpuloop cpuloop_2threads cpushared_2threads"
	case $w in *_ours) ops="getpid_foreign getpid_foreign_2threads $ops" ;; esac
	req=""
	for op in $ops; do
		req+="$op $iters v"$'\n'"${op}_cpu $iters v"$'\n'
	done
	out=$(printf '%s' "$req" | timeout 300 "$w" --worker 2>/dev/null) || {
		echo "FAIL: $w --worker failed (status $?)"; exit 1; }
	i=0
	for op in $ops; do
		for kind in wall cpu; do
			i=$((i + 1))
			line=$(printf '%s\n' "$out" | sed -n "$((i + 1))p") # line 1 is "ready"
			name=$op; [ $kind = cpu ] && name=${op}_cpu
			if ! printf '%s\n' "$line" | awk -v it=$iters -v kind=$kind -v name="$name" -v w="$(basename "$w")" '
				function bad(why) { printf "FAIL: %s %s: %s (line: %s)\n", w, name, why, $0; exit 1 }
				{
					if ($1 !~ /^[0-9]+$/) bad("no figure")
					F = 7 # fields a thread
					n = (NF - 1) / F
					if (NF < 1 + F || (NF - 1) % F != 0) bad("no per-thread trace (start end calls sleeps preemptions run runq)")
					want = (name ~ /_2threads/) ? 2 : 1
					if (n != want) bad("trace of " n " threads, not " want)
					busy = 0; calls = 0; full = 0
					for (k = 0; k < n; k++) {
						t0 = $(2 + F * k); t1 = $(3 + F * k); c = $(4 + F * k)
						if ($(5 + F * k) < 0 || $(6 + F * k) < 0) bad("thread " k ": negative context switches")
						if ($(7 + F * k) < -1 || $(8 + F * k) < -1) bad("thread " k ": negative schedstat times")
						if (t1 < t0) bad("thread " k " ends before it starts")
						if (c < 1 || c > it) bad("thread " k " made " c " calls")
						if (c == it) full++
						busy += t1 - t0; calls += c
					}
					if (full < 1) bad("no thread made all " it " calls")
					if (kind == "wall") {
						fig = busy / calls * it
						if ($1 < fig - 1 || $1 > fig + 1)
							bad("figure " $1 " is not sum(end - start) / sum(calls) * iters = " fig)
					} else if ($1 > busy / calls * it + 1) {
						bad("CPU time " $1 " above the wall time")
					}
					printf "ok   %s %s: %d thread(s), calls", w, name, n
					for (k = 0; k < n; k++) printf " %d", $(4 + F * k)
					printf ", %.1f ns per call; slept", $1 / it
					for (k = 0; k < n; k++) printf " %d", $(5 + F * k)
					printf ", preempted"
					for (k = 0; k < n; k++) printf " %d", $(6 + F * k)
					printf "\n"
				}'; then
				fail=1
			fi
		done
	done
done
exit $fail
