"""Audio fixtures: espeak-ng (mandatory under CI=true) and a clip pack built with it once."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.announcer import GUIDANCE
from audio.clippack import build_pack, vocabulary
from audio.engines import EspeakEngine
from tests.conftest import require_service

# A small centre: a prefixed format and a numeric block, twelve counters.
FORMATS = [("A", 1, 999, 3), ("", 1001, 1999, 4)]
COUNTERS = list(range(1, 13))


@pytest.fixture(scope="session")
def espeak() -> EspeakEngine:
    """espeak-ng's Northern Vietnamese voice; fails under CI=true when the binary is missing."""
    engine = EspeakEngine("vi")
    if not engine.available():
        require_service("espeak-ng", "binary not found (apt-get install espeak-ng)")
    return engine


@pytest.fixture(scope="session")
def pack_dir(espeak: EspeakEngine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip pack for the small centre and the kiosk guidance, rendered with espeak-ng."""
    words = vocabulary(FORMATS, COUNTERS, phrases=[g["vi"] for g in GUIDANCE.values()])
    folder = tmp_path_factory.mktemp("pack")
    report = build_pack(words, folder, espeak)
    assert report.missing == []
    return folder
