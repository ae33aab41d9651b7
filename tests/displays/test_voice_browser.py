"""The hall's loudspeaker in a real browser: the lobby plays calls in order, one at a time.

Debian's Chromium, driven by Playwright for Python, against one real `motcua run` process
for the module. The centre is the test centre with `announce_repeat = 1` and a short
template, so each call's file (chime + the sentence once) lasts about 3 s, not ~10 s.

Two Chromium launches are used:

- the session `browser` (no autoplay flag): Chromium's default policy blocks audio until
  the page has had a user gesture, as on a lobby PC not started in kiosk mode;
- `autoplay_browser`: the same flags plus `--autoplay-policy=no-user-gesture-required`, as
  the README tells a centre to start the lobby PC.

Playwright's `page.evaluate` (and `wait_for_function`) run as a user gesture and would give
the page the activation that unlocks audio, so the lock test never evaluates anything in
the page before the click it is about: it watches console messages an init script logs.
"""

from __future__ import annotations

import io
import re
import time
import wave
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.conftest import SLOTS_AT_ONCE, ServerProcess, centre_text
from tests.displays.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.server

API = "/api/v1"
HTTP_TIMEOUT = 10
AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
TEMPLATE = "Mời số {number} đến quầy {counter}"

expect.set_options(timeout=15_000)

# Installed before the page's own scripts. Calls the lobby hears, and console lines for the
# snapshot, the audio lock state, the speaker's playback and the kiosk's spoken guidance, so
# a test can follow the page without evaluating anything in it.
INIT_SCRIPT = """
window.__calls = [];
window.addEventListener("motcua:call", (e) => window.__calls.push(e.detail));
window.addEventListener("motcua:audio",
  (e) => console.log(`speaker:${e.detail.kind}:${e.detail.id}`));
window.addEventListener("motcua:guide-audio",
  (e) => console.log(`guide-audio:${e.detail.src}`));
new MutationObserver((changes) => {
  for (const c of changes) {
    const v = document.body.getAttribute(c.attributeName);
    if (c.attributeName === "data-audio") console.log(`audio:${v}`);
    if (c.attributeName === "data-seq" && c.oldValue === null) console.log(`ready:${v}`);
  }
}).observe(document, {
  subtree: true, attributes: true, attributeOldValue: true,
  attributeFilter: ["data-audio", "data-seq"],
});
"""


def voice_centre() -> str:
    """The test centre, said once with a short template; kiosk limit out of the way; each
    call's announcement slot as long as its audio."""
    extra = f'announce_repeat = 1\nannounce_template = "{TEMPLATE}"\nkiosk_rate_per_minute = 600\n'
    text = centre_text().replace(SLOTS_AT_ONCE, "", 1)
    return text.replace('hours = "always"\n', f'hours = "always"\n{extra}', 1)


class Hall:
    """The running server with a kiosk token (issuing) and an admin token (any counter)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        self.kiosk = server.token("kiosk")
        self.admin = server.token("admin")

    def post(self, path: str, token: str, payload: dict[str, Any] | None = None) -> Any:
        r = self.http.post(
            f"{self.url}{API}{path}",
            json=payload or {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=HTTP_TIMEOUT,
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    def issue(self, service: str = "HT") -> dict[str, Any]:
        return self.post("/tickets", self.kiosk, {"service": service})["ticket"]  # type: ignore[no-any-return]

    def act(self, counter: int, action: str) -> dict[str, Any]:
        return self.post(f"/counters/{counter}/{action}", self.admin)["ticket"]  # type: ignore[no-any-return]

    def seconds(self, audio_url: str) -> float:
        """The duration of a call's WAV, as served."""
        r = self.http.get(f"{self.url}{audio_url}", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("audio/wav")
        with wave.open(io.BytesIO(r.content)) as w:
            return float(w.getnframes() / w.getframerate())


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    """One server for the module, its clip pack built before the first call."""
    root = tmp_path_factory.mktemp("voice")
    config = root / "centre.toml"
    config.write_text(voice_centre(), "utf-8")
    server = ServerProcess(root / "data", config, {}).start()
    try:
        manifest = server.data_dir / "voice" / "pack" / "manifest.json"
        deadline = time.monotonic() + 30
        while not manifest.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert manifest.exists(), "the server did not build its clip pack at start-up"
        yield Hall(server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def autoplay_browser(browser: Any) -> Iterator[Any]:
    """Chromium as a lobby PC in kiosk mode: audio may play without a gesture."""
    launched = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, AUTOPLAY]
    )
    yield launched
    launched.close()


