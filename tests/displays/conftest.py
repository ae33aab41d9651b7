"""Browser fixtures live in tests/conftest.py (one Chromium per session, shared by every
folder: Playwright's sync API allows one running instance per thread)."""

from __future__ import annotations

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]
