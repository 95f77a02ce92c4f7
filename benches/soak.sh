#!/usr/bin/env bash
# Load, soak and faults for `dxmap serve` on loopback, with wrk.
#
# Phase 1 (soak): wrk at saturation for DURATION over every London tile
# z8-14 plus the JSON API, sampling the server's RSS each second. Passes with
# 0 socket errors, 0 non-2xx responses, no panic in the log and RSS flat
# within 10% after warm-up (the first quarter of the run, at least 5 s).
# Phase 2 (faults, under load): the dataset file is replaced (a reload), then
# replaced by a corrupt copy (refused: the old one keeps serving), then
# restored; wrk must see 0 errors throughout.
#
# Usage: benches/soak.sh [DURATION]   (default 10m; tests/load.rs runs 20s in CI)
# Env: DXMAP (binary, default target/release/dxmap), CONNS (64), THREADS (2).
# Needs: wrk, curl, python3. Writes only to a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dur=${1:-10m}
conns=${CONNS:-64}
threads=${THREADS:-2}
dxmap=${DXMAP:-${CARGO_TARGET_DIR:-$root/target}/release/dxmap}
work=$(mktemp -d)
srv=
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "soak: FAIL: $*" >&2; [ -f "$work/server.log" ] && tail -20 "$work/server.log" >&2; exit 1; }
secs() { case $1 in *m) echo $(( ${1%m} * 60 ));; *s) echo "${1%s}";; *) echo "$1";; esac; }
total=$(secs "$dur")

# The London dataset of data/ (no network, no ../shared needed).
"$dxmap" -q build --project "$root/data/london-default.toml" --out "$work/good.dxds"
cp "$work/good.dxds" "$work/london.dxds"

# Every tile of London's bounding box z8-14 (empty ones are 204) and API calls.
python3 - "$work/urls.txt" <<'EOF'
import math, sys
w, s, e, n = -0.52, 51.28, 0.34, 51.70
def tile(lon, lat, z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y
out = []
for z in range(8, 15):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    out += [f"/tiles/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
api = ["/tiles.json", "/api/meta", "/api/methodology", "/healthz",
       "/api/areas?borough=Camden", "/api/areas?bbox=-0.15,51.5,-0.1,51.52"]
# Points north of the Thames: the generalised boundaries leave the river out.
api += [f"/api/lookup?lon={-0.4 + i * 0.01:.2f}&lat=51.56" for i in range(60)]
# One API call in about ten requests.
mixed = []
for i, t in enumerate(out):
    mixed.append(t)
    if i % 9 == 0:
        mixed.append(api[(i // 9) % len(api)])
open(sys.argv[1], "w").write("\n".join(mixed) + "\n")
EOF
echo "soak: $(wc -l < "$work/urls.txt") paths, $conns connections, $threads threads"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
RUST_LOG=warn "$dxmap" -q serve --dataset "$work/london.dxds" --addr "127.0.0.1:$port" --draws 200 \
  > "$work/server.log" 2>&1 &
srv=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null "$base/healthz" && break; sleep 0.1; done
curl -sf -o /dev/null "$base/healthz" || fail "server did not start"
metric() { curl -sf "$base/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# wrk prints "Socket errors: ..." only when there are some; cycle.lua prints non-2xx.
check_wrk() {
  local out=$1 what=$2
  cat "$out"
  if grep -q "Socket errors" "$out"; then fail "$what: $(grep 'Socket errors' "$out")"; fi
  local bad
  bad=$(sed -n 's/.*non-2xx \([0-9]*\).*/\1/p' "$out")
  [ "${bad:-x}" = 0 ] || fail "$what: ${bad:-?} non-2xx responses"
}

# Phase 1: soak.
( while kill -0 "$srv" 2>/dev/null; do
    awk '/VmRSS/ { print $2 }' "/proc/$srv/status" 2>/dev/null || true
    sleep 1
  done ) > "$work/rss.txt" &
sampler=$!
(cd "$work" && wrk -t"$threads" -c"$conns" -d"${total}s" --timeout 5s --latency \
  -s "$here/serve/cycle.lua" "$base" -- urls.txt) > "$work/wrk1.txt" 2>&1 || fail "wrk failed: $(cat "$work/wrk1.txt")"
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=
echo "== soak ${total}s"
check_wrk "$work/wrk1.txt" soak
kill -0 "$srv" 2>/dev/null || fail "server died during the soak"
python3 - "$work/rss.txt" <<'EOF' || fail "RSS grew"
import sys
rss = [int(l) for l in open(sys.argv[1]) if l.strip()]
skip = max(5, len(rss) // 4)
after = rss[skip:] or rss[-1:]
lo, hi = min(after), max(after)
print(f"RSS after warm-up ({len(after)} samples): min {lo / 1024:.1f} MB, max {hi / 1024:.1f} MB, "
      f"spread {100 * (hi - lo) / lo:.1f}%; peak over the run {max(rss) / 1024:.1f} MB")
sys.exit(0 if hi <= lo * 1.10 else 1)
EOF

# Phase 2: reload and a corrupt reload under load.
fault_secs=$(( total < 30 ? 12 : 30 ))
(cd "$work" && wrk -t"$threads" -c"$conns" -d"${fault_secs}s" --timeout 10s --latency \
  -s "$here/serve/cycle.lua" "$base" -- urls.txt) > "$work/wrk2.txt" 2>&1 &
wrk2=$!
step=$(( fault_secs / 4 ))
r0=$(metric dxmap_reloads_total); f0=$(metric dxmap_reload_failures_total)
sleep "$step"
cp "$work/good.dxds" "$work/next.dxds" && touch "$work/next.dxds" && mv "$work/next.dxds" "$work/london.dxds"
for _ in $(seq 1 200); do [ "$(metric dxmap_reloads_total)" -gt "$r0" ] && break; sleep 0.1; done
[ "$(metric dxmap_reloads_total)" -gt "$r0" ] || fail "the replaced dataset was not reloaded"
sleep "$step"
size=$(stat -c %s "$work/good.dxds")
head -c $(( size / 2 )) "$work/good.dxds" > "$work/bad.dxds" && mv "$work/bad.dxds" "$work/london.dxds"
for _ in $(seq 1 200); do [ "$(metric dxmap_reload_failures_total)" -gt "$f0" ] && break; sleep 0.1; done
[ "$(metric dxmap_reload_failures_total)" -gt "$f0" ] || fail "the corrupt dataset was not refused"
areas=$(curl -sf "$base/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["areas"])')
[ "$areas" -gt 0 ] || fail "no areas served after the corrupt file"
sleep "$step"
cp "$work/good.dxds" "$work/next.dxds" && mv "$work/next.dxds" "$work/london.dxds"
wait "$wrk2" || fail "wrk failed: $(cat "$work/wrk2.txt")"
echo "== faults under load (${fault_secs}s): reloads $(metric dxmap_reloads_total), refused $(metric dxmap_reload_failures_total), areas still served $areas"
check_wrk "$work/wrk2.txt" faults
kill -0 "$srv" 2>/dev/null || fail "server died during the faults"
if grep -qi "panicked" "$work/server.log"; then fail "panic in the server log"; fi
echo "soak: PASS"
