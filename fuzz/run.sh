#!/usr/bin/env bash
# Runs fuzz targets one after another (the machine has 2 cores), each for
# RUNS executions or CAP seconds, whichever comes first (TIMEOUT: seconds
# one input may take before libFuzzer stops, default 10; raise it when the
# machine is busy, or a delayed unit ends the run), and keeps the
# libFuzzer output in logs/<target>.log. Usage: ./run.sh [target...]
# (default: all eleven). Build first:
#   RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none
set -uo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-10000000}
CAP=${CAP:-2400}
TIMEOUT=${TIMEOUT:-10}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(shapefile server_request server_raw mvt_encode geojson csv methodology_toml project_toml derived within basemap)
[ -d corpus ] || ./seeds.sh
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p corpus/$t artifacts/$t
  echo "== $t: $(date -u +%H:%M:%S)"
  # The binary from `cargo fuzz build --sanitizer none`, run directly so a
  # source change elsewhere in the tree does not trigger a rebuild mid-run.
  nice -n 10 target/x86_64-unknown-linux-gnu/release/"$t" corpus/"$t" \
    -artifact_prefix=artifacts/"$t"/ -runs="$RUNS" -max_total_time="$CAP" -max_len=65536 -timeout="$TIMEOUT" \
    -rss_limit_mb=2048 -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "   exit $?: $(grep -E '^Done|stat::number_of_executed_units|stat::average_exec_per_sec' "logs/$t.log" | tr '\n' ' ')"
  echo "   corpus $(ls corpus/$t | wc -l) files; artifacts: $(ls artifacts/$t 2>/dev/null | tr '\n' ' ')"
done