class Pages:
    """Pages in one context: console lines, page errors and audio requests, per page."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 720})
        self.context.add_init_script(INIT_SCRIPT)
        self.console: dict[str, list[str]] = {}
        self.audio: dict[str, list[str]] = {}
        self.problems: list[str] = []

    def open(self, name: str, url: str) -> Page:
        page: Page = self.context.new_page()
        lines, audio = self.console.setdefault(name, []), self.audio.setdefault(name, [])

        def on_console(msg: ConsoleMessage) -> None:
            lines.append(msg.text)
            if msg.type == "error":
                self.problems.append(f"{name}: console error: {msg.text}")

        def on_request(req: Request) -> None:
            if "/audio/" in req.url:
                audio.append(req.url)

        page.on("console", on_console)
        page.on("request", on_request)
        page.on("pageerror", lambda err: self.problems.append(f"{name}: page error: {err}"))
        page.goto(url)
        return page

    def wait_console(self, page: Page, name: str, pattern: str, timeout: float = 15) -> str:
        """Wait (without evaluating in the page) for a console line matching `pattern`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.console[name]:
                if re.fullmatch(pattern, line):
                    return line
            page.wait_for_timeout(50)
        raise AssertionError(f"{name}: no console line {pattern!r} in {self.console[name]}")


@pytest.fixture
def pages_in() -> Iterator[Callable[[Any], Pages]]:
    """Open a context in a browser; the test fails on console or page errors."""
    made: list[Pages] = []

    def make(browser: Any) -> Pages:
        p = Pages(browser)
        made.append(p)
        return p

    yield make
    for p in made:
        p.context.close()
    assert [prob for p in made for prob in p.problems] == []


def speaker_log(page: Page) -> list[dict[str, Any]]:
    """window.motcuaSpeaker.log: {id, kind, at} in the order things happened."""
    return page.evaluate("() => window.motcuaSpeaker.log.map((e) => ({ ...e }))")  # type: ignore[no-any-return]


def lobby_calls(page: Page) -> list[dict[str, Any]]:
    """The ticket.called events the lobby received, in order."""
    return page.evaluate("() => window.__calls")  # type: ignore[no-any-return]


# -- the lobby's loudspeaker -------------------------------------------------------------------


def test_calls_play_in_order_one_at_a_time_and_a_recall_again(
    hall: Hall, autoplay_browser: Any, pages_in: Callable[[Any], Pages]
) -> None:
    pages = pages_in(autoplay_browser)
    lobby = pages.open("lobby", f"{hall.url}/display")
    pages.wait_console(lobby, "lobby", r"ready:\d+")
    first, second = hall.issue(), hall.issue()

    t0 = time.monotonic()
    called_1 = hall.act(1, "call-next")
    time.sleep(0.3)
    called_2 = hall.act(2, "call-next")
    assert time.monotonic() - t0 < 1.0, "the two calls were not made within one second"
    recalled = hall.act(1, "recall")  # while the first is still playing: it waits its turn
    assert [called_1["id"], called_2["id"], recalled["id"]] == [
        first["id"],
        second["id"],
        first["id"],
    ]

    lobby.wait_for_function(
        "() => window.motcuaSpeaker.log.filter((e) => e.kind !== 'start').length >= 3",
        timeout=45_000,
    )
    calls = lobby_calls(lobby)
    # /display events carry no ticket ids: the lobby knows a ticket by its number.
    assert [c["ticket"]["number"] for c in calls] == [
        first["number"],
        second["number"],
        first["number"],
    ]
    assert [c["recall"] for c in calls] == [False, False, True]
    ids = [f"{c['ticket']['number']}@{c['seq']}" for c in calls]
    log = speaker_log(lobby)
    assert [(e["kind"], e["id"]) for e in log] == [
        ("start", ids[0]), ("end", ids[0]),
        ("start", ids[1]), ("end", ids[1]),
        ("start", ids[2]), ("end", ids[2]),
    ]  # fmt: skip
    starts, ends = log[0::2], log[1::2]
    for i in (1, 2):
        assert starts[i]["at"] >= ends[i - 1]["at"], f"call {i + 1} overlapped the previous: {log}"
    # Each file really played through, at its own length.
    urls = [c["announcement"]["audio_url"] for c in calls]
    assert urls[0] == urls[2] != urls[1]
    for url, start, end in zip(urls, starts, ends, strict=True):
        played, length = (end["at"] - start["at"]) / 1000, hall.seconds(url)
        assert 2.0 < length < 6.0, length  # chime + the short sentence, said once
        assert length - 0.3 < played < length + 1.5, (url, played, length)
    # Each call's slot is its audio's length and a breath; each starts no earlier than its slot.
    origin = lobby.evaluate("() => performance.timeOrigin")
    offset = lobby.evaluate("() => window.motcuaLobby.live.offset")
    for call, url, start in zip(calls, urls, starts, strict=True):
        assert abs(call["announce_ms"] - (hall.seconds(url) * 1000 + 500)) < 50, call
        slot = datetime.fromisoformat(call["announce_at"]).timestamp() * 1000 - offset
        assert origin + start["at"] >= slot - 50, (call["announce_at"], origin + start["at"])
    slots = [datetime.fromisoformat(c["announce_at"]).timestamp() * 1000 for c in calls]
    for i in (1, 2):
        assert slots[i] >= slots[i - 1] + calls[i - 1]["announce_ms"] - 1, "slots overlap"
    assert {u.split("?")[0].removeprefix(hall.url) for u in pages.audio["lobby"]} == set(urls)
    assert lobby.evaluate("() => document.body.dataset.audio") is None  # never locked


