"""The ticket status page (/t/<id>, the QR target on the slip) on a phone, against a real server.

Debian's Chromium, driven by Playwright for Python. Tickets are issued over HTTP
with a kiosk token; a clerk's calls come over HTTP with an admin token, and the
page must follow them live, without a reload. Screenshots go to artifacts/status/.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import ARTIFACTS, ServerProcess, centre_text

pytestmark = pytest.mark.server

API = "/api/v1"
HOOKS = {"MOTCUA_TEST_HOOKS": "1"}
SHOTS = ARTIFACTS / "status"
HTTP_TIMEOUT = 10
PHONE = {"width": 390, "height": 844}
URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")

expect.set_options(timeout=15_000)


class Centre:
    """The test centre on a real server, with a kiosk and an admin token."""

    def __init__(self, server: ServerProcess) -> None:
        self.url = server.url
        self.kiosk = server.token("kiosk")
        self.admin = server.token("admin")
        self.http = requests.Session()

    def post(self, path: str, token: str, payload: Any = None) -> Any:
        """A POST that must succeed; the JSON."""
        r = self.http.post(
            f"{self.url}{API}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
            timeout=HTTP_TIMEOUT,
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    def issue(self, service: str = "HT") -> dict[str, Any]:
        """A ticket, as a kiosk takes it."""
        return self.post("/tickets", self.kiosk, {"service": service})["ticket"]  # type: ignore[no-any-return]

    def call_next(self, counter: int) -> dict[str, Any] | None:
        """The clerk at `counter` calls the next citizen; the ticket called."""
        return self.post(f"/counters/{counter}/call-next", self.admin)["ticket"]  # type: ignore[no-any-return]


@pytest.fixture
def centre(server_factory: Callable[..., ServerProcess]) -> Centre:
    """The test centre (counters 1 and 2 serve HT) with the test hooks on."""
    return Centre(server_factory(env=HOOKS).start())


@pytest.fixture
def phone(browser: Any) -> Iterator[Page]:
    """A phone-sized page; the test fails on console or page errors."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
    )  # fmt: skip
    page = context.new_page()
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(f"console error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()
    allowed = r"status of 404"  # the unknown-id test loads a 404 page on purpose
    assert [p for p in problems if not re.search(allowed, p)] == [], "errors in the console"


def shoot(page: Page, name: str) -> None:
    """Screenshot to artifacts/status/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SHOTS / f"{name}.png"), animations="disabled")


def test_status_page_follows_the_ticket_live(centre: Centre, phone: Page) -> None:
    centre.post("/counters/1/open", centre.admin)  # an open Hộ tịch counter: an estimate
    first, second = centre.issue(), centre.issue()
    mine = centre.issue()
    assert mine["status_url"] == f"{centre.url}/t/{mine['id']}"

    phone.goto(mine["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#s-number")).to_have_text(mine["number"])
    expect(phone.locator("#s-field")).to_have_text("Hộ tịch")
    expect(phone.locator("#s-state")).to_have_text("Đang chờ")
    expect(phone.locator("#s-ahead")).to_have_text("2")
    expect(phone.locator("#s-estimate")).to_contain_text("phút")
    expect(phone.locator("#s-call")).to_be_hidden()
    # Made for the phone: nothing wider than the screen.
    width = phone.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"
    shoot(phone, "phone-1-waiting")

    # A marker that a reload would wipe: every change below must arrive live.
    phone.evaluate("window.__noReload = true")

    called = centre.call_next(1)
    assert called is not None and called["id"] == first["id"]
    expect(phone.locator("#s-ahead")).to_have_text("1")
    called = centre.call_next(2)
    assert called is not None and called["id"] == second["id"]
    expect(phone.locator("#s-ahead")).to_have_text("0")
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")

    # Counter 1 finishes the first citizen and calls this ticket.
    called = centre.call_next(1)
    assert called is not None and called["id"] == mine["id"]
    expect(phone.locator("body")).to_have_attribute("data-status", "called")
    expect(phone.locator("#s-call")).to_be_visible()
    expect(phone.locator("#s-call")).to_have_text("Mời bạn đến Quầy số 01")
    expect(phone.locator("#s-state")).to_have_text("Đã gọi")
    expect(phone.locator("#s-ahead")).to_have_text("—")
    assert phone.evaluate("window.__noReload === true"), "the page reloaded"
    shoot(phone, "phone-2-called")


def test_unknown_ticket_is_a_vietnamese_404_page(centre: Centre, phone: Page) -> None:
    real = centre.issue()
    one_off = real["id"][:-1] + ("A" if real["id"][-1] != "A" else "B")
    for unknown in (secrets.token_urlsafe(12), one_off):
        r = requests.get(f"{centre.url}/t/{unknown}", timeout=HTTP_TIMEOUT)
        assert r.status_code == 404
        assert r.headers["Content-Type"].startswith("text/html")
        assert "Không tìm thấy phiếu này." in r.text
        assert '"error"' not in r.text  # a page in words, not the API's JSON

    response = phone.goto(f"{centre.url}/t/{secrets.token_urlsafe(12)}")
    assert response is not None and response.status == 404
    expect(phone.locator("h1")).to_have_text("Không tìm thấy phiếu này.")
    assert phone.locator("html").get_attribute("lang") == "vi"
    shoot(phone, "phone-3-unknown")


def test_ticket_ids_are_not_guessable(centre: Centre) -> None:
    tickets = [centre.issue(service) for service in ("HT", "HT", "CT", "HT", "CT", "DD")]
    ids = [t["id"] for t in tickets]
    assert len(set(ids)) == len(ids)
    for tid in ids:
        # secrets.token_urlsafe(12): 96 random bits, 16 url-safe characters.
        assert len(tid) >= 16, tid
        assert URLSAFE.match(tid), tid
        assert not tid.isdigit()
    # Consecutive tickets share no long common prefix, as a counter or a timestamp would.
    for a, b in itertools.pairwise(ids):
        shared = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
        assert shared < 6, (a, b)
    # The number on the slip does not lead to the page.
    r = requests.get(f"{centre.url}/t/{tickets[0]['number']}", timeout=HTTP_TIMEOUT)
    assert r.status_code == 404


# -- after the visit (issue 11, item 16): thanks, the result, the one-tap rating -------------

SCREENS = ARTIFACTS / "screens"
RATING_ON = centre_text().replace(
    'hours = "always"\n', 'hours = "always"\nstatus_rating = true\n', 1
)
HALL_NOTE = "Vui lòng có mặt tại sảnh"


def screen(page: Page, name: str) -> None:
    """Screenshot to artifacts/screens/<name>.png (the lead looks at these)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(SCREENS / f"{name}.png"), animations="disabled", full_page=True)


