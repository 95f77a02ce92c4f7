#!/usr/bin/env python3
"""Fetches every path in a file once, in order, over one keep-alive
connection, and prints p50/p99/max latency in ms: on a freshly started
server this measures cold (uncached) tile generation."""
import http.client, sys, time

host, port, path_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
paths = [l.strip() for l in open(path_file) if l.strip()]
conn = http.client.HTTPConnection(host, port)
lat = []
by_zoom = {}
bad = 0
for p in paths:
    t = time.perf_counter()
    conn.request("GET", p, headers={"Accept-Encoding": "gzip"})
    r = conn.getresponse()
    r.read()
    ms = (time.perf_counter() - t) * 1000
    lat.append(ms)
    parts = p.strip("/").split("/")
    if len(parts) >= 4 and parts[-3].isdigit():
        by_zoom.setdefault(int(parts[-3]), []).append(ms)
    if r.status not in (200, 204):
        bad += 1
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"tiles {len(lat)}, p50 {pct(0.5):.2f} ms, p99 {pct(0.99):.2f} ms, max {lat[-1]:.2f} ms, bad {bad}")
for z in sorted(by_zoom):
    v = sorted(by_zoom[z])
    print(f"  z{z}: {len(v)} tiles, p50 {v[len(v) // 2]:.2f} ms, p99 {v[min(len(v) - 1, int(0.99 * len(v)))]:.2f} ms, max {v[-1]:.2f} ms")
