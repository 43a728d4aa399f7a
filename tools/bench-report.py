#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Turn the JSON of one run of the benchmark programs into a report.

Called by scripts/run-benchmarks (which builds and runs the programs):
reads <raw>/<program>.json and the load averages, the machine from /proc,
the targets from bench/targets.json; writes one combined JSON and, in
--out, README.md (a table per benchmark, the targets) and PNG plots.

Also usable on its own: bench-report.py --from results.json --out DIR
redraws the report of a combined JSON written earlier.
"""
import argparse
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PROGRAMS = ["bench_mk", "bench_dom", "bench_switch", "bench_comp", "bench_net", "bench_rumpuser"]
META = {"program", "repetitions", "ratios", "samples"}


def machine(raw, pin, reps):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def load(name):
        try:
            with open(os.path.join(raw, name)) as f:
                return [float(x) for x in f.read().split()]
        except OSError:
            return None

    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                                text=True, check=False).stdout.strip()
    except OSError:
        commit = ""
    return {
        "host": socket.gethostname(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "load_before": load("load_before"),
        "load_after": load("load_after"),
        "pinned_to": pin or None,
        "repetitions": reps,
        "commit": commit,
    }


def unit_of(key):
    if key.endswith("_ns") or "_ns_" in key:
        return "ns"
    if key.endswith("_per_s") or key.endswith("_pps"):
        return "/s"
    if key.endswith("_us"):
        return "µs"
    if key.endswith("_ms"):
        return "ms"
    if key.endswith("_mbps"):
        return "Mbit/s"
    if key.endswith("_kib"):
        return "KiB"
    return ""


def rows_of(prog):
    """(key, median, min, max, n) for every figure of one program."""
    samples = prog.get("samples", {})
    out = []
    for key, val in prog.items():
        if key in META or not isinstance(val, (int, float)):
            continue
        s = samples.get(key)
        if s:
            out.append((key, val, min(s), max(s), len(s)))
        else:
            out.append((key, val, None, None, 1))
    return out


OPS = {"<=": lambda v, r: v <= r, ">=": lambda v, r: v >= r,
       "<": lambda v, r: v < r, ">": lambda v, r: v > r}


def evaluate(targets, benches):
    res = []
    for t in targets:
        prog = benches.get(t["bench"])
        r = dict(t)
        r["value"] = None
        r["met"] = None
        if prog is not None and isinstance(prog.get(t["key"]), (int, float)):
            v = prog[t["key"]]
            if t["baseline"] is None:
                r["value"] = v
            elif isinstance(prog.get(t["baseline"]), (int, float)) and prog[t["baseline"]]:
                r["value"] = v / prog[t["baseline"]]
            if r["value"] is not None:
                r["met"] = OPS[t["op"]](r["value"], t["ratio"])
        res.append(r)
    return res


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 1e5:
        return "%.3g" % v
    if abs(v) >= 100:
        return "%.0f" % v
    return "%.2f" % v


def same_kind(a, b):
    return unit_of(a) == unit_of(b) and unit_of(a) != ""


def write_markdown(path, mach, benches, results, plots):
    L = []
    L.append("# Benchmark report")
    L.append("")
    L.append("Written by `scripts/run-benchmarks`; every figure is from the same run on one "
             "machine. Medians of the repetitions; min and max show the spread. Never compare "
             "figures of two machines.")
    L.append("")
    L.append("| machine | |")
    L.append("|---|---|")
    for k in ["date", "host", "cpu", "cores", "kernel", "load_before", "load_after",
              "pinned_to", "repetitions", "commit"]:
        v = mach.get(k)
        if isinstance(v, list):
            v = " ".join("%.2f" % x for x in v)
        L.append("| %s | %s |" % (k.replace("_", " "), v if v not in (None, "") else "-"))
    lb = mach.get("load_before") or [0]
    la = mach.get("load_after") or [0]
    if max(lb[0], la[0]) > (mach.get("cores") or 1) / 2:
        L.append("")
        L.append("**Warning: the load average (%.1f before, %.1f after) was high for %d cores; "
                 "these figures are noisy.**" % (lb[0], la[0], mach.get("cores") or 0))
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("From `bench/targets.json`: key / baseline of the same run, compared with the "
             "target (no baseline: the key's own value).")
    L.append("")
    L.append("| program | key | baseline | measured | target | met | issue |")
    L.append("|---|---|---|---|---|---|---|")
    for r in results:
        met = "-" if r["met"] is None else ("yes" if r["met"] else "**no**")
        L.append("| %s | %s | %s | %s | %s %s | %s | %s |" % (
            r["bench"], r["key"], r["baseline"] or "(absolute)", fmt(r["value"]), r["op"],
            r["ratio"], met, r["issue"]))
    for name in PROGRAMS:
        prog = benches.get(name)
        if prog is None:
            continue
        bases = []
        for t in results:
            if t["bench"] == name and t["baseline"] and t["baseline"] not in bases \
                    and t["baseline"] in prog:
                bases.append(t["baseline"])
        L.append("")
        L.append("## %s" % name)
        L.append("")
        head = "| key | median | min | max | unit |" + "".join(" ÷ %s |" % b for b in bases)
        L.append(head)
        L.append("|---" * (5 + len(bases)) + "|")
        for key, med, lo, hi, _ in rows_of(prog):
            cells = [key, fmt(med), fmt(lo), fmt(hi), unit_of(key)]
            for b in bases:
                cells.append(fmt(med / prog[b]) if same_kind(key, b) and prog[b] else "")
            L.append("| " + " | ".join(cells) + " |")
        if prog.get("ratios"):
            L.append("")
            L.append("Ratios the program itself reports:")
            L.append("")
            L.append("| ratio | value | target |")
            L.append("|---|---|---|")
            for k, v in prog["ratios"].items():
                L.append("| %s | %s | %s |" % (k, fmt(v["value"]), v["target"]))
    if plots:
        L.append("")
        L.append("## Plots")
        for title, png in plots:
            L.append("")
            L.append("### %s" % title)
            L.append("")
            L.append("![%s](%s)" % (title, png))
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


PINGPONG = re.compile(r"pingpong|rtt|handoff|call_")


def plot_latency(out, benches):
    """Box plots of every repetition of the ping-pongs and their baselines."""
    items = []
    for name in PROGRAMS:
        prog = benches.get(name)
        if prog is None:
            continue
        for key, s in prog.get("samples", {}).items():
            if PINGPONG.search(key) and unit_of(key) == "ns" and s:
                items.append(("%s  (%s)" % (key, name.replace("bench_", "")), s))
    if not items:
        return None
    items.sort(key=lambda kv: statistics.median(kv[1]))
    fig, ax = plt.subplots(figsize=(10, 0.38 * len(items) + 1.5))
    ax.boxplot([s for _, s in items], vert=False, widths=0.6, whis=(0, 100))
    for i, (_, s) in enumerate(items):
        ax.plot(s, [i + 1] * len(s), "o", ms=3, alpha=0.5, color="tab:blue")
    ax.set_yticks(range(1, len(items) + 1))
    ax.set_yticklabels([k for k, _ in items], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("ns per round trip / operation (log scale); one dot per repetition")
    ax.set_title("Ping-pongs and hand-offs against their baselines (futex, condvar, pipe)")
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=100)
    plt.close(fig)
    return "latency.png"


def size_series(benches):
    """{label: [(bytes, messages per second)]}: the rings (bench_comp), the
    network component's stack over its rings and its baselines (bench_net)."""
    series = {}
    for key, v in benches.get("bench_comp", {}).items():
        m = re.fullmatch(r"(ring|pipe|unixsock)_(\d+)(_[a-z]+)?_msgs_per_s", key)
        if m and isinstance(v, (int, float)):
            label = m.group(1) + (m.group(3) or "").replace("_", " ")
            series.setdefault(label, []).append((int(m.group(2)), v))
    for key, v in benches.get("bench_net", {}).items():
        if not isinstance(v, (int, float)):
            continue
        m = re.fullmatch(r"lwip_(\d+)_1v_pps", key)
        if m:
            series.setdefault("net: lwIP over rings, 1 vCPU", []).append((int(m.group(1)), v))
        m = re.fullmatch(r"(linux_udp|tap)_(\d+)(?:_1v)?_pps", key)
        if m:
            label = "net: Linux UDP pair" if m.group(1) == "linux_udp" else "net: TAP mode"
            series.setdefault(label, []).append((int(m.group(2)), v))
    return series