def test_locked_audio_shows_the_banner_and_a_tap_plays_the_queued_call(
    hall: Hall, browser: Any, pages_in: Callable[[Any], Pages]
) -> None:
    pages = pages_in(browser)  # no autoplay flag: Chromium wants a gesture first
    lobby = pages.open("lobby", f"{hall.url}/display")
    banner = lobby.locator("#sound-lock")
    pages.wait_console(lobby, "lobby", r"ready:\d+")
    hall.issue()
    ticket = hall.act(1, "call-next")
    pages.wait_console(lobby, "lobby", r"audio:locked")
    # Only now look into the page (an evaluation counts as a gesture in Playwright).
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("bật âm thanh")
    assert lobby.evaluate("() => document.body.dataset.audio") == "locked"
    assert speaker_log(lobby) == []
    expect(lobby.locator("#now-number")).to_have_text(ticket["number"])

    banner.click()
    started = pages.wait_console(lobby, "lobby", rf"speaker:start:{ticket['number']}@\d+")
    expect(banner).to_be_hidden()
    assert lobby.evaluate("() => document.body.dataset.audio") == "on"
    assert [(e["kind"], e["id"]) for e in speaker_log(lobby)] == [
        ("start", started.split(":", 2)[2])
    ]


def test_audio_0_plays_nothing(
    hall: Hall, autoplay_browser: Any, pages_in: Callable[[Any], Pages]
) -> None:
    pages = pages_in(autoplay_browser)
    silent = pages.open("silent", f"{hall.url}/display?audio=0")
    speaking = pages.open("speaking", f"{hall.url}/display")  # the hall's one loudspeaker
    pages.wait_console(silent, "silent", r"ready:\d+")
    pages.wait_console(speaking, "speaking", r"ready:\d+")
    hall.issue()
    ticket = hall.act(2, "call-next")
    pages.wait_console(speaking, "speaking", rf"speaker:start:{ticket['number']}@\d+")
    expect(silent.locator("#now-number")).to_have_text(ticket["number"])
    silent.wait_for_timeout(500)
    assert silent.evaluate("() => window.motcuaSpeaker === undefined")
    assert pages.audio["silent"] == []
    assert not [line for line in pages.console["silent"] if line.startswith("speaker:")]
    expect(silent.locator("#sound-lock")).to_be_hidden()
    assert len(lobby_calls(silent)) == 1  # it did hear the call, and shows it


# -- the kiosk's spoken guidance -----------------------------------------------------------------


def test_kiosk_asks_for_guidance_audio_at_each_step(
    hall: Hall, browser: Any, pages_in: Callable[[Any], Pages]
) -> None:
    pages = pages_in(browser)
    kiosk = pages.open("kiosk", f"{hall.url}/kiosk?token={hall.kiosk}")
    kiosk.wait_for_selector("body[data-ready]", state="attached")
    assert kiosk.evaluate("() => document.body.dataset.voice") == "1"

    played: list[str] = []  # the guidance files the kiosk started playing, in order

    def step(selector: str, *wavs: str) -> None:
        """Tap, then wait until the kiosk plays one of `wavs`. Heard, not requested: the
        files are cached for an hour, so one the kiosk already fetched (the idle screen's,
        at start) plays from the browser's cache with no request to wait for."""
        names = "|".join(re.escape(w) for w in wavs)
        heard = re.compile(rf"guide-audio:(.*/audio/guide/({names})\.wav\?.*)")
        seen = len(pages.console["kiosk"])
        kiosk.locator(selector).click()
        # A guide said for the first time is made then (espeak-ng): slow on a loaded machine.
        deadline = time.monotonic() + 90
        match = None
        while match is None and time.monotonic() < deadline:
            match = next(
                (m for m in map(heard.fullmatch, pages.console["kiosk"][seen:]) if m), None
            )
            if match is None:
                kiosk.wait_for_timeout(50)
        assert match is not None, f"{wavs} not played: {pages.console['kiosk'][seen:]}"
        url = match.group(1)
        played.append(f"{match.group(2)}.wav")
        assert "site=test" in url and "lang=vi" in url
        assert hall.seconds(url.removeprefix(hall.url)) > 1.0  # a whole WAV, as served

    # The idle screen shows the fields; the "Ưu tiên" button beside one asks once.
    step('#fields .k-prio[data-service="HT"]', "priority")
    step("#btn-priority-no", "ticket", "print_failed")
    step("#btn-done", "idle")  # back on the idle screen: where to touch, said aloud
    step('#fields .k-prio[data-service="HT"]', "priority")
    step("#btn-back-priority", "fields")
    assert played[-3:] == ["idle.wav", "priority.wav", "fields.wav"], played
