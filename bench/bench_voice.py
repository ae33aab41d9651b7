"""Voice benchmark: from a clerk's call request to the announcement's audio file being ready.

What is timed, per call, is from just before `POST /api/v1/counters/<n>/call-next` is
sent until `GET audio_url` (taken from the `ticket.called` event a display receives)
has answered 200 with the WAV. The event is emitted as soon as the call is committed,
with the file's name already known (a hash of the sentence and style); the voice worker
writes the file a few milliseconds later and the audio route waits until it exists.
So this is the time until a lobby screen can actually play the call. The POST's own
answer time is printed too.

Phases, one counter, requests one after the other:

1. clip pack: --calls fresh numbers (each call a new sentence, so nothing is cached);
   the server built the pack at start-up; the engine of each file is read from the
   `.json` beside it when the data dir is known (expected: "clips").
2. recall: --calls recalls of one ticket: the same sentence again, the Announcer's
   memory cache (no synthesis, no disk write). This is the "cached sentence" path.
3. cached gTTS sentence: gTTS is never reached from here (no internet) and this sox
   cannot decode MP3 (no libsox-fmt-mp3), so a cached gTTS *MP3* is skipped by the chain.
   What the chain does use is the decoded WAV GttsEngine keeps beside the MP3
   (`gtts-cache/<key>.wav`, made by sox where it can read MP3). The bench writes such
   WAVs for the next --calls sentences before calling them; their audio is a stand-in
   made with espeak-ng (same format as a decoded gTTS sentence, similar length), the
   code path is the real one. Only with a server this script started (it knows the
   data dir); the engine of each file is checked ("gtts").

Then, in this process, the same work without HTTP and Socket.IO: Announcer.announce for
fresh sentences from the clip pack, from the gTTS WAV cache, from espeak-ng alone (the
fallback when the pack misses a word), and a cache hit.

    .venv/bin/python bench/bench_voice.py
    .venv/bin/python bench/bench_voice.py --calls 500
    .venv/bin/python bench/bench_voice.py --url http://127.0.0.1:5000 --token ADMIN \
        [--data-dir DIR --config FILE]

Targets (issue #5, "Speed"): p95 < 50 ms from the call request to the audio file being
ready with the clip pack; a cached gTTS sentence under 20 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path
from typing import Any

import requests
import socketio
from bench_api import DEFAULT_CENTRE, SpawnedServer, create_token, percentile, wait_healthy

from audio.announcer import Announcer
from audio.engines import ChainEngine, ClipPackEngine, EspeakEngine, GttsEngine, mp3_decodable
from audio.numbers import announcement_text
from queue_server.config import load_config
from queue_server.voice import Voice

TARGET_CLIPS_P95_MS = 50.0
TARGET_GTTS_MS = 20.0
NAMESPACE = "/display"
TIMEOUT = 10.0


def ms(values: list[float], p: float) -> float:
    """Nearest-rank percentile of seconds, in milliseconds."""
    return percentile(sorted(values), p) * 1000


def line(name: str, values: list[float], digits: int = 1) -> str:
    """One result line: count and p50/p95/p99, max, mean."""
    if not values:
        return f"  {name}: no samples"
    d = digits
    return (
        f"  {name}: n={len(values)}  p50 {ms(values, 50):.{d}f} ms  "
        f"p95 {ms(values, 95):.{d}f} ms  p99 {ms(values, 99):.{d}f} ms  "
        f"max {max(values) * 1000:.{d}f} ms  mean {statistics.fmean(values) * 1000:.{d}f} ms"
    )


class Display:
    """A /display client noting when each ticket.called arrives, by ticket id."""

    def __init__(self, url: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.arrived: dict[str, tuple[float, dict[str, Any]]] = {}
        self.cond = threading.Condition()
        self.sio.on("ticket.called", self._called, namespace=NAMESPACE)
        self.sio.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10)

    def _called(self, data: dict[str, Any]) -> None:
        now = time.perf_counter()  # first thing: the call has reached this display
        with self.cond:
            self.arrived[f"{data['ticket']['id']}#{data['seq']}"] = (now, data)
            self.cond.notify_all()

    def wait(self, ticket_id: str, after: float) -> tuple[float, dict[str, Any]]:
        """The first ticket.called for this ticket that arrived after `after`."""
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while True:
                for key, (at, data) in self.arrived.items():
                    if key.startswith(f"{ticket_id}#") and at >= after:
                        del self.arrived[key]
                        return at, data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no ticket.called for {ticket_id}")
                self.cond.wait(left)

    def close(self) -> None:
        self.sio.disconnect()


class Bench:
    """One counter, an admin token, a display, and (maybe) the server's data dir."""

    def __init__(self, url: str, token: str, data_dir: Path | None, counter: int) -> None:
        self.url, self.data_dir, self.counter = url, data_dir, counter
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.display = Display(url)
        self.errors: dict[str, int] = {}
        self.engines: dict[str, dict[str, int]] = {}

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def issue(self, service: str, count: int) -> list[dict[str, Any]]:
        tickets = []
        for _ in range(count):
            r = self.http.post(f"{self.url}/api/v1/tickets", json={"service": service}, timeout=30)
            if r.status_code != 201:
                raise SystemExit(f"bench: issuing failed: {r.status_code} {r.text[:300]}")
            tickets.append(r.json()["ticket"])
        return tickets

    def act(self, action: str, phase: str) -> tuple[float, float, dict[str, Any]] | None:
        """One counter action: (request->event s, request->answer s, event body)."""
        t0 = time.perf_counter()
        r = self.http.post(f"{self.url}/api/v1/counters/{self.counter}/{action}", timeout=30)
        answered = time.perf_counter()
        if r.status_code != 200:
            self.error(f"{action}: HTTP {r.status_code} {r.text[:120]}")
            return None
        ticket = r.json()["ticket"]
        try:
            arrived, body = self.display.wait(ticket["id"], t0)
        except TimeoutError as err:
            self.error(str(err))
            return None
        ready = self.check(body, phase)
        return (ready if ready is not None else arrived) - t0, answered - t0, body

    def check(self, body: dict[str, Any], phase: str) -> float | None:
        """Fetch the event's audio: 200 and a WAV; returns when it arrived (None if not)."""
        url = body["announcement"]["audio_url"]
        if not url:
            self.error("event without audio_url (voice off, or no engine could speak)")
            return None
        r = self.http.get(url if url.startswith("http") else f"{self.url}{url}", timeout=30)
        ready = time.perf_counter()
        if r.status_code != 200:
            self.error(f"GET audio_url right after the event: HTTP {r.status_code}")
            return None
        try:
            with wave.open(io.BytesIO(r.content)) as w:
                if w.getnframes() == 0:
                    self.error("empty WAV")
        except (wave.Error, EOFError) as err:
            self.error(f"not a WAV: {err}")
        if self.data_dir is not None:
            meta = self.data_dir / "voice" / "audio" / url.rsplit("/", 1)[1]
            try:
                engine = json.loads(meta.with_suffix(".json").read_text("utf-8"))["engine"]
            except (OSError, ValueError, KeyError):
                engine = "?"
            counts = self.engines.setdefault(phase, {})
            counts[engine] = counts.get(engine, 0) + 1
        return ready

    def calls(self, count: int, phase: str) -> tuple[list[float], list[float]]:
        to_event, to_answer = [], []
        for _ in range(count):
            got = self.act("call-next", phase)
            if got:
                to_event.append(got[0])
                to_answer.append(got[1])
        return to_event, to_answer

    def recalls(self, count: int) -> tuple[list[float], list[float]]:
        to_event, to_answer = [], []
        for _ in range(count):
            got = self.act("recall", "recall")
            if got:
                to_event.append(got[0])
                to_answer.append(got[1])
        return to_event, to_answer


