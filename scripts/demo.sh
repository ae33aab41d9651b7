#!/usr/bin/env bash
# One command: set up and start the demo centre (embedded SQLite, simulated devices).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/motcua run "$@"
