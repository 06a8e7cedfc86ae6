#!/usr/bin/env python3
"""Medians (and the spread) of the bench-results/*.json reports, one line per case and figure."""
import glob, json, os, statistics, sys

d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "bench-results")
cases = {}
for f in sorted(glob.glob(os.path.join(d, "*.json"))):
    name = os.path.basename(f)[:-5].rsplit("-", 1)[0]
    cases.setdefault(name, []).append(json.load(open(f)))

def get(r, path):
    for p in path.split("."):
        r = r.get(p) if isinstance(r, dict) else None
    return r

FIGS = [
    ("established", "connections.established"), ("failed", "connections.failed"),
    ("connect p99 ms", "connections.connectP99"),
    ("rss B/conn", "gateway.rssBytesPerConnection"), ("live B/conn", "gateway.liveBytesPerConnection"),
    ("gw cpu s", "gateway.cpuSeconds"), ("window s", "gateway.windowSeconds"),
    ("expected", "events.expected"), ("missed", "events.missed"), ("dup", "events.duplicated"),
    ("p50 ms", "latency.p50"), ("p99 ms", "latency.p99"), ("p99.9 ms", "latency.p999"), ("max ms", "latency.max"),
    ("slow p50 ms", "latencySlow.p50"), ("slow p99 ms", "latencySlow.p99"), ("slow cut", "slow.cutLoose"),
    ("slow missed", "slow.missed"), ("slow reconnects", "slow.reconnects"), ("fast missed", "slow.fastMissed"),
    ("received", "events.received"), ("deliveries", "gateway.deliveries"),
    ("ack p99 ms", "publishes.ackP99"), ("acked", "publishes.acknowledged"), ("pub failed", "publishes.failed"),
    ("us/delivery", "gateway.cpuMicrosPerDelivery"), ("user us/deliv", "gateway.userMicrosPerDelivery"),
    ("kernel us/deliv", "gateway.systemMicrosPerDelivery"), ("healthz fail", "gateway.healthzFailed"),
    ("healthz max ms", "gateway.healthzMax"), ("rss max MiB", "gateway.rssMaxKiB"),
    ("other cpu s", "machine.otherCpuSeconds"), ("bench cpu s", "machine.benchCpuSeconds"),
]
for name, runs in cases.items():
    print(f"== {name} ({len(runs)} runs)")
    for r in runs:
        for n in r.get("notes", []):
            if "conflated" in n:
                print(f"  note: {n}")
    for label, path in FIGS:
        vals = [get(r, path) for r in runs]
        vals = [v for v in vals if isinstance(v, (int, float)) and v != -1]
        if not vals:
            continue
        if path == "gateway.rssMaxKiB":
            vals = [v / 1024 for v in vals]
        med = statistics.median(vals)
        print(f"  {label:16} median {med:12.3f}   runs {', '.join(f'{v:.3f}' for v in vals)}")
