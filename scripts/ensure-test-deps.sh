#!/usr/bin/env bash
# What the tests run for real, from Debian: Chromium (the HTML report is opened in it), nginx and
# Apache (end-to-end log producers), logrotate (real rotations), Prometheus Alertmanager (what the
# alertmanager output posts to), zsh (its completion script is run). Installs what is missing when
# this user can (root with apt-get); otherwise says what to do and fails.
set -euo pipefail
chromium="${AUTHWATCH_CHROMIUM:-/usr/bin/chromium}"
missing=()
[ -x "$chromium" ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/apache2 ] || missing+=(apache2)
[ -x /usr/sbin/logrotate ] || missing+=(logrotate)
[ -x "${AUTHWATCH_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}" ] || missing+=(prometheus-alertmanager)
[ -x /usr/bin/zsh ] || missing+=(zsh)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "authwatch tests: installing Debian's ${missing[*]}" >&2
  # The packages would start their services (ports 80/443, 9093): the tests run their own, unprivileged.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "authwatch tests need: ${missing[*]} (sudo apt-get install ${missing[*]}; or set AUTHWATCH_CHROMIUM / AUTHWATCH_ALERTMANAGER)" >&2
exit 1
