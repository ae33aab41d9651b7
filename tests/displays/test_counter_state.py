"""Counter state in a real browser (issue 11, items 7 and 9): counters start the day closed
(«Chưa mở») on the lobby, the counter display and the console; the first call opens one;
«Đóng quầy» closes it for the day (refused while it holds a ticket) and «Mở quầy» opens it;
the ticket page has no estimate while no counter of its field is open.

Real `motcua run` processes and Debian's Chromium; fixtures from test_screens.
"""

# ruff: noqa: F401, F811 (the imported fixtures `centre` and `screens` are arguments)
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

# The fixtures `centre` and `screens` are test_screens' own, imported to be found by name.
from tests.displays.test_screens import HTTP_4XX, Centre, Screens, centre, idle, screens, tile

pytestmark = pytest.mark.server


def cstate(page: Page, counter: int) -> Any:
    """The state line of a lobby tile."""
    return page.locator(f'#tiles .tile[data-counter="{counter}"] .cstate')


def test_counters_start_closed_and_the_first_call_opens_one(
    centre: Centre, screens: Screens
) -> None:
    """Nobody has signed in or called: every screen says «Chưa mở», not «Đang phục vụ»."""
    ticket = centre.issue("HT")
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/1", width=1280, height=720)
    console = screens.open(centre.console_url(1), ready="body[data-ready]")
    snap = centre.queue()
    assert [(c["state"], c["state_text"]) for c in snap["counters"]] == [("closed", "Chưa mở")] * 4
    for n in (1, 2, 3, 4):
        expect(cstate(lobby, n)).to_have_text("Chưa mở")
    expect(display.locator("#cd-number")).to_have_text("Chưa mở")
    expect(display.locator("body")).to_have_class(re.compile(r"\bclosed\b"))
    expect(console.locator("#state")).to_have_text("Chưa mở")
    expect(console.locator("#openclose-label")).to_have_text("Mở quầy")
    expect(console.locator("#btn-pause")).to_be_disabled()
    # Signing in does not open it, but the clerk can call straight away: that opens it.
    expect(console.locator("#btn-next")).to_be_enabled()

    console.get_by_role("button", name="Gọi số tiếp theo").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text(f"Đã gọi số {ticket['number']}.")
    expect(console.locator("#state")).to_have_text("Quầy đang mở")
    expect(console.locator("#openclose-label")).to_have_text("Đóng quầy")
    expect(console.locator("#btn-pause")).to_be_enabled()
    expect(tile(lobby, 1)).to_have_text(ticket["number"])
    expect(cstate(lobby, 1)).to_have_text("Hộ tịch")  # the field of the ticket it serves
    expect(cstate(lobby, 2)).to_have_text("Chưa mở")
    expect(display.locator("#cd-number")).to_have_text(ticket["number"])
    expect(display.locator("body")).not_to_have_class(re.compile(r"\bclosed\b"))
    assert [c["state"] for c in centre.queue()["counters"]] == [
        "open",
        "closed",
        "closed",
        "closed",
    ]


def test_close_for_the_day_and_open_again_from_the_console(
    centre: Centre, screens: Screens
) -> None:
    """«Đóng quầy» (button or D): refused while a ticket is held, then «Đã đóng quầy»
    everywhere; «Mở quầy» opens it again."""
    screens.allow(*HTTP_4XX)
    ticket = centre.issue("CT")
    lobby = screens.open(f"{centre.url}/display")
    display = screens.open(f"{centre.url}/display/counter/2", width=1280, height=720)
    console = screens.open(centre.console_url(2), ready="body[data-ready]")
    console.get_by_role("button", name="Mở quầy").click()
    idle(console)
    expect(console.locator("#toast")).to_have_text("Đã mở quầy.")
    expect(console.locator("#state")).to_have_text("Quầy đang mở")
    expect(cstate(lobby, 2)).to_have_text("")
    expect(display.locator("#cd-number")).to_have_text("—")
    console.keyboard.press("Enter")
    idle(console)
    expect(console.locator("#cur-number")).to_have_text(ticket["number"])

    # The counter holds a citizen: closing is refused, saying what to do first.
    console.get_by_role("button", name="Đóng quầy").click()
    idle(console)
    toast = console.locator("#toast")
    expect(toast).to_have_class(re.compile(r"\berr\b"))
    expect(toast).to_contain_text(f"Quầy số 2 đang giữ số {ticket['number']}")
    expect(toast).to_contain_text("trước khi đóng quầy")
    expect(console.locator("#state")).to_have_text("Quầy đang mở")
    expect(tile(lobby, 2)).to_have_text(ticket["number"])

    console.keyboard.press("*")  # complete
    idle(console)
    console.keyboard.press("d")  # the keypad-friendly key
    idle(console)
    expect(toast).to_have_text("Đã đóng quầy. Màn hình hiển thị «Đã đóng quầy».")
    expect(console.locator("#state")).to_have_text("Đã đóng quầy")
    expect(console.locator("#openclose-label")).to_have_text("Mở quầy")
    expect(console.locator("#btn-pause")).to_be_disabled()
    expect(cstate(lobby, 2)).to_have_text("Đã đóng quầy")
    expect(cstate(lobby, 1)).to_have_text("Chưa mở")
    expect(display.locator("#cd-number")).to_have_text("Đã đóng quầy")
    counter = next(c for c in centre.queue()["counters"] if c["number"] == 2)
    assert (counter["state"], counter["state_text"], counter["opened_today"]) == (
        "closed", "Đã đóng quầy", True,
    )  # fmt: skip
    # A page loaded now shows the same.
    fresh = screens.open(f"{centre.url}/display/counter/2", width=1280, height=720)
    expect(fresh.locator("#cd-number")).to_have_text("Đã đóng quầy")

    console.keyboard.press("D")  # open again (F8 is "Bắt đầu phục vụ")
    idle(console)
    expect(toast).to_have_text("Đã mở quầy.")
    expect(console.locator("#state")).to_have_text("Quầy đang mở")
    expect(cstate(lobby, 2)).to_have_text("")
    expect(display.locator("#cd-number")).to_have_text("—")


def test_ticket_page_has_no_estimate_until_a_counter_of_its_field_opens(
    centre: Centre, screens: Screens
) -> None:
    """Đất đai is served by counters 3 and 4, none open: «Chưa có quầy mở», never a guess."""
    ticket = centre.post("/tickets", centre.kiosks[0], {"service": "DD"})["ticket"]
    page = screens.open(
        f"{centre.url}/t/{ticket['id']}", ready="body[data-status]", width=390, height=844
    )
    expect(page.locator("#s-estimate")).to_have_text("Chưa có quầy mở")
    centre.act(3, "open")
    expect(page.locator("#s-estimate")).to_have_text("dưới 1 phút")  # nobody ahead
