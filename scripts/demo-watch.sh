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
# Feed the sample 200 lines at a time, as a busy server would.
(split -l 200 samples/nginx-access.log "$dir/chunk." && for c in "$dir"/chunk.*; do cat "$c" >> "$dir/logs/access.log"; sleep 0.2; done) &
echo "watching $dir/logs/access.log (metrics on http://127.0.0.1:9464/metrics)" >&2
exec node dist/cli/main.js watch --config "$dir/authwatch.yaml" --metrics 127.0.0.1:9464
