#!/usr/bin/env bash
# dxmap vs GDAL, side by side in one run, on the same London data:
#   dxmap export mbtiles --max-zoom 14          (from the dataset)
#   ogr2ogr -f MBTILES -dsco MAXZOOM=14          (from dxmap's GeoJSON export)
# Reports wall time, tile count, total tile bytes and the largest tile of each.
#
# Usage: benches/export-vs-ogr2ogr.sh   (needs ../shared/data, ogr2ogr, sqlite3;
#        DXMAP_BIN overrides the release binary, which is built if absent)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DXMAP_BIN:-$root/target/release/dxmap}
for t in ogr2ogr sqlite3; do
    command -v "$t" >/dev/null || { echo "skipped: $t is not installed (apt-get install gdal-bin sqlite3)"; exit 0; }
done
[ -f "$root/../shared/data/SOURCES.md" ] || { echo "skipped: ../shared/data is absent"; exit 0; }
[ -x "$bin" ] || cargo build --release --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" build --quiet --project "$root/examples/london.toml" --out "$work/london.dxmap" >/dev/null
"$bin" export geojson --quiet --dataset "$work/london.dxmap" --out "$work/london.geojson"

now() { date +%s.%N; }
stats() { sqlite3 "$1" "SELECT count(*), sum(length(tile_data)), max(length(tile_data)) FROM tiles" | tr '|' ' '; }

t0=$(now)
"$bin" export mbtiles --quiet --max-zoom 14 --dataset "$work/london.dxmap" --out "$work/dxmap.mbtiles"
t1=$(now)
ogr2ogr -f MBTILES "$work/ogr.mbtiles" "$work/london.geojson" -dsco MAXZOOM=14 -dsco MINZOOM=0 2>"$work/ogr.err"
t2=$(now)

read -r dn db dl <<<"$(stats "$work/dxmap.mbtiles")"
read -r on ob ol <<<"$(stats "$work/ogr.mbtiles")"
dt=$(awk "BEGIN{print $t1 - $t0}")
ot=$(awk "BEGIN{print $t2 - $t1}")
printf '%-8s %10s %8s %14s %14s %10s\n' tool seconds tiles total_bytes largest_tile file_bytes
printf '%-8s %10.2f %8d %14d %14d %10d\n' dxmap "$dt" "$dn" "$db" "$dl" "$(stat -c %s "$work/dxmap.mbtiles")"
printf '%-8s %10.2f %8d %14d %14d %10d\n' ogr2ogr "$ot" "$on" "$ob" "$ol" "$(stat -c %s "$work/ogr.mbtiles")"
printf 'speed-up: %.1fx (dxmap time includes loading the dataset and scoring)\n' "$(awk "BEGIN{print $ot / $dt}")"
[ -s "$work/ogr.err" ] && { echo "ogr2ogr said:"; head -5 "$work/ogr.err"; }
exit 0
