"""Speech engines: clip joining, espeak-ng, the gTTS cache and breaker, the fallback chain.

The internet is the only thing mocked (requests' Session.send, with autospec); gTTS itself,
requests, espeak-ng and sox run for real.
"""

from __future__ import annotations

import base64
import io
import math
import socket
import threading
import time
import unicodedata
import wave
from array import array
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests

from audio import wav
from audio.engines import (
    ChainEngine,
    CircuitBreaker,
    ClipPackEngine,
    EspeakEngine,
    GttsEngine,
    SpeechEngine,
    clip_name,
    mp3_decodable,
    phrase_of,
    segments,
)
from audio.numbers import announcement_text
from tests.conftest import require_service


def tone(ms: int, freq: float = 440.0) -> bytes:
    """A WAV of a plain tone whose length identifies it."""
    n = round(wav.RATE * ms / 1000)
    values = [round(8000 * math.sin(2 * math.pi * freq * i / wav.RATE)) for i in range(n)]
    return wav.write_wav(wav.to_frames(array("h", values)))


def write_clips(folder: Path, clips: dict[str, int]) -> None:
    """Clip files named by phrase, each a tone of the given length in ms."""
    folder.mkdir(parents=True, exist_ok=True)
    for phrase, ms in clips.items():
        (folder / f"{clip_name(phrase)}.wav").write_bytes(tone(ms))


def frames_ms(data: bytes) -> float:
    """Length of a WAV in milliseconds."""
    return round(wav.duration(data) * 1000, 1)


# -- wav ------------------------------------------------------------------------------------


def goertzel(values: array[int], freq: float) -> float:
    """Power of one frequency in a run of samples."""
    coeff, s1, s2 = 2 * math.cos(2 * math.pi * freq / wav.RATE), 0.0, 0.0
    for v in values:
        s1, s2 = v + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def test_chime_is_a_ding_then_a_dong_without_clipping() -> None:
    data = wav.chime()
    assert wav.duration(data) == pytest.approx(0.9, abs=0.001)
    assert 0.4 * 32767 < wav.peak(data) < 0.5 * 32767 and not wav.is_clipped(data)
    values = wav.samples(wav.read_frames(data))
    assert values[0] == 0 and abs(values[-1]) < 50  # no click at either end
    ding, dong = values[: int(0.4 * wav.RATE)], values[int(0.5 * wav.RATE) :]
    assert goertzel(ding, 659.25) > 100 * goertzel(ding, 523.25)
    assert goertzel(dong, 523.25) > 2 * goertzel(dong, 659.25)


def test_streamed_header_sizes_are_ignored() -> None:
    data = bytearray(tone(300))
    data[4:8] = data[40:44] = (0x7FFFFFFF).to_bytes(4, "little")  # as espeak-ng --stdout writes
    assert wav.duration(bytes(data)) == pytest.approx(0.3, abs=0.001)
    assert wav.duration(wav.normalise(bytes(data))) == pytest.approx(0.3, abs=0.001)


