"""Voice announcements for a centre: the text as spoken, and its audio file, offline first.

The engine chain is: cached gTTS sentences (natural, when the internet once allowed
fetching them) -> the centre's clip pack (recorded clips first, then generated) ->
espeak-ng. Making a call never waits on the network: gTTS is only ever read from
its cache here, and filled in the background.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from audio import wav
from audio.announcer import GUIDANCE, Announcement, Announcer
from audio.clippack import BuildReport, build_pack, vocabulary
from audio.engines import ChainEngine, ClipPackEngine, EspeakEngine, GttsEngine
from audio.numbers import announcement_text, announcement_text_en

from .announcements import PAUSE_MS
from .domain.model import Counter, Site, Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Spoken:
    """One call as said: the sentence in words and where its audio is (None: text only)."""

    text: str
    text_en: str
    audio_name: str | None


class Voice:
    """Announcements for every site of one installation, cached under <data_dir>/voice."""

    def __init__(self, sites: tuple[Site, ...], data_dir: Path, player: str | None = None) -> None:
        self.sites = {s.code: s for s in sites}
        self.root = Path(data_dir) / "voice"
        self.pack_dir = self.root / "pack"
        self.out_dir = self.root / "audio"
        self.gtts = GttsEngine(self.root / "gtts-cache")
        self._announcers: dict[str, Announcer] = {}
        self._clip_engines: list[ClipPackEngine] = []
        for site in sites:
            custom = Path(site.voice_clips) if site.voice_clips else None
            clips = ClipPackEngine(self.pack_dir, custom)
            self._clip_engines.append(clips)
            chain = ChainEngine([self.gtts, clips, EspeakEngine(site.voice)])
            self._announcers[site.code] = Announcer(
                chain, self.out_dir, repeat=site.announce_repeat, chime=True
            )
        self._prefetch: queue.Queue[str] = queue.Queue(maxsize=1000)
        self._jobs: queue.Queue[tuple[str, str, str]] = queue.Queue()
        self._pending: dict[str, threading.Event] = {}
        self._pending_lock = threading.Lock()
        self.player = ServerPlayer(player) if player else None

    # -- texts -------------------------------------------------------------------------

    @staticmethod
    def texts_for(site: Site, ticket: Ticket, counter: Counter) -> tuple[str, str]:
        """The call in Vietnamese words and in English, as the site's template says."""
        text = announcement_text(
            ticket.number, counter.said, site.announce_template, odd=site.reading_odd
        )
        return text, announcement_text_en(ticket.number, counter.number)

    # -- audio -------------------------------------------------------------------------

    def announce(self, site: Site, ticket: Ticket, counter: Counter) -> Spoken:
        """Text and audio name for a call, at once; the audio is made right after.

        The file's name is known before it exists (a hash of the sentence and style),
        so the call reaches the screens without waiting for synthesis; the audio route
        waits the few milliseconds until the file is written (see `ready`).
        """
        text, text_en = self.texts_for(site, ticket, counter)
        announcer = self._announcers[site.code]
        name = f"{announcer.key(text, announcer.lang)}.wav"
        with self._pending_lock:
            if name not in self._pending and not (self.out_dir / name).is_file():
                self._pending[name] = threading.Event()
        # Every call goes through the worker, in call order: a recall is played again
        # by the server's player even while the first saying is still being made.
        self._jobs.put((site.code, text, name))
        return Spoken(text, text_en, name)

    def ready(self, name: str, timeout: float = 5.0) -> bool:
        """Wait until an announcement file exists (it is being made), up to `timeout`."""
        with self._pending_lock:
            done = self._pending.get(name)
        if done is not None:
            done.wait(timeout)
        return (self.out_dir / name).is_file()

    def seconds(self, name: str, timeout: float) -> float | None:
        """How long an announcement file plays, once made (None: not made within `timeout`)."""
        if not self.ready(name, timeout):
            return None
        try:
            return wav.duration(self.path(name).read_bytes())
        except (OSError, ValueError):
            return None

    def synthesise_forever(self) -> None:
        """Background worker: make announcement files in call order."""
        while True:
            site, text, name = self._jobs.get()
            try:
                made = self._announcers[site].announce(text)
                if self.player is not None:
                    self.player.play(site, made.path)
                self._queue_prefetch(text)
            except Exception:  # no engine could say it: the screen still shows the call
                log.exception("no audio for %r", text)
            finally:
                with self._pending_lock:
                    done = self._pending.pop(name, None)
                if done is not None:
                    done.set()

    def can_speak(self) -> bool:
        """Whether any engine is there: espeak-ng, a clip pack, or the centre's clips."""
        if EspeakEngine().available() or (self.pack_dir / "manifest.json").exists():
            return True
        return any(s.voice_clips and Path(s.voice_clips).is_dir() for s in self.sites.values())

    def guide(self, site: Site, step: str, lang: str) -> Announcement:
        """A kiosk guidance prompt (ValueError for an unknown step)."""
        return self._announcers[site.code].guide(step, lang)

    def path(self, name: str) -> Path:
        """Where an announcement file lives."""
        return self.out_dir / name

    # -- clip pack ---------------------------------------------------------------------

    def words(self) -> set[str]:
        """Every word and phrase the installation's calls and kiosk prompts need."""
        words: set[str] = set()
        for site in self.sites.values():
            formats = [
                (s.number_format.prefix, s.number_format.start, s.number_format.end,
                 s.number_format.digits)
                for s in site.services
            ]  # fmt: skip
            words |= vocabulary(
                formats,
                [c.said for c in site.counters],
                [site.announce_template],
                phrases=[g["vi"] for g in GUIDANCE.values()],
                odd=site.reading_odd,
            )
        return words

    def build(self, progress: Callable[[int, int, str], None] | None = None) -> BuildReport:
        """(Re)build the clip pack with espeak-ng; reports what could not be made."""
        engine = EspeakEngine(next(iter(self.sites.values())).voice)
        report = build_pack(self.words(), self.pack_dir, engine, progress)
        # A call made while the pack was being built loaded it half made; without this the
        # clip engines would keep that and leave every later call to espeak-ng until restart.
        for clips in self._clip_engines:
            clips.reload()
        return report

    def ensure_pack(self) -> None:
        """At start-up: drop announcement files older than a day (each call makes ~0.4 MB),
        then build the clip pack when it is missing (a second or so with espeak-ng)."""
        for announcer in self._announcers.values():
            try:
                announcer.prune()
            except OSError:
                log.warning("could not prune old announcements", exc_info=True)
        if (self.pack_dir / "manifest.json").exists():
            return
        try:
            report = self.build()
            if report.missing:
                log.warning("voice clip pack misses %d words", len(report.missing))
        except Exception:
            log.exception("could not build the voice clip pack; espeak-ng will speak")

    # -- gTTS in the background ----------------------------------------------------------

    def _queue_prefetch(self, text: str) -> None:
        with contextlib.suppress(queue.Full):
            self._prefetch.put_nowait(text)

    def prefetch_forever(self, sleep: Callable[[float], None]) -> None:
        """Background task: fetch natural gTTS sentences when the internet allows it."""
        while True:
            text = self._prefetch.get()
            try:
                self.gtts.prefetch([text])
            except Exception:
                log.debug("gTTS prefetch failed", exc_info=True)
            sleep(0.1)


class ServerPlayer:
    """Plays announcements on the server's own speakers, one at a time per site, with the
    announcement queue's pause after each, so it keeps pace with the lobby screens' slots."""

    def __init__(self, command: str, pause: float = PAUSE_MS / 1000) -> None:
        self.command = shlex.split(command)
        self.pause = pause
        self._queues: dict[str, queue.Queue[Path]] = {}
        self._lock = threading.Lock()
        self.played: list[tuple[str, str]] = []

    def play(self, site: str, path: Path) -> None:
        """Queue a file; a call made while another plays waits its turn."""
        with self._lock:
            q = self._queues.get(site)
            if q is None:
                q = self._queues[site] = queue.Queue()
                threading.Thread(target=self._run, args=(site, q), daemon=True).start()
        q.put(path)

    def _run(self, site: str, q: queue.Queue[Path]) -> None:
        while True:
            path = q.get()
            try:
                subprocess.run([*self.command, str(path)], check=False, timeout=120)
                self.played.append((site, path.name))
                time.sleep(self.pause)
            except (OSError, subprocess.SubprocessError):
                log.exception("server audio player failed on %s", path)
