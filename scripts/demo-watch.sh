#!/usr/bin/env bash
# Starts `authwatch watch` on a copy of a bundled sample that is being appended to, like a live
# access log: the brute force in the sample is alerted (JSON on stdout) as its lines arrive.
# Run from the checkout after `npm ci && npm run build`. Ctrl-C stops it (it checkpoints first).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
mkdir -p "$dir/logs"
cat > "$dir/authwatch.yaml" <<YAML
inputs:
  - path: ./logs/access.log
state_dir: ./state
outputs:
  - type: stdout
poll_interval: 100ms
YAML
: > "$dir/logs/access.log"

# The daemon first: with no checkpoint it starts at the end of the file, so lines written before it
# follows the file would never be read. Port 0: it takes a free port for /metrics and logs which.
# Its log goes to the terminal and to a file this script reads; the copier ignores Ctrl-C so that the
# daemon's last lines (its final checkpoint) still show.
node dist/cli/main.js watch --config "$dir/authwatch.yaml" --metrics 127.0.0.1:0 2> >(trap '' INT TERM; exec tee "$dir/daemon.log" >&2) &
daemon=$!
trap 'kill -TERM "$daemon" 2>/dev/null; wait "$daemon"' EXIT
trap 'exit 130' INT TERM
until grep -q '"msg":"ready: following"' "$dir/daemon.log" 2>/dev/null; do
  kill -0 "$daemon" 2>/dev/null || { echo "authwatch watch exited before following the log" >&2; exit 1; }
  sleep 0.1
done
port=$(sed -n 's/.*"port":\([0-9]*\).*"msg":"metrics listening".*/\1/p' "$dir/daemon.log" | head -1)
echo "watching $dir/logs/access.log (metrics on http://127.0.0.1:$port/metrics)" >&2

# Feed the sample 200 lines at a time, as a busy server would.
split -l 200 samples/nginx-access.log "$dir/chunk."
for c in "$dir"/chunk.*; do cat "$c" >> "$dir/logs/access.log"; sleep 0.2; done
echo "fed $(wc -l < samples/nginx-access.log) lines; Ctrl-C to stop" >&2
wait "$daemon"