def eight_bit_8khz(ms: int) -> bytes:
    """A WAV in a format other than the common one."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([128]) * (8 * ms))
    return out.getvalue()


def test_other_formats_need_sox(monkeypatch: pytest.MonkeyPatch) -> None:
    if wav.sox_path() is not None:
        assert wav.duration(wav.normalise(eight_bit_8khz(250))) == pytest.approx(0.25, abs=0.002)
    monkeypatch.setattr(wav, "sox_path", lambda: None)
    with pytest.raises(wav.AudioFormatError, match=r"8-bit 8000 Hz .* sox is not installed"):
        wav.read_frames(eight_bit_8khz(250))
    with pytest.raises(wav.AudioFormatError, match="not a readable WAV"):
        wav.read_frames(b"ID3 an mp3")


def test_silence_and_concat() -> None:
    joined = wav.concat([tone(200), wav.silence(1500), tone(200)])
    assert wav.duration(joined) == pytest.approx(1.9, abs=0.001)
    assert wav.longest_silence(joined) == pytest.approx(1.5, abs=0.06)
    assert wav.longest_silence(tone(300)) == 0


# -- text -----------------------------------------------------------------------------------


def test_segments_split_at_punctuation_and_normalise() -> None:
    decomposed = unicodedata.normalize("NFD", "Mời bạn nhận phiếu. Xin cảm ơn!")
    assert segments(decomposed) == [["mời", "bạn", "nhận", "phiếu"], ["xin", "cảm", "ơn"]]
    assert segments("  a  e-lờ  “vê kép” - ") == [["a", "e-lờ", "vê", "kép"]]
    assert segments("...") == []


def test_clip_names_round_trip() -> None:
    for phrase in ("đến quầy số", "50%", "a/b", "e-lờ"):
        assert phrase_of(clip_name(phrase)) == phrase


# -- clip pack ------------------------------------------------------------------------------


def test_clip_pack_joins_longest_phrases_with_short_gaps(tmp_path: Path) -> None:
    write_clips(tmp_path, {"đến quầy số": 300, "đến": 100, "quầy": 100, "số": 100, "ba": 70})
    clips = ClipPackEngine(tmp_path, word_gap_ms=30)
    plan = clips.plan("Đến quầy số ba")
    assert [phrase for phrase, _ in plan[0]] == ["đến quầy số", "ba"]
    assert frames_ms(clips.synthesize("Đến quầy số ba", "vi") or b"") == 300 + 30 + 70


def test_clip_pack_needs_every_word(tmp_path: Path) -> None:
    write_clips(tmp_path, {"đến": 100, "quầy": 100})
    clips = ClipPackEngine(tmp_path)
    assert clips.synthesize("đến quầy số", "vi") is None
    assert clips.missing("đến quầy số chín") == ["số", "chín"]
    assert clips.synthesize("đến quầy", "en") is None  # a Vietnamese pack says nothing in English
    assert clips.synthesize("", "vi") is None


def test_clip_pack_does_not_strand_a_word_on_a_long_match(tmp_path: Path) -> None:
    # Greedy longest-first would take "x y" and find nothing for "z w".
    write_clips(tmp_path, {"x y": 200, "x": 100, "y z w": 300})
    clips = ClipPackEngine(tmp_path, word_gap_ms=0)
    assert [phrase for phrase, _ in clips.plan("x y z w")[0]] == ["x", "y z w"]
    assert frames_ms(clips.synthesize("x y z w", "vi") or b"") == 400


def test_pauses_at_punctuation(tmp_path: Path) -> None:
    write_clips(tmp_path, {"mời bạn nhận phiếu": 500, "xin cảm ơn": 400})
    clips = ClipPackEngine(tmp_path, pause_ms=250)
    assert frames_ms(clips.synthesize("Mời bạn nhận phiếu. Xin cảm ơn!", "vi") or b"") == 1150


def test_custom_clips_take_precedence(tmp_path: Path) -> None:
    pack, custom = tmp_path / "pack", tmp_path / "custom"
    write_clips(pack, {"đến quầy số": 300, "đến": 100, "quầy": 100, "số": 100, "ba": 70})
    # A centre's recording, saved by a tool that writes decomposed (NFD) file names.
    custom.mkdir()
    (custom / unicodedata.normalize("NFD", "Đến quầy số.wav")).write_bytes(tone(555))
    (custom / "quầy.wav").write_bytes(tone(222))
    clips = ClipPackEngine(pack, custom, word_gap_ms=0)
    assert frames_ms(clips.synthesize("đến quầy số ba", "vi") or b"") == 555 + 70
    # Where the centre recorded words only, its voice still wins over a pack phrase.
    (custom / unicodedata.normalize("NFD", "Đến quầy số.wav")).unlink()
    clips.reload()
    assert frames_ms(clips.synthesize("đến quầy số ba", "vi") or b"") == 100 + 222 + 100 + 70


def test_custom_clips_are_converted_and_trimmed(tmp_path: Path) -> None:
    if wav.sox_path() is None:
        require_service("sox", "not installed (apt-get install sox)")
    mono = wav.samples(wav.read_frames(tone(500)))
    stereo_44k = array("h", (v for v in mono for _ in range(4)))  # 2 channels x 2 samples
    custom = tmp_path / "custom"
    custom.mkdir()
    with wave.open(str(custom / "Ba.WAV"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(bytes(4 * 8820) + wav.to_frames(stereo_44k) + bytes(4 * 4410))
    (custom / "silent.wav").write_bytes(wav.silence(300))
    clips = ClipPackEngine(None, custom)
    assert clips.missing("ba silent") == ["silent"]
    # 200 ms of leading and 100 ms of trailing silence were cut to a 10 ms pad each side.
    assert 500 <= frames_ms(clips.synthesize("ba", "vi") or b"") <= 535


# -- espeak-ng ------------------------------------------------------------------------------


def test_espeak_says_an_announcement_quickly(espeak: EspeakEngine) -> None:
    text = announcement_text("A012", 3)
    espeak.synthesize("một", "vi")  # warm the page cache
    started = time.perf_counter()
    data = espeak.synthesize(text, "vi")
    elapsed = time.perf_counter() - started
    assert data is not None and elapsed < 0.3
    assert 0.25 * len(text.split()) < wav.duration(data) < 1.2 * len(text.split())
    assert not wav.is_clipped(data)


@pytest.mark.parametrize("voice", ["vi-vn-x-south", "vi-vn-x-central"])
def test_espeak_regional_voices(espeak: EspeakEngine, voice: str) -> None:
    assert EspeakEngine(voice).synthesize("một trăm lẻ năm", "vi") is not None


def test_espeak_other_language_and_odd_text(espeak: EspeakEngine) -> None:
    assert espeak.voice_for("en") == "en" and EspeakEngine("vi-vn-x-south").voice_for("vi") == (
        "vi-vn-x-south"
    )
    assert espeak.synthesize("Ticket number A012, please go to counter 3", "en") is not None
    assert espeak.synthesize("--help", "vi") is not None  # text goes on stdin, never as options
    assert espeak.synthesize("   ", "vi") is None


def test_espeak_missing_binary_returns_none() -> None:
    engine = EspeakEngine(binary="espeak-ng-not-installed")
    assert not engine.available()
    assert engine.synthesize("một", "vi") is None


# -- gTTS -----------------------------------------------------------------------------------


def closed_port() -> int:
    """A local port with nothing listening: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gtts_response(request: requests.PreparedRequest, mp3: bytes) -> requests.Response:
    """What Google's batchexecute endpoint answers: the MP3 in base64 inside a JSON line."""
    response = requests.Response()
    response.status_code, response.request, response.url = 200, request, request.url or ""
    line = '[["wrb.fr","jQ1olc","[\\"' + base64.b64encode(mp3).decode() + '\\"]",null]]'
    response._content, response._content_consumed = (")]}'\n" + line + "\n").encode(), True
    return response


