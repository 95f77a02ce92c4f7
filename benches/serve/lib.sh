# Shared by run.sh and ew.sh (sourced, not run).

# Waits up to 60 s for a URL to answer.
wait_up() { for _ in $(seq 1 600); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "server at $1 did not start" >&2; return 1; }

# Waits until the server's log says the prewarm is done (at most 120 s).
wait_prewarm() { for _ in $(seq 1 1200); do grep -q "tiles prewarmed" "$1" && return 0; sleep 0.1; done; echo "no prewarm line in $1" >&2; }

# Resident and peak resident memory of a process, in MB.
rss() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "RSS %.1f MB (peak %.1f MB)", r/1024, h/1024}' "/proc/$1/status"; }
