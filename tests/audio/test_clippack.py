"""Clip pack vocabulary and building: every number a centre issues is covered through words."""

from __future__ import annotations

import json
import random
import wave
from pathlib import Path

import pytest

from audio import wav
from audio.clippack import (
    MANIFEST,
    build_pack,
    number_words,
    read_manifest,
    template_phrases,
    vocabulary,
)
from audio.engines import (
    ChainEngine,
    ClipPackEngine,
    EspeakEngine,
    GttsEngine,
    clip_name,
    segments,
)
from audio.numbers import DEFAULT_TEMPLATE, announcement_text, read_ticket_number
from tests.audio.conftest import COUNTERS, FORMATS

BOUNDARY_CODES = [
    "A001", "A009", "A010", "A011", "A014", "A015", "A020", "A021", "A024", "A025", "A099",
    "A100", "A101", "A104", "A105", "A110", "A111", "A115", "A121", "A124", "A125", "A999",
    "1001", "1005", "1009", "1010", "1011", "1014", "1015", "1021", "1024", "1025", "1100",
    "1101", "1105", "1110", "1999",
]  # fmt: skip


def all_codes(fmt: tuple[str, int, int, int]) -> list[str]:
    """Every printed number of a format."""
    prefix, start, end, digits = fmt
    return [f"{prefix}{n:0{digits}d}" for n in range(start, end + 1)]


def brute_force_words(fmt: tuple[str, int, int, int], **options: str) -> set[str]:
    """The words of every reading of a format, by reading each number."""
    return {
        w
        for code in all_codes(fmt)
        for seg in segments(read_ticket_number(code, **options))
        for w in seg
    }


@pytest.mark.parametrize(
    "fmt",
    [
        ("A", 1, 999, 3),
        ("", 1001, 1999, 4),
        ("", 1, 999, 3),  # zero-led codes "001".."099" are read digit by digit
        ("", 1, 7, 3),
        ("B", 995, 3010, 4),
        ("AB", 0, 20, 2),
        ("L", 40, 44, 2),
        ("", 99_990, 101_020, 6),
        ("W", 123_456, 123_470, 6),
    ],
)
@pytest.mark.parametrize(
    "options",
    [{}, {"odd": "lẻ", "thousand": "ngàn", "four": "bốn"}, {"mode": "digits"}],
)
def test_number_words_match_reading_every_number(
    fmt: tuple[str, int, int, int], options: dict[str, str]
) -> None:
    assert number_words(fmt, **options) == brute_force_words(fmt, **options)


def test_vocabulary_of_a_small_centre_is_a_few_dozen_words() -> None:
    words = vocabulary(FORMATS, COUNTERS)
    assert "xin mời công dân có số thứ tự" in words
    assert "đến quầy số" in words
    assert {"a", "một", "mươi", "mốt", "tư", "lăm", "linh", "trăm", "nghìn", "mười"} <= words
    assert "xê" not in words and "lẻ" not in words
    assert len(words) < 40


def test_vocabulary_reads_counter_numbers_and_keeps_names() -> None:
    words = vocabulary([("C", 1, 5, 3)], [15, "Tiếp nhận"], templates=[])
    assert {"xê", "mười", "lăm", "tiếp", "nhận"} <= words
    with pytest.raises(ValueError, match="reading mode"):
        vocabulary([], mode="roman")


def test_template_phrases_split_at_placeholders_and_punctuation() -> None:
    assert template_phrases(DEFAULT_TEMPLATE) == {"xin mời công dân có số thứ tự", "đến quầy số"}
    assert template_phrases("Mời số {number}, đến quầy {counter}.") == {"mời số", "đến quầy"}