def test_cache_key_is_engine_voice_and_text(tmp_path: Path) -> None:
    north, other_host = GttsEngine(tmp_path), GttsEngine(tmp_path, tld="com.vn")
    key = north.cache_key("Xin mời")
    assert key == north.cache_key(unicodedata.normalize("NFD", "xin  mời"))
    assert len({key, north.cache_key("Xin mời", "en"), other_host.cache_key("Xin mời"),
                north.cache_key("Xin mời bạn")}) == 4  # fmt: skip


def test_a_cached_entry_is_found_without_the_network(tmp_path: Path) -> None:
    engine = GttsEngine(tmp_path)
    text = "Xin mời công dân có số thứ tự a mười hai đến quầy số ba"
    key = engine.cache_key(text, "vi")
    with mock.patch.object(requests.Session, "send", autospec=True) as send:
        assert engine.synthesize(text, "vi") is None and engine.cached_mp3(text) is None
        (tmp_path / f"{key}.mp3").write_bytes(b"ID3fake-mp3")
        assert engine.cached_mp3(text) == tmp_path / f"{key}.mp3"
        if not mp3_decodable():
            # Debian's sox without libsox-fmt-mp3 cannot decode it: the chain moves on.
            assert engine.synthesize(text, "vi") is None
        (tmp_path / f"{key}.wav").write_bytes(tone(800))
        started = time.perf_counter()
        data = engine.synthesize(text, "vi")
        assert time.perf_counter() - started < 0.02
        assert data is not None and frames_ms(data) == 800
        assert engine.synthesize(text, "en") is None  # another voice is another entry
    send.assert_not_called()


def test_prefetch_fills_the_cache(tmp_path: Path) -> None:
    engine = GttsEngine(tmp_path)

    def answer(session: requests.Session, request: requests.PreparedRequest, **_: Any) -> Any:
        return gtts_response(request, b"ID3 fake mp3")

    with mock.patch.object(requests.Session, "send", autospec=True, side_effect=answer) as send:
        report = engine.prefetch(["một", "hai", "một"])
        again = engine.prefetch(["một", "hai"])
    assert report.fetched == ["một", "hai"] and report.error is None
    assert again.cached == ["một", "hai"] and send.call_count == 2
    mp3 = engine.cached_mp3("hai")
    assert mp3 is not None and mp3.read_bytes().startswith(b"ID3 fake mp3")
    assert engine.breaker.allow()


