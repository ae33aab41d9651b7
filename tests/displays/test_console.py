"""The clerk console in a real browser: it fits a laptop, asks before "Gọi tiếp" turns a
citizen who never came into a served one, calls a no-show back and cancels by the number
as typed, and shows durations in words.

Reuses the centre and page fixtures of test_screens (a real server, Debian's Chromium).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.displays.contrast import assert_readable
from tests.displays.test_screens import (
    API,
    HOOKS,
    HTTP_4XX,
    HTTP_TIMEOUT,
    SHOTS,
    Centre,
    Screens,
    centre,
    idle,
    js,
    screens,
    settle,
)

pytestmark = pytest.mark.server

__all__ = ["centre", "screens"]  # fixtures, used by name

# Every main action of the console: what a clerk must reach without scrolling.
MAIN_ACTIONS = (
    "#btn-next", "#btn-start", "#btn-recall", "#btn-complete", "#btn-noshow", "#btn-transfer",
    "#btn-specific", "#btn-callback", "#btn-cancel", "#btn-pause", "#btn-openclose",
)  # fmt: skip


def events(centre: Centre, ticket: dict[str, Any]) -> list[str]:
    """The kinds in a ticket's log."""
    r = requests.get(f"{centre.url}{API}/tickets/{ticket['id']}/events", timeout=HTTP_TIMEOUT)
    return [e["kind"] for e in r.json()["events"]]


def status_of(centre: Centre, ticket: dict[str, Any]) -> str:
    r = requests.get(f"{centre.url}{API}/tickets/{ticket['id']}", timeout=HTTP_TIMEOUT)
    return str(r.json()["ticket"]["status"])


def outside(page: Page, selectors: tuple[str, ...]) -> list[str]:
    """Main actions not fully inside the viewport, plus the page's own scroll and overflow."""
    return page.evaluate(  # type: ignore[no-any-return]
        """(sels) => {
        const bad = [];
        const w = window.innerWidth, h = window.innerHeight;
        for (const sel of sels) {
          const node = document.querySelector(sel);
          if (!node || node.offsetParent === null) { bad.push(`${sel}: not shown`); continue; }
          const r = node.getBoundingClientRect();
          const at = [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
          if (r.top < 0 || r.left < 0 || r.bottom > h || r.right > w)
            bad.push(`${sel}: ${at} outside ${w}x${h}`);
          const label = node.querySelector('span');
          if (label && label.scrollWidth > label.clientWidth + 1) bad.push(`${sel}: label cut`);
        }
        if (window.scrollY !== 0) bad.push(`scrollY ${window.scrollY}`);
        const doc = document.scrollingElement;
        if (doc.scrollWidth > w) bad.push(`page ${doc.scrollWidth}px wide in ${w}px`);
        if (doc.scrollHeight > h) bad.push(`page ${doc.scrollHeight}px tall in ${h}px`);
        return bad;
    }""",
        list(selectors),
    )


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_the_console_fits_a_laptop_screen(centre: Centre, screens: Screens) -> None:
    """1366×768 and 1280×720: every main action fully on screen, nothing to scroll, nothing
    wider than the window, with a question or a panel open too; a phone scrolls instead."""
    for _ in range(24):  # a long queue must not push anything off the screen
        centre.issue("HT")
    centre.issue("HT", priority=True)
    console = screens.open(centre.console_url(1), ready="body[data-ready]", width=1366, height=768)
    console.locator("#btn-next").click()
    idle(console)
    problems: list[str] = []
    for width, height in ((1366, 768), (1280, 720)):
        console.set_viewport_size({"width": width, "height": height})
        problems += [f"{width}x{height}: {p}" for p in outside(console, MAIN_ACTIONS)]
        shoot(console, f"console-{width}x{height}")
        console.keyboard.press("Enter")  # called, never started: the question
        expect(console.locator("#ask-panel")).to_be_visible()
        problems += [f"{width}x{height} asking: {p}" for p in outside(console, MAIN_ACTIONS)]
        shoot(console, f"console-{width}x{height}-ask")
        console.keyboard.press("Escape")
        console.keyboard.press(".")
        expect(console.locator("#specific-panel")).to_be_visible()
        problems += [f"{width}x{height} number: {p}" for p in outside(console, MAIN_ACTIONS)]
        shoot(console, f"console-{width}x{height}-number")
        console.keyboard.press("Escape")
    english = screens.open(
        centre.console_url(1) + "&lang=en", ready="body[data-ready]", width=1280, height=720
    )
    expect(english.locator("#btn-callback")).to_have_text(re.compile("Call a no-show back"))
    problems += [f"en 1280x720: {p}" for p in outside(english, MAIN_ACTIONS)]
    shoot(english, "console-en-1280x720")
    assert problems == [], "\n".join(problems)

    console.set_viewport_size({"width": 390, "height": 844})
    doc = js(console, "{w: document.scrollingElement.scrollWidth, iw: window.innerWidth}")
    assert doc["w"] <= doc["iw"], "the phone page is wider than the phone"
    shoot(console, "console-390x844")
    console.evaluate("() => window.scrollTo(0, document.scrollingElement.scrollHeight)")
    shoot(console, "console-390x844-end")


