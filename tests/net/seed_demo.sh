#!/usr/bin/env bash
# seed_demo.sh SOURCE_DIR BUILD_DIR [wire|crash|tap|slowsink|badreq|clientfull|trace] [lwip|rump]: run the
# seed demo through ./scripts/run-demo on an existing build, on the stack
# named (default lwip), and check its results: the summary names that
# stack, and every
# datagram of every way received intact (payload checksum) and in order
# (the sink checks both), nothing dropped.  Wire mode, unless "tap": the
# NIC's TAP device in a namespace of its own and the Linux stack's UDP
# socket (root only: skips otherwise), and afterwards no TAP device is
# left in ours.  With "crash", client_cb crashes after 300 datagrams: the
# system goes on, the other two ways still deliver everything, and
# client_cb's datagrams so far arrive intact.  With "trace", run-demo
# --trace records every component (BUILD_DIR/tests/net/seed_trace): each
# PD wrote its trace, the merged JSON passes the tool's `check` and has a
# process per component and the flows between them: ring notifications
# from the clients to net0, net0 to the NIC, the NIC to net1, net1 to the
# sink, and client_ppc's PPCs to net0 and their replies.
# With "clientfull" (RB_SEED_NET_STALL), net0 takes no request of ways 1
# and 3 until their clients have found their rings full and dropped one:
# each such way counts client_full >= 1 and receives the rest.
# With "badreq" (RB_SEED_BAD), each client first makes requests net0 must
# refuse (seed.h): a ring request longer than a datagram (ways 1 and 3), a
# PPC too long and two outside the shared region (way 2, whose replies
# must carry EMSGSIZE, EINVAL, EINVAL); each is counted once as refused,
# nothing else is dropped, and the traffic after them all arrives.
set -uo pipefail
src=$1 build=$2 what=${3:-wire} stack=${4:-lwip}
crash= mode=wire
[ "$what" = crash ] && crash=1
# slowsink: the sink takes its datagrams slower than they come, so that
# its ring fills and net1's backlog holds the rest: nothing may be lost
[ "$what" = slowsink ] && export RB_SEED_SINK_SLOW=1
[ "$what" = badreq ] && export RB_SEED_BAD=1
# clientfull: net0 leaves the request rings of ways 1 and 3 full until
# each client has dropped a request (client_full): every datagram is
# then received or counted so
[ "$what" = clientfull ] && export RB_SEED_NET_STALL=1
[ "$what" = tap ] && mode=tap
trace=
[ "$what" = trace ] && trace=$build/tests/net/seed_trace
if [ $mode = tap ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: TAP mode needs root (a network namespace and a TAP device)"
		exit 77
	fi
	if [ ! -c /dev/net/tun ] || ! unshare -n true 2>/dev/null; then
		echo "SKIP: TAP mode needs /dev/net/tun and network namespaces (unshare -n), which this machine lacks"
		exit 77
	fi
fi
rate=1000 seconds=2
args=(--stack $stack --mode $mode --seconds $seconds --rate $rate --bytes 200 --idle-ms 300 --quiet)
[ -n "$crash" ] && args+=(--crash client_cb:300)
if [ -n "$trace" ]; then
	rm -rf "$trace"
	args+=(--trace "$trace")
fi
out=$(RUMPBRIDGE_DEMO_BUILD=$build timeout 120 "$src/scripts/run-demo" "${args[@]}" 2>&1)
rc=$?
printf '%s\n' "$out"
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
[ $rc = 0 ] || fail "run-demo exited with $rc"
# In the sanitizer builds every PD is instrumented: a report fails the test.
! grep -q "WARNING: ThreadSanitizer\|ERROR: AddressSanitizer\|runtime error:" <<<"$out" ||
	fail "a sanitizer reported an error in a PD (above)"
grep -q "^seed demo: stack $stack, mode $mode" <<<"$out" || fail "the summary does not say stack $stack, mode $mode"
n=$((rate * seconds))
for way in 1 2 3; do
	line=$(grep "^seed-result way=$way " <<<"$out") || fail "no result for way $way"
	get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
	[ "$(get bad)" = 0 ] || fail "way $way: damaged datagrams: $line"
	[ "$(get reordered)" = 0 ] || fail "way $way: datagrams out of order: $line"
	refused=0
	[ "$what" = badreq ] && refused=$([ $way = 2 ] && echo 3 || echo 1)
	[ "$(get refused)" = $refused ] || fail "way $way: $(get refused) requests refused, not $refused: $line"
	[ "$(get drop_other)" = 0 ] || fail "way $way: datagrams dropped for another reason: $line"
	if [ -n "$crash" ] && [ $way = 3 ]; then
		[ "$(get asked)" = 300 ] || fail "way 3 should have asked 300 before its crash: $line"
		[ "$(get received)" = 300 ] || fail "way 3: its 300 datagrams should arrive: $line"
		[ "$(get done)" = 0 ] || fail "way 3 crashed, yet says done: $line"
		continue
	fi
	[ "$(get asked)" = $n ] || fail "way $way asked $(get asked), not $n: $line"
	if [ "$what" = clientfull ] && [ $way != 2 ]; then
		full=$(get client_full)
		[ "$full" -ge 1 ] || fail "way $way: its request ring was never full: $line"
		[ $(($(get received) + full)) = $n ] ||
			fail "way $way: $(get received) received + $full client-full is not $n: $line"
	else
		[ "$(get client_full)" = 0 ] || fail "way $way: requests dropped, ring full: $line"
		[ "$(get received)" = $n ] || fail "way $way: $(get received) of $n received: $line"
	fi
	[ "$(get done)" = 1 ] || fail "way $way did not finish: $line"
done
if [ -n "$crash" ]; then
	grep -q "client_cb" <<<"$(grep -i "signal\|crash\|SIGSEGV" <<<"$out")" ||
		fail "the launcher did not report client_cb's crash"
fi
if [ "$what" = badreq ]; then
	grep -q "^seed-badreq client_ppc: refused as documented" <<<"$out" ||
		fail "net0's replies to client_ppc's bad PPCs: $(grep seed-badreq <<<"$out")"
fi
if [ "$what" = slowsink ]; then
	peak=$(sed -n 's/^seed-sink dropped=0 backlog_peak=\([0-9]*\)$/\1/p' <<<"$out")
	[ -n "$peak" ] && [ "$peak" -gt 0 ] || fail "net1's backlog was not used, or dropped datagrams"
fi
if [ -n "$trace" ]; then
	for pd in nic net0 net1 sink client_ring client_ppc client_cb; do
		[ -s "$trace/$pd.trace" ] || fail "no trace of $pd in $trace"
	done
	grep -q "^run-demo: traces in $trace/<pd>.trace, the merged timeline in $trace/seed.json" <<<"$out" ||
		fail "run-demo does not say where the trace went"
	/usr/bin/python3 "$src/tools/rumpbridge-trace" check "$trace/seed.json" || fail "the merged trace breaks the format"
	/usr/bin/python3 - "$trace/seed.json" <<'PY' || fail "the merged trace lacks components or flows"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
procs = {e["pid"]: e["args"]["name"].split()[0] for e in ev
         if e["ph"] == "M" and e["name"] == "process_name"}
want = {"nic", "net0", "net1", "sink", "client_ring", "client_ppc", "client_cb"}
if set(procs.values()) != want or len(procs) != len(want):
    print("processes %s, not one per component" % sorted(procs.values())); sys.exit(1)
flows = {}
for e in ev:
    if e["ph"] in "sf":
        flows.setdefault(e["id"], {})[e["ph"]] = e
n = {}
for f in flows.values():
    k = (f["s"]["cat"], procs[f["s"]["pid"]], procs[f["f"]["pid"]])
    n[k] = n.get(k, 0) + 1
print("seed trace flows: %s" % sorted(n.items()))
for k in (("notify", "client_ring", "net0"), ("notify", "client_cb", "net0"),
          ("notify", "net0", "nic"), ("notify", "nic", "net1"), ("notify", "net1", "sink"),
          ("ppc", "client_ppc", "net0"), ("ppc-reply", "net0", "client_ppc")):
    if n.get(k, 0) == 0:
        print("no %s flow from %s to %s" % k); sys.exit(1)
PY
fi
if [ $mode = tap ]; then
	[ ! -e /sys/class/net/seed0 ] || fail "a TAP device seed0 is in the test's own namespace"
fi
echo "seed demo ($stack, $mode${crash:+, a client crashes}${trace:+, traced}): all checks passed"
