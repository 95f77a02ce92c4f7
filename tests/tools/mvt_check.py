#!/usr/bin/env python3
"""Decode dxmap tiles with mapbox-vector-tile (an implementation dxmap did not
write) and check them against the source polygons.

Usage: mvt_check.py TILE_DIR GEOJSON EXTENT BUFFER

TILE_DIR holds z/x/y.mvt files; feature ids are 0-based positions of the
features in GEOJSON. Prints one JSON object:
  {"tiles": [{"z", "x", "y", "features", "wrong_winding", "out_of_bounds",
              "bad_rings", "invalid" (polygons shapely finds invalid), "area", "union_area", "source_area"}...],
   "missing_rep": [[id, "z/x/y"]...], "missing_inset": [[id, "z/x/y"]...]}
Exits 3 when mapbox_vector_tile or shapely cannot be imported.
"""
import json
import math
import os
import sys

try:
    import mapbox_vector_tile
    from shapely.geometry import Polygon, box, shape
    from shapely.ops import unary_union
    from shapely.strtree import STRtree
except ImportError as e:  # the Rust test prints a skip line
    print(f"import failed: {e}", file=sys.stderr)
    sys.exit(3)


def area_sign(ring):
    """Twice the MVT 2.1 surveyor's area (y down), ring closed."""
    return sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))


def to_world(lon, lat):
    lat = max(-85.0511287798, min(85.0511287798, lat))
    r = math.radians(lat)
    return (lon + 180.0) / 360.0, (1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0


def project_geom(g, z, x, y, extent):
    """A shapely geometry (lon/lat) in the tile units of z/x/y."""
    n = 2 ** z

    def tf(coords):
        out = []
        for lon, lat in coords:
            wx, wy = to_world(lon, lat)
            out.append(((wx * n - x) * extent, (wy * n - y) * extent))
        return out

    polys = [g] if g.geom_type == "Polygon" else list(g.geoms)
    return unary_union([Polygon(tf(p.exterior.coords), [tf(h.coords) for h in p.interiors]) for p in polys])


def main():
    tile_dir, geojson, extent, buffer = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(geojson) as f:
        src = [shape(feat["geometry"]) for feat in json.load(f)["features"]]
    tree = STRtree(src)
    reps = [g.representative_point() for g in src]
    lo, hi = -buffer, extent + buffer
    tile_box = box(0, 0, extent, extent)
    inset = 4  # units: simplification tolerance plus rounding
    inset_box = box(inset, inset, extent - inset, extent - inset)
    out = {"tiles": [], "missing_rep": [], "missing_inset": []}
    found = {}
    for z in sorted(os.listdir(tile_dir), key=int):
        for x in sorted(os.listdir(os.path.join(tile_dir, z)), key=int):
            for name in sorted(os.listdir(os.path.join(tile_dir, z, x))):
                y = name.split(".")[0]
                zi, xi, yi = int(z), int(x), int(y)
                with open(os.path.join(tile_dir, z, x, name), "rb") as f:
                    data = f.read()
                tile = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
                layer = tile.get("lsoa", {"features": []})
                rec = {"z": zi, "x": xi, "y": yi, "features": [], "wrong_winding": 0, "out_of_bounds": 0,
                       "bad_rings": 0, "invalid": 0, "area": 0.0, "union_area": 0.0, "source_area": 0.0}
                shapes = []
                for feat in layer["features"]:
                    rec["features"].append(feat["id"])
                    g = feat["geometry"]
                    polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
                    for poly in polys:
                        for i, ring in enumerate(poly):
                            if len(ring) < 4 or ring[0] != ring[-1]:
                                rec["bad_rings"] += 1
                            a = area_sign(ring)
                            if (i == 0 and a <= 0) or (i > 0 and a >= 0):
                                rec["wrong_winding"] += 1
                            for px, py in ring:
                                if not (lo <= px <= hi and lo <= py <= hi):
                                    rec["out_of_bounds"] += 1
                        p = Polygon(poly[0], poly[1:])
                        if not p.is_valid:
                            rec["invalid"] += 1
                            p = p.buffer(0)
                        shapes.append(p.intersection(tile_box))
                rec["area"] = sum(s.area for s in shapes)
                rec["union_area"] = unary_union(shapes).area if shapes else 0.0
                # Source polygons touching this tile, in its units.
                n = 2 ** zi
                w, e = xi / n * 360 - 180, (xi + 1) / n * 360 - 180
                north = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yi / n))))
                south = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (yi + 1) / n))))
                got = set(rec["features"])
                for i in sorted(int(k) for k in tree.query(box(w, south, e, north))):
                    local = project_geom(src[i], zi, xi, yi, extent)
                    rec["source_area"] += local.intersection(tile_box).area
                    if i not in got:
                        if local.intersects(inset_box):
                            out["missing_inset"].append([i, f"{z}/{x}/{y}"])
                out["tiles"].append(rec)
                found[(zi, xi, yi)] = got
    # Every polygon is in the tile holding its representative point, at
    # every zoom present (a missing tile file counts as missing).
    for zi in sorted({k[0] for k in found}):
        n = 2 ** zi
        for i, r in enumerate(reps):
            rx, ry = to_world(r.x, r.y)
            key = (zi, int(rx * n), int(ry * n))
            if i not in found.get(key, ()):
                out["missing_rep"].append([i, "%d/%d/%d" % key])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
