#!/usr/bin/env bash
# Writes the seed corpus of every target into fuzz/corpus/<target>/ from
# files already in the repository (nothing from ../shared/data). Shapefile
# seeds need GDAL's ogr2ogr; without it that target starts from nothing.
set -euo pipefail
cd "$(dirname "$0")"
root=..
c=corpus
mkdir -p $c/geojson $c/csv $c/shapefile $c/methodology_toml $c/project_toml $c/server_request $c/server_raw $c/mvt_encode

# geojson: a selector byte (CRS mode, skip_invalid) then the file.
for sel in 0 1 2 16; do
  { printf "\\x$(printf %02x $sel)"; cat $root/tests/fixtures/ingest/tiny.geojson; } > $c/geojson/tiny-$sel
done
printf '\x00{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::27700"}},"features":[{"type":"Feature","properties":{"LSOA11CD":"E01000001"},"geometry":{"type":"MultiPolygon","coordinates":[[[[530000,180000],[530100,180000],[530100,180100],[530000,180100],[530000,180000]],[[530010,180010],[530010,180020],[530020,180020],[530010,180010]]]]}}]}' > $c/geojson/bng-multi

# csv
cp $root/tests/fixtures/ingest/tiny.csv $c/csv/tiny
{ printf '\xef\xbb\xbf'; sed 's/$/\r/' $root/tests/fixtures/ingest/tiny.csv; } > $c/csv/bom-crlf
printf 'code,a,b,c,d\nE01000001,"1,5",2,x,"multi\nline"\nE01000001,,0,-3,y\nW01000002,1e308,NaN,inf,z\n' > $c/csv/quotes

# shapefile: ogr2ogr writes the tiny boundaries as .shp/.shx/.dbf; the
# input is a selector byte, two u16 lengths, .shp, .shx, .dbf.
if command -v ogr2ogr >/dev/null; then
  tmp=$(mktemp -d)
  ogr2ogr -q -f "ESRI Shapefile" -s_srs EPSG:4326 -t_srs EPSG:27700 "$tmp/t.shp" $root/tests/fixtures/ingest/tiny.geojson
  python3 - "$tmp" $c/shapefile <<'PY'
import struct, sys
d, out = sys.argv[1], sys.argv[2]
shp, shx, dbf = (open(f"{d}/t.{e}", "rb").read() for e in ("shp", "shx", "dbf"))
for sel, with_shx in ((2, True), (0x21, False), (0x14, True)):
    x = shx if with_shx else b""
    open(f"{out}/tiny-{sel}", "wb").write(bytes([sel]) + struct.pack(">HH", len(shp), len(x)) + shp + x + dbf)
PY
  rm -r "$tmp"
fi

# TOML
cp $root/methodology/london.toml $root/methodology/deri-v1.6.toml $c/methodology_toml/
cp $root/tests/fixtures/ingest/tiny.toml $root/examples/london.toml $c/project_toml/

# server_request: a route byte (see harness::Server::request) then the rest.
s=$c/server_request
printf '\x00' > $s/tile-empty; printf '\x000/0/0.mvt' > $s/tile-000
printf '\x01\x0e\x00\x00\x00\x00\x00\x00\x00\x00gzip' > $s/tile-near
printf '\x02lon=-0.1&lat=51.5' > $s/lookup
printf '\x03bbox=-0.12,51.5,-0.1,51.52' > $s/areas-bbox
printf '\x03borough=E09000001' > $s/areas-borough
printf '\x04{"codes":["E01000000","E01000001","E01000002"],"weights":{"demography":2}}' > $s/score-codes
printf '\x05{"polygon":{"type":"Polygon","coordinates":[[[-0.13,51.49],[-0.07,51.49],[-0.07,51.54],[-0.13,51.54],[-0.13,51.49]]]}}' > $s/score-polygon
printf '\x06E01000003' > $s/area
printf '\x07\x00\x00\x00\x80\x00\x00\x00\x80' > $s/lookup-near
printf '\x08tiles.json' > $s/tilejson
printf '\x08api/meta' > $s/meta

# server_raw: raw request heads (the harness adds the final empty line).
s=$c/server_raw
printf 'GET /healthz HTTP/1.1\r\nHost: x' > $s/healthz
printf 'GET /tiles/0/0/0.mvt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip' > $s/tile
printf 'GET /api/areas?bbox=-0.12,51.5,-0.1,51.52 HTTP/1.1\r\nHost: x' > $s/areas
printf 'GET healthz HTTP/1.1\r\nHost: x' > $s/no-slash
printf 'POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Length: 47\r\n\r\n{"codes":["E01000000","E01000001","E01000002"]}' > $s/score
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /tiles.json HTTP/1.1\r\nHost: x' > $s/pipelined