def wait_for_pack(data_dir: Path, timeout: float = 60) -> None:
    """The server builds its clip pack at start-up (about a second with espeak-ng)."""
    manifest = data_dir / "voice" / "pack" / "manifest.json"
    deadline = time.monotonic() + timeout
    while not manifest.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: no clip pack at {manifest} after {timeout:.0f} s")
        time.sleep(0.1)
    time.sleep(0.2)  # the manifest is written last; let the clip engines reload


def seed_gtts_cache(
    data_dir: Path, site: Any, counter: int, numbers: list[str], espeak: EspeakEngine
) -> None:
    """Decoded-gTTS stand-ins for the sentences these numbers will be called with."""
    cache = GttsEngine(data_dir / "voice" / "gtts-cache")
    cache.cache_dir.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        text = announcement_text(number, counter, site.announce_template, odd=site.reading_odd)
        data = espeak.synthesize(text, "vi")
        if data is None:
            raise SystemExit("bench: espeak-ng could not make the gTTS stand-ins")
        (cache.cache_dir / f"{cache.cache_key(text, 'vi')}.wav").write_bytes(data)


def in_process(config_path: str | None, count: int) -> dict[str, list[float]]:
    """Announcer.announce alone: clip pack, gTTS WAV cache, espeak-ng only, cache hit."""
    config = load_config(config_path)
    site = config.default_site
    fmt = site.services[0].number_format
    espeak = EspeakEngine(site.voice)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-bench-voice-") as tmp:
        root = Path(tmp)
        voice = Voice(config.sites, root)
        voice.build()
        gtts = GttsEngine(root / "gtts")  # seeded below
        empty = GttsEngine(root / "gtts-empty")  # as here: nothing cached, no network
        chains = {
            "clip pack, fresh sentence": ChainEngine(
                [empty, ClipPackEngine(voice.pack_dir), espeak]
            ),
            "cached gTTS WAV, fresh sentence": ChainEngine([gtts, ClipPackEngine(voice.pack_dir)]),
            "espeak-ng only (pack misses a word)": ChainEngine(
                [empty, ClipPackEngine(None), espeak]
            ),
        }
        texts = [
            announcement_text(f"{fmt.prefix}{n:0{fmt.digits}d}", 1 + n % 12, site.announce_template)
            for n in range(fmt.start, fmt.start + count + 5)
        ]
        gtts.cache_dir.mkdir()
        for text in texts:
            data = espeak.synthesize(text, "vi")
            assert data is not None
            (gtts.cache_dir / f"{gtts.cache_key(text, 'vi')}.wav").write_bytes(data)
        for i, (name, chain) in enumerate(chains.items()):
            announcer = Announcer(chain, root / f"out{i}", repeat=site.announce_repeat)
            times, engines = [], set()
            n = count if "espeak" not in name else min(count, 50)
            for j, text in enumerate(texts[: n + 5]):
                t0 = time.perf_counter()
                made = announcer.announce(text)
                dt = time.perf_counter() - t0
                engines.add(made.engine)
                if j >= 5:  # the first ones load the clips
                    times.append(dt)
            results[f"{name} [{', '.join(sorted(engines))}]"] = times
            if i == 0:
                hits = []
                for _ in range(count):
                    t0 = time.perf_counter()
                    announcer.announce(texts[0])
                    hits.append(time.perf_counter() - t0)
                results["cache hit, the same sentence again"] = hits
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", help="an already running server (default: start one)")
    p.add_argument("--token", help="admin token for --url")
    p.add_argument("--config", help="centre file (default bench/bench_centre.toml)")
    p.add_argument("--data-dir", help="with --url: the server's data dir (engine checks)")
    p.add_argument("--calls", type=int, default=200, help="timed calls per phase (200)")
    p.add_argument("--warmup", type=int, default=10, help="untimed calls first (10)")
    p.add_argument("--counter", type=int, default=2, help="counter that calls (2: HT only)")
    p.add_argument("--service", default="HT", help="field the tickets are for (HT)")
    args = p.parse_args(argv)

    config_path = args.config or str(DEFAULT_CENTRE)
    server: SpawnedServer | None = None
    if args.url:
        if not args.token:
            p.error("--url needs --token (an admin token)")
        url, token = args.url.rstrip("/"), args.token
        wait_healthy(url, None, None)
        data_dir = Path(args.data_dir) if args.data_dir else None
        banner = f"target server {url}"
    else:
        server = SpawnedServer(config_path, None, {"MOTCUA_VOICE": "1"})
        print(f"bench: starting motcua run on {server.url} (data dir {server.data_dir})")
        server.start()
        url, data_dir = server.url, Path(server.data_dir)
        token = create_token("admin", config_path, server.data_dir)
        banner = "; ".join(server.banner()) or "server started"

    try:
        if data_dir is not None:
            wait_for_pack(data_dir)
        print(
            f"bench: Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f}; {banner}; sox reads MP3: {mp3_decodable()}"
        )
        bench = Bench(url, token, data_dir, args.counter)
        seeded = server is not None
        total = args.warmup + args.calls + (args.calls if seeded else 0)
        tickets = bench.issue(args.service, total)
        print(f"bench: {len(tickets)} tickets issued ({tickets[0]['number']}..)")

        bench.calls(args.warmup, "warm-up")
        clips, clips_answer = bench.calls(args.calls, "clip pack")
        recall, recall_answer = bench.recalls(args.calls)
        gtts: list[float] = []
        if seeded and data_dir is not None:
            site = load_config(config_path).default_site
            upcoming = [t["number"] for t in tickets[args.warmup + args.calls :]]
            seed_gtts_cache(data_dir, site, args.counter, upcoming, EspeakEngine(site.voice))
            gtts, _ = bench.calls(args.calls, "cached gTTS")
        bench.display.close()

        local = in_process(config_path, args.calls)

        print("\nCall request -> audio_url fetched (200, WAV) by a display after its ticket.called")
        print(line("clip pack, fresh number each call", clips))
        print(line("  (same calls: request -> HTTP answer)", clips_answer))
        print(line("recall: the same sentence, Announcer cache hit", recall))
        print(line("  (same recalls: request -> HTTP answer)", recall_answer))
        if seeded:
            print(line("cached gTTS sentence (decoded WAV in the cache)", gtts))
        else:
            print("  cached gTTS sentence: only with a server this script starts")
        for phase, counts in bench.engines.items():
            print(f"  engines, {phase}: {counts}")
        for what, n in sorted(bench.errors.items()):
            print(f"  errors: {n} x {what}")
        if not bench.errors:
            print("  every audio_url answered 200 with a WAV right after its event")
        print("In this process: Announcer.announce (synthesise + assemble + write), no HTTP")
        for name, values in local.items():
            print(line(name, values, 2))

        print("\nSummary")
        ok = not bench.errors and bool(clips)
        if clips:
            p95 = ms(clips, 95)
            verdict = "meets" if p95 < TARGET_CLIPS_P95_MS else "misses"
            ok = ok and p95 < TARGET_CLIPS_P95_MS
            print(
                f"  call -> audio ready, clip pack: p50 {ms(clips, 50):.1f} ms, p95 {p95:.1f} ms "
                f"({verdict} p95 < {TARGET_CLIPS_P95_MS:.0f} ms)"
            )
        if gtts:
            p95 = ms(gtts, 95)
            verdict = "meets" if p95 < TARGET_GTTS_MS else "misses"
            print(
                f"  call -> audio ready, cached gTTS sentence: p50 {ms(gtts, 50):.1f} ms, "
                f"p95 {p95:.1f} ms ({verdict} < {TARGET_GTTS_MS:.0f} ms at p95)"
            )
        if recall:
            print(
                f"  recall (cached sentence): p50 {ms(recall, 50):.1f} ms, "
                f"p95 {ms(recall, 95):.1f} ms"
            )
        print(
            f"  targets: p95 < {TARGET_CLIPS_P95_MS:.0f} ms with the clip pack; "
            f"a cached gTTS sentence under {TARGET_GTTS_MS:.0f} ms"
        )
        return 0 if ok else 1
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
