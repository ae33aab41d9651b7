"""The screens in a real browser: lobby TV, counter-top display and clerk console.

Debian's Chromium, driven by Playwright for Python, against real `motcua run`
processes started here with the test hooks on. Tickets are issued over HTTP
with a kiosk token, as a kiosk would; the clerk acts through the console page
(clicks and keyboard), or over HTTP with an admin token where the test only
needs the queue to move. Every page's console errors and uncaught exceptions
are collected, and a test fails on any it did not expect.

Screenshots go to artifacts/screens/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import ARTIFACTS, ServerProcess, centre_text, free_port

pytestmark = pytest.mark.server

API = "/api/v1"
HOOKS = {"MOTCUA_TEST_HOOKS": "1"}
SHOTS = ARTIFACTS / "screens"
HTTP_TIMEOUT = 10
ROOT = Path(__file__).resolve().parents[2]
DEMO_CENTRE = ROOT / "queue_server" / "demo_centre.toml"

# What Chromium itself logs while a server is down or answers an action with 4xx;
# a test that provokes these on purpose allows them, nothing else is allowed.
NET_DOWN = [
    r"Failed to load resource: net::ERR_CONNECTION_REFUSED",
    r"Failed to load resource: net::ERR_INTERNET_DISCONNECTED",
    r"WebSocket connection to '.*' failed",
]
HTTP_4XX = [r"Failed to load resource: the server responded with a status of 4\d\d"]

expect.set_options(timeout=10_000)

# Installed in every page before its own scripts: a log of body[data-conn]
# changes and of the lobby's `motcua:call` events (what the loudspeaker hears).
INIT_SCRIPT = """
window.__connLog = [];
window.__calls = [];
window.addEventListener("motcua:call", (e) => window.__calls.push(e.detail));
new MutationObserver(() => {
  const s = document.body && document.body.dataset.conn;
  if (s && window.__connLog[window.__connLog.length - 1] !== s) window.__connLog.push(s);
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-conn"] });
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective);
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
});
"""
CSP_SCRIPTS = "script-src 'self'"


# ---- the centre: a server process and the tokens to drive it -----------------------------


class Centre:
    """A running server with kiosk tokens (issuing) and an admin token (any counter)."""

    def __init__(self, server: ServerProcess, kiosks: int = 1) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        # A kiosk may only take so many tickets a minute: a busy hall has several.
        self.kiosks = [server.token("kiosk") for _ in range(kiosks)]
        self.issued = 0
        self.admin = server.token("admin")

    def issue(self, service: str = "HT", priority: bool = False) -> dict[str, Any]:
        """A ticket from the next kiosk."""
        kiosk = self.kiosks[self.issued % len(self.kiosks)]
        self.issued += 1
        return self.post("/tickets", kiosk, {"service": service, "priority": priority})["ticket"]

    def act(self, counter: int, action: str, payload: dict[str, Any] | None = None) -> Any:
        """POST /counters/<n>/<action> with the admin token; the TICKET (or counter)."""
        data = self.post(f"/counters/{counter}/{action}", self.admin, payload)
        return data.get("ticket", data.get("counter"))

    def post(self, path: str, token: str | None, payload: dict[str, Any] | None = None) -> Any:
        """A POST that must succeed."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.post(
            f"{self.url}{API}{path}", json=payload, headers=headers, timeout=HTTP_TIMEOUT
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    def queue(self) -> dict[str, Any]:
        """GET /queue: the SNAPSHOT a freshly loaded display would get."""
        r = self.http.get(f"{self.url}{API}/queue", timeout=HTTP_TIMEOUT)
        assert r.ok, r.text
        return r.json()  # type: ignore[no-any-return]

    def console_url(self, counter: int) -> str:
        """The clerk console, signed in with a fresh clerk token through ?token=."""
        return f"{self.url}/counter/{counter}?token={self.server.token('clerk', counter)}"


@pytest.fixture
def centre(server_factory: Callable[..., ServerProcess]) -> Centre:
    """The test centre (4 counters) on a real server with the test hooks on."""
    return Centre(server_factory(env=HOOKS).start())


# ---- pages -------------------------------------------------------------------------------


