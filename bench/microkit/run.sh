#!/usr/bin/env bash
# run.sh SDK IMAGE LOG JSON
# Boot the Microkit benchmark image (bench.system) under QEMU, at most 120
# s, print its figures as a table with the ratios the issue sets targets
# for, and write them to JSON.  Emulated timings: only the ratios within
# one image mean something.  Fails when the image does not finish or a
# figure is missing; the targets are reported, not enforced.
# Exit 77 (skipped) without QEMU.
set -uo pipefail
sdk=$1 img=$2 log=$3 json=$4
if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
	echo "SKIPPED: qemu-system-aarch64 not found (Debian qemu-system-arm; scripts/deps.sh installs it)"
	exit 77
fi
[ -r "$img" ] || { echo "FAIL: no image $img"; exit 1; }
RUN_QEMU_LOG=$log timeout 150 "$sdk/run-qemu" "$img" 120 'bench: done|FAIL|MON\|ERROR' >/dev/null
rc=$?
if [ $rc -ne 0 ] || grep -qE 'FAIL|MON\|ERROR' "$log"; then
	grep -E '^(bench|MON)' "$log"
	echo "FAIL: the benchmark did not finish (run-qemu: $rc); log: $log"
	exit 1
fi
val() { tr -d '\r' <"$log" | sed -n "s/^bench: $1 ns_per_op=\([0-9.]*\) .*/\1/p" | tail -1; }
# ratio NAME median|best: from "bench: NAME_ratio median=R best=B pairs=P"
ratio() { tr -d '\r' <"$log" | sed -n "s/^bench: $1_ratio .*$2=\([0-9.]*\).*/\1/p" | tail -1; }
pairs=$(tr -d '\r' <"$log" | sed -n 's/^bench: notify_rt_green_ratio .*pairs=\([0-9]*\).*/\1/p' | tail -1)
g_rt=$(val notify_rt_green) p_rt=$(val notify_rt_plain) g_y=$(val yield_rt_green) b_y=$(val yield_rt_bare)
l_w=$(val local_wake)
r_rt=$(ratio notify_rt_green median) rb_rt=$(ratio notify_rt_green best)
r_y=$(ratio yield_rt_green median) rb_y=$(ratio yield_rt_green best)
for v in "$g_rt" "$p_rt" "$g_y" "$b_y" "$l_w" "$r_rt" "$rb_rt" "$r_y" "$rb_y" "$pairs"; do
	[ -n "$v" ] || { echo "FAIL: a figure is missing; log: $log"; exit 1; }
done
ok_rt=$(awk -v r="$r_rt" 'BEGIN { print (r <= 1.1) ? "yes" : "no" }')
ok_y=$(awk -v r="$r_y" 'BEGIN { print (r <= 2.0) ? "yes" : "no" }')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "Ratios: median of $pairs per-pair ratios of interleaved blocks (best: best block over best block); host load $load"
printf '%-44s %10s %10s %7s %7s %7s %s\n' "Microkit under QEMU (emulated: ratios only)" "ns/op" "baseline" "ratio" "best" "target" "met"
printf '%-44s %10s %10s %7s %7s %7s %s\n' "notify round trip: green thread vs plain PD" "$g_rt" "$p_rt" "$r_rt" "$rb_rt" "1.1" "$ok_rt"
printf '%-44s %10s %10s %7s %7s %7s %s\n' "yield round trip: green vs bare switch" "$g_y" "$b_y" "$r_y" "$rb_y" "2.0" "$ok_y"
printf '%-44s %10s\n' "the domain's part of a wake-up (no kernel)" "$l_w"
cat >"$json" <<JSON
{
  "platform": "seL4 Microkit 2.0.1, qemu_virt_aarch64 under qemu-system-aarch64 (TCG)",
  "unit": "ns per round trip (emulated), median block",
  "method": "interleaved blocks, one of each per pair; ratio: median of the per-pair ratios; best: best block over best block",
  "pairs": $pairs,
  "host_loadavg": "$load",
  "notify_rt_green": $g_rt,
  "notify_rt_plain": $p_rt,
  "notify_rt_ratio": $r_rt,
  "notify_rt_ratio_best": $rb_rt,
  "notify_rt_target": 1.1,
  "yield_rt_green": $g_y,
  "yield_rt_bare": $b_y,
  "yield_rt_ratio": $r_y,
  "yield_rt_ratio_best": $rb_y,
  "yield_rt_target": 2.0,
  "local_wake": $l_w
}
JSON
echo "JSON: $json"
