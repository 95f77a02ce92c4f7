#!/usr/bin/env python3
"""Writes the tile paths of an MBTiles file, z8-14 (XYZ, as /tiles/z/x/y.mvt
for dxmap and /<source>/z/x/y for Martin), sorted, one per line."""
import sqlite3, sys

mbtiles, prefix, suffix, zmin, zmax = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
db = sqlite3.connect(mbtiles)
rows = db.execute(
    "SELECT zoom_level, tile_column, tile_row FROM tiles WHERE zoom_level BETWEEN ? AND ? "
    "ORDER BY zoom_level, tile_column, tile_row", (zmin, zmax)).fetchall()
for z, x, row in rows:
    y = (1 << z) - 1 - row
    print(f"{prefix}/{z}/{x}/{y}{suffix}")