@pytest.fixture
def rating_centre(server_factory: Callable[..., ServerProcess]) -> Centre:
    """The test centre with status_rating on."""
    return Centre(server_factory(env=HOOKS, centre=RATING_ON).start())


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"


def test_after_the_visit_thanks_the_result_and_one_tap_rating(
    rating_centre: Centre, phone: Page
) -> None:
    c = rating_centre
    mine = c.issue()
    phone.goto(mine["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#s-note")).to_have_text(
        "Trang này tự cập nhật. Vui lòng có mặt tại sảnh khi gần đến lượt."
    )
    expect(phone.locator("#s-result")).to_be_hidden()
    expect(phone.locator("#s-rating")).to_be_hidden()
    screen(phone, "status-1-waiting")
    phone.evaluate("window.__noReload = true")

    assert c.call_next(1)["id"] == mine["id"]  # type: ignore[index]
    expect(phone.locator("body")).to_have_attribute("data-status", "called")
    expect(phone.locator("#s-call")).to_have_text("Mời bạn đến Quầy số 01")
    expect(phone.locator("#s-note")).not_to_contain_text(HALL_NOTE)
    expect(phone.locator("#s-rating")).to_be_hidden()
    screen(phone, "status-2-called")

    c.post("/counters/1/complete", c.admin, {})
    expect(phone.locator("body")).to_have_attribute("data-status", "done")
    expect(phone.locator("#s-thanks")).to_have_text("Cảm ơn bạn đã đến làm thủ tục tại trung tâm!")
    expect(phone.locator("#s-outcome")).to_have_text("Đã phục vụ tại Quầy số 01")
    expect(phone.locator("#s-state")).to_have_text("Đã phục vụ")
    expect(phone.locator("#s-note")).to_be_hidden()
    expect(phone.locator("#f-ahead")).to_be_hidden()
    assert HALL_NOTE not in phone.locator("main").inner_text()
    buttons = phone.locator("#s-rate-buttons button")
    expect(buttons).to_have_text(["Rất hài lòng", "Hài lòng", "Không hài lòng"])
    for box in (buttons.nth(i).bounding_box() for i in range(3)):
        assert box is not None and box["height"] >= 48, "a rating button too small to tap"
    assert phone.evaluate("window.__noReload === true"), "the page reloaded"
    no_sideways_scroll(phone)
    screen(phone, "status-3-done-rating")

    buttons.first.tap()  # one tap: Rất hài lòng
    expect(phone.locator("#s-rated")).to_have_text("Cảm ơn bạn đã đánh giá: Rất hài lòng.")
    expect(phone.locator("#s-rate-buttons")).to_be_hidden()
    screen(phone, "status-4-rated")
    log = requests.get(f"{c.url}{API}/tickets/{mine['id']}/events", timeout=HTTP_TIMEOUT).json()
    assert [e["detail"] for e in log["events"] if e["kind"] == "rated"] == ["3/3"]

    phone.reload()  # the rating stays recorded, and is not offered again
    expect(phone.locator("#s-rated")).to_have_text("Cảm ơn bạn đã đánh giá: Rất hài lòng.")
    expect(phone.locator("#s-rate-buttons")).to_be_hidden()