def test_each_serving_has_its_own_words(centre: Centre, screens: Screens) -> None:
    """'Đang phục vụ' meant the counter's state, the ticket's status and a heading: now each
    says what it is, and 'Đang phục vụ' is only the ticket being served."""
    centre.issue("HT")
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    expect(console.locator("#state")).to_have_text("Chưa mở")
    expect(console.locator("#cur-label")).to_have_text("Số hiện tại")
    console.keyboard.press("Enter")  # the first call opens the counter
    idle(console)
    expect(console.locator("#state")).to_have_text("Quầy đang mở")
    expect(console.locator("#cur-status")).to_have_text("Đã gọi, chờ công dân đến")
    console.keyboard.press("0")  # "Bắt đầu phục vụ"
    idle(console)
    expect(console.locator("#cur-status")).to_have_text("Đang phục vụ")
    text = console.locator("#main").inner_text()
    assert text.count("Đang phục vụ") == 1, text


def test_next_asks_once_about_a_citizen_who_never_came(centre: Centre, screens: Screens) -> None:
    """'Số A0001 chưa được phục vụ: đánh dấu Không có mặt?': Enter says yes (no-show), '*'
    says the citizen was served; a started ticket is completed without a question."""
    first, second, third, fourth = (centre.issue("HT") for _ in range(4))
    lobby = screens.open(f"{centre.url}/display")
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    console.keyboard.press("Enter")
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(first["number"])

    console.keyboard.press("Enter")
    ask = console.locator("#ask-panel")
    expect(ask).to_be_visible()
    expect(console.locator("#ask-text")).to_have_text(
        f"Số {first['number']} chưa được phục vụ: đánh dấu Không có mặt?"
    )
    assert status_of(centre, first) == "called", "nothing happens before the answer"
    console.keyboard.press("Enter")  # yes: not present
    idle(console)
    expect(ask).to_be_hidden()
    expect(console.locator("#cur-number")).to_have_text(second["number"])
    assert status_of(centre, first) == "no_show"
    expect(lobby.locator(f'#recent li[data-ticket="{first["number"]}"] .rst')).to_have_text(
        "Không có mặt"
    )
    expect(console.locator("#stat-noshow")).to_have_text("1")

    console.get_by_role("button", name="Gọi số tiếp theo").click()
    expect(ask).to_be_visible()
    console.get_by_role("button", name="Không, đã phục vụ").click()  # the citizen was served
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(third["number"])
    assert status_of(centre, second) == "done"

    console.keyboard.press("Enter")
    expect(ask).to_be_visible()
    console.keyboard.press("Escape")  # not now: nothing changes
    expect(ask).to_be_hidden()
    assert status_of(centre, third) == "called"

    console.locator("#btn-start").click()
    idle(console)
    console.keyboard.press("Enter")  # started: completed, no question
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(fourth["number"])
    expect(ask).to_be_hidden()
    assert status_of(centre, third) == "done"
    assert events(centre, third)[-2:] == ["started", "completed"]


def test_a_site_that_records_no_shows_does_not_ask(server_factory: Any, screens: Screens) -> None:
    from tests.conftest import centre_text

    toml = centre_text().replace(
        'hours = "always"\n', 'hours = "always"\ncall_next_unstarted = "no_show"\n', 1
    )
    centre = Centre(server_factory(env=HOOKS, centre=toml).start())
    first, _ = centre.issue("HT"), centre.issue("HT")
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    console.keyboard.press("Enter")
    idle(console)
    console.keyboard.press("Enter")
    idle(console)
    expect(console.locator("#ask-panel")).to_be_hidden()
    assert status_of(centre, first) == "no_show"


