#!/usr/bin/env bash
# Serving England and Wales (LSOA 2021, 35,672 areas): dxmap serve's resident
# memory and its cold tiles. Not run in CI. Needs ../shared/data, python3 and
# a release dxmap.
#   1. dxmap build examples/england-wales-2021.toml; export its MBTiles z0-14
#      with methodology/dxmap-2025.toml, only to list the z10-14 tiles;
#   2. dxmap serve it with the default settings (64 MB tile cache, prewarm
#      to z11) and print RSS after start and prewarm;
#   3. cold.py fetches every z10-14 tile once, in order (cold latency), then
#      RSS again, and the tile cache's bytes and entries.
# Usage: benches/serve/ew.sh      (DXMAP, WORK override; WORK keeps the files)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ -f "$root/../shared/data/SOURCES.md" ] || { echo "skipped: ../shared/data is absent"; exit 0; }
dxmap=${DXMAP:-$root/target/release/dxmap}
work=${WORK:-$(mktemp -d)}
method=(--methodology "$root/methodology/dxmap-2025.toml")
source "$here/lib.sh"
echo "work dir: $work; load average before: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"

if [ ! -f "$work/ew.dxmap" ]; then
  "$dxmap" -q build --project "$root/examples/england-wales-2021.toml" --out "$work/ew.dxmap" >/dev/null
fi
if [ ! -f "$work/ew.mbtiles" ]; then
  "$dxmap" -q export mbtiles --dataset "$work/ew.dxmap" "${method[@]}" --out "$work/ew.mbtiles" --max-zoom 14
fi
python3 "$here/urls.py" "$work/ew.mbtiles" /tiles .mvt 10 14 > "$work/ew-cold-urls.txt"
echo "tiles z10-14: $(wc -l < "$work/ew-cold-urls.txt")"

trap 'kill ${dx:-} 2>/dev/null || true' EXIT
RUST_LOG=info "$dxmap" -q serve --dataset "$work/ew.dxmap" "${method[@]}" --addr 127.0.0.1:18081 > "$work/dxmap-ew.log" 2>&1 &
dx=$!
for _ in $(seq 1 10); do wait_up http://127.0.0.1:18081/healthz 2>/dev/null && break; done
wait_prewarm "$work/dxmap-ew.log"
echo "dxmap E&W after start and prewarm: $(rss $dx)"
echo "== dxmap E&W cold z10-14, once each, default prewarm"
python3 "$here/cold.py" 127.0.0.1 18081 "$work/ew-cold-urls.txt"
echo "dxmap E&W after the cold pass: $(rss $dx)"
curl -s http://127.0.0.1:18081/metrics | grep -E '^dxmap_tile_cache_(bytes|entries) '
kill $dx; wait $dx 2>/dev/null || true
