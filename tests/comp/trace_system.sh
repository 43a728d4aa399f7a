#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# trace_system.sh [--emulator CMD] TOOL RUMPBRIDGE_RUN SYSTEM SEARCH_DIR EXPECTED WORKDIR
#
# A system run with rumpbridge-run --trace (systems/run/trace.system: tping,
# a native PD, and tpong, a domain component, play TPING_ROUNDS rounds of
# notification ping-pong with a PPC in each, then a green thread of tpong
# wakes on a channel).  Once the console shows the expected lines the
# launcher is stopped by SIGTERM; each PD must have written WORKDIR/<pd>.trace.
# tools/rumpbridge-trace merges them into one JSON that passes `check`,
# has one process per PD, and the flows the PDs' counts imply:
#   notify -> notified: 2 * 20 + 1 (the last one a green thread's wait),
#   ppcall -> protected() and protected() -> reply: 20 each, every one
#   from tping to tpong and back.
# Without the trace points there are no such flows: the test fails.
# The PNG of the merged timeline is drawn.
# Also: $RUMPBRIDGE_TRACE_DIR does what --trace does; --trace into a path
# that cannot be a directory is a usage error (exit 2), nothing started.
set -euo pipefail
emu=
if [ "${1:-}" = --emulator ]; then emu=$2; shift 2; fi
tool=$1 run=$2 system=$3 dir=$4 expected=$5 w=$6
py=/usr/bin/python3
rm -rf "$w"
mkdir -p "$w"
fail() {
	echo "FAIL: $*"
	[ -f "$w/err" ] && { echo "--- stderr:"; cat "$w/err"; }
	exit 1
}
[ -z "$emu" ] || export RUMPBRIDGE_PD_WRAPPER="$emu"

# run SYSTEM until the console has EXPECTED's lines, then SIGTERM
run_traced() {
	: >"$w/out" # there before the loop below reads it
	# shellcheck disable=SC2086 # the emulator command is split into words
	$emu "$run" "$system" --search-path "$dir" --timeout 60 "$@" >"$w/out" 2>"$w/err" &
	local pid=$! end=$((SECONDS + 60)) n
	n=$(wc -l <"$expected")
	while kill -0 "$pid" 2>/dev/null && [ "$(wc -l <"$w/out")" -lt "$n" ] && [ $SECONDS -lt $end ]; do
		sleep 0.02
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || fail "rumpbridge-run exited with $?"
	diff -u "$expected" "$w/out" || fail "console differs from $expected"
}

run_traced --trace "$w/t"
for pd in tping tpong; do
	[ -s "$w/t/$pd.trace" ] || fail "no trace $w/t/$pd.trace"
done
! grep -qE 'ThreadSanitizer|AddressSanitizer|runtime error:' "$w/err" || fail "a sanitizer report"
"$py" "$tool" dump "$w/t/tpong.trace" >"$w/tpong.txt"
grep -q "wait returns ch 3" "$w/tpong.txt" || fail "no 'wait returns ch 3' in tpong's dump"
"$py" "$tool" json -o "$w/all.json" "$w/t/tping.trace" "$w/t/tpong.trace"
"$py" "$tool" check "$w/all.json"
"$py" - "$w/all.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
def fail(m):
    print("FAIL: " + m); sys.exit(1)
procs = {e["args"]["name"]: e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
if sorted(procs) != ["tping", "tpong (domain tpong)"]:
    fail("processes %s, not one per PD" % sorted(procs))
ping, pong = procs["tping"], procs["tpong (domain tpong)"]
tracks = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
          if e["ph"] == "M" and e["name"] == "thread_name"}
flows = {}
for e in ev:
    if e["ph"] in "sf":
        flows.setdefault(e["id"], {})[e["ph"]] = e
def kind(label):  # the track a flow ends on
    for k in ("notified()", "protected()"):
        if label == k:
            return k
    return "vCPU" if " vCPU " in label else "host thread" if label.startswith("host thread") else label
count = {}
for f in flows.values():
    s, t = f["s"], f["f"]
    k = (s["cat"], s["pid"], t["pid"], kind(tracks[(t["pid"], t["tid"])]))
    count[k] = count.get(k, 0) + 1
want = {("notify", ping, pong, "notified()"): 20, ("notify", pong, ping, "notified()"): 20,
        ("notify", ping, pong, "vCPU"): 1,
        ("ppc", ping, pong, "protected()"): 20, ("ppc-reply", pong, ping, "host thread"): 20}
got = {k: v for k, v in count.items() if k[0] != "wake"}
if got != want:
    fail("component flows %s, expected %s" % (sorted(got.items()), sorted(want.items())))
slices = [e["name"] for e in ev if e["ph"] == "X"]
for name, n in (("notified(1)", 40), ("protected(2)", 20)):
    if slices.count(name) != n:
        fail("%d %s slices, expected %d" % (slices.count(name), name, n))
print("trace_system: flows as expected: %s" % sorted(got.items()))
PY

# a picture of the merged timeline (rows of both processes)
"$py" "$tool" png -o "$w/all.png" --window 2000 "$w/t/tping.trace" "$w/t/tpong.trace"
[ -s "$w/all.png" ] || fail "no PNG of the merged traces"

# the environment does what --trace does
RUMPBRIDGE_TRACE_DIR="$w/env" run_traced
[ -s "$w/env/tping.trace" ] && [ -s "$w/env/tpong.trace" ] || fail "RUMPBRIDGE_TRACE_DIR wrote no traces"
# a directory that cannot be: a usage error, nothing runs
set +e
$emu "$run" "$system" --search-path "$dir" --trace /dev/null/t >"$w/out" 2>"$w/err"
rc=$?
set -e
[ $rc = 2 ] || fail "--trace /dev/null/t: exit status $rc, not 2"
grep -q "cannot create the directory /dev/null/t" "$w/err" || fail "no message for --trace /dev/null/t"
[ ! -s "$w/out" ] || fail "the system ran with a bad --trace"
echo "trace_system: ok"