def test_a_no_show_is_called_back_and_numbers_cancelled_as_typed(
    centre: Centre, screens: Screens
) -> None:
    """'Gọi lại số vắng' by the printed number as the clerk types it ("1", "a1"), back to the
    queue with '+', 'Hủy số' with '−' twice; digits two fields share are refused clearly."""
    screens.allow(*HTTP_4XX)
    first = centre.issue("HT")  # A0001
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    toast = console.locator("#toast")
    console.keyboard.press("Enter")
    idle(console)
    console.keyboard.press("-")  # not present
    idle(console)
    assert status_of(centre, first) == "no_show"

    # F9, "1", Enter: the citizen came back and is called again.
    console.keyboard.press("F9")
    expect(console.locator("#specific-panel")).to_be_visible()
    expect(console.locator("#specific-label")).to_have_text("Số vắng đã quay lại")
    console.keyboard.type("1")
    console.keyboard.press("Enter")
    idle(console)
    expect(toast).to_have_text(f"Đã gọi số {first['number']}.")
    expect(console.locator("#cur-number")).to_have_text(first["number"])
    assert events(centre, first)[-2:] == ["returned", "called"]

    # Not present again; ". a1 +" puts it back in the queue instead.
    console.keyboard.press("-")
    idle(console)
    console.keyboard.press(".")
    console.keyboard.type("a1")
    console.keyboard.press("+")
    idle(console)
    expect(toast).to_have_text(f"Đã đưa số {first['number']} về hàng chờ.")
    assert status_of(centre, first) == "waiting"

    # "1" is A0001 and B001 now: the clerk is asked for the letter.
    other = centre.issue("CT")
    console.locator("#btn-cancel").click()
    expect(console.locator("#specific-label")).to_have_text("Số cần hủy")
    console.locator("#specific-input").fill(" 1 ")
    console.keyboard.press("Enter")
    expect(console.locator("#specific-hint")).to_have_text("Bấm «Hủy số» (−) lần nữa để hủy số 1.")
    console.keyboard.press("Enter")
    idle(console)
    expect(toast).to_have_text(
        f"Số 1 có ở nhiều lĩnh vực: {first['number']}, {other['number']}. Vui lòng gõ cả chữ cái."
    )
    expect(toast).to_have_class(re.compile(r"\berr\b"))
    console.locator("#specific-input").fill("b 1")
    console.keyboard.press("-")
    console.keyboard.press("-")
    idle(console)
    expect(toast).to_have_text(f"Đã hủy số {other['number']}.")
    assert status_of(centre, other) == "cancelled"
    assert status_of(centre, first) == "waiting"


def test_durations_read_as_minutes_and_seconds(centre: Centre, screens: Screens) -> None:
    """One formatter: "3 phút 08 giây" in the figures, "03:08" on the clock, never 3′08″."""
    centre.issue("HT")
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    got = console.evaluate(
        """() => import('/static/counters/duration.js').then((m) => [
            m.durationText(188), m.durationText(45), m.durationText(3725), m.durationText(null),
            m.durationText(179.6), m.durationText(188, 'en'), m.clockText(188), m.clockText(3725),
        ])"""
    )
    assert got == ["3 phút 08 giây", "45 giây", "1 giờ 02 phút 05 giây", "—", "3 phút 00 giây",
                   "3 min 08 s", "03:08", "1:02:05"]  # fmt: skip
    console.keyboard.press("Enter")
    idle(console)
    console.keyboard.press("0")
    idle(console)
    console.keyboard.press("*")
    idle(console)
    expect(console.locator("#stat-avg")).to_have_text(re.compile(r"^\d+ giây$"))
    expect(console.locator("#cur-elapsed")).to_have_text("00:00")
    assert "′" not in console.locator("#main").inner_text()


def test_every_console_text_is_readable_in_every_state(centre: Centre, screens: Screens) -> None:
    """WCAG AA (4.5:1), from the rendered colours, for every visible text of the console:
    not opened yet, calling, the unstarted question, the number panel, serving, paused,
    closed for the day; disabled buttons included (a clerk still has to read them)."""
    centre.issue("HT")
    centre.issue("HT")
    console = screens.open(centre.console_url(1), ready="body[data-ready]", width=1366, height=768)
    expect(console.locator("#btn-openclose")).to_contain_text("Mở quầy")
    settle(console)
    assert_readable(console, "console, counter not opened yet")
    console.locator("#btn-next").click()
    idle(console)
    expect(console.locator("#btn-start")).to_be_enabled()
    assert_readable(console, "console calling")
    console.keyboard.press("Enter")
    expect(console.locator("#ask-panel")).to_be_visible()
    assert_readable(console, "console asking about an unstarted ticket")
    console.keyboard.press("Escape")
    console.keyboard.press(".")
    expect(console.locator("#specific-panel")).to_be_visible()
    assert_readable(console, "console number panel")
    console.keyboard.press("Escape")
    console.locator("#btn-start").click()
    idle(console)
    assert_readable(console, "console serving")
    console.locator("#btn-pause").click()
    expect(console.locator("#pause-label")).to_have_text(re.compile("Tiếp tục"))
    assert_readable(console, "console paused")
    console.locator("#btn-pause").click()
    console.locator("#btn-complete").click()
    idle(console)
    console.locator("#btn-openclose").click()
    expect(console.locator("#btn-openclose")).to_contain_text("Mở quầy")
    settle(console)
    assert_readable(console, "console closed for the day")
