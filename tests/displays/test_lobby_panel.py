"""The lobby's main panel in a real browser: it follows the announcement queue, welcomes the
hall before the first call, shows full counter names, and every text stays readable.

Real `motcua run` processes and Debian's Chromium, as in test_screens (its fixtures and
helpers are reused). Each test starts the centre it needs: announcement slots of a few
seconds (`announce_slot_seconds`) so the queue is visible and the test still runs fast;
it waits on conditions, never on fixed sleeps. Screenshots go to artifacts/screens/.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SLOTS_AT_ONCE, ServerProcess, centre_text
from tests.displays.contrast import assert_readable
from tests.displays.test_screens import (
    DEMO_CENTRE,
    HOOKS,
    Centre,
    Screens,
    settle,
    shoot,
)

pytestmark = pytest.mark.server

SLOT_S = 4.0
NOTICE = "Công dân vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!"
SKEW_MS = 90_000  # the second lobby's clock runs a minute and a half fast

# Logs each change of the panel (what number it shows, from when, on this page's clock).
PANEL_LOG = """
window.__panel = [];
document.addEventListener("DOMContentLoaded", () => {
  const num = document.getElementById("now-number");
  const log = () => {
    const shown = document.getElementById("now-call").hidden ? "" : num.textContent;
    const last = window.__panel[window.__panel.length - 1];
    if (!last || last.number !== shown) window.__panel.push({ number: shown, at: Date.now() });
  };
  new MutationObserver(log).observe(document.getElementById("now"),
    { subtree: true, childList: true, characterData: true, attributes: true });
});
"""
# A TV box whose clock is off: Date.now() (what the page keeps time with) runs ahead.
SKEWED = f"""
(() => {{
  const real = Date.now.bind(Date);
  Date.now = () => real() + {SKEW_MS};
}})();
"""


@pytest.fixture
def tv(browser: Any) -> Iterator[Screens]:
    """test_screens' Screens: one context; the test fails on console errors it did not allow."""
    s = Screens(browser)
    yield s
    s.context.close()
    assert s.unexpected() == [], "errors in the browser console"


def slotted_centre(seconds: float, notice: str = "") -> str:
    """The test centre with announcement slots of `seconds` and the lobby's notice."""
    text = centre_text().replace(SLOTS_AT_ONCE, f"announce_slot_seconds = {seconds}\n", 1)
    return text.replace('hours = "always"\n', f'hours = "always"\nnotice = "{notice}"\n', 1)


def strip(page: Page) -> list[str]:
    """The numbers in the "Đang chờ đọc" strip, in order."""
    return page.locator("#upnext-list li .unum").all_text_contents()