class Screens:
    """Pages in one browser context; collects console errors and page errors of all of them."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(
            viewport={"width": 1920, "height": 1080}, locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )  # fmt: skip
        self.context.add_init_script(INIT_SCRIPT)
        self.problems: list[str] = []
        self.allowed: list[str] = []

    def allow(self, *patterns: str) -> None:
        """Console errors matching these regular expressions are expected in this test."""
        self.allowed.extend(patterns)

    def open(self, url: str, ready: str = "body[data-seq]", **viewport: int) -> Page:
        """Open a page and wait until it is ready (for displays: the snapshot arrived)."""
        page = self.context.new_page()
        name = re.sub(r"\?token=[^&]+", "", url.split("/", 3)[-1])

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                self.problems.append(f"/{name}: console error: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda err: self.problems.append(f"/{name}: page error: {err}"))
        if viewport:
            page.set_viewport_size({"width": viewport["width"], "height": viewport["height"]})
        response = page.goto(url)
        assert response is not None
        assert CSP_SCRIPTS in response.headers.get("content-security-policy", ""), url
        page.wait_for_selector(ready, state="attached")
        return page

    def unexpected(self) -> list[str]:
        """Problems no allowed pattern explains."""
        return [p for p in self.problems if not any(re.search(a, p) for a in self.allowed)]


@pytest.fixture
def screens(browser: Any) -> Iterator[Screens]:
    """A fresh browser context; the test fails on console or page errors it did not allow."""
    s = Screens(browser)
    yield s
    s.context.close()
    assert s.unexpected() == [], "errors in the browser console"


def tile(page: Page, counter: int) -> Any:
    """The number a lobby tile shows."""
    return page.locator(f'#tiles .tile[data-counter="{counter}"] .cnum')


def waiting_count(page: Page, service: str) -> Any:
    """The waiting count of a field on the lobby."""
    return page.locator(f'#waiting li[data-service="{service}"] .wcount')


def recent_status(page: Page, ticket: dict[str, Any]) -> Any:
    """The status a ticket has in the lobby's recent calls (the lobby knows its number only)."""
    return page.locator(f'#recent li[data-ticket="{ticket["number"]}"] .rst')


def idle(console: Page) -> None:
    """Wait until the console's action has its answer (it ignores keys while one is running)."""
    console.wait_for_function("() => !window.motcuaConsole.state.busy")


def js(page: Page, expression: str) -> Any:
    """Evaluate an expression in the page."""
    return page.evaluate(f"() => ({expression})")


def lobby_stats(page: Page) -> dict[str, int]:
    """LiveQueue's counters (events, gaps, resyncs, snapshots, reconnects)."""
    return js(page, "{...window.motcuaLobby.live.stats}")  # type: ignore[no-any-return]


def lobby_text(page: Page) -> dict[str, Any]:
    """What the lobby shows, as text, to compare a recovered page with a fresh one."""
    return js(  # type: ignore[no-any-return]
        page,
        """{
        now: [...document.querySelectorAll('#now-number, #now-counter, #now-field')]
          .map((n) => n.textContent),
        tiles: [...document.querySelectorAll('#tiles .tile')].map((n) => n.innerText),
        recent: [...document.querySelectorAll('#recent li')].map((n) => n.innerText).sort(),
        waiting: [...document.querySelectorAll('#waiting li')].map((n) => n.innerText),
    }""",
    )


def contrast(page: Page, selector: str) -> float:
    """WCAG contrast ratio of an element's text against the background it is drawn on."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(sel) => {
        const rgb = (s) => s.match(/[\\d.]+/g).map(Number);
        const lum = ([r, g, b]) => {
          const f = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92
            : ((c / 255 + 0.055) / 1.055) ** 2.4);
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const node = document.querySelector(sel);
        let bg = null;
        for (let n = node; n && !bg; n = n.parentElement) {
          const c = rgb(getComputedStyle(n).backgroundColor);
          if (c.length < 4 || c[3] > 0) bg = c;
        }
        const [a, b] = [lum(rgb(getComputedStyle(node).color)), lum(bg || [255, 255, 255])];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }""",
        selector,
    )


def settle(page: Page) -> None:
    """Fonts loaded, the flash finished, and the notice marquee parked where it reads."""
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_function(
        """() => document.getAnimations().every((a) => a.playState !== 'running'
               || a.effect.getComputedTiming().iterations === Infinity)""",
        timeout=10_000,
    )
    page.evaluate(
        """() => {
        const span = document.getElementById('notice');
        for (const a of document.getAnimations()) {
          if (a.animationName !== 'scroll' || !span) continue;
          const box = span.parentElement.clientWidth;
          const f = Math.max(0, box - 24) / span.offsetWidth;  // text starts near the left edge
          a.pause();
          a.currentTime = a.effect.getComputedTiming().duration * f;
        }
    }"""
    )


