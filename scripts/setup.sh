#!/usr/bin/env bash
# Set up MộtCửa Queue in ./.venv: `scripts/setup.sh` for running, `scripts/setup.sh dev` for tests.
# `scripts/setup.sh --config centre.toml` for a centre: also offers public_url, the address the
# slips' QR codes lead to (asked once when run in a terminal; otherwise it says how to set it).
set -euo pipefail
extras=""
centre=""
while [ $# -gt 0 ]; do
  case "$1" in
    dev) extras="[dev]" ;;
    --config) centre="${2:-}"; [ -n "$centre" ] || { echo "setup: --config needs a file" >&2; exit 2; }; shift ;;
    *) echo "usage: scripts/setup.sh [dev] [--config centre.toml]" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$centre" ]; then  # resolved before the cd below: relative to where setup was run
  [ -f "$centre" ] || { echo "setup: no centre file $centre" >&2; exit 2; }
  centre="$(cd "$(dirname "$centre")" && pwd)/$(basename "$centre")"
fi
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
"$PY" - <<'PYCHECK'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"MộtCửa Queue needs Python 3.11 or newer (found {sys.version.split()[0]})")
PYCHECK
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# requirements.lock pins every transitive dependency; pyproject pins the direct ones.
stamp=".venv/.motcua-setup-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)${extras}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c requirements.lock -e ".${extras}" 2>&1 | grep -v -e "^WARNING: Location" >&2 || true
  .venv/bin/python -c "import queue_server, flask_socketio" # fail here if the install failed
  rm -f .venv/.motcua-setup-* && touch "$stamp"
fi

# The offline voice speaks through espeak-ng (Debian); without it calls are shown, not heard.
if ! command -v espeak-ng >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng sox >/dev/null || true
  else
    echo "setup: install espeak-ng for spoken announcements (sudo apt-get install espeak-ng sox)" >&2
  fi
fi

# Front-end libraries (socket.io-client) from the npm registry, pinned by package-lock.json,
# served locally by the app: centres often run without internet.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "setup: npm is needed for the screens' front-end libraries (install Node.js)" >&2
    exit 1
  fi
fi
if [ ! -f node_modules/socket.io-client/dist/socket.io.min.js ] || \
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent
fi

# Where the slips' QR codes lead: a centre's own file is offered public_url once. Never waits
# without a terminal (CI, scripts); a wrong answer is reported and can be set again later.
if [ -n "$centre" ]; then
  .venv/bin/motcua config public-url --offer --config "$centre" || true
fi
