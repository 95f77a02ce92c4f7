#!/bin/sh
# Regenerates data/london_lsoa21_indicators.csv, the indicator table of the
# embedded default London dataset, by building examples/london-2021.toml from
# the open data in ../shared/data. Run from anywhere; the output is
# deterministic. (The derived columns it also holds are recomputed by
# data/london-default.toml, not read.)
set -eu
cd "$(dirname "$0")/.."
if [ ! -f ../shared/data/SOURCES.md ]; then
    echo "make-default-table: ../shared/data is absent" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- --quiet build \
    --project examples/london-2021.toml \
    --out "$tmp/london.dxm" \
    --table data/london_lsoa21_indicators.csv
ls -l data/london_lsoa21_indicators.csv