def shoot(page: Page, name: str) -> Path:
    """Save a screenshot under artifacts/screens/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# ---- clerk actions reach the lobby and the counter display ---------------------------------


def test_call_next_by_click_and_by_keyboard(centre: Centre, screens: Screens) -> None:
    """'Gọi số tiếp theo' (click, then Enter) shows the number at that counter everywhere."""
    first, second, third = (centre.issue("HT") for _ in range(3))
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    expect(display.locator("#cd-number")).to_have_text("Chưa mở")  # the first call opens it
    expect(waiting_count(lobby, "HT")).to_have_text("3")

    console.get_by_role("button", name="Gọi số tiếp theo").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã gọi số {first['number']}.")
    expect(lobby.locator("#now-number")).to_have_text(first["number"])
    expect(lobby.locator("#now-counter")).to_have_text("Quầy số 01")
    expect(lobby.locator("#now-field")).to_have_text("Hộ tịch")
    expect(tile(lobby, 1)).to_have_text(first["number"])
    expect(recent_status(lobby, first)).to_have_text("Đang mời")
    expect(waiting_count(lobby, "HT")).to_have_text("2")
    expect(display.locator("#cd-number")).to_have_text(first["number"])
    expect(display.locator("#cd-field")).to_have_text("Hộ tịch")
    expect(console.locator("#cur-number")).to_have_text(first["number"])

    # The keyboard: focus is still on the clicked button, yet Enter must call once, not twice.
    console.keyboard.press("0")  # "Bắt đầu phục vụ": the citizen came, so no question
    idle(console)
    console.keyboard.press("Enter")
    idle(console)
    expect(lobby.locator("#now-number")).to_have_text(second["number"])
    expect(tile(lobby, 1)).to_have_text(second["number"])
    expect(display.locator("#cd-number")).to_have_text(second["number"])
    expect(recent_status(lobby, first)).to_have_text("Đã phục vụ")
    expect(waiting_count(lobby, "HT")).to_have_text("1")
    # A USB numeric keypad sends its own Enter (and its own 0).
    console.keyboard.press("Numpad0")
    idle(console)
    console.keyboard.press("NumpadEnter")
    idle(console)
    expect(tile(lobby, 1)).to_have_text(third["number"])
    expect(display.locator("#cd-number")).to_have_text(third["number"])
    expect(waiting_count(lobby, "HT")).to_have_text("0")
    calls = js(lobby, "window.__calls.map((d) => d.ticket.number)")
    assert calls == [first["number"], second["number"], third["number"]]
    assert centre.queue()["waiting"]["HT"] == 0


def test_recall_complete_and_no_show(centre: Centre, screens: Screens) -> None:
    """Recall announces again; complete and no-show mark the recent list."""
    first, second = centre.issue("CT"), centre.issue("CT")
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/2", width=1280, height=720)
    console = screens.open(centre.console_url(2), ready="body[data-ready]")
    console.locator("#btn-next").click()
    idle(console)
    expect(tile(lobby, 2)).to_have_text(first["number"])

    console.get_by_role("button", name=re.compile(r"^Gọi lại \+$")).click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã gọi lại số {first['number']}.")
    lobby.wait_for_function("() => window.__calls.length === 2")
    assert js(lobby, "window.__calls[1].recall") is True
    assert js(lobby, "window.__calls[1].ticket.number") == first["number"]
    expect(lobby.locator("#now-number")).to_have_text(first["number"])
    expect(lobby.locator("#now-counter")).to_have_text("Quầy số 02")
    expect(lobby.locator("#recent li").first).to_have_attribute("data-ticket", first["number"])
    expect(recent_status(lobby, first)).to_have_text("Đang mời")
    expect(display.locator("#cd-number")).to_have_text(first["number"])
    # The keypad's "+" recalls too.
    console.keyboard.press("NumpadAdd")
    idle(console)
    lobby.wait_for_function("() => window.__calls.length === 3")

    console.keyboard.press("NumpadMultiply")  # "*": complete
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã hoàn thành số {first['number']}.")
    expect(recent_status(lobby, first)).to_have_text("Đã phục vụ")
    expect(recent_status(lobby, first)).to_have_class(re.compile(r"\bst-done\b"))
    expect(tile(lobby, 2)).to_have_text("—")
    expect(display.locator("#cd-number")).to_have_text("—")
    # The big panel no longer invites a citizen who has been served.
    expect(lobby.locator("#now-number")).to_have_text("—")
    expect(lobby.locator("#now-caption")).to_have_text("")

    console.keyboard.press("Enter")
    idle(console)
    expect(tile(lobby, 2)).to_have_text(second["number"])
    console.get_by_role("button", name="Không có mặt").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Số {second['number']}: không có mặt.")
    expect(recent_status(lobby, second)).to_have_text("Không có mặt")
    expect(recent_status(lobby, second)).to_have_class(re.compile(r"\bst-no_show\b"))
    expect(tile(lobby, 2)).to_have_text("—")
    expect(display.locator("#cd-number")).to_have_text("—")
    expect(console.locator("#cur-number")).to_have_text("—")
    expect(console.locator("#stat-served")).to_have_text("1")
    expect(console.locator("#stat-noshow")).to_have_text("1")
    # The running page shows what a freshly loaded one shows.
    expect(lobby.locator("#now-number")).to_have_text("—")
    fresh = screens.open(f"{centre.url}/display")
    assert lobby_text(lobby) == lobby_text(fresh)


def test_transfer_moves_the_ticket_to_the_target_field(centre: Centre, screens: Screens) -> None:
    """'Chuyển lĩnh vực': the ticket leaves the counter and waits in the target field."""
    ticket = centre.issue("HT")
    centre.issue("DD")
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    console.locator("#btn-next").click()
    idle(console)
    expect(tile(lobby, 1)).to_have_text(ticket["number"])
    expect(display.locator("#cd-number")).to_have_text(ticket["number"])
    expect(waiting_count(lobby, "DD")).to_have_text("1")

    console.locator("#btn-transfer").click()
    expect(console.locator("#transfer-panel")).to_be_visible()
    console.locator("#transfer-select").select_option("DD")
    console.locator("#transfer-go").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã chuyển số {ticket['number']} sang Đất đai.")
    expect(console.locator("#transfer-panel")).to_be_hidden()
    expect(waiting_count(lobby, "DD")).to_have_text("2")
    expect(waiting_count(lobby, "HT")).to_have_text("0")
    expect(tile(lobby, 1)).to_have_text("—")
    expect(display.locator("#cd-number")).to_have_text("—")
    expect(console.locator("#cur-number")).to_have_text("—")
    assert centre.queue()["waiting"]["DD"] == 2

    # Counter 3 serves Đất đai: the transferred ticket keeps its place (its issue time).
    called = centre.act(3, "call-next")
    assert called["number"] == ticket["number"]
    expect(tile(lobby, 3)).to_have_text(ticket["number"])
    expect(waiting_count(lobby, "DD")).to_have_text("1")


def test_pause_shows_on_the_counter_display(centre: Centre, screens: Screens) -> None:
    """'Tạm dừng' on the counter display, the lobby tile and the console; P toggles it back."""
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    console.get_by_role("button", name="Mở quầy").click()  # a counter not opened has no break
    idle(console)
    console.get_by_role("button", name="Tạm dừng").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text("Quầy đã tạm dừng.")
    expect(display.locator("body")).to_have_class(re.compile(r"\bpaused\b"))
    expect(display.locator("#cd-number")).to_have_text("Tạm dừng")
    expect(lobby.locator('#tiles .tile[data-counter="1"] .cstate')).to_have_text("Tạm dừng")
    expect(console.locator("#state")).to_have_text("Quầy tạm dừng")
    expect(console.locator("#pause-label")).to_have_text("Tiếp tục")
    expect(console.locator("#btn-next")).to_be_disabled()
    shoot(display, "counter-display-paused-1280x720")

    console.keyboard.press("p")
    idle(console)
    expect(console.locator("#toast")).to_have_text("Quầy đã tiếp tục phục vụ.")
    expect(display.locator("body")).not_to_have_class(re.compile(r"\bpaused\b"))
    expect(display.locator("#cd-number")).to_have_text("—")
    expect(lobby.locator('#tiles .tile[data-counter="1"] .cstate')).to_have_text("")
    expect(console.locator("#btn-next")).to_be_enabled()


def test_console_errors_are_clear_vietnamese(centre: Centre, screens: Screens) -> None:
    """Nobody waiting, a number taken by another counter, a recall with nothing to recall."""
    screens.allow(*HTTP_4XX)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    toast = console.locator("#toast")
    console.locator("#btn-next").click()
    idle(console)
    expect(toast).to_have_text("Không có công dân nào đang chờ.")
    expect(console.locator("#cur-number")).to_have_text("—")

    # Another counter took the number first: "call a specific number" says so.
    taken = centre.issue("HT")
    assert centre.act(2, "call-next")["number"] == taken["number"]
    console.keyboard.press(".")
    expect(console.locator("#specific-panel")).to_be_visible()
    expect(console.locator("#specific-input")).to_be_focused()
    console.locator("#specific-input").fill(taken["number"])
    console.keyboard.press("Enter")
    idle(console)
    expect(toast).to_have_text(f"Số {taken['number']} đang được Quầy số 2 phục vụ.")
    expect(toast).to_have_class(re.compile(r"\berr\b"))
    console.keyboard.press("Escape")
    expect(console.locator("#specific-panel")).to_be_hidden()

    # An unknown number.
    console.locator("#btn-specific").click()
    console.locator("#specific-input").fill("A9999")
    console.locator("#specific-go").click()
    idle(console)
    expect(toast).to_have_text("Không có số A9999 trong ngày hôm nay.")

    # Recall with nothing to recall: the console missed the completion (event dropped on
    # purpose), so it still offers "Gọi lại"; the server refuses in Vietnamese.
    mine = centre.issue("HT")
    console.keyboard.press("Escape")
    console.locator("#btn-next").click()
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(mine["number"])
    centre.post("/_test/drop-next-event", None)
    centre.act(1, "complete")
    expect(console.locator("#btn-recall")).to_be_enabled()
    console.keyboard.press("+")
    idle(console)
    expect(toast).to_have_text("Quầy số 1 chưa gọi số nào.")
    expect(toast).to_have_class(re.compile(r"\berr\b"))
    # ...and the console does not stay stale: the error makes it fetch the real state.
    expect(console.locator("#cur-number")).to_have_text("—")
    expect(console.locator("#btn-recall")).to_be_disabled()


# ---- a display never misses a call ---------------------------------------------------------


def test_lobby_recovers_after_server_disconnect_and_restart(
    server_factory: Callable[..., ServerProcess], screens: Screens, tmp_path: Path
) -> None:
    """`io server disconnect`, then a full restart: no reload, the calls made meanwhile shown."""
    screens.allow(*NET_DOWN)
    data_dir, port = tmp_path / "data", free_port()
    centre = Centre(server_factory(env=HOOKS, data_dir=data_dir, port=port).start())
    tickets = [centre.issue("HT") for _ in range(4)] + [centre.issue("DD") for _ in range(2)]
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/2", width=1280, height=720)
    js(lobby, "window.__sameDocument = true")
    centre.act(1, "call-next")
    expect(tile(lobby, 1)).to_have_text(tickets[0]["number"])
    expect(lobby.locator("body")).to_have_attribute("data-conn", "online")

    # 1. The server closes every display connection; calls are made right away. The lobby's
    # main thread is kept busy for 3 s meanwhile (a slow TV box), so it reads the disconnect
    # only after the calls and cannot have connected again before them, however loaded
    # this machine is.
    before = lobby_stats(lobby)
    lobby.evaluate(
        "() => { setTimeout(() => { const end = performance.now() + 3000;"
        " while (performance.now() < end); }, 0); }"
    )
    disconnected = centre.post("/_test/disconnect-displays", None)["disconnected"]
    assert disconnected >= 2
    centre.act(2, "call-next")
    centre.act(1, "call-next")
    expect(tile(lobby, 1)).to_have_text(tickets[2]["number"])
    expect(tile(lobby, 2)).to_have_text(tickets[1]["number"])
    expect(lobby.locator("#now-number")).to_have_text(tickets[2]["number"])
    expect(display.locator("#cd-number")).to_have_text(tickets[1]["number"])
    expect(lobby.locator("body")).to_have_attribute("data-conn", "online")
    assert "offline" in js(lobby, "window.__connLog")
    after = lobby_stats(lobby)
    assert after["reconnects"] > before["reconnects"]
    # Those calls reached the page through the snapshot on reconnection, not as live events.
    assert after["snapshots"] > before["snapshots"] and after["events"] == before["events"]
    assert js(lobby, "window.__sameDocument") is True

    # 2. A full restart on the same data dir and port.
    centre.server.stop()
    expect(lobby.locator("body")).to_have_attribute("data-conn", "offline")
    expect(lobby.locator("#conn")).to_have_text("Mất kết nối")
    expect(lobby.locator("#conn")).to_be_visible()
    expect(display.locator("#conn")).to_have_text("Mất kết nối")
    # Readable from the back of the hall: not red on the red header.
    assert contrast(lobby, "#conn") >= 4.5
    assert contrast(display, "#conn") >= 4.5
    shoot(lobby, "lobby-offline-1920x1080")
    epoch = js(lobby, "document.body.dataset.epoch")
    # Keep the pages off the network until the calls are made, so they are certainly
    # made while the pages are disconnected (reconnection otherwise races the calls).
    screens.context.set_offline(True)
    restarted = server_factory(env=HOOKS, data_dir=data_dir, port=port).start()
    centre.server, centre.http = restarted, requests.Session()
    no_show = centre.act(1, "no-show")
    called = [centre.act(2, "call-next"), centre.act(3, "call-next")]
    assert [t["number"] for t in called] == [tickets[3]["number"], tickets[4]["number"]]
    expect(lobby.locator("body")).to_have_attribute("data-conn", "offline")
    screens.context.set_offline(False)

    expect(lobby.locator("body")).to_have_attribute("data-conn", "online", timeout=20_000)
    expect(lobby.locator("#conn")).to_have_text("Đã kết nối")
    expect(tile(lobby, 1)).to_have_text("—")
    expect(tile(lobby, 2)).to_have_text(tickets[3]["number"])
    expect(tile(lobby, 3)).to_have_text(tickets[4]["number"])
    expect(recent_status(lobby, no_show)).to_have_text("Không có mặt")
    expect(recent_status(lobby, tickets[1])).to_have_text("Đã phục vụ")
    expect(waiting_count(lobby, "DD")).to_have_text("1")
    expect(waiting_count(lobby, "HT")).to_have_text("0")
    expect(display.locator("#cd-number")).to_have_text(tickets[3]["number"])
    assert js(lobby, "document.body.dataset.epoch") != epoch  # a new process, a new epoch
    assert js(lobby, "window.__sameDocument") is True
    assert js(lobby, "window.__connLog").count("offline") >= 2
    # A display left running must not pile up listeners over reconnections.
    assert js(lobby, "window.motcuaLobby.live.socket.listeners('ticket.called').length") == 1

    # Live events flow again in the new epoch, without a gap.
    gaps = lobby_stats(lobby)["gaps"]
    centre.act(3, "call-next")
    expect(tile(lobby, 3)).to_have_text(tickets[5]["number"])
    expect(lobby.locator("#now-number")).to_have_text(tickets[5]["number"])
    assert lobby_stats(lobby)["gaps"] == gaps
    assert js(lobby, "Number(document.body.dataset.seq)") == centre.queue()["seq"]

    # What the recovered page shows is what a freshly loaded page shows.
    fresh = screens.open(f"{centre.url}/display")
    assert lobby_text(lobby) == lobby_text(fresh)


def test_dropped_event_is_detected_by_the_seq_gap(centre: Centre, screens: Screens) -> None:
    """The test hook loses one event; the next one shows a gap and a resync repairs the page."""
    tickets = [centre.issue("HT") for _ in range(3)]
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/2", width=1280, height=720)
    centre.act(1, "call-next")
    expect(tile(lobby, 1)).to_have_text(tickets[0]["number"])
    assert lobby_stats(lobby)["gaps"] == 0

    centre.post("/_test/drop-next-event", None)
    centre.act(2, "call-next")  # its ticket.called is lost
    centre.act(1, "call-next")  # ticket.completed + ticket.called: seq jumps
    lobby.wait_for_function(
        "() => window.motcuaLobby.live.stats.gaps >= 1"
        " && window.motcuaLobby.live.stats.resyncs >= 1"
    )
    expect(tile(lobby, 2)).to_have_text(tickets[1]["number"])
    expect(tile(lobby, 1)).to_have_text(tickets[2]["number"])
    expect(lobby.locator("#now-number")).to_have_text(tickets[2]["number"])
    expect(recent_status(lobby, tickets[0])).to_have_text("Đã phục vụ")
    expect(waiting_count(lobby, "HT")).to_have_text("0")
    expect(display.locator("#cd-number")).to_have_text(tickets[1]["number"])
    seq = centre.queue()["seq"]
    expect(lobby.locator("body")).to_have_attribute("data-seq", str(seq))
    expect(display.locator("body")).to_have_attribute("data-seq", str(seq))


def test_live_client_keeps_events_that_race_a_resync(centre: Centre, screens: Screens) -> None:
    """LiveQueue alone, on a fake socket: events that arrive while a `sync` is in flight.

    The server answers `sync` with a snapshot taken at some moment; an event emitted just
    after that moment can reach the client before the answer. The client must apply it
    after the snapshot, and must not let an older snapshot undo newer state.
    """
    page = screens.open(f"{centre.url}/api/v1/health", ready="body")
    result = page.evaluate(
        """async () => {
        const handlers = {}; let pendingAck = null;
        const socket = {
          connected: true, io: { on() {} },
          on(name, fn) { handlers[name] = fn; },
          timeout() { return { emit: (name, data, ack) => { pendingAck = ack; } }; },
          connect() {},
        };
        window.io = () => socket;
        const { LiveQueue } = await import('/static/displays/js/live.js');
        const applied = []; const snaps = [];
        const live = new LiveQueue({
          onSnapshot: (s) => snaps.push(s.seq), onEvent: (n, p) => applied.push(p.seq),
        });
        live.start();
        const ev = (seq, epoch = 'e1') => handlers['ticket.called']({ epoch, seq });
        handlers.snapshot({ epoch: 'e1', seq: 10, counters: [] });
        ev(11);
        ev(13);            // 12 was lost: gap, sync in flight
        ev(14);            // arrives before the sync answer
        pendingAck(null, { epoch: 'e1', seq: 13, counters: [] });  // snapshot taken at 13
        const afterRace = live.seq;
        ev(15);
        // An older snapshot (a slow poll answer) must not roll the state back.
        live.applySnapshot({ epoch: 'e1', seq: 12, counters: [] });
        return { applied, snaps, afterRace, seq: live.seq, stats: live.stats };
    }"""
    )
    assert result["afterRace"] == 14, result
    assert result["applied"] == [11, 14, 15], result
    assert result["snaps"] == [10, 13], result
    assert result["seq"] == 15, result
    assert result["stats"]["gaps"] == 1 and result["stats"]["resyncs"] == 1, result


# ---- configuration text is text -------------------------------------------------------------

EVIL_FIELD = '<b>Hộ tịch</b><img src=x onerror="window.__xss=1">'
EVIL_NOTICE = "<i>Thông báo</i><script>window.__xss=2</script>"


def test_html_in_a_field_name_is_shown_as_text(
    server_factory: Callable[..., ServerProcess], screens: Screens
) -> None:
    """A field named with HTML reads literally on the lobby, counter display and console."""
    toml = centre_text().replace('name = "Hộ tịch"', f"name = '{EVIL_FIELD}'")
    toml = toml.replace('hours = "always"', f"hours = \"always\"\nnotice = '{EVIL_NOTICE}'", 1)
    assert EVIL_FIELD in toml and EVIL_NOTICE in toml
    centre = Centre(server_factory(env=HOOKS, centre=toml).start())
    ticket, _ = centre.issue("HT"), centre.issue("HT")
    other = centre.issue("CT")
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    expect(lobby.locator('#waiting li[data-service="HT"] .wname')).to_have_text(EVIL_FIELD)
    expect(lobby.locator("#notice")).to_have_text(EVIL_NOTICE)
    expect(console.locator('#transfer-select option[value="HT"]')).to_have_text(EVIL_FIELD)

    console.locator("#btn-next").click()
    idle(console)
    expect(lobby.locator("#now-number")).to_have_text(ticket["number"])
    expect(lobby.locator("#now-field")).to_have_text(EVIL_FIELD)
    expect(lobby.locator('#tiles .tile[data-counter="1"] .cstate')).to_have_text(EVIL_FIELD)
    expect(display.locator("#cd-field")).to_have_text(EVIL_FIELD)
    expect(console.locator("#cur-field")).to_have_text(EVIL_FIELD)
    expect(console.locator("#waiting-list .wsvc").first).to_have_text(EVIL_FIELD)

    # Transfer a Chứng thực ticket into the field: the toast names it, as text.
    console.locator("#btn-complete").click()
    idle(console)
    console.locator("#btn-specific").click()
    console.locator("#specific-input").fill(other["number"])
    console.locator("#specific-go").click()
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(other["number"])
    console.locator("#btn-transfer").click()
    console.locator("#transfer-select").select_option("HT")
    console.locator("#transfer-go").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(
        f"Đã chuyển số {other['number']} sang {EVIL_FIELD}."
    )
    for page in (lobby, display, console):
        assert js(page, "document.querySelectorAll('img, script:not([src])').length") == 0
        assert js(page, "window.__xss") is None


# ---- the Content-Security-Policy -------------------------------------------------------------


def test_every_page_runs_under_the_csp(centre: Centre, screens: Screens) -> None:
    """Each page works with no CSP violation (any would be a console error); an inline
    script is refused; the HTML slip may be framed by our pages, the console may not."""
    ticket = centre.issue("HT")
    pages = [
        ("/", "body"),
        ("/display", "body[data-seq]"),
        ("/display?lang=en", "body[data-seq]"),
        ("/display/counter/1", "body[data-seq]"),
        (f"/t/{ticket['id']}", "body[data-status]"),
        (f"/t/{ticket['id']}/slip", "body[data-ready]"),
        (f"/kiosk?token={centre.kiosks[0]}", "body[data-ready]"),
    ]
    for path, ready in pages:
        page = screens.open(f"{centre.url}{path}", ready=ready)
        assert js(page, "window.__csp") == [], path
        page.close()
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    assert js(console, "window.__csp") == []

    # The policy is really enforced: an injected inline script does not run.
    screens.allow(r"inline script violates|Refused to execute inline script", r"script-src-elem")
    lobby = screens.open(f"{centre.url}/display")
    js(lobby, "document.body.append(Object.assign(document.createElement('script'), "
              "{ textContent: 'window.__inline = 1' })), null")  # fmt: skip
    lobby.wait_for_function("() => window.__csp.length > 0")
    assert js(lobby, "window.__inline") is None
    assert js(lobby, "window.__csp") == ["script-src-elem"]

    # Framing: the kiosk prints the slip from an iframe; nobody may frame the console.
    screens.allow(r"Refused to (display|frame)", r"frame-ancestors")
    frames = """(src) => new Promise((done) => {
      const f = Object.assign(document.createElement('iframe'), { src });
      f.onload = () => { let d = null; try { d = f.contentDocument; } catch (_) {}
        done(d && d.body ? d.body.dataset.ready || 'shown' : 'blocked'); };
      document.body.append(f); })"""
    kiosk = screens.open(f"{centre.url}/kiosk?token={centre.kiosks[0]}", ready="body[data-ready]")
    assert kiosk.evaluate(frames, f"/t/{ticket['id']}/slip") == "1"
    assert kiosk.evaluate(frames, "/counter/1") == "blocked"


# ---- the lobby's URL filters ------------------------------------------------------------------


def test_lobby_url_filters(centre: Centre, screens: Screens) -> None:
    """?counters=1,2 shows only those tiles and their calls; ?services=DD only Đất đai."""
    ht, dd = centre.issue("HT"), centre.issue("DD")
    centre.issue("DD")
    hall = screens.open(f"{centre.url}/display?counters=1,2")
    land = screens.open(f"{centre.url}/display?services=DD")
    expect(hall.locator("#tiles .tile")).to_have_count(2)
    assert js(
        hall, "[...document.querySelectorAll('#tiles .tile')].map((t) => t.dataset.counter)"
    ) == [
        "1",
        "2",
    ]
    expect(hall.locator("#waiting li")).to_have_count(5)
    expect(land.locator("#waiting li")).to_have_count(1)
    expect(waiting_count(land, "DD")).to_have_text("2")
    # Counters that serve Đất đai: 3 and 4.
    assert js(
        land, "[...document.querySelectorAll('#tiles .tile')].map((t) => t.dataset.counter)"
    ) == [
        "3",
        "4",
    ]

    centre.act(1, "call-next")
    expect(tile(hall, 1)).to_have_text(ht["number"])
    expect(hall.locator("#now-number")).to_have_text(ht["number"])
    centre.act(3, "call-next")
    expect(tile(land, 3)).to_have_text(dd["number"])
    expect(land.locator("#now-number")).to_have_text(dd["number"])
    expect(waiting_count(land, "DD")).to_have_text("1")
    # Each hall's big panel keeps its own call; the other hall's call is not listed.
    expect(hall.locator("#now-number")).to_have_text(ht["number"])
    expect(hall.locator(f'#recent li[data-ticket="{dd["number"]}"]')).to_have_count(0)
    expect(land.locator(f'#recent li[data-ticket="{ht["number"]}"]')).to_have_count(0)
    assert js(land, "window.__calls.length") == 1


# ---- screenshots -----------------------------------------------------------------------------


def busy_demo_centre(centre: Centre) -> None:
    """The demo centre mid-morning: most counters serving, one paused, people waiting."""
    plan = {"HT": 9, "CT": 5, "DD": 6, "KD": 3, "XD": 3, "LD": 3, "GT": 2, "TP": 2, "KQ": 4}
    for service, count in plan.items():
        for i in range(count):
            centre.issue(service, priority=(i == 2))
    for counter in (1, 2, 3, 4, 5, 6, 7, 9, 10, 11):
        centre.act(counter, "call-next")
    centre.act(2, "call-next")  # completes the first, calls another
    centre.act(4, "no-show")
    centre.act(4, "call-next")
    centre.act(6, "call-next")
    centre.act(8, "pause")
    centre.act(1, "call-next")  # the newest call, on the big panel
    centre.issue("HT", priority=True)  # waiting with a priority mark on the console
    centre.issue("CT", priority=True)


def test_screenshots(server_factory: Callable[..., ServerProcess], screens: Screens) -> None:
    """Lobby at 1920x1080, 3840x2160, portrait 1080x1920 and in English; counter display;
    clerk console. All in artifacts/screens/."""
    demo = DEMO_CENTRE.read_text("utf-8")
    # Each call takes the panel at once: the announcement queue is test_lobby_panel's.
    demo = demo.replace('hours = "always"\n', 'hours = "always"\nannounce_slot_seconds = 0\n', 1)
    centre = Centre(server_factory(env=HOOKS, centre=demo).start(), kiosks=3)
    busy_demo_centre(centre)
    newest = centre.queue()["recent"][0]["number"]
    problems: list[str] = []

    for name, width, height, query in [
        ("lobby-1920x1080", 1920, 1080, ""),
        ("lobby-3840x2160", 3840, 2160, ""),
        ("lobby-portrait-1080x1920", 1080, 1920, ""),
        ("lobby-en-1920x1080", 1920, 1080, "?lang=en"),
    ]:
        page = screens.open(f"{centre.url}/display{query}", width=width, height=height)
        expect(page.locator("#now-number")).to_have_text(newest)
        expect(page.locator("#tiles .tile")).to_have_count(12)
        expect(page.locator("#now-field")).to_have_text("Civil status" if query else "Hộ tịch")
        shoot(page, name)
        problems.extend(f"{name}: {p}" for p in overflowing(page, LOBBY_PANELS))
        page.close()

    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    expect(display.locator("#cd-number")).to_have_text(newest)
    shoot(display, "counter-display-1280x720")
    portrait = screens.open(f"{centre.url}/display/counter/3", width=720, height=1280)
    expect(portrait.locator("#cd-number")).not_to_have_text("—")
    shoot(portrait, "counter-display-portrait-720x1280")
    english = screens.open(f"{centre.url}/display/counter/1?lang=en", width=1280, height=720)
    expect(english.locator("#cd-label")).to_have_text("Now serving")
    expect(english.locator("#cd-field")).to_have_text("Civil status")
    for page in (display, portrait, english):
        problems.extend(overflowing(page, "body"))

    console = screens.open(centre.console_url(1), ready="body[data-ready]", width=1440, height=900)
    expect(console.locator("#cur-number")).to_have_text(newest)
    expect(console.locator("#waiting-list .wprio").first).to_have_text("★ Ưu tiên")
    console.locator("#btn-recall").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã gọi lại số {newest}.")
    console.locator("#btn-transfer").click()
    expect(console.locator("#transfer-panel")).to_be_visible()
    shoot(console, "console-1440x900")
    console.set_viewport_size({"width": 1280, "height": 720})
    shoot(console, "console-1280x720")
    assert problems == [], "text cut off or spilling out of its panel"


LOBBY_PANELS = "#now, .counters, .recent, .waiting, .top"


def overflowing(page: Page, selector: str) -> list[str]:
    """Text cut off by, or spilling out of, these panels (ellipsis on long names is allowed)."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(sel) => {
        const bad = [];
        for (const box of document.querySelectorAll(sel)) {
          const r = box.getBoundingClientRect();
          for (const n of box.querySelectorAll('*')) {
            if (!n.textContent.trim() || n.children.length || !n.checkVisibility()) continue;
            const c = n.getBoundingClientRect();
            const style = getComputedStyle(n);
            if (style.textOverflow === 'ellipsis') continue;
            if (c.right > r.right + 1 || c.bottom > r.bottom + 1 || c.left < r.left - 1)
              bad.push(`${box.className}: ${n.className || n.tagName} "${n.textContent.trim()}"`);
          }
        }
        return bad;
    }""",
        selector,
    )
