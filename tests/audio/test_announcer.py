"""Announcement files: valid WAV, duration that matches the words, no clipping or long gaps,
cached and thread-safe, fast with the clip pack, unaffected by an unreachable gTTS."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
import time
import wave
from pathlib import Path
from unittest import mock

import pytest
import requests

from audio import wav
from audio.announcer import GUIDANCE, Announcement, Announcer, SpeechUnavailable
from audio.engines import ChainEngine, ClipPackEngine, EspeakEngine, GttsEngine
from audio.numbers import announcement_text
from tests.audio.conftest import COUNTERS
from tests.conftest import ARTIFACTS, require_service

CHIME_S, CHIME_GAP_S, GAP_S = 0.9, 0.25, 0.6


@pytest.fixture
def announcer(pack_dir: Path, espeak: EspeakEngine, tmp_path: Path) -> Announcer:
    """Clip pack first, espeak-ng behind it."""
    return Announcer(ChainEngine([ClipPackEngine(pack_dir), espeak]), tmp_path / "out")


def spoken_seconds(a: Announcement, repeat: int = 2, chime: bool = True) -> float:
    """Length of one saying of the sentence inside an announcement."""
    overhead = (CHIME_S + CHIME_GAP_S if chime else 0) + GAP_S * (repeat - 1)
    return (a.duration - overhead) / repeat


def check_sound(path: Path) -> bytes:
    """A valid mono 16-bit 22050 Hz WAV without clipping or a silence over 1.2 s."""
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() > 0
    data = path.read_bytes()
    assert wav.peak(data) < 32767
    assert wav.longest_silence(data) <= 1.2
    return data


@pytest.mark.parametrize(("number", "counter"), [("A012", 3), ("1005", 12), ("A124", 1)])
def test_announcement_is_a_valid_wav_matching_its_words(
    announcer: Announcer, number: str, counter: int
) -> None:
    text = announcement_text(number, counter)
    a = announcer.announce(text)
    assert a.engine == "clips" and a.text == text and a.path.parent == announcer.out_dir
    data = check_sound(a.path)
    assert a.duration == pytest.approx(wav.duration(data))
    per_word = spoken_seconds(a) / len(text.split())
    assert 0.25 <= per_word <= 1.2, per_word


def test_more_words_take_longer(announcer: Announcer) -> None:
    short = announcer.announce(announcement_text("A001", 1))  # "a một"
    long = announcer.announce(announcement_text("1124", 12))  # "một nghìn một trăm hai mươi tư"
    assert long.duration > short.duration + 2 * 4 * 0.2


def test_repeat_chime_and_gap_settings(pack_dir: Path, tmp_path: Path) -> None:
    chain = ChainEngine([ClipPackEngine(pack_dir)])
    text = announcement_text("A012", 3)
    twice = Announcer(chain, tmp_path).announce(text)
    once = Announcer(chain, tmp_path, repeat=1, chime=False).announce(text)
    thrice = Announcer(chain, tmp_path, repeat=3, gap_ms=1000).announce(text)
    assert len({twice.path, once.path, thrice.path}) == 3
    assert twice.duration == pytest.approx(
        CHIME_S + CHIME_GAP_S + 2 * once.duration + GAP_S, abs=0.001
    )
    assert thrice.duration == pytest.approx(
        CHIME_S + CHIME_GAP_S + 3 * once.duration + 2.0, abs=0.001
    )
    with pytest.raises(ValueError, match="repeat"):
        Announcer(chain, tmp_path, repeat=0)


def test_cached_in_memory_and_on_disk(announcer: Announcer, espeak: EspeakEngine) -> None:
    text = announcement_text("A012", "Quầy lễ tân")  # not in the pack: espeak-ng says it
    first = announcer.announce(text)
    assert first.engine == "espeak-ng"
    assert announcer.announce(text) is first
    assert first.path.name == f"{announcer.key(text, 'vi')}.wav"
    # A new process (new Announcer) finds the file and still knows which engine made it.
    counting = mock.create_autospec(EspeakEngine, instance=True)
    counting.name = "counting"
    again = Announcer(counting, announcer.out_dir).announce(text)
    assert again == first and counting.synthesize.call_count == 0


def test_prune_removes_old_files(announcer: Announcer) -> None:
    old = announcer.announce(announcement_text("A001", 1))
    new = announcer.announce(announcement_text("A002", 1))
    two_days_ago = time.time() - 2 * 86_400
    os.utime(old.path, (two_days_ago, two_days_ago))
    assert announcer.prune() == 1
    assert not old.path.exists() and not old.path.with_suffix(".json").exists()
    assert new.path.exists()
    again = announcer.announce(announcement_text("A001", 1))  # made anew when called again
    assert again.path == old.path and again.path.exists()


def test_same_sentence_from_many_threads_is_made_once(pack_dir: Path, tmp_path: Path) -> None:
    clips = ClipPackEngine(pack_dir)
    calls: list[str] = []

    class Counting:
        name = "counting"

        def synthesize(self, text: str, lang: str) -> bytes | None:
            calls.append(text)
            time.sleep(0.05)
            return clips.synthesize(text, lang)

    announcer = Announcer(Counting(), tmp_path)
    text = announcement_text("A099", 2)
    results: list[Announcement] = []
    threads = [threading.Thread(target=lambda: results.append(announcer.announce(text)))
               for _ in range(8)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 8 and len({r.path for r in results}) == 1 and calls == [text]
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".wav"]  # no temp files


def test_clip_pack_announcement_is_fast(announcer: Announcer) -> None:
    rng = random.Random(12)
    codes = [f"A{n:03d}" for n in range(1, 1000)] + [str(n) for n in range(1001, 2000)]
    announcer.announce(announcement_text("A001", 1))  # loads the pack
    times = []
    for code in rng.sample(codes, 200):
        started = time.perf_counter()
        a = announcer.announce(announcement_text(code, rng.choice(COUNTERS)))
        times.append(time.perf_counter() - started)
        assert a.engine == "clips"
    times.sort()
    assert times[189] < 0.05, f"p95 {times[189] * 1000:.1f} ms"


def test_gtts_unreachable_costs_nothing(
    pack_dir: Path, espeak: EspeakEngine, tmp_path: Path
) -> None:
    gtts = GttsEngine(tmp_path / "gtts")
    chain = ChainEngine([gtts, ClipPackEngine(pack_dir), espeak])
    announcer = Announcer(chain, tmp_path / "out")
    with mock.patch.object(
        requests.Session, "send", autospec=True, side_effect=requests.ConnectionError("offline")
    ) as send:
        assert gtts.prefetch([announcement_text("A012", 3)]).error is not None
        started = time.perf_counter()
        a = announcer.announce(announcement_text("A012", 3))
        b = announcer.announce(announcement_text("A012", "Quầy lễ tân"))
        elapsed = time.perf_counter() - started
    assert (a.engine, b.engine) == ("clips", "espeak-ng")
    assert elapsed < 0.3 and send.call_count == 1  # only the failed prefetch


def test_nothing_can_say_it(tmp_path: Path) -> None:
    announcer = Announcer(ChainEngine([ClipPackEngine(tmp_path / "empty")]), tmp_path / "out")
    with pytest.raises(SpeechUnavailable):
        announcer.announce("xin mời")


@pytest.mark.parametrize("step", list(GUIDANCE))
def test_kiosk_guidance(announcer: Announcer, step: str) -> None:
    a = announcer.guide(step)
    assert a.engine == "clips" and a.text == GUIDANCE[step]["vi"]
    check_sound(a.path)
    assert 0.25 <= a.duration / len(a.text.split()) <= 1.2


def test_kiosk_guidance_in_english_and_unknown_steps(announcer: Announcer) -> None:
    a = announcer.guide("ticket", "en")
    assert a.engine == "espeak-ng" and a.text == "Please take your ticket. Thank you!"
    with pytest.raises(ValueError, match="no guidance"):
        announcer.guide("dance")


def sox_stat(path: Path) -> dict[str, float]:
    """`sox <file> -n stat` as numbers."""
    out = subprocess.run(
        ["sox", str(path), "-n", "stat"], capture_output=True, text=True, check=True
    )
    stats = {}
    for line in out.stderr.splitlines():
        name, _, value = line.partition(":")
        try:
            stats[" ".join(name.split())] = float(value)
        except ValueError:
            continue
    return stats


@pytest.mark.parametrize(("number", "counter"), [("A012", 3), ("1005", 12)])
def test_artifact_measured_with_sox(announcer: Announcer, number: str, counter: int) -> None:
    a = announcer.announce(announcement_text(number, counter))
    folder = ARTIFACTS / "audio"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"call-{number}-counter-{counter}.wav"
    shutil.copyfile(a.path, target)
    if shutil.which("sox") is None:
        require_service("sox", "not installed (apt-get install sox): the artifact is unmeasured")
    stats = sox_stat(target)
    (folder / f"{target.stem}.stat.txt").write_text(
        "".join(f"{k}: {v}\n" for k, v in stats.items()), "utf-8"
    )
    assert stats["Length (seconds)"] == pytest.approx(a.duration, abs=0.001)
    assert stats["Maximum amplitude"] < 1.0 and stats["Minimum amplitude"] > -1.0
    assert 0.03 < stats["RMS amplitude"] < 0.3
