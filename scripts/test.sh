#!/usr/bin/env bash
# One command: set up and run the whole test suite (lint, types, tests).
# With CI=true, tests whose service (PostgreSQL, Redis) is missing fail instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
bash scripts/services.sh
# Browser tests drive Debian's Chromium with Playwright (no browser download).
# Voice tests use Debian's espeak-ng and sox.
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v espeak-ng >/dev/null 2>&1 || missing="$missing espeak-ng"
command -v sox >/dev/null 2>&1 || missing="$missing sox"
if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy queue_server audio hardware
.venv/bin/python -m pytest "$@"