def panel_log(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.__panel.map((e) => ({ ...e }))")  # type: ignore[no-any-return]


# ---- 4: the big number matches the voice ---------------------------------------------------


def test_four_calls_take_the_panel_one_slot_after_another(
    server_factory: Callable[..., ServerProcess], tv: Screens
) -> None:
    centre = Centre(server_factory(env=HOOKS, centre=slotted_centre(SLOT_S)).start())
    tickets = [centre.issue(s) for s in ("HT", "HT", "DD", "DD")]
    tv.context.add_init_script(PANEL_LOG)
    speaking = tv.open(f"{centre.url}/display")
    # Same browser, new context for the skewed clock: init scripts are per context.
    skewed_screens = Screens(tv.context.browser)
    skewed_screens.context.add_init_script(PANEL_LOG)
    skewed_screens.context.add_init_script(SKEWED)
    try:
        silent = skewed_screens.open(f"{centre.url}/display?audio=0")
        assert silent.evaluate("() => Date.now() - new Date().getTime()") >= SKEW_MS - 1000
        for page in (speaking, silent):
            expect(page.locator("#welcome")).to_be_visible()

        t0 = time.monotonic()
        called = [centre.act(n, "call-next") for n in (1, 2, 3, 4)]
        # Within a second on an idle machine; what matters is that all four were made while
        # the first was still being read.
        assert time.monotonic() - t0 < SLOT_S / 2
        numbers = [t["number"] for t in called]
        assert numbers == [t["number"] for t in tickets]

        # The first call holds the panel; the other three wait, in call order, on both tv.
        for page in (speaking, silent):
            expect(page.locator("#now-number")).to_have_text(numbers[0])
            expect(page.locator("#now-counter")).to_have_text("Quầy số 01")
            expect(page.locator("#upnext")).to_be_visible()
            expect(page.locator("#upnext .ulabel")).to_have_text("Đang chờ đọcWaiting to be read")
            expect(page.locator("#upnext-list li .unum")).to_have_text(numbers[1:])
        shoot(speaking, "lobby-upnext-1920x1080")

        # A screen loaded now gets the queue from its snapshot.
        late = tv.open(f"{centre.url}/display?audio=0")
        expect(late.locator("#now-number")).to_have_text(numbers[0])
        expect(late.locator("#upnext-list li .unum")).to_have_text(numbers[1:])

        # When the first slot ends, the second takes the panel everywhere.
        for page in (speaking, silent, late):
            expect(page.locator("#now-number")).to_have_text(numbers[1], timeout=SLOT_S * 2000)
            expect(page.locator("#upnext-list li .unum")).to_have_text(numbers[2:])
        # ... and so on until the last; then the strip is gone.
        for page in (speaking, silent):
            expect(page.locator("#now-number")).to_have_text(numbers[3], timeout=SLOT_S * 3000)
            expect(page.locator("#upnext")).to_be_hidden()

        # Slots are back to back on the server's clock, one per call, in call order.
        events = speaking.evaluate("() => window.__calls")
        starts = [_ms(e["announce_at"]) for e in events]
        assert [e["announce_ms"] for e in events] == [SLOT_S * 1000] * 4
        assert [b - a for a, b in itertools.pairwise(starts)] == [SLOT_S * 1000] * 3
        # Each screen switched at each slot's start, whatever its own clock says.
        logs = {"speaking": panel_log(speaking), "silent": panel_log(silent)}
        for name, log in logs.items():
            shown = [e for e in log if e["number"]]
            assert [e["number"] for e in shown] == numbers, (name, log)
        skew = {"speaking": 0, "silent": SKEW_MS}
        for i in range(1, 4):
            at = {name: _at(log, numbers[i]) - skew[name] for name, log in logs.items()}
            # Both screens within a fraction of a slot of each other and of the slot's start
            # (a loaded machine may run a page's timer late, never early).
            assert abs(at["speaking"] - at["silent"]) < 600, (i, at)
            for name in at:
                lag = at[name] - (starts[i] - _server_offset(speaking))
                assert -100 < lag < 1000, (name, i, lag)
    finally:
        skewed_screens.context.close()
        tv.problems += skewed_screens.problems


def _ms(iso: str) -> int:
    from datetime import datetime

    return round(datetime.fromisoformat(iso).timestamp() * 1000)


def _at(log: list[dict[str, Any]], number: str) -> int:
    return next(int(e["at"]) for e in log if e["number"] == number)


def _server_offset(page: Page) -> int:
    """The server clock minus this page's, as its LiveQueue measured it."""
    return int(page.evaluate("() => window.motcuaLobby.live.offset"))


# ---- 6: the welcome before the first call; full counter names ------------------------------


def test_idle_welcome_until_the_first_call(
    server_factory: Callable[..., ServerProcess], tv: Screens
) -> None:
    centre = Centre(server_factory(env=HOOKS, centre=slotted_centre(0.5, NOTICE)).start())
    lobby = tv.open(f"{centre.url}/display")
    welcome = lobby.locator("#welcome")
    expect(welcome).to_be_visible()
    expect(welcome.locator(".hello .vi")).to_have_text("Xin chào quý khách")
    expect(welcome.locator(".hello .en")).to_have_text("Welcome")
    expect(welcome.locator(".wcentre")).to_have_text("Trung tâm Phục vụ hành chính công (kiểm thử)")
    expect(welcome.locator(".wnotice")).to_have_text(NOTICE)
    # No empty invitation: "Mời công dân có số — đến" is nowhere to be seen.
    expect(lobby.locator("#now-call")).to_be_hidden()
    expect(lobby.locator("#now .invite")).to_be_hidden()
    assert "—" not in lobby.locator("#now").inner_text()
    english = tv.open(f"{centre.url}/display?lang=en")
    expect(english.locator("#welcome .hello")).to_have_text("Xin chào quý kháchWelcome")

    centre.issue("HT")
    ticket = centre.act(1, "call-next")
    expect(lobby.locator("#now-number")).to_have_text(ticket["number"])
    expect(welcome).to_be_hidden()
    expect(lobby.locator("#now .invite")).to_have_text("Mời công dân có số")
    centre.act(1, "complete")  # nobody left to invite: calm again, not a dash
    expect(welcome).to_be_visible()
    expect(lobby.locator("#now-call")).to_be_hidden()


OVERFLOW = """
() => {
  const out = [];
  const box = (n) => n.getBoundingClientRect();
  const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 &&
    a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  for (const sel of ["#recent li", "#tiles .tile", "#upnext-list li"]) {
    for (const n of document.querySelectorAll(sel)) {
      const section = n.closest("section");
      if (!inside(box(n), box(section))) out.push(`${sel} ${n.innerText} leaves its panel`);
      for (const t of n.querySelectorAll("*")) {
        if (t.scrollWidth > t.clientWidth + 1 || getComputedStyle(t).textOverflow === "ellipsis")
          out.push(`${sel} ${t.className} cut: ${t.textContent}`);
        if (!inside(box(t), box(n))) out.push(`${sel} ${t.className} outside: ${t.textContent}`);
      }
    }
  }
  return out;
}
"""


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1080, 1920)])
def test_recent_calls_show_full_counter_names(
    server_factory: Callable[..., ServerProcess], tv: Screens, width: int, height: int
) -> None:
    demo = DEMO_CENTRE.read_text("utf-8")
    demo = demo.replace('hours = "always"\n', 'hours = "always"\nannounce_slot_seconds = 0\n', 1)
    server = server_factory(env=HOOKS, centre=demo).start()
    centre = Centre(server, kiosks=3)
    answer = centre.http.get(f"{centre.url}/api/v1/services", timeout=10).json()
    services = [s["code"] for s in answer["services"]]
    for code in services:
        centre.issue(code)
        centre.issue(code)
    lobby = tv.open(f"{centre.url}/display", width=width, height=height)
    counters = [c["number"] for c in centre.queue()["counters"]]
    called = 0
    for n in counters:
        if centre.act(n, "call-next"):
            called += 1
        if called >= 10:
            break
    assert called >= 10
    centre.act(counters[0], "no-show")  # the longest status: "Không có mặt"
    centre.act(counters[1], "complete")
    centre.act(counters[2], "pause")
    expect(lobby.locator("#recent li")).to_have_count(10)
    expect(lobby.locator("#recent li .st-no_show")).to_have_text("Không có mặt")
    settle(lobby)
    names = lobby.locator("#recent li .rctr").all_text_contents()
    assert all(n.startswith("Quầy số ") and len(n) == len("Quầy số 01") for n in names), names
    assert lobby.evaluate(OVERFLOW) == []
    shoot(lobby, f"lobby-recent-demo-{width}x{height}")