def test_pack_covers_every_number_of_the_centre(pack_dir: Path) -> None:
    clips = ClipPackEngine(pack_dir)
    rng = random.Random(5)
    for fmt in FORMATS:
        for code in all_codes(fmt):
            assert clips.missing(announcement_text(code, rng.choice(COUNTERS))) == [], code
    sample = rng.sample([c for fmt in FORMATS for c in all_codes(fmt)], 200)
    for code in [*BOUNDARY_CODES, *sample]:
        data = clips.synthesize(announcement_text(code, rng.choice(COUNTERS)), "vi")
        assert data is not None, code
    assert clips.synthesize(announcement_text("C001", 1), "vi") is None  # "xê" is not in it


def test_built_clips_are_trimmed_common_format(pack_dir: Path) -> None:
    for name in ("một", "xin mời công dân có số thứ tự", "đến quầy số", "a"):
        data = (pack_dir / f"{clip_name(name)}.wav").read_bytes()
        with wave.open(str(pack_dir / f"{clip_name(name)}.wav")) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        peaks = wav.window_peaks(wav.read_frames(data), 10)
        # Leading and trailing silence was cut: sound within the first and last 30 ms.
        assert max(peaks[:3]) > 400 and max(peaks[-3:]) > 400
        assert 0.1 < wav.duration(data) < 3.0
        assert not wav.is_clipped(data)


def test_manifest_describes_the_pack(pack_dir: Path) -> None:
    manifest = read_manifest(pack_dir)
    assert manifest["format"] == {"rate": 22050, "channels": 1, "sample_width": 2}
    assert manifest["engine"] == "espeak-ng" and manifest["voice"] == "vi"
    words = manifest["words"]
    assert isinstance(words, list) and "đến quầy số" in words
    assert sorted(p.stem for p in pack_dir.glob("*.wav")) == sorted(clip_name(w) for w in words)


class PartialEngine:
    """Says every word but one, counting calls."""

    name = "partial"
    voice = "test"

    def __init__(self, unsayable: str) -> None:
        self.unsayable, self.calls = unsayable, 0

    def synthesize(self, text: str, lang: str) -> bytes | None:
        self.calls += 1
        if text == self.unsayable:
            return None
        return wav.concat([wav.silence(50), wav.chime(), wav.silence(80)])


def test_build_reports_missing_and_progress_and_keeps_earlier_clips(tmp_path: Path) -> None:
    engine = PartialEngine("hai")
    seen: list[tuple[int, int, str]] = []
    report = build_pack(
        ["Một", "hai", "ba", "đến quầy số"], tmp_path, engine, lambda *a: seen.append(a)
    )
    assert report.missing == ["hai"]
    assert sorted(report.made) == ["ba", "một", "đến quầy số"]
    assert report.engine_used == "partial:test"
    assert [s[:2] for s in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    trimmed = (tmp_path / "một.wav").read_bytes()
    assert wav.duration(trimmed) < 0.9 + 0.13 - 0.05  # the silence around it was cut
    assert json.loads((tmp_path / MANIFEST).read_text("utf-8"))["missing"] == ["hai"]

    again = build_pack(["một", "ba"], tmp_path, engine)
    assert sorted(again.kept) == ["ba", "một"] and engine.calls == 4
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["ba.wav", "một.wav"]  # stale gone
    forced = build_pack(["một"], tmp_path, engine, force=True)
    assert forced.made == ["một"] and engine.calls == 5


def test_build_with_a_southern_voice_rerenders(tmp_path: Path, espeak: EspeakEngine) -> None:
    build_pack(["một"], tmp_path, espeak)
    south = build_pack(["một"], tmp_path, EspeakEngine("vi-vn-x-south"))
    assert south.made == ["một"] and south.engine_used == "espeak-ng:vi-vn-x-south"


def test_build_through_a_chain_names_the_engine_that_spoke(
    tmp_path: Path, espeak: EspeakEngine
) -> None:
    # gTTS has nothing cached (no internet here), so espeak-ng renders every clip.
    chain = ChainEngine([GttsEngine(tmp_path / "gtts"), espeak])
    report = build_pack(["một", "hai"], tmp_path / "pack", chain)
    assert report.made == ["hai", "một"] and report.engine_used == "espeak-ng"
    assert read_manifest(tmp_path / "pack")["made_by"] == "espeak-ng"
