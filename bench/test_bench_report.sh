#!/usr/bin/env bash
# test_bench_report.sh SRC WORKDIR
# tools/bench-report.py on made-up results: the targets of a table are
# judged right (met, missed, absolute, baseline missing), the tables carry
# median, min, max and the ratio to the baselines, the machine is recorded,
# a high load is flagged, and the plots (latency, throughput against
# message size, against vCPUs, 1 vs 2) are written.
set -euo pipefail
src=$1 w=$2
rm -rf "$w"
mkdir -p "$w/raw"
cat >"$w/raw/bench_mk.json" <<'J'
{"program": "bench_mk", "repetitions": 3, "futex_pingpong_ns": 100.0,
 "notification_pingpong_ns": 105.0, "signal_nowaiter_ns": 2.0,
 "ratios": {}, "samples": {"futex_pingpong_ns": [90.0, 100.0, 130.0],
 "notification_pingpong_ns": [104.0, 105.0, 200.0]}}
J
cat >"$w/raw/bench_dom.json" <<'J'
{"program": "bench_dom", "repetitions": 3, "green_yield_rtt_ns": 40.0,
 "event_pingpong_ns": 200.0, "futex_pingpong_ns": 100.0, "event_pingpong_2v_ns": 300.0,
 "ratios": {"x/y": {"value": 2.0, "target": "report"}}}
J
cat >"$w/raw/bench_comp.json" <<'J'
{"program": "bench_comp", "repetitions": 3, "ring_64_msgs_per_s": 5e7,
 "ring_1500_msgs_per_s": 1e7, "pipe_64_msgs_per_s": 1e6}
J
cat >"$w/raw/bench_net.json" <<'J'
{"program": "bench_net", "repetitions": 3, "lwip_64_1v_pps": 200000, "lwip_64_2v_pps": 300000,
 "lwip_1500_1v_pps": 150000, "linux_udp_64_pps": 100000, "lwip_64_p50_us": 20.0}
J
echo "9.00 8.00 7.00" >"$w/raw/load_before"
echo "9.50 8.00 7.00" >"$w/raw/load_after"
cat >"$w/targets.json" <<'J'
{"targets": [
 {"bench": "bench_mk", "key": "notification_pingpong_ns", "baseline": "futex_pingpong_ns", "op": "<=", "ratio": 1.1, "issue": "t1"},
 {"bench": "bench_dom", "key": "green_yield_rtt_ns", "baseline": null, "op": "<=", "ratio": 30, "issue": "t2"},
 {"bench": "bench_dom", "key": "event_pingpong_ns", "baseline": "futex_pingpong_ns", "op": "<=", "ratio": 1.3, "issue": "t3"},
 {"bench": "bench_comp", "key": "ring_64_msgs_per_s", "baseline": "pipe_64_msgs_per_s", "op": ">=", "ratio": 10, "issue": "t4"},
 {"bench": "bench_rumpuser", "key": "a_ns", "baseline": "b_ns", "op": "<=", "ratio": 1, "issue": "t5"},
 {"bench": "bench_net", "key": "lwip_64_2v_pps", "baseline": "lwip_64_1v_pps", "op": ">", "ratio": 1.5, "issue": "t6"},
 {"bench": "bench_net", "key": "lwip_64_1v_pps", "baseline": "linux_udp_64_pps", "op": ">", "ratio": 2, "issue": "t7"}
]}
J
/usr/bin/python3 "$src/tools/bench-report.py" --raw "$w/raw" --targets "$w/targets.json" \
	--json "$w/all.json" --out "$w/out" --reps 3 >"$w/log"
md="$w/out/README.md"
fail() { echo "FAIL: $*"; exit 1; }
grep -qF "| bench_mk | notification_pingpong_ns | futex_pingpong_ns | 1.05 | <= 1.1 | yes | t1 |" "$md" || fail "t1 not met"
grep -qF "| bench_dom | green_yield_rtt_ns | (absolute) | 40.00 | <= 30 | **no** | t2 |" "$md" || fail "t2 not missed"
grep -qF "| bench_dom | event_pingpong_ns | futex_pingpong_ns | 2.00 | <= 1.3 | **no** | t3 |" "$md" || fail "t3 not missed"
grep -qF "| bench_comp | ring_64_msgs_per_s | pipe_64_msgs_per_s | 50.00 | >= 10 | yes | t4 |" "$md" || fail "t4 not met"
grep -qF "| bench_rumpuser | a_ns | b_ns | - | <= 1 | - | t5 |" "$md" || fail "t5 not unmeasured"
grep -qF "| bench_net | lwip_64_2v_pps | lwip_64_1v_pps | 1.50 | > 1.5 | **no** | t6 |" "$md" || fail "t6: 1.5 is not > 1.5"
grep -qF "| bench_net | lwip_64_1v_pps | linux_udp_64_pps | 2.00 | > 2 | **no** | t7 |" "$md" || fail "t7: 2 is not > 2"
grep -qF "| notification_pingpong_ns | 105 | 104 | 200 | ns | 1.05 |" "$md" || fail "no median/min/max/ratio row"
grep -qF "load average (9.0 before, 9.5 after) was high" "$md" || fail "high load not flagged"
grep -q "| cores | [0-9]" "$md" || fail "no cores"
grep -q "| kernel | " "$md" || fail "no kernel"
grep -q "target missed: bench_dom green_yield_rtt_ns" "$w/log" || fail "missed target not printed"
for p in latency.png rings.png vcpus.png scaling.png; do
	[ -s "$w/out/$p" ] || fail "no $p"
	grep -qF "($p)" "$md" || fail "$p not linked"
done
/usr/bin/python3 - "$w/all.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"machine", "benchmarks", "targets"}, d.keys()
assert d["benchmarks"]["bench_mk"]["samples"]["futex_pingpong_ns"] == [90.0, 100.0, 130.0]
assert [t["met"] for t in d["targets"]] == [True, False, False, True, None, False, False], d["targets"]
PY
sed 's/"op": "<=", "ratio": 1.1/"op": "=<", "ratio": 1.1/' "$w/targets.json" >"$w/bad.json"
if /usr/bin/python3 "$src/tools/bench-report.py" --raw "$w/raw" --targets "$w/bad.json" \
	--out "$w/out2" 2>"$w/err"; then fail "an unknown op was accepted"; fi
grep -q "op '=<' is not one of" "$w/err" || fail "unknown op: no clear error: $(cat "$w/err")"
echo "test_bench_report: ok"
