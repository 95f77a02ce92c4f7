#!/usr/bin/env python3
"""Build data/london_lsoa21_boundaries.geojson.gz, the embedded default boundaries.

In: ../shared/data/boundaries/london_lsoa21.geojson (ONS LSOA 2021 generalised
(20 m) boundaries, WGS84, 6 decimals) and
../shared/data/lookups/ew_lsoa21_ward24_lad24_bestfit.csv (each LSOA's 2024
local authority). See ../shared/data/SOURCES.md.
Out: London's 4,994 LSOAs (2021) as one gzipped FeatureCollection, sorted by
LSOA21CD, properties LSOA21CD, LSOA21NM, LAD24CD, LAD24NM. To keep the binary
small, coordinates are kept to 6 decimal places (about 0.1 m) and vertices
that repeat or lie exactly on the line through their neighbours (on that
grid) are dropped, as are spikes that double back: the outline is unchanged
and neighbours still meet, since a shared vertex is the same in both. Reruns give byte-identical
output (gzip mtime 0, no file name).

Usage: python3 scripts/make-default-boundaries.py [--data DIR] [--out PATH]
Standard library only.
"""

import argparse
import csv
import gzip
import io
import json
import os
import sys

LONDON_COUNT = 4994
# 5 decimals (about 1 m) would save another 130 KB but makes three rings
# (E01000484, E01034038, E01034206) cross themselves, which ingest refuses.
DECIMALS = 6
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(os.path.dirname(REPO), "shared", "data")
DEFAULT_OUT = os.path.join(REPO, "data", "london_lsoa21_boundaries.geojson.gz")


def fail(msg):
    sys.exit("make-default-boundaries: " + msg)


def grid_ring(ring, q):
    """Rounds to the grid (integers) and drops repeated vertices; open ring."""
    out = []
    for x, y in ring:
        p = (round(x * q), round(y * q))
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def drop_collinear(pts):
    """Drops vertices exactly on the line through their neighbours (and
    spikes, which double back along it), until none is left."""
    changed = True
    while changed and len(pts) > 3:
        changed = False
        out = []
        n = len(pts)
        for i in range(n):
            a = out[-1] if out else pts[i - 1]
            b, c = pts[i], pts[(i + 1) % n]
            if (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]) == 0:
                changed = True
                continue
            out.append(b)
        pts = out
    return pts


def simplify_polygon(rings, code, q):
    out = []
    for i, ring in enumerate(rings):
        pts = drop_collinear(grid_ring(ring, q))
        if len(pts) < 3:
            if i == 0:
                return None  # a part thinner than the grid
            continue  # a hole thinner than the grid: drop it
        pts.append(pts[0])
        out.append([[x / q, y / q] for x, y in pts])
    return out


def simplify_geometry(geom, code):
    q = 10 ** DECIMALS
    t = geom["type"]
    if t == "Polygon":
        parts = [geom["coordinates"]]
    elif t == "MultiPolygon":
        parts = geom["coordinates"]
    else:
        fail("%s: unexpected geometry type %s" % (code, t))
    kept = [p for p in (simplify_polygon(p, code, q) for p in parts) if p is not None]
    if not kept:
        fail("%s: every part degenerate after rounding" % code)
    if t == "Polygon":
        return {"type": t, "coordinates": kept[0]}
    return {"type": t, "coordinates": kept}


def build(data):
    with open(os.path.join(data, "lookups", "ew_lsoa21_ward24_lad24_bestfit.csv"),
              encoding="utf-8") as fh:
        lad = {r["LSOA21CD"]: (r["LAD24CD"], r["LAD24NM"]) for r in csv.DictReader(fh)}
    with open(os.path.join(data, "boundaries", "london_lsoa21.geojson"), encoding="utf-8") as fh:
        src = json.load(fh)
    features = []
    for f in src["features"]:
        p = f["properties"]
        code = p["LSOA21CD"]
        if code not in lad:
            fail("%s: not in the LSOA 2021 to LAD 2024 lookup" % code)
        features.append({
            "type": "Feature",
            "properties": {
                "LSOA21CD": code,
                "LSOA21NM": p["LSOA21NM"],
                "LAD24CD": lad[code][0],
                "LAD24NM": lad[code][1],
            },
            "geometry": simplify_geometry(f["geometry"], code),
        })
    features.sort(key=lambda f: f["properties"]["LSOA21CD"])
    codes = [f["properties"]["LSOA21CD"] for f in features]
    if len(codes) != LONDON_COUNT:
        fail("found %d London LSOAs, expected %d" % (len(codes), LONDON_COUNT))
    if len(set(codes)) != len(codes):
        fail("duplicate LSOA21CD in source")
    boroughs = {f["properties"]["LAD24CD"] for f in features}
    if len(boroughs) != 33 or not all(b.startswith("E09") for b in boroughs):
        fail("expected the 33 London boroughs, found %d" % len(boroughs))
    return features


def write(features, out):
    doc = {
        "type": "FeatureCollection",
        "name": "london_lsoa21",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of run-specific bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, out)
    print("wrote %s: %d features, %d bytes (%d uncompressed)"
          % (out, len(features), len(buf.getvalue()), len(raw)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.data, "SOURCES.md")):
        fail("%s is not the shared data folder (no SOURCES.md)" % args.data)
    write(build(args.data), args.out)


if __name__ == "__main__":
    main()
