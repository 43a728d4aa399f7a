#!/usr/bin/env bash
# trace_tool.sh TOOL PROGRAM SCENARIO WORKDIR [EMULATOR...]
# tools/rumpbridge-trace on real traces: PROGRAM (examples/hello-domain)
# runs twice with RUMPBRIDGE_TRACE, as two processes, and SCENARIO
# (test_dom_trace) saves the trace of its scripted scenario, which has a
# known wake-up (b posts, a wakes).  The three merge into one Chrome
# trace-event JSON that obeys the format (phases, per-track timestamps,
# paired flows: the tool's `check`), with all processes, their vCPU and
# host-thread tracks, running slices, the wake-up flow and event-bit
# instants.  `check` itself must reject a broken JSON.  The PNG of a
# window is written.  A cross build runs PROGRAM and SCENARIO under its
# emulator (the words after WORKDIR).
set -euo pipefail
tool=$1 prog=$2 scenario=$3 w=$4
shift 4
emu=("$@")
# A host thread is traced under its name, the process's command name
# (15 characters): the emulator's under an emulator.
host=hello-domain
[ ${#emu[@]} -eq 0 ] || host=$(basename "${emu[0]}" | cut -c1-15)
py=/usr/bin/python3
rm -rf "$w"
mkdir -p "$w"
for p in a b; do
	RUMPBRIDGE_TRACE="$w/$p.trace" ${emu[@]+"${emu[@]}"} "$prog" >"$w/$p.out"
	[ -s "$w/$p.trace" ] || { echo "FAIL: $prog wrote no trace $w/$p.trace"; exit 1; }
done
RB_TRACE_SCENARIO="$w/s.trace" ${emu[@]+"${emu[@]}"} "$scenario" >"$w/s.out" 2>&1 ||
	{ cat "$w/s.out"; echo "FAIL: $scenario"; exit 1; }
"$py" "$tool" dump "$w/s.trace" >"$w/s.txt"
grep -q "wake a@[0-9a-f]* by b@" "$w/s.txt" || { echo "FAIL: no 'wake a by b' in the scenario"; exit 1; }
"$py" "$tool" dump "$w/a.trace" >"$w/a.txt"
for want in "create waiter" "switch " "exit waiter" "signal event bits 0x1" \
	"event bits 0x1 arrive" "enter $host" "leave $host"; do
	grep -qF -- "$want" "$w/a.txt" || { echo "FAIL: no '$want' in the dump of a.trace"; exit 1; }
done
"$py" "$tool" json -o "$w/ab.json" "$w/a.trace" "$w/b.trace" "$w/s.trace"
"$py" "$tool" check "$w/ab.json"
"$py" - "$w/ab.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
def fail(m):
    print("FAIL: " + m); sys.exit(1)
procs = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
if procs != {1, 2, 3}: fail("processes %s, not the three traces" % procs)
names = {(e["pid"], e["args"]["name"]) for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
for pid in (1, 2):
    if (pid, "hello vCPU 0") not in names: fail("no vCPU track in process %d: %s" % (pid, names))
    if not any(p == pid and n.startswith("host thread") for p, n in names):
        fail("no host-thread track in process %d" % pid)
slices = {e["name"] for e in ev if e["ph"] == "X"}
for s in ("waiter", "counter-1", "counter-2"):
    if s not in slices: fail("no running slice of %s" % s)
flows = [e for e in ev if e["ph"] in "sf" and e["pid"] == 3]
if len(flows) < 2: fail("no wake-up flow in the scenario: %s" % flows)
if not any(e["ph"] == "i" and "event bits" in e["name"] for e in ev): fail("no event-bit instant")
PY
# check must see a broken file as broken
cat >"$w/bad.json" <<'J'
{"traceEvents": [{"ph": "X", "pid": 1, "tid": 1, "ts": 5, "dur": 1, "name": "a"},
 {"ph": "X", "pid": 1, "tid": 1, "ts": 4, "dur": 1, "name": "b"},
 {"ph": "s", "pid": 1, "tid": 1, "ts": 6, "id": 7, "name": "wake"},
 {"ph": "Q", "pid": 1, "tid": 1, "ts": 7}]}
J
if "$py" "$tool" check "$w/bad.json" 2>"$w/bad.err"; then
	echo "FAIL: check accepted a broken JSON"; exit 1
fi
for want in "before" "not paired" "phase"; do
	grep -q "$want" "$w/bad.err" || { echo "FAIL: check did not report '$want'"; exit 1; }
done
"$py" "$tool" png -o "$w/a.png" --window 100 "$w/a.trace"
[ -s "$w/a.png" ] || { echo "FAIL: no PNG"; exit 1; }
echo "trace_tool: ok"