# ---- 5: contrast in every state of every screen ----------------------------------------------


def freeze_flash(page: Page, lit: bool) -> None:
    """Stop the lobby's call flash in one of its two states."""
    page.wait_for_function("() => !document.body.dataset.flash", timeout=10_000)
    toggle = f"document.getElementById('now').classList.toggle('lit', {str(lit).lower()})"
    page.evaluate(f"() => {toggle}")


SIZES = {"1920x1080": (1920, 1080), "3840x2160": (3840, 2160), "1080x1920": (1080, 1920)}


def test_every_text_of_the_lobby_is_readable(
    server_factory: Callable[..., ServerProcess], tv: Screens
) -> None:
    """Idle, calling (flash on and off, while it runs), the strip, every recent status, paused
    and closed counters; in Vietnamese at three sizes and in English. Screenshots of each."""
    centre = Centre(server_factory(env=HOOKS, centre=slotted_centre(10.0, NOTICE)).start())
    pages = {name: tv.open(f"{centre.url}/display", width=w, height=h)
             for name, (w, h) in SIZES.items()}  # fmt: skip
    pages["en"] = tv.open(f"{centre.url}/display?lang=en")
    for name, page in pages.items():
        settle(page)
        assert_readable(page, f"lobby idle {name}")
        if name in SIZES:
            shoot(page, f"lobby-idle-{name}")
    for service in ("HT", "HT", "DD", "DD", "CT"):
        centre.issue(service)
    called = [centre.act(n, "call-next")["number"] for n in (1, 2, 3, 4)]
    centre.act(1, "recall")
    lobby = pages["1920x1080"]
    # Four calls wait: three stand in the strip, in order, and "+1" says there is one more.
    expect(lobby.locator("#upnext-list li .unum")).to_have_text(called[1:4])
    expect(lobby.locator("#upnext-list li.more")).to_have_text("+1")
    # During the flash, sampled at several moments as it runs ...
    seen = set()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(seen) < 2:
        lit = lobby.evaluate("() => document.getElementById('now').classList.contains('lit')")
        seen.add(lit)
        assert_readable(lobby, f"lobby flashing (lit={lit})")
    assert seen == {True, False}, "never saw both states of the flash"
    # ... then frozen in each state, with the "Đang chờ đọc" strip, on every page.
    for name, page in pages.items():
        expect(page.locator("#now-number")).to_have_text(re.compile("|".join(called[:3])))
        expect(page.locator("#upnext-list li")).not_to_have_count(0)
        for lit in (True, False):
            freeze_flash(page, lit)
            assert_readable(page, f"lobby {name} calling, flash {'on' if lit else 'off'}, strip")
        if name in SIZES:
            settle(page)
            shoot(page, f"lobby-upnext-{name}")
            freeze_flash(page, True)
            shoot(page, f"lobby-flash-{name}")
    # Recent calls in every status, a paused and a closed counter.
    for page in pages.values():
        expect(page.locator("#upnext")).to_be_hidden(timeout=60_000)
    centre.act(1, "no-show")
    centre.act(2, "complete")
    centre.act(3, "pause")
    centre.act(4, "complete")  # a counter holding a citizen cannot close
    centre.act(4, "close")
    for name, page in pages.items():
        expect(page.locator("#recent .st-no_show")).to_have_count(1)
        expect(page.locator('#tiles .tile[data-counter="3"].paused')).to_have_count(1)
        expect(page.locator('#tiles .tile[data-counter="4"].closed')).to_have_count(1)
        freeze_flash(page, False)
        settle(page)
        assert_readable(page, f"lobby {name} with recent calls, paused and closed counters")
    shoot(lobby, "lobby-recent-1920x1080")