def test_unreachable_gtts_opens_the_breaker(tmp_path: Path) -> None:
    clock = [1000.0]
    engine = GttsEngine(tmp_path, cooldown=600, clock=lambda: clock[0])
    refused = f"http://127.0.0.1:{closed_port()}"
    # A real request to a dead endpoint (gTTS's "endpoint change" or no network).
    with mock.patch("gtts.tts._translate_url", autospec=True, return_value=refused):
        started = time.perf_counter()
        report = engine.prefetch(["một", "hai", "ba"])
        elapsed = time.perf_counter() - started
    assert report.error is not None and report.error.startswith("gTTSError")
    assert report.fetched == [] and report.skipped == ["hai", "ba"]
    assert elapsed < engine.timeout + 0.5
    assert not engine.breaker.allow()

    # While the breaker is open, prefetch does not touch the network at all.
    with mock.patch.object(requests.Session, "send", autospec=True) as send:
        assert engine.prefetch(["một"]).skipped == ["một"]
        clock[0] += 599
        assert engine.prefetch(["một"]).skipped == ["một"]
        send.assert_not_called()
        clock[0] += 2
        send.side_effect = requests.ConnectionError("no route to host")
        assert engine.prefetch(["một"]).error is not None
        assert send.call_count == 1


def test_http_429_counts_as_a_failure(tmp_path: Path) -> None:
    engine = GttsEngine(tmp_path)

    def too_many(session: requests.Session, request: requests.PreparedRequest, **_: Any) -> Any:
        response = gtts_response(request, b"")
        response.status_code, response.reason = 429, "Too Many Requests"
        return response

    with mock.patch.object(requests.Session, "send", autospec=True, side_effect=too_many):
        report = engine.prefetch(["một"])
    assert report.error is not None and "429" in report.error
    assert not engine.breaker.allow() and engine.cached_mp3("một") is None


def test_one_prefetch_at_a_time(tmp_path: Path) -> None:
    engine = GttsEngine(tmp_path)
    entered, release = threading.Event(), threading.Event()

    def slow(session: requests.Session, request: requests.PreparedRequest, **_: Any) -> Any:
        entered.set()
        release.wait(5)
        return gtts_response(request, b"ID3")

    with mock.patch.object(requests.Session, "send", autospec=True, side_effect=slow):
        worker = threading.Thread(target=engine.prefetch, args=(["một"],))
        worker.start()
        assert entered.wait(5)
        assert engine.prefetch(["hai"]).skipped == ["hai"]
        release.set()
        worker.join(5)
    assert engine.cached_mp3("một") is not None


def test_breaker_closes_after_success() -> None:
    clock = [0.0]
    breaker = CircuitBreaker(60, lambda: clock[0])
    breaker.failed("boom")
    assert not breaker.allow() and breaker.last_error == "boom"
    clock[0] = 61
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.last_error is None


# -- chain ----------------------------------------------------------------------------------


class Broken:
    """An engine that raises."""

    name = "broken"

    def synthesize(self, text: str, lang: str) -> bytes | None:
        raise RuntimeError("driver crashed")


def test_chain_falls_through_to_the_first_engine_that_can(tmp_path: Path) -> None:
    write_clips(tmp_path, {"ba": 70})
    engines: list[SpeechEngine] = [
        Broken(),
        GttsEngine(tmp_path / "gtts"),
        ClipPackEngine(tmp_path),
    ]
    chain = ChainEngine(engines)
    speech = chain.speak("ba")
    assert speech is not None and speech.engine == "clips" and frames_ms(speech.wav) == 70
    assert chain.speak("bốn") is None and chain.synthesize("bốn", "vi") is None


def test_chain_with_gtts_unreachable_adds_no_delay(
    tmp_path: Path, espeak: EspeakEngine, pack_dir: Path
) -> None:
    gtts = GttsEngine(tmp_path / "gtts")
    refused = f"http://127.0.0.1:{closed_port()}"
    with mock.patch("gtts.tts._translate_url", autospec=True, return_value=refused):
        gtts.prefetch(["anything"])  # fails, as it does in a centre without internet
    chain = ChainEngine([gtts, ClipPackEngine(pack_dir), espeak])
    espeak.synthesize("một", "vi")
    with mock.patch.object(requests.Session, "send", autospec=True) as send:
        started = time.perf_counter()
        by_clips = chain.speak(announcement_text("A012", 3))
        clip_time = time.perf_counter() - started
        started = time.perf_counter()
        by_espeak = chain.speak(announcement_text("A012", "Quầy lễ tân"))
        espeak_time = time.perf_counter() - started
    send.assert_not_called()
    assert by_clips is not None and by_clips.engine == "clips" and clip_time < 0.3
    assert by_espeak is not None and by_espeak.engine == "espeak-ng" and espeak_time < 0.3
