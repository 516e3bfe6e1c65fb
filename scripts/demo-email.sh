#!/usr/bin/env bash
# Email alerts end to end on this machine: a local SMTP sink (scripts/smtp-sink.ts) prints what it
# receives, and `authwatch watch` follows a copy of the nginx sample being appended to, with the
# email section of authwatch.example.yaml (group_wait 0s and group_interval 3s, so the demo takes seconds, not minutes).
# The brute force in the sample arrives as one email, and its resolved notice as a reply to it.
# Run from the checkout after `npm ci && npm run build`. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
mkdir -p "$dir/logs"
: > "$dir/logs/access.log"
npx tsx scripts/smtp-sink.ts 2525 &
sink=$!
trap 'kill $sink 2>/dev/null' EXIT
node -e '
const { parse, stringify } = require("yaml");
const fs = require("fs");
const email = parse(fs.readFileSync("authwatch.example.yaml", "utf8")).email;
Object.assign(email.smtp, { port: 2525, starttls: "never" });
Object.assign(email, { group_wait: "0s", group_interval: "3s" });
fs.writeFileSync(process.argv[1], stringify({ inputs: [{ path: "./logs/access.log" }], state_dir: "./state", outputs: [], poll_interval: "100ms", email }));
' "$dir/authwatch.yaml"
(sleep 2 && split -l 300 samples/nginx-access.log "$dir/chunk." && for c in "$dir"/chunk.*; do cat "$c" >> "$dir/logs/access.log"; sleep 0.5; done) &
node dist/cli/main.js watch --config "$dir/authwatch.yaml" 2> "$dir/authwatch.log"
