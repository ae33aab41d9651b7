"""Speech engines behind one small interface, chained with fallback.

- ClipPackEngine joins pre-rendered clips (a centre's own recordings first): instant, offline.
- EspeakEngine runs espeak-ng: robotic but always there.
- GttsEngine serves gTTS sentences from a disk cache only; `prefetch` (run in the background)
  fills it, and a circuit breaker stops it retrying the network after a failure.
- ChainEngine asks each in turn and says which one answered.

An engine never raises for "cannot say this": it returns None and the chain moves on.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from audio import wav

log = logging.getLogger(__name__)

# Sentence punctuation becomes a pause; a hyphen inside a word ("e-lờ") is part of the word.
_PUNCTUATION = re.compile(r"[.,;:!?…]+")
_QUOTES = "\"'()[]{}«»“”‘’"


# One piece of a planned sentence: the phrase and its clip's PCM frames (None: no clip).
Piece = tuple[str, bytes | None]


class SpeechEngine(Protocol):
    """Turns a sentence into WAV bytes in the common format, or None when it cannot."""

    name: str

    def synthesize(self, text: str, lang: str) -> bytes | None:
        """WAV bytes (mono, 16-bit, 22050 Hz) saying `text` in `lang`, or None."""
        ...


def normalise_text(text: str) -> str:
    """NFC, lower case, single spaces: the form clip names and cache keys are compared in."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def segments(text: str) -> list[list[str]]:
    """Words of each punctuation-separated part: "Mời bạn. Xin cảm ơn!" -> two segments."""
    parts = _PUNCTUATION.split(normalise_text(text))
    words = ([w.strip(_QUOTES) for w in part.split()] for part in parts)
    return [[w for w in ws if w and w != "-"] for ws in words if any(w.strip("-") for w in ws)]


def clip_name(phrase: str) -> str:
    """File name (without .wav) of the clip for a word or phrase; '/' and '%' are escaped."""
    return normalise_text(phrase).replace("%", "%25").replace("/", "%2F")


def phrase_of(name: str) -> str:
    """The word or phrase a clip file stem stands for (inverse of clip_name)."""
    return normalise_text(name.replace("%2F", "/").replace("%25", "%"))


def _load_clips(folder: Path | None, *, trim: bool = False) -> dict[str, bytes]:
    """PCM frames of every WAV clip in a folder, keyed by its normalised phrase."""
    clips: dict[str, bytes] = {}
    if folder is None or not folder.is_dir():
        return clips
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".wav" or path.name.startswith("."):
            continue
        try:
            frames = wav.read_frames(path.read_bytes())
        except (OSError, wav.AudioFormatError) as err:
            log.warning("skipping clip %s: %s", path, err)
            continue
        if trim:
            # A recording starts and ends with room silence; untrimmed, joins would drag.
            frames = wav.trim_frames(frames)
        if frames:
            clips[phrase_of(path.stem)] = frames
        else:
            log.warning("skipping clip %s: it is silent", path)
    return clips


@dataclass(frozen=True)
class _Clips:
    """Loaded clips (PCM frames by phrase) and the most words any phrase has."""

    custom: dict[str, bytes]
    pack: dict[str, bytes]
    longest: int


