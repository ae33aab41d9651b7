"""Announcements as WAV files: chime, then the sentence said `repeat` times, cached on disk.

The file for a sentence is `<sha256 of text and settings>.wav` in `out_dir`, with a small
`.json` beside it naming the engine, so a restart serves it without synthesising again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from audio import wav
from audio.engines import ChainEngine, SpeechEngine, write_atomic

log = logging.getLogger(__name__)

# Bumped when the way files are assembled changes, so old cached files are not reused.
FORMAT_VERSION = 1

# Kiosk guidance, keyed by the kiosk page's step names (displays/static/js/kiosk.js).
GUIDANCE: dict[str, dict[str, str]] = {
    "idle": {
        "vi": "Mời bạn chạm vào lĩnh vực cần giải quyết để lấy số. "
        "Người được ưu tiên chạm nút Ưu tiên màu vàng bên cạnh",
        "en": "Please touch your field to take a number. "
        "If you have priority, touch the yellow Priority button beside it",
    },
    "fields": {
        "vi": "Mời bạn chọn lĩnh vực cần giải quyết",
        "en": "Please choose the service you need",
    },
    "priority": {
        "vi": "Bạn có thuộc đối tượng ưu tiên không?",
        "en": "Are you in a priority group?",
    },
    "ticket": {
        "vi": "Mời bạn nhận phiếu. Xin cảm ơn!",
        "en": "Please take your ticket. Thank you!",
    },
    "citizen": {
        "vi": "Mời bạn nhập số điện thoại hoặc số căn cước công dân",
        "en": "Please enter your phone or ID card number",
    },
    "print_failed": {
        "vi": "Máy in đang gặp sự cố, số của bạn vẫn được giữ",
        "en": "The printer has a problem, your number is kept",
    },
}


class SpeechUnavailable(RuntimeError):
    """No engine of the chain could say the sentence."""


@dataclass(frozen=True)
class Announcement:
    """A ready audio file: where it is, how long it plays, which engine spoke, what it says."""

    path: Path
    duration: float
    engine: str
    text: str


@dataclass(frozen=True)
class Style:
    """How a sentence is dressed: chime or not, how often, with what gaps."""

    repeat: int
    chime: bool
    gap_ms: float
    chime_gap_ms: float


class Announcer:
    """Builds and caches announcement files; safe to call from many threads."""

    def __init__(
        self,
        engine_chain: ChainEngine | SpeechEngine,
        out_dir: Path | str,
        repeat: int = 2,
        chime: bool = True,
        gap_ms: float = 600,
        *,
        lang: str = "vi",
        chime_gap_ms: float = 250,
    ) -> None:
        if repeat < 1:
            raise ValueError("repeat must be at least 1")
        if not isinstance(engine_chain, ChainEngine):
            engine_chain = ChainEngine([engine_chain])
        self.chain = engine_chain
        self.out_dir = Path(out_dir)
        self.lang = lang
        self.style = Style(repeat, chime, gap_ms, chime_gap_ms)
        self.guide_style = Style(1, False, gap_ms, chime_gap_ms)
        self._done: dict[str, Announcement] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def announce(self, text: str, lang: str | None = None) -> Announcement:
        """The call's audio: chime, then `text` said `repeat` times; cached by text and settings."""
        return self._get(text, lang or self.lang, self.style)

    def guide(self, step: str, lang: str = "vi") -> Announcement:
        """Spoken kiosk guidance for a step ("idle", "fields", "priority", "ticket"...)."""
        prompts = GUIDANCE.get(step)
        if prompts is None:
            raise ValueError(f"no guidance for step {step!r}; known: {', '.join(GUIDANCE)}")
        text = prompts.get(lang) or prompts["vi"]
        return self._get(text, lang if lang in prompts else "vi", self.guide_style)

    def key(self, text: str, lang: str, style: Style | None = None) -> str:
        """The cache key (and file stem) of a sentence with the given settings."""
        s = style or self.style
        sentence = unicodedata.normalize("NFC", text).strip()
        settings = [s.repeat, s.chime, s.gap_ms, s.chime_gap_ms]
        raw = json.dumps([FORMAT_VERSION, lang, sentence, *settings], ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def prune(self, max_age: float = 86_400.0) -> int:
        """Delete announcement files older than `max_age` seconds; returns how many went.

        Each (number, counter) pair makes its own ~0.4 MB file, so a busy centre would fill
        the disk over months; a file is only needed around its call and recalls.
        """
        cutoff = time.time() - max_age
        removed = 0
        for path in self.out_dir.glob("*.wav"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    path.with_suffix(".json").unlink(missing_ok=True)
                    removed += 1
            except FileNotFoundError:
                continue  # another process pruned it first
        with self._guard:
            self._done = {k: a for k, a in self._done.items() if a.path.is_file()}
        return removed

    def _lock_for(self, key: str) -> threading.Lock:
        """One lock per sentence, so two calls for it synthesise once and others do not wait."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _get(self, text: str, lang: str, style: Style) -> Announcement:
        """From memory, else from disk, else synthesised and written."""
        key = self.key(text, lang, style)
        found = self._done.get(key)
        if found is not None and found.path.is_file():
            return found
        with self._lock_for(key):
            found = self._done.get(key)
            if found is None or not found.path.is_file():
                found = self._from_disk(key, text) or self._make(key, text, lang, style)
                self._done[key] = found
            return found

    def _from_disk(self, key: str, text: str) -> Announcement | None:
        """An announcement written earlier (by this or a previous process)."""
        path, meta_path = self.out_dir / f"{key}.wav", self.out_dir / f"{key}.json"
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            duration = wav.duration(path.read_bytes())
        except (OSError, ValueError):
            return None
        return Announcement(path, duration, str(meta.get("engine", "")), text)

    def _make(self, key: str, text: str, lang: str, style: Style) -> Announcement:
        """Synthesise, assemble and write one announcement."""
        speech = self.chain.speak(text, lang)
        if speech is None:
            raise SpeechUnavailable(f"no speech engine could say {text!r} in {lang!r}")
        frames = assemble(wav.read_frames(speech.wav), style)
        path = self.out_dir / f"{key}.wav"
        write_atomic(path, wav.write_wav(frames))
        meta = {"engine": speech.engine, "text": text, "lang": lang}
        write_atomic(path.with_suffix(".json"), json.dumps(meta, ensure_ascii=False).encode())
        duration = len(frames) / wav.FRAME_BYTES / wav.RATE
        log.debug("announcement %s (%.2f s) by %s: %s", key[:12], duration, speech.engine, text)
        return Announcement(path, duration, speech.engine, text)


def assemble(speech: bytes, style: Style) -> bytes:
    """PCM frames: [chime, pause] then the speech `repeat` times separated by `gap_ms`."""
    said = wav.silence_frames(style.gap_ms).join([speech] * style.repeat)
    if not style.chime:
        return said
    return wav.chime_frames() + wav.silence_frames(style.chime_gap_ms) + said


SECONDS_PER_WORD = 0.24
"""espeak-ng's Vietnamese voice says about four syllables (words) a second."""


def estimate_seconds(text: str, repeat: int, style: Style | None = None) -> float:
    """How long a call's file would play (chime, then `text` `repeat` times), without making it.

    What the lobby gives a call when there is no audio to measure (voice off, or its file
    not made in time): a sentence of 16 words said twice is about 10 s.
    """
    s = style or Style(repeat, chime=True, gap_ms=600, chime_gap_ms=250)
    words = len(unicodedata.normalize("NFC", text).split())
    said = s.repeat * (0.2 + SECONDS_PER_WORD * words) + (s.repeat - 1) * s.gap_ms / 1000
    return said + (wav.CHIME_SECONDS + s.chime_gap_ms / 1000 if s.chime else 0.0)