def plot_rings(out, benches):
    series = size_series(benches)
    if not series:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, pts in sorted(series.items()):
        pts.sort()
        xs = [p[0] for p in pts]
        a1.plot(xs, [p[1] / 1e6 for p in pts], "o-", label=label)
        a2.plot(xs, [p[0] * p[1] / 1e6 for p in pts], "o-", label=label)
    a1.set_xscale("log")
    a2.set_xscale("log")
    a1.set_yscale("log")
    a2.set_yscale("log")
    a1.set_xlabel("message size (bytes)")
    a2.set_xlabel("message size (bytes)")
    a1.set_ylabel("million messages / s")
    a2.set_ylabel("MB / s (payload, log scale)")
    a1.set_title("Rate vs message size (rings, network component)")
    a2.set_title("Bandwidth vs message size")
    for a in (a1, a2):
        a.grid(alpha=0.3, which="both")
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "rings.png"), dpi=100)
    plt.close(fig)
    return "rings.png"


def plot_scaling(out, benches):
    """Every figure measured with 1 and with 2 threads or vCPUs."""
    pairs = []
    for name in PROGRAMS:
        prog = benches.get(name)
        if prog is None:
            continue
        for key, v in prog.items():
            m = re.fullmatch(r"(.*)_2(threads|vcpus|v)(_.*)", key)
            if not m or not isinstance(v, (int, float)):
                continue
            one = m.group(1) + m.group(3)
            if isinstance(prog.get(one), (int, float)):
                label = re.sub(r"_ns$", "", one).replace("_", " ")
                pairs.append((label + " (" + name.replace("bench_", "") + ")", prog[one], v))
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(pairs) + 1.5))
    ys = range(len(pairs))
    ax.barh([y + 0.2 for y in ys], [p[1] for p in pairs], height=0.4,
            label="1 thread / 1 vCPU")
    ax.barh([y - 0.2 for y in ys], [p[2] for p in pairs], height=0.4,
            label="2 threads / 2 vCPUs")
    ax.set_yticks(list(ys))
    ax.set_yticklabels([p[0] for p in pairs], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("ns per call (log scale; equal bars: perfect scaling)")
    ax.set_title("Scaling: the same operation from 1 and 2 host threads, or on 1 and 2 vCPUs")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "scaling.png"), dpi=100)
    plt.close(fig)
    return "scaling.png"


