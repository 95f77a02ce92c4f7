#!/bin/sh
# Regenerates data/london_lsoa11_indicators.csv, the indicator table of the
# embedded default London dataset, by building examples/london.toml from the
# open data in ../shared/data. Run from anywhere; the output is deterministic.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f ../shared/data/SOURCES.md ]; then
    echo "make-default-table: ../shared/data is absent" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- --quiet build \
    --project examples/london.toml \
    --out "$tmp/london.dxm" \
    --table data/london_lsoa11_indicators.csv
ls -l data/london_lsoa11_indicators.csv
