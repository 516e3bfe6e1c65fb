#!/usr/bin/env bash
# The HTML report tests open the report in real headless Chromium (Debian's package). Installs it
# when missing and this user can (root with apt-get); otherwise says what to do and fails.
set -euo pipefail
bin="${AUTHWATCH_CHROMIUM:-/usr/bin/chromium}"
[ -x "$bin" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "authwatch tests: installing Debian's chromium for the HTML report tests" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "authwatch tests need Chromium at $bin: sudo apt-get install chromium (or set AUTHWATCH_CHROMIUM)" >&2
exit 1