class ClipPackEngine:
    """Joins clips of words and phrases, longest match first; a centre's recordings win."""

    name: str = "clips"

    def __init__(
        self,
        pack_dir: Path | str | None,
        custom_dir: Path | str | None = None,
        *,
        lang: str = "vi",
        word_gap_ms: float = 30,
        pause_ms: float = 250,
    ) -> None:
        self.pack_dir = Path(pack_dir) if pack_dir is not None else None
        self.custom_dir = Path(custom_dir) if custom_dir is not None else None
        self.lang = lang
        self._word_gap = wav.silence_frames(word_gap_ms)
        self._pause = wav.silence_frames(pause_ms)
        self._lock = threading.Lock()
        self._sources: _Clips | None = None

    def reload(self) -> None:
        """Read the clip folders again (after a build or a new recording)."""
        custom = _load_clips(self.custom_dir, trim=True)
        pack = _load_clips(self.pack_dir)  # build_pack trimmed these already
        longest = max((len(p.split()) for p in (*custom, *pack)), default=1)
        with self._lock:
            self._sources = _Clips(custom, pack, longest)

    def _loaded(self) -> _Clips:
        """The clips, loaded on first use."""
        if self._sources is None:
            self.reload()
        assert self._sources is not None
        return self._sources

    def _plan_words(self, words: list[str]) -> list[Piece]:
        """Cover words with clips: fewest uncovered, then most in the centre's own voice, then
        fewest pieces. Chosen over the whole sequence, so a long match cannot strand a word."""
        clips = self._loaded()
        # best[i] = ((missing, words from the pack, pieces), pieces) for words[i:]
        best: list[tuple[tuple[int, int, int], list[Piece]]] = [((0, 0, 0), [])] * (len(words) + 1)
        for i in range(len(words) - 1, -1, -1):
            (m, p, c), rest = best[i + 1]
            choice = ((m + 1, p, c + 1), [(words[i], None), *rest])
            for n in range(1, min(clips.longest, len(words) - i) + 1):
                phrase = " ".join(words[i : i + n])
                (m, p, c), rest = best[i + n]
                for frames, from_pack in (
                    (clips.custom.get(phrase), 0),
                    (clips.pack.get(phrase), n),
                ):
                    cost = (m, p + from_pack, c + 1)
                    if frames is not None and cost < choice[0]:
                        choice = (cost, [(phrase, frames), *rest])
            best[i] = choice
        return best[0][1]

    def plan(self, text: str) -> list[list[Piece]]:
        """Each segment as (phrase, frames) pieces; frames is None where no clip exists."""
        return [self._plan_words(words) for words in segments(text)]

    def missing(self, text: str) -> list[str]:
        """Words of `text` that no clip covers."""
        return [p for seg in self.plan(text) for p, frames in seg if frames is None]

    def synthesize(self, text: str, lang: str) -> bytes | None:
        """The clips joined with short gaps, or None if a word has no clip."""
        if lang != self.lang:
            return None
        planned = self.plan(text)
        if not planned or any(frames is None for seg in planned for _, frames in seg):
            return None
        joined = self._pause.join(
            self._word_gap.join(frames for _, frames in seg if frames is not None)
            for seg in planned
        )
        return wav.write_wav(joined)