def test_counter_display_and_status_page_are_readable(
    server_factory: Callable[..., ServerProcess], tv: Screens
) -> None:
    centre = Centre(server_factory(env=HOOKS).start())
    ticket = centre.issue("HT")
    display = tv.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    status = tv.open(f"{centre.url}/t/{ticket['id']}", ready="#s-number", width=390, height=844)
    expect(status.locator("#s-number")).to_have_text(ticket["number"])
    expect(display.locator("#cd-number")).to_have_text("Chưa mở")
    assert_readable(display, "counter display, counter not opened yet")
    assert_readable(status, "status page waiting")
    centre.act(1, "call-next")
    expect(display.locator("#cd-number")).to_have_text(ticket["number"])
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:  # the number's pulse, sampled as it runs
        assert_readable(display, "counter display calling (pulse)")
    settle(display)
    assert_readable(display, "counter display calling")
    shoot(display, "counter-display-calling-1280x720")
    for name, (w, h) in SIZES.items():
        big = tv.open(f"{centre.url}/display/counter/1", width=w, height=h)
        expect(big.locator("#cd-number")).to_have_text(ticket["number"])
        assert_readable(big, f"counter display calling {name}")
        shoot(big, f"counter-display-calling-{name}")
        big.close()
    expect(status.locator("#s-call")).to_be_visible()
    assert_readable(status, "status page called")
    centre.act(1, "pause")
    expect(display.locator("body.paused")).to_have_count(1)
    assert_readable(display, "counter display paused")
    centre.act(1, "resume")
    centre.act(1, "complete")
    expect(display.locator("#cd-number")).to_have_text("—")
    assert_readable(display, "counter display open, nobody called")
    expect(status.locator("#s-state.done")).to_have_count(1)
    assert_readable(status, "status page done")
