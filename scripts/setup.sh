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
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  -c requirements.lock -e ".${extras}"
