#!/usr/bin/env python3
"""Decode dxmap tiles with mapbox-vector-tile (an implementation dxmap did not
write) and list, per tile, the property names and feature ids of a layer.

Usage: mvt_props.py TILE_DIR LAYER

TILE_DIR holds z/x/y.mvt files. Prints one JSON object:
  {"z/x/y": {"keys": [names used by any feature, sorted], "ids": [feature ids]}, ...}
Exits 3 when mapbox_vector_tile cannot be imported.
"""
import json
import os
import sys

try:
    import mapbox_vector_tile
except ImportError as e:  # the Rust test prints a skip line
    print(f"import failed: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    tile_dir, layer_name = sys.argv[1], sys.argv[2]
    out = {}
    for z in sorted(os.listdir(tile_dir), key=int):
        for x in sorted(os.listdir(os.path.join(tile_dir, z)), key=int):
            for name in sorted(os.listdir(os.path.join(tile_dir, z, x))):
                y = name.split(".")[0]
                with open(os.path.join(tile_dir, z, x, name), "rb") as f:
                    tile = mapbox_vector_tile.decode(f.read())
                feats = tile.get(layer_name, {"features": []})["features"]
                keys = sorted({k for feat in feats for k in feat["properties"]})
                out[f"{z}/{x}/{y}"] = {"keys": keys, "ids": [feat["id"] for feat in feats]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
