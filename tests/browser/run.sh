#!/usr/bin/env bash
# Real-browser tests of the web map: starts `dxmap serve` on a free loopback
# port (binary from DXMAP_BIN, else target/release/dxmap, built if missing),
# waits for /healthz, runs `node --test`, stops the server. Exits non-zero on
# any failure. With DXMAP_URL set, tests that server instead of starting one.
# Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=...).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "run.sh: chromium not found (apt-get install -y chromium)" >&2
  exit 2
fi
# MapLibre is embedded at build time: install it before the binary is built.
[ -d "$ROOT/web/node_modules/maplibre-gl/dist" ] || npm ci --prefix "$ROOT/web" --no-audit --no-fund
[ -d "$HERE/node_modules/playwright-core" ] && [ -d "$HERE/node_modules/axe-core" ] || npm ci --prefix "$HERE" --no-audit --no-fund

PID=
LOG=$(mktemp)
EMPTY=$(mktemp -d)
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -f "$LOG"
  rmdir "$EMPTY" 2>/dev/null || true
}
trap cleanup EXIT

if [ -z "${DXMAP_URL:-}" ]; then
  BIN=${DXMAP_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/dxmap}
  if [ -z "${DXMAP_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet --bin dxmap)
  fi
  # The static-site test (site.test.js) runs the same binary.
  export DXMAP_BIN="$BIN"
  PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  export DXMAP_URL="http://127.0.0.1:$PORT"
  ARGS=(${DXMAP_SERVE_ARGS:-})
  # Serve from an empty directory: the page and MapLibre are built into the binary.
  (cd "$EMPTY" && exec "$BIN" serve --addr "127.0.0.1:$PORT" "${ARGS[@]}") >"$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do
    if curl -fsS "$DXMAP_URL/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$PID" 2>/dev/null; then echo "run.sh: dxmap serve exited:" >&2; cat "$LOG" >&2; exit 1; fi
    sleep 0.2
  done
  curl -fsS "$DXMAP_URL/healthz" >/dev/null || { echo "run.sh: /healthz not up after 120 s" >&2; cat "$LOG" >&2; exit 1; }
fi

cd "$HERE"
status=0
node --test --test-concurrency=1 ./*.test.js || status=$?
if [ "$status" -ne 0 ] && [ -n "$PID" ]; then echo "--- dxmap serve log (tail) ---" >&2; tail -n 40 "$LOG" >&2; fi
exit "$status"
