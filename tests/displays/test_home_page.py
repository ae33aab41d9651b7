"""The start page `/` (issue 11, item 14): Vietnamese first, in the house look, a link to
every screen with what it is for, the centre's state kept live, and the demo's sign-in codes
only in demo mode. Real `motcua run` processes, Debian's Chromium at 1366×768, 1920×1080 and
on a 390×844 phone; screenshots in artifacts/screens/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.conftest import ARTIFACTS, ServerProcess
from tests.displays.contrast import assert_readable

pytestmark = pytest.mark.server

API = "/api/v1"
SCREENS = ARTIFACTS / "screens"
QUIET = {"MOTCUA_VOICE": "0"}
TIMEOUT = 10
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080), "phone-390x844": (390, 844)}

expect.set_options(timeout=15_000)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[ServerProcess]:
    """The built-in demo centre (no --config) on 127.0.0.1, with its simulated devices."""
    server = ServerProcess(tmp_path / "demo-data", None, QUIET).start(timeout=60)
    yield server
    server.stop()


def demo_tokens(server: ServerProcess) -> dict[str, str]:
    return json.loads((server.data_dir / "demo-tokens.json").read_text("utf-8"))  # type: ignore[no-any-return]


def open_page(browser: Any, url: str, size: tuple[int, int], phone: bool = False) -> Page:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, is_mobile=phone, has_touch=phone,
        device_scale_factor=2 if phone else 1, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
    )  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    return page


def readable_top_to_bottom(page: Page, state: str) -> None:
    """WCAG AA for every text of the whole page: the window grown to the page's height (the
    checker looks at what is on screen), then put back."""
    size = page.viewport_size
    assert size is not None
    height = page.evaluate("document.scrollingElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    try:
        assert_readable(page, state)
    finally:
        page.set_viewport_size(size)


def no_sideways_scroll(page: Page, where: str) -> None:
    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{where}: the page scrolls sideways: {width}"


def test_the_demo_start_page(demo: ServerProcess, browser: Any) -> None:
    tokens = demo_tokens(demo)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name, size in SIZES.items():
        page = open_page(browser, f"{demo.url}/", size, phone=name.startswith("phone"))
        assert page.locator("html").get_attribute("lang") == "vi"
        expect(page.locator("h1")).to_have_text("Trang khởi đầu cho cán bộ trung tâm")
        body = page.locator("main").inner_text()
        assert "Status page (the lobby" not in body
        assert body.index("Trang khởi đầu") < body.index("Start page for the centre's staff")
        # The house look: Be Vietnam Pro, served by the app itself.
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert font.startswith('"Be Vietnam Pro"'), font
        assert page.evaluate("document.fonts.check('16px \"Be Vietnam Pro\"')")
        no_sideways_scroll(page, name)
        readable_top_to_bottom(page, f"demo start page {name}")
        page.screenshot(path=str(SCREENS / f"home-{name}.png"), full_page=True)
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
        page.context.close()

    page = open_page(browser, f"{demo.url}/", SIZES["1366x768"])
    for card, words in {
        "#card-kiosk": "Kiosk lấy số",
        "#card-lobby": "Màn hình sảnh",
        "#card-counter-displays": "Màn hình trên quầy",
        "#card-consoles": "Bàn làm việc của cán bộ",
        "#card-demo-devices": "Thiết bị mô phỏng",
        "#card-status-page": "Trang trạng thái phiếu",
        "#card-api": "API cho hệ thống khác",
        "#card-health": "Tình trạng máy chủ",
    }.items():
        expect(page.locator(f"{card} h3")).to_have_text(words)
        assert len(page.locator(f"{card} p").first.inner_text()) > 0
    # Every link works, each with the sign-in code it needs in demo mode.
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert f"/kiosk?token={tokens['kiosk']}" in hrefs
    assert f"/counter/3?token={tokens['clerk-3']}" in hrefs
    screens = ("/display", "/display?lang=en", "/display?audio=0", "/display/counter/12")
    others = ("/demo/devices", "/api/v1/openapi.json", "/api/v1/health", "/api/v1/queue")
    for must in (*screens, *others):
        assert must in hrefs, must
    assert sum(h.startswith("/counter/") for h in hrefs) == 12
    for href in set(hrefs):
        r = requests.get(urljoin(demo.url, href), timeout=TIMEOUT)
        assert r.status_code == 200, (href, r.status_code)
    # The sign-in codes, in demo mode (this server listens on loopback).
    codes = page.locator("#sign-in code").all_inner_texts()
    assert tokens["kiosk"] in codes and tokens["admin"] in codes and tokens["clerk-12"] in codes
    expect(page.locator("#sign-in")).to_contain_text("Bản trình diễn")
    devices = open_page(browser, f"{demo.url}/demo/devices", SIZES["1366x768"])
    expect(devices.locator("#led-1")).to_be_visible()
    readable_top_to_bottom(devices, "demo devices page")
    devices.context.close()

    # The centre's state, live: 12 counters, a ticket issued and one called show up.
    rows = page.locator("table.counters tbody tr")
    expect(rows).to_have_count(12)
    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    issued = requests.post(f"{demo.url}{API}/tickets", json={"service": "HT"}, headers=kiosk,
                           timeout=TIMEOUT).json()["ticket"]  # fmt: skip
    waiting = page.locator('tr[data-service="HT"] [data-cell="waiting"]')
    expect(waiting).to_have_text("1")
    expect(page.locator('[data-count="waiting"]')).to_have_text("1")
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    r = requests.post(f"{demo.url}{API}/counters/1/pause", json={}, headers=admin, timeout=TIMEOUT)
    assert r.status_code == 200
    expect(page.locator('tr[data-counter="1"] [data-cell="state"]')).to_have_text("Tạm dừng")
    requests.post(f"{demo.url}{API}/counters/1/resume", json={}, headers=admin, timeout=TIMEOUT)
    called = requests.post(f"{demo.url}{API}/counters/1/call-next", json={}, headers=admin,
                           timeout=TIMEOUT).json()["ticket"]  # fmt: skip
    assert called["number"] == issued["number"]
    expect(page.locator('tr[data-counter="1"] [data-cell="ticket"]')).to_have_text(issued["number"])
    expect(waiting).to_have_text("0")
    html = page.content()
    assert issued["id"] not in html, "a ticket id on the start page"
    page.context.close()


@pytest.fixture
def centre(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(env=QUIET).start()


def test_outside_demo_mode_no_sign_in_codes(centre: ServerProcess, browser: Any) -> None:
    kiosk, admin = centre.token("kiosk"), centre.token("admin")
    issued = requests.post(
        f"{centre.url}{API}/tickets", json={"service": "HT"},
        headers={"Authorization": f"Bearer {kiosk}"}, timeout=TIMEOUT,
    ).json()["ticket"]  # fmt: skip
    page = open_page(browser, f"{centre.url}/", SIZES["phone-390x844"], phone=True)
    expect(page.locator("h1")).to_have_text("Trang khởi đầu cho cán bộ trung tâm")
    expect(page.locator("#sign-in")).to_contain_text("Mã đăng nhập không bao giờ hiện ở trang này")
    expect(page.locator("#sign-in code")).to_have_count(0)
    expect(page.locator("#card-demo-devices")).to_have_count(0)
    html = page.content()
    assert "token=" not in html and kiosk not in html and admin not in html
    assert issued["id"] not in html
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert "/kiosk" in hrefs and "/counter/4" in hrefs
    for href in set(hrefs):
        r = requests.get(urljoin(centre.url, href), timeout=TIMEOUT)
        assert r.status_code == 200, (href, r.status_code)
    no_sideways_scroll(page, "phone")
    assert re.search(r"Quầy số 0?1", page.locator("table.counters").inner_text())
    readable_top_to_bottom(page, "start page outside demo mode, phone")
    page.context.close()


def test_the_404_page_in_a_browser(centre: ServerProcess, browser: Any) -> None:
    for name, size in (("1366x768", SIZES["1366x768"]), ("phone-390x844", SIZES["phone-390x844"])):
        page = open_page(
            browser, f"{centre.url}/khong-co-trang-nay", size, name.startswith("phone")
        )
        expect(page.locator("h1")).to_have_text("Không tìm thấy trang này")
        expect(page.locator(".status")).to_have_text("404")
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert font.startswith('"Be Vietnam Pro"'), font
        no_sideways_scroll(page, name)
        readable_top_to_bottom(page, f"404 page {name}")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"error-404-{name}.png"), full_page=True)
        page.locator("#home-link").click()
        expect(page.locator("h1")).to_have_text("Trang khởi đầu cho cán bộ trung tâm")
        page.context.close()
