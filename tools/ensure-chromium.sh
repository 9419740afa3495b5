#!/usr/bin/env bash
# Installs Debian's Chromium for the end-to-end browser test (tests/vlm/browser.test.ts) when
# /usr/bin/chromium is missing. The test drives it with playwright-core; a browser downloaded
# by Playwright is not possible here, so the system's package is the one used.
# Needs root (as CI runs) or sudo; quiet unless something goes wrong. Safe to run twice.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "tools/ensure-chromium.sh: /usr/bin/chromium is missing and there is no apt-get: install Chromium by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "tools/ensure-chromium.sh: installing Debian's chromium (for the browser test)..." >&2
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "tools/ensure-chromium.sh: apt-get could not install chromium" >&2
  exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "tools/ensure-chromium.sh: chromium installed but /usr/bin/chromium is missing" >&2
  exit 1
fi
