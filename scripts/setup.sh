#!/usr/bin/env bash
# Set up MộtCửa Queue in ./.venv: `scripts/setup.sh` for running, `scripts/setup.sh dev` for tests.
set -euo pipefail
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
extras=""
[ "${1:-}" = "dev" ] && extras="[dev]"
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