class EspeakEngine:
    """espeak-ng through a subprocess: `espeak-ng -v vi --stdout`."""

    name: str = "espeak-ng"

    def __init__(
        self,
        voice: str = "vi",
        *,
        binary: str = "espeak-ng",
        speed: int | None = 150,
        amplitude: int = 80,
        timeout: float = 5.0,
    ) -> None:
        self.voice, self.binary, self.speed, self.timeout = voice, binary, speed, timeout
        # espeak-ng's defaults are hurried for a hall (175 words/min) and peak at full scale
        # (amplitude 100 clips); 150 words/min and amplitude 80 (peaks near -1.5 dB) are calmer.
        self.amplitude = amplitude

    def available(self) -> bool:
        """True when the espeak-ng binary is installed."""
        return shutil.which(self.binary) is not None

    def voice_for(self, lang: str) -> str:
        """The configured voice for its language ("vi-vn-x-south" serves "vi"), else `lang`."""
        return self.voice if self.voice.split("-")[0] == lang.split("-")[0] else lang

    def synthesize(self, text: str, lang: str) -> bytes | None:
        """espeak-ng's WAV for `text`, or None if it is missing, fails or takes too long."""
        binary = shutil.which(self.binary)
        if binary is None or not text.strip():
            return None
        cmd = [binary, "-b", "1", "-v", self.voice_for(lang), "-a", str(self.amplitude), "--stdout"]
        if self.speed:
            cmd += ["-s", str(self.speed)]
        try:
            # Text on stdin, so a sentence starting with "-" is never taken for an option.
            done = subprocess.run(
                cmd, input=text.encode("utf-8"), capture_output=True, timeout=self.timeout
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            log.warning("espeak-ng failed: %s", err)
            return None
        if done.returncode != 0 or not done.stdout:
            log.warning("espeak-ng exited %s: %s", done.returncode, done.stderr[-300:])
            return None
        try:
            return wav.normalise(done.stdout)
        except wav.AudioFormatError as err:
            log.warning("espeak-ng output unusable: %s", err)
            return None


class CircuitBreaker:
    """After a failure, refuse attempts for `cooldown` seconds."""

    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown, self.clock = cooldown, clock
        self.open_until = 0.0
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """True when an attempt may be made now."""
        with self._lock:
            return self.clock() >= self.open_until

    def failed(self, error: str) -> None:
        """Record a failure: open the breaker for the cooldown."""
        with self._lock:
            self.open_until, self.last_error = self.clock() + self.cooldown, error

    def succeeded(self) -> None:
        """Record a success: close the breaker."""
        with self._lock:
            self.open_until, self.last_error = 0.0, None


@dataclass
class PrefetchReport:
    """What one `GttsEngine.prefetch` did."""

    fetched: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


class GttsEngine:
    """gTTS sentences from a disk cache; only `prefetch` touches the network."""

    name: str = "gtts"

    def __init__(
        self,
        cache_dir: Path | str,
        *,
        lang: str = "vi",
        tld: str = "com",
        timeout: float = 2.0,
        cooldown: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.lang, self.tld, self.timeout = lang, tld, timeout
        self.breaker = CircuitBreaker(cooldown, clock)
        self._prefetching = threading.Lock()

    @property
    def voice(self) -> str:
        """gTTS's voice is its language plus the Google host's domain (it sets the accent)."""
        return f"{self.lang}@{self.tld}"

    def cache_key(self, text: str, lang: str | None = None) -> str:
        """sha256 over (engine, voice, text): the cache file's name."""
        voice = f"{lang or self.lang}@{self.tld}"
        raw = json.dumps([self.name, voice, normalise_text(text)], ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def cached_mp3(self, text: str, lang: str | None = None) -> Path | None:
        """The cached MP3 gTTS returned for `text`, if there is one."""
        path = self.cache_dir / f"{self.cache_key(text, lang)}.mp3"
        return path if path.is_file() else None

    def synthesize(self, text: str, lang: str) -> bytes | None:
        """The cached sentence as WAV; never the network, None when not cached or not decodable."""
        key = self.cache_key(text, lang)
        path = self.cache_dir / f"{key}.wav"
        try:
            return wav.normalise(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, wav.AudioFormatError) as err:
            log.warning("unusable gTTS cache entry %s: %s", path, err)
            return None
        mp3 = self.cache_dir / f"{key}.mp3"
        if not mp3.is_file() or not mp3_decodable():
            return None
        return self._decode(mp3)

    def _decode(self, mp3: Path) -> bytes | None:
        """Decode a cached MP3 with sox and keep the WAV beside it."""
        try:
            data = wav.sox_convert(mp3.read_bytes(), "mp3")
        except (OSError, wav.AudioFormatError) as err:
            log.warning("cannot decode %s: %s", mp3, err)
            return None
        write_atomic(mp3.with_suffix(".wav"), data)
        return data

    def fetch(self, text: str, lang: str) -> bytes:
        """MP3 bytes from gTTS over the network; raises on any failure."""
        from gtts import gTTS  # imported here: only the background prefetch needs it

        out = io.BytesIO()
        gTTS(text, lang=lang, tld=self.tld, timeout=self.timeout).write_to_fp(out)
        if not out.getvalue():
            raise RuntimeError("gTTS returned no audio")
        return out.getvalue()

    def prefetch(self, texts: Iterable[str], lang: str | None = None) -> PrefetchReport:
        """Fill the cache for `texts`; stops at the first failure and opens the breaker."""
        report = PrefetchReport()
        lang = lang or self.lang
        pending = list(dict.fromkeys(texts))
        if not self._prefetching.acquire(blocking=False):
            report.skipped, report.error = pending, "another prefetch is running"
            return report
        try:
            for i, text in enumerate(pending):
                if self.cached_mp3(text, lang):
                    report.cached.append(text)
                    continue
                if not self.breaker.allow():
                    report.skipped = pending[i:]
                    report.error = report.error or f"gTTS paused: {self.breaker.last_error}"
                    break
                self._prefetch_one(text, lang, report)
        finally:
            self._prefetching.release()
        return report

    def _prefetch_one(self, text: str, lang: str, report: PrefetchReport) -> None:
        """Fetch one sentence into the cache, recording a failure on the breaker."""
        try:
            mp3 = self.fetch(text, lang)
        except Exception as err:  # gTTSError, requests errors, endpoint changes: all alike
            message = f"{type(err).__name__}: {err}"
            log.info(
                "gTTS unavailable, not retrying for %.0f s: %s", self.breaker.cooldown, message
            )
            self.breaker.failed(message)
            report.error = message
            return
        self.breaker.succeeded()
        path = self.cache_dir / f"{self.cache_key(text, lang)}.mp3"
        write_atomic(path, mp3)
        if mp3_decodable():
            self._decode(path)
        report.fetched.append(text)


def mp3_decodable() -> bool:
    """True when the installed sox can read MP3 (Debian's libsox-fmt-mp3)."""
    return "mp3" in wav.sox_formats()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Speech:
    """A synthesised sentence and the engine that made it."""

    wav: bytes
    engine: str


class ChainEngine:
    """Tries engines in order; the first that can say the sentence wins."""

    name: str = "chain"

    def __init__(self, engines: Sequence[SpeechEngine]) -> None:
        self.engines = list(engines)

    def speak(self, text: str, lang: str = "vi") -> Speech | None:
        """The first engine's WAV and its name, or None when none can say `text`."""
        for engine in self.engines:
            try:
                data = engine.synthesize(text, lang)
            except Exception:
                # One broken engine must not silence the hall: log it and fall through.
                log.exception("speech engine %s failed", engine.name)
                continue
            if data is not None:
                return Speech(data, engine.name)
        return None

    def synthesize(self, text: str, lang: str) -> bytes | None:
        """WAV bytes from the first engine that can say `text`."""
        speech = self.speak(text, lang)
        return speech.wav if speech else None