def plot_vcpus(out, benches):
    """Throughput of the network component's stack against its vCPUs."""
    series = {}
    for key, v in benches.get("bench_net", {}).items():
        m = re.fullmatch(r"lwip_(\d+)_(\d+)v_pps", key)
        if m and isinstance(v, (int, float)):
            series.setdefault(int(m.group(1)), []).append((int(m.group(2)), v))
    series = {k: sorted(v) for k, v in series.items() if len(v) >= 2}
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for size, pts in sorted(series.items()):
        ax.plot([p[0] for p in pts], [p[1] / 1e3 for p in pts], "o-",
                label="lwIP over rings, %d B" % size)
    ax.set_xlabel("vCPUs per domain")
    ax.set_ylabel("thousand datagrams / s")
    ax.set_xticks(sorted({p[0] for pts in series.values() for p in pts}))
    ax.set_ylim(bottom=0)
    ax.set_title("Scaling against vCPUs (bench_net)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "vcpus.png"), dpi=100)
    plt.close(fig)
    return "vcpus.png"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--raw", help="directory with <program>.json of one run")
    ap.add_argument("--from", dest="src", help="a combined JSON written before")
    ap.add_argument("--targets", default="bench/targets.json")
    ap.add_argument("--json", help="write the combined JSON here")
    ap.add_argument("--out", required=True, help="directory for README.md and the PNGs")
    ap.add_argument("--pin", default="")
    ap.add_argument("--reps", default="")
    a = ap.parse_args()

    with open(a.targets) as f:
        targets = json.load(f)["targets"]
    for t in targets:
        if t.get("op") not in OPS:
            sys.exit("bench-report: %s: target %s %s: op %r is not one of %s"
                     % (a.targets, t.get("bench"), t.get("key"), t.get("op"), " ".join(OPS)))
    if a.src:
        with open(a.src) as f:
            combined = json.load(f)
        mach, benches = combined["machine"], combined["benchmarks"]
    elif a.raw:
        mach = machine(a.raw, a.pin, a.reps)
        benches = {}
        for name in PROGRAMS:
            p = os.path.join(a.raw, name + ".json")
            if os.path.exists(p):
                with open(p) as f:
                    benches[name] = json.load(f)
    else:
        ap.error("one of --raw and --from is needed")
    if not benches:
        print("bench-report: no benchmark results", file=sys.stderr)
        return 1
    results = evaluate(targets, benches)
    os.makedirs(a.out, exist_ok=True)
    plots = []
    for title, fn in [("Latency distributions", plot_latency),
                      ("Throughput vs message size", plot_rings),
                      ("Scaling against vCPUs", plot_vcpus),
                      ("Scaling: 1 and 2 threads or vCPUs", plot_scaling)]:
        png = fn(a.out, benches)
        if png:
            plots.append((title, png))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": mach, "benchmarks": benches, "targets": results}, f,
                      indent=1)
        print("bench-report: wrote %s" % a.json)
    write_markdown(os.path.join(a.out, "README.md"), mach, benches, results, plots)
    print("bench-report: wrote %s/README.md and %d plots" % (a.out, len(plots)))
    missed = [r for r in results if r["met"] is False]
    for r in missed:
        print("bench-report: target missed: %s %s / %s = %s (%s %s)" % (
            r["bench"], r["key"], r["baseline"] or "-", fmt(r["value"]), r["op"], r["ratio"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