def test_the_other_results_as_the_centre_recorded_them(rating_centre: Centre, phone: Page) -> None:
    c = rating_centre
    absent, cancelled, moved = c.issue(), c.issue(), c.issue()

    phone.goto(absent["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    assert c.call_next(1)["id"] == absent["id"]  # type: ignore[index]
    c.post("/counters/1/no-show", c.admin, {})
    expect(phone.locator("body")).to_have_attribute("data-status", "no_show")
    expect(phone.locator("#s-outcome")).to_contain_text("Không có mặt khi được gọi.")
    expect(phone.locator("#s-thanks")).to_be_visible()
    expect(phone.locator("#s-rating")).to_be_hidden()  # nobody was served: nothing to rate
    assert HALL_NOTE not in phone.locator("main").inner_text()
    screen(phone, "status-5-no-show")

    phone.goto(cancelled["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    c.post(f"/tickets/{cancelled['id']}/cancel", c.admin, {})
    expect(phone.locator("body")).to_have_attribute("data-status", "cancelled")
    expect(phone.locator("#s-outcome")).to_have_text("Số này đã được hủy.")
    expect(phone.locator("#s-state")).to_have_text("Đã hủy")
    expect(phone.locator("#s-rating")).to_be_hidden()
    screen(phone, "status-6-cancelled")

    phone.goto(moved["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    assert c.call_next(1)["id"] == moved["id"]  # type: ignore[index]
    expect(phone.locator("body")).to_have_attribute("data-status", "called")
    c.post("/counters/1/transfer", c.admin, {"service": "CT"})
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    expect(phone.locator("#s-moved")).to_have_text(
        "Chuyển lĩnh vực: số của bạn đã được chuyển từ Hộ tịch sang Chứng thực. "
        "Vui lòng tiếp tục chờ gọi số."
    )
    expect(phone.locator("#s-field")).to_have_text("Chứng thực")
    expect(phone.locator("#s-result")).to_be_hidden()
    no_sideways_scroll(phone)
    screen(phone, "status-7-transferred")


def test_no_rating_where_the_site_has_it_off(centre: Centre, phone: Page) -> None:
    mine = centre.issue()
    phone.goto(mine["status_url"])
    expect(phone.locator("body")).to_have_attribute("data-status", "waiting")
    assert centre.call_next(1)["id"] == mine["id"]  # type: ignore[index]
    centre.post("/counters/1/complete", centre.admin, {})
    expect(phone.locator("body")).to_have_attribute("data-status", "done")
    expect(phone.locator("#s-outcome")).to_have_text("Đã phục vụ tại Quầy số 01")
    expect(phone.locator("#s-rating")).to_be_hidden()


def test_the_status_page_in_english(rating_centre: Centre, phone: Page) -> None:
    mine = rating_centre.issue()
    phone.goto(mine["status_url"] + "?lang=en")
    expect(phone.locator("#s-note")).to_have_text(
        "This page updates itself. Please be in the hall when your turn is near."
    )
    expect(phone.locator("#s-state")).to_have_text("Waiting")
