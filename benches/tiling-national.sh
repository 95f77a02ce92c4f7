#!/usr/bin/env bash
# National tiling side by side, in one run, on the same England and Wales
# LSOA 2021 areas (examples/england-wales-2021.toml, 35,672 areas), z0-14:
#   dxmap export pmtiles          (from the dataset artifact: load, score, cut, write)
#   freestiler.freestile          (PyPI, reading dxmap's GeoJSON export through geopandas)
#   tippecanoe -Z0 -z14           (the same GeoJSON; --no-feature-limit --no-tile-size-limit,
#                                  so that, like dxmap, it keeps every area in every tile)
# and London (the embedded default) with dxmap alone. Each tool runs RUNS
# times (default 3) as whole processes; prints each run's wall time and
# peak RSS (/usr/bin/time), then archive size, tile count and largest tile.
#
# Usage: benches/tiling-national.sh   (needs ../shared/data; VENV is the
#        Python venv with freestiler, geopandas and tippecanoe, default
#        ~/.cache/dxmap-venv; DXMAP_BIN overrides the release binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${DXMAP_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/dxmap}
venv=${VENV:-$HOME/.cache/dxmap-venv}
runs=${RUNS:-3}
[ -f "$root/../shared/data/SOURCES.md" ] || { echo "skipped: ../shared/data is absent"; exit 0; }
[ -x "$bin" ] || cargo build --release --manifest-path "$root/Cargo.toml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"
"$bin" build --quiet --project "$root/examples/england-wales-2021.toml" --out "$work/ew.dxmap" >/dev/null
method=(--methodology "$root/methodology/dxmap-2025.toml")
"$bin" export geojson --quiet --dataset "$work/ew.dxmap" "${method[@]}" --out "$work/ew.geojson"

# One timed whole-process run: prints "label seconds peak_MB".
timed() {
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r s kb <"$work/time"
    printf '%-12s %8.2f s %6d MB\n' "$label" "$s" $((kb / 1024))
}
summary() {
    "$venv/bin/python" - "$1" <<'PY'
import sys
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    r = Reader(MmapSource(f))
    n = big = 0
    for _, data in all_tiles(r.get_bytes):
        n += 1
        big = max(big, len(data))
import os
print(f"  {os.path.getsize(sys.argv[1]):,} bytes, {n:,} tiles, largest {big:,} bytes (as stored)")
PY
}

for i in $(seq 1 "$runs"); do
    timed "dxmap E&W" "$bin" export pmtiles --quiet --dataset "$work/ew.dxmap" "${method[@]}" --out "$work/dxmap.pmtiles"
    timed "freestiler" "$venv/bin/python" -c "
import geopandas as gpd, freestiler
freestiler.freestile(gpd.read_file('$work/ew.geojson'), '$work/freestiler.pmtiles', layer_name='lsoa', min_zoom=0, max_zoom=14, quiet=True)"
    timed "tippecanoe" "$venv/bin/tippecanoe" -q -f -Z0 -z14 -l lsoa --no-feature-limit --no-tile-size-limit -o "$work/tippecanoe.pmtiles" "$work/ew.geojson"
    timed "dxmap London" "$bin" export pmtiles --quiet --out "$work/london.pmtiles"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in dxmap freestiler tippecanoe london; do
    echo "$f:"; summary "$work/$f.pmtiles"
done
