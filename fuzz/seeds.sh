#!/usr/bin/env bash
# Writes the seed corpus of every target into fuzz/corpus/<target>/ from
# files already in the repository (nothing from ../shared/data). Shapefile
# seeds need GDAL's ogr2ogr; without it that target starts from nothing.
set -euo pipefail
cd "$(dirname "$0")"
root=..
c=corpus
mkdir -p $c/geojson $c/csv $c/shapefile $c/methodology_toml $c/project_toml $c/server_request $c/server_raw $c/mvt_encode $c/derived $c/within $c/basemap

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
# OGC API - Tiles: the grid's one tile at zoom 0 is row 0, column 0.
printf '\x08ogc' > $s/ogc
printf '\x08ogc/conformance?f=json' > $s/ogc-conformance
printf '\x08ogc/collections/dxmap' > $s/ogc-collection
printf '\x08ogc/collections/dxmap/tiles/WebMercatorQuad' > $s/ogc-tileset
printf '\x08ogc/collections/dxmap/tiles/WebMercatorQuad/0/0/0' > $s/ogc-tile
printf '\x08ogc/collections/dxmap/tiles/WebMercatorQuad/14/5448/8186?f=mvt' > $s/ogc-tile-14
printf '\x08ogc/tileMatrixSets/WebMercatorQuad' > $s/ogc-tms

# server_raw: raw request heads (the harness adds the final empty line).
s=$c/server_raw
printf 'GET /healthz HTTP/1.1\r\nHost: x' > $s/healthz
printf 'GET /tiles/0/0/0.mvt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip' > $s/tile
printf 'GET /api/areas?bbox=-0.12,51.5,-0.1,51.52 HTTP/1.1\r\nHost: x' > $s/areas
printf 'GET healthz HTTP/1.1\r\nHost: x' > $s/no-slash
printf 'POST /api/score HTTP/1.1\r\nHost: x\r\nContent-Length: 47\r\n\r\n{"codes":["E01000000","E01000001","E01000002"]}' > $s/score
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /tiles.json HTTP/1.1\r\nHost: x' > $s/pipelined
printf 'GET /ogc?f=json HTTP/1.1\r\nHost: x' > $s/ogc
printf 'GET /ogc/collections HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https' > $s/ogc-collections
printf 'GET /ogc/collections/dxmap/tiles/WebMercatorQuad/0/0/0 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip' > $s/ogc-tile
printf 'GET /ogc/collections/dxmap/tiles/WebMercatorQuad/99/0/0 HTTP/1.1\r\nHost: x' > $s/ogc-tile-out
printf 'GET /ogc/tileMatrixSets/WebMercatorQuad?f=json HTTP/1.1\r\nHost: x' > $s/ogc-tms

# derived: a byte N, N cell-value bytes (0 missing, 1 zero, 3 NaN, 4 inf,
# ... see inputs::cell), then [[derived]] text after a fixed project head.
s=$c/derived
printf '\x06\x00\x01\x02\x03\x0a\x80[[derived]]\nid = "r"\nlabel = "R"\nrate = { numerator = "population", denominator = "aged_65_plus" }\n' > $s/rate
printf '\x00[[derived]]\nid = "s"\nlabel = "S"\nsum = ["population", "no_qualifications"]\n' > $s/sum
printf '\x04\x04\x05\x06\x07[[derived]]\nid = "d"\nlabel = "D"\ndifference = [100, "aged_65_plus"]\nvintage = "2021"\nsource = "made up"\n' > $s/difference
printf '\x00[[derived]]\nid = "a"\nlabel = "A"\nsum = ["population"]\n\n[[derived]]\nid = "b"\nlabel = "B"\nrate = { numerator = ["a", "population"], denominator = "a" }\n' > $s/chained
printf '\x00[[derived]]\nid = "x"\nlabel = "X"\ndifference = ["population", "aged_65_plus", 3]\n' > $s/three-terms
printf '\x00[[derived]]\nid = "g"\nlabel = "G"\nsum = ["group", "nope"]\n\n[[derived]]\nid = "g"\nlabel = "G"\nsum = []\nrate = { numerator = "population", denominator = "population" }\n' > $s/bad
for f in $root/examples/london-2021.toml $root/examples/england-wales-2021.toml; do
  { printf '\x00'; sed -n '/^\[\[derived\]\]/,$p' "$f"; } > $s/$(basename "$f" .toml)
done

# within: a byte picking the form (0 codes, 1 codes file, 2 GeoJSON, 3 gzip,
# 4 Shapefile parts as the shapefile target's), then the text or bytes. The
# grid of inputs::within spans -0.12..-0.08 E, 51.50..51.53 N.
s=$c/within
poly='{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":{"type":"Polygon","coordinates":[[[-0.115,51.505],[-0.095,51.505],[-0.095,51.515],[-0.115,51.515],[-0.115,51.505]]]}}]}'
printf '\x00E01000001,E01000002' > $s/codes
printf '\x00E09000001 W1;E01000011' > $s/codes-mixed
printf '\x00E0100000X,Barking and Dagenham' > $s/codes-unknown
printf '\x01E01000003\n# a comment\nW1, E09000002\n' > $s/codes-file
{ printf '\x02'; printf '%s' "$poly"; } > $s/polygon
{ printf '\x02'; printf '%s' "$poly" | sed 's/-0\.1/-1000.1/g'; } > $s/polygon-far
{ printf '\x02'; printf '%s' "$poly" | sed 's/51\.5/1.5/g'; } > $s/polygon-elsewhere
{ printf '\x03'; printf '%s' "$poly" | gzip -c; } > $s/polygon-gz
if command -v ogr2ogr >/dev/null; then
  tmp=$(mktemp -d)
  printf '%s' "$poly" > "$tmp/p.geojson"
  ogr2ogr -q -f "ESRI Shapefile" "$tmp/p.shp" "$tmp/p.geojson"
  python3 - "$tmp" $s <<'PY'
import struct, sys
d, out = sys.argv[1], sys.argv[2]
shp, shx, dbf = (open(f"{d}/p.{e}", "rb").read() for e in ("shp", "shx", "dbf"))
open(f"{out}/polygon-shp", "wb").write(bytes([4, 0]) + struct.pack(">HH", len(shp), len(shx)) + shp + shx + dbf)
PY
  rm -r "$tmp"
fi

# basemap: 8 bytes of opacity (f64, little-endian: 0.7 is
# 66 66 66 66 66 66 e6 3f), the URL, a line break, the attribution.
s=$c/basemap
printf '\x66\x66\x66\x66\x66\x66\xe6\x3fhttps://tile.example.org/{z}/{x}/{y}.png\n\xc2\xa9 Example' > $s/raster
printf '\x00\x00\x00\x00\x00\x00\xf0\x3fhttps://maps.example.com/styles/light.json?key=abc\nStyle' > $s/style
printf '\x00\x00\x00\x00\x00\x00\xe0\x3fhttp://[::1]:8081/style.json\n' > $s/ipv6
printf '\x00\x00\x00\x00\x00\x00\xe0\x3fhttps://a.example; script-src data:/style.json\n' > $s/inject
