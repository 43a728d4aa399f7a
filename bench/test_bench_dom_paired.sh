#!/usr/bin/env bash
# test_bench_dom_paired.sh BENCH_DOM WORKDIR
# bench_dom's ping-pong group, measured in paired blocks (docs/benchmarks.md):
# a quick run writes every key of the group with one sample per repetition,
# the two paired ratios, and the target ratios of the 2-vCPU keys; the
# sequential method (BENCH_DOM_SEQUENTIAL=1) writes the same keys without
# the paired ratios.  No figure is judged: only that they are there and
# positive.
set -euo pipefail
bin=$1 w=$2
rm -rf "$w"
mkdir -p "$w"
BENCH_DOM_ONLY=pingpong "$bin" --quick --json "$w/paired.json" >"$w/paired.log"
BENCH_DOM_ONLY=pingpong BENCH_DOM_SEQUENTIAL=1 "$bin" --quick --json "$w/seq.json" >"$w/seq.log"
grep -q "rounds of 1000 ops per key, alternated" "$w/paired.log" ||
	{ echo "FAIL: no paired blocks in the paired run"; exit 1; }
if grep -q "alternated" "$w/seq.log"; then echo "FAIL: paired blocks in the sequential run"; exit 1; fi
/usr/bin/python3 - "$w/paired.json" "$w/seq.json" <<'PY'
import json, sys
keys = ["event_pingpong_ns", "event_pingpong_2v_ns", "futex_pingpong_ns", "dom_call_rtt_ns",
        "event_pingpong_pinned_ns", "event_pingpong_2v_pinned_ns"]
paired = ["event_pingpong_2v_paired_ratio", "event_pingpong_2v_pinned_paired_ratio"]
ratios = ["event_pingpong_2v_ns/event_pingpong_ns",
          "event_pingpong_2v_pinned_ns/event_pingpong_pinned_ns",
          "event_pingpong_ns/futex_pingpong_ns"]
for path, want_paired in ((sys.argv[1], True), (sys.argv[2], False)):
    d = json.load(open(path))
    for k in keys:
        assert isinstance(d.get(k), (int, float)) and d[k] > 0, (path, k, d.get(k))
        s = d["samples"].get(k)
        assert s and len(s) == d["repetitions"] and min(s) > 0, (path, k, s)
    for k in paired:
        if want_paired:
            assert isinstance(d.get(k), (int, float)) and d[k] > 0, (path, k, d.get(k))
        else:
            assert k not in d, (path, k)
    for r in ratios:
        assert d["ratios"][r]["value"] > 0, (path, r, d["ratios"].get(r))
PY
echo "test_bench_dom_paired: ok"
