"""The kiosk in a real browser: idle to a printed ticket, faults, limits, lookup, languages.

Debian's Chromium, driven by Playwright for Python, against real `motcua run`
processes with the test hooks on and the simulated printer (the demo's default),
which keeps every job's ESC/POS bytes and a PNG preview under <data_dir>/printer.
The kiosk signs in once with ?token=<kiosk token>, as a centre would set it up.

Screenshots of every screen go to artifacts/kiosk/.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.conftest import ARTIFACTS, VN, ServerProcess

pytestmark = pytest.mark.server

API = "/api/v1"
HOOKS = {"MOTCUA_TEST_HOOKS": "1"}
SHOTS = ARTIFACTS / "kiosk"
HTTP_TIMEOUT = 10
ROOT = Path(__file__).resolve().parents[2]
DEMO = (ROOT / "queue_server" / "demo_centre.toml").read_text("utf-8")
MIN_TARGET_PX = 76  # 20 mm at 96 CSS px per inch
VIEWPORTS = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
# What Chromium logs when the API answers 4xx on purpose (cap reached, closed).
HTTP_4XX = r"Failed to load resource: the server responded with a status of 4\d\d"
# Buttons a citizen touches on the main path and around it.
MAIN_BUTTONS = (
    "#idle-touch, #btn-lookup, #btn-home1, #btn-priority-yes, #btn-priority-no, "
    "#btn-back-priority, #btn-done, #btn-reprint, #btn-message-ok, #btn-back-lookup, .k-take"
)

expect.set_options(timeout=15_000)

# Installed before the kiosk's own script: every change of body[data-screen], with its time.
SCREEN_LOG = """
window.__screens = [];
new MutationObserver(() => {
  const s = document.body && document.body.dataset.screen;
  const last = window.__screens[window.__screens.length - 1];
  if (s && (!last || last[0] !== s)) window.__screens.push([s, performance.now()]);
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-screen"] });
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
"""


def demo_centre(**site: Any) -> str:
    """The demo centre (9 fields with procedures) with extra [[sites]] settings."""
    lines = "".join(f"{k} = {_toml(v)}\n" for k, v in site.items())
    head = 'hours = "always"\n'
    assert head in DEMO
    return DEMO.replace(head, head + lines, 1)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def limits_centre() -> str:
    """A ward office: one field always open, one closed today, one capped at 1 a day."""
    now = datetime.now(VN)
    other_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(now.weekday() + 3) % 7]
    return f"""
[[sites]]
code = "pbn"
name = "UBND phường Bến Nghé"
timezone = "Asia/Ho_Chi_Minh"
hours = "always"
kiosk_priority_step = false
kiosk_idle_seconds = 5
kiosk_rate_per_minute = 600

[[sites.services]]
code = "HT"
name = "Hộ tịch"
name_en = "Civil status"
prefix = "A"
icon = "family"

[[sites.services]]
code = "DD"
name = "Đất đai"
name_en = "Land"
prefix = "B"
icon = "land"

[sites.services.hours]
{other_day} = ["07:30-11:30", "13:30-17:00"]

[[sites.services]]
code = "KD"
name = "Đăng ký kinh doanh"
name_en = "Business registration"
prefix = "C"
icon = "business"
daily_cap = 1

[[sites.counters]]
number = 1
services = ["HT", "DD", "KD"]
"""


# ---- servers ---------------------------------------------------------------------------


class KioskServer:
    """A running server, its kiosk and admin tokens, and its simulated printer's folder."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.url = server.url
        self.printer_dir = server.data_dir / "printer"
        self.kiosk = server.token("kiosk")
        self.admin = server.token("admin")
        self.http = requests.Session()

    def kiosk_url(self, lang: str | None = None) -> str:
        """The kiosk page, signing in with the kiosk token."""
        return f"{self.url}/kiosk?token={self.kiosk}" + (f"&lang={lang}" if lang else "")

    def get(self, path: str, token: str | None = None) -> Any:
        """A GET that must succeed; the JSON."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.get(f"{self.url}{API}{path}", headers=headers, timeout=HTTP_TIMEOUT)
        assert r.ok, r.text
        return r.json()

    def post(self, path: str, payload: Any = None, token: str | None = None) -> requests.Response:
        """A POST; the response, whatever its status."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(
            f"{self.url}{API}{path}", json=payload, headers=headers, timeout=HTTP_TIMEOUT
        )

    def fault(self, code: str | None) -> None:
        """Make the simulated printer fail with code (None: clear) through the test hook."""
        r = self.post("/_test/printer-fault", {"fault": code} if code else {})
        assert r.ok, r.text

    def jobs(self) -> set[str]:
        """Names of the .bin files the simulated printer kept so far."""
        return (
            {p.name for p in self.printer_dir.glob("*.bin")} if self.printer_dir.exists() else set()
        )

    def waiting(self) -> dict[str, int]:
        """Waiting tickets per field."""
        return self.get("/queue")["waiting"]  # type: ignore[no-any-return]


def _start(root: Path, name: str, centre: str) -> ServerProcess:
    data = root / name
    data.mkdir(parents=True)
    config = data / "centre.toml"
    config.write_text(centre, "utf-8")
    return ServerProcess(data / "data", config, HOOKS).start()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], KioskServer]]:
    """Servers started on first use and shared by the module's tests, by name."""
    root = tmp_path_factory.mktemp("kiosk")
    centres = {
        # The 2-tap path: the centre turned the priority question off.
        "two_taps": demo_centre(kiosk_priority_step=False, kiosk_rate_per_minute=600),
        # The default: idle, field, priority question.
        "three_taps": demo_centre(kiosk_rate_per_minute=600),
        "limits": limits_centre(),
    }
    started: dict[str, KioskServer] = {}

    def get(name: str) -> KioskServer:
        if name not in started:
            started[name] = KioskServer(_start(root, name, centres[name]))
        return started[name]

    yield get
    for s in started.values():
        s.server.stop()


@pytest.fixture(scope="module", autouse=True)
def fresh_shots() -> None:
    """Start the module with an empty artifacts/kiosk/."""
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True, exist_ok=True)


# ---- the kiosk page --------------------------------------------------------------------


class Kiosk:
    """One kiosk page; counts taps and collects console and page errors."""

    def __init__(self, browser: Any, server: KioskServer, orientation: str = "portrait") -> None:
        width, height = VIEWPORTS[orientation]
        self.server = server
        self.orientation = orientation
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh", has_touch=True,
        )  # fmt: skip
        self.context.add_init_script(SCREEN_LOG)
        self.page: Page = self.context.new_page()
        self.taps = 0
        self.problems: list[str] = []
        self.allowed: list[str] = []

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                self.problems.append(f"console error: {msg.text}")

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda err: self.problems.append(f"page error: {err}"))

    def open(self, lang: str | None = None) -> Kiosk:
        """Load the kiosk, signed in, and wait until it shows the idle screen."""
        response = self.page.goto(self.server.kiosk_url(lang))
        assert response is not None  # served under the CSP; any violation is a console error
        assert "script-src 'self'" in response.headers.get("content-security-policy", "")
        self.page.wait_for_selector("body[data-ready]", state="attached")
        self.at("idle")
        self.page.evaluate("document.fonts.ready.then(() => true)")
        return self

    def tap(self, selector: str) -> None:
        """Touch one element, as a citizen would, and count it."""
        self.page.locator(selector).tap()
        self.taps += 1

    def at(self, screen: str) -> None:
        """Wait until the kiosk shows that screen."""
        expect(self.page.locator("body")).to_have_attribute("data-screen", screen)

    def issue_by_tap(self, selector: str) -> dict[str, Any]:
        """Tap what issues a ticket; the POST /tickets answer the kiosk received."""
        with self.page.expect_response(
            lambda r: r.url.split("?")[0].endswith(f"{API}/tickets") and r.request.method == "POST"
        ) as info:
            self.tap(selector)
        response = info.value
        assert response.status == 201, response.text()
        return response.json()  # type: ignore[no-any-return]

    def printed(self, state: str = "ok") -> None:
        """Wait for this print state ("ok" or a fault code), shown on the ticket screen."""
        expect(self.page.locator("body")).to_have_attribute("data-print", state)
        assert self.page.locator("body").get_attribute("data-screen") == "ticket"

    def shoot(self, name: str) -> Path:
        """Screenshot (animations settled) to artifacts/kiosk/<orientation>-<name>.png."""
        self.page.evaluate("document.fonts.ready.then(() => true)")
        self.page.wait_for_timeout(150)  # one frame after the last DOM change
        path = SHOTS / f"{self.orientation}-{name}.png"
        self.page.screenshot(path=str(path), animations="disabled")
        return path

    def check_layout(self, where: str) -> None:
        """No page scrolling, and every field and main button a 20 mm target, text inside it."""
        page = self.page
        sizes = page.evaluate(
            "[document.scrollingElement.scrollHeight, innerHeight,"
            " document.scrollingElement.scrollWidth, innerWidth]"
        )
        assert sizes[0] <= sizes[1], f"{where}: the page scrolls vertically {sizes}"
        assert sizes[2] <= sizes[3], f"{where}: the page scrolls horizontally {sizes}"
        targets = page.evaluate(
            """(sel) => [...document.querySelectorAll(sel)]
              .filter((n) => n.offsetParent !== null)
              .map((n) => { const r = n.getBoundingClientRect();
                return { what: n.id || n.className + ' ' + (n.dataset.service || ''),
                         w: r.width, h: r.height,
                         over: n.scrollHeight > n.clientHeight + 1
                               || n.scrollWidth > n.clientWidth + 1,
                         text: n.innerText.replace(/\\s+/g, ' ').trim() }; })""",
            f".k-field, {MAIN_BUTTONS}",
        )
        assert targets, f"{where}: no touch target visible"
        small = [t for t in targets if t["w"] < MIN_TARGET_PX or t["h"] < MIN_TARGET_PX]
        assert not small, f"{where}: touch targets under 20 mm: {small}"
        spilling = [t for t in targets if t["over"]]
        assert not spilling, f"{where}: text spills out of its button: {spilling}"

    def unexpected(self) -> list[str]:
        """Problems no allowed pattern explains."""
        return [p for p in self.problems if not any(re.search(a, p) for a in self.allowed)]


@pytest.fixture
def kiosks(browser: Any) -> Iterator[Callable[..., Kiosk]]:
    """Open kiosk pages; the test fails on console or page errors it did not allow."""
    opened: list[Kiosk] = []

    def make(server: KioskServer, orientation: str = "portrait") -> Kiosk:
        k = Kiosk(browser, server, orientation)
        opened.append(k)
        return k

    yield make
    problems = [p for k in opened for p in k.unexpected()]
    for k in opened:
        k.context.close()
    assert problems == [], "errors in the browser console"


def text(page: Page, selector: str) -> str:
    """An element's visible text, whitespace collapsed and word joiners (U+2060) dropped."""
    return " ".join(page.locator(selector).inner_text().replace("\u2060", "").split())


def new_job(server: KioskServer, before: set[str], job_id: str | None = None) -> Path:
    """The one .bin job written since `before` (and its .png next to it)."""
    added = server.jobs() - before
    assert len(added) == 1, f"expected one new print job, got {sorted(added)}"
    name = added.pop()
    if job_id is not None:
        assert name == f"{job_id}.bin"
    path = server.printer_dir / name
    assert path.stat().st_size > 0
    png = path.with_suffix(".png")
    assert png.exists() and png.stat().st_size > 0, f"no preview for {name}"
    return path


def read_qr(png: Path) -> list[str]:
    """QR code texts found in a slip preview."""
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png).convert("L"))]


# ---- idle to a printed ticket ----------------------------------------------------------


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize(("centre", "taps"), [("two_taps", 2), ("three_taps", 3)])
def test_idle_to_printed_ticket(
    servers: Callable[[str], KioskServer],
    kiosks: Callable[..., Kiosk],
    orientation: str,
    centre: str,
    taps: int,
) -> None:
    server = servers(centre)
    # Counter 8 serves Lao động and opens for the day, so the kiosk can estimate the wait.
    assert server.post("/counters/8/open", token=server.admin).status_code == 200
    k = kiosks(server, orientation).open()
    page = k.page
    name = f"{taps}taps"
    k.shoot(f"{name}-1-idle")
    k.check_layout("idle")
    expect(page.locator(".k-idle-title")).to_have_text("Chạm để lấy số")
    waiting_before, jobs_before = server.waiting(), server.jobs()

    k.tap("#idle-touch")
    k.at("fields")
    expect(page.locator(".k-field")).to_have_count(9)
    expect(page.locator('.k-field[data-service="LD"] .k-fname')).to_have_text(
        "Lao động – Thương binh và Xã hội"
    )
    k.shoot(f"{name}-2-fields")
    k.check_layout("fields")

    field = '#fields .k-field[data-service="LD"]'
    if taps == 3:
        k.tap(field)
        k.at("priority")
        expect(page.locator("#screen-priority .k-hint")).to_contain_text("Người cao tuổi")
        k.shoot(f"{name}-3-priority")
        k.check_layout("priority")
        data = k.issue_by_tap("#btn-priority-yes")
    else:
        data = k.issue_by_tap(field)
    k.printed("ok")
    assert k.taps == taps

    ticket = data["ticket"]
    assert data["print"]["ok"] is True
    assert ticket["priority"] is (taps == 3)
    expect(page.locator("#t-number")).to_have_text(ticket["number"])
    expect(page.locator("#t-field")).to_have_text("Lao động – Thương binh và Xã hội")
    expect(page.locator("#t-ahead")).to_have_text(str(ticket["ahead"]))
    expect(page.locator("#t-estimate")).to_contain_text("phút")
    expect(page.locator("#t-print")).to_have_text("Đã in phiếu. Mời bạn nhận phiếu ở khe bên dưới.")
    if taps == 3:
        expect(page.locator("#t-prio")).to_be_visible()
    else:
        expect(page.locator("#t-prio")).to_be_hidden()
    expect(page.locator("#btn-reprint")).to_be_hidden()
    k.shoot(f"{name}-{taps + 1}-ticket")
    k.check_layout("ticket")

    # The ticket is in the queue, and the simulated printer burned exactly its slip.
    assert server.get(f"/tickets/{ticket['id']}")["ticket"]["status"] == "waiting"
    assert server.waiting()["LD"] == waiting_before["LD"] + 1
    job = new_job(server, jobs_before, data["print"]["job_id"])
    assert re.sub(r"[^0-9A-Za-z_-]", "_", ticket["number"]) in job.name
    assert read_qr(job.with_suffix(".png")) == [f"{server.url}/t/{ticket['id']}"]

    k.tap("#btn-done")
    k.at("idle")


# ---- printer fault ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "centre"), [("landscape", "two_taps"), ("portrait", "three_taps")]
)
def test_paper_out_keeps_the_ticket_and_reprint_works(
    servers: Callable[[str], KioskServer],
    kiosks: Callable[..., Kiosk],
    orientation: str,
    centre: str,
) -> None:
    server = servers(centre)
    k = kiosks(server, orientation).open()
    page = k.page
    # The portrait kiosk asks the priority question: the fullest ticket screen there is.
    take = ["#btn-priority-yes"] if centre == "three_taps" else []
    failures_before = {
        p["site"]: p["failures"] for p in server.get("/printers", server.admin)["printers"]
    }["demo"]
    waiting_before, jobs_before = server.waiting(), server.jobs()
    server.fault("paper_out")
    try:
        k.tap("#idle-touch")
        data = issue(k, '#fields .k-field[data-service="HT"]', *take)
        k.printed("paper_out")
    finally:
        server.fault(None)
    ticket = data["ticket"]
    assert data["print"]["ok"] is False and data["print"]["error_code"] == "paper_out"

    # The citizen is told in Vietnamese, keeps the number and may print again.
    expect(page.locator("#t-number")).to_have_text(ticket["number"])
    shown = text(page, "#t-print")
    assert "Máy in đã hết giấy." in shown
    assert "Số của bạn vẫn được giữ" in shown
    expect(page.locator("#btn-reprint")).to_be_visible()
    expect(page.locator("#btn-reprint")).to_have_text("In lại phiếu")
    k.shoot("fault-1-paper-out")
    k.check_layout("ticket with a printer fault")

    # The ticket was issued and kept; nothing was printed.
    assert server.get(f"/tickets/{ticket['id']}")["ticket"]["status"] == "waiting"
    assert server.waiting()["HT"] == waiting_before["HT"] + 1
    assert server.jobs() == jobs_before
    printers = server.get("/printers", server.admin)["printers"]
    demo = next(p for p in printers if p["site"] == "demo")
    assert demo["failures"] >= failures_before + 1 >= 1
    assert demo["ok"] is False and demo["error_code"] == "paper_out"
    assert demo["message"] == "Máy in đã hết giấy."

    # Paper is back: print again, same ticket, a new job.
    with page.expect_response(lambda r: f"/tickets/{ticket['id']}/print" in r.url) as info:
        k.tap("#btn-reprint")
    again = info.value.json()
    k.printed("ok")
    assert again["ticket"]["id"] == ticket["id"] and again["print"]["ok"] is True
    expect(page.locator("#t-print")).to_have_text("Đã in phiếu. Mời bạn nhận phiếu ở khe bên dưới.")
    expect(page.locator("#btn-reprint")).to_be_hidden()
    job = new_job(server, jobs_before, again["print"]["job_id"])
    assert ticket["number"] in job.name
    assert server.waiting()["HT"] == waiting_before["HT"] + 1, "the reprint issued a ticket"
    k.shoot("fault-2-reprinted")
    demo = next(p for p in server.get("/printers", server.admin)["printers"] if p["site"] == "demo")
    assert demo["ok"] is True and demo["failures"] >= 1

    # The next citizen takes a ticket normally.
    k.tap("#btn-done")
    k.tap("#idle-touch")
    issue(k, '#fields .k-field[data-service="CT"]', *take)
    k.printed("ok")


def issue(k: Kiosk, *taps: str) -> dict[str, Any]:
    """Tap through to a ticket; the POST /tickets answer."""
    for selector in taps[:-1]:
        k.tap(selector)
    return k.issue_by_tap(taps[-1])


# ---- out of hours, daily cap, idle timeout ---------------------------------------------------


def test_out_of_hours_says_so_with_the_hours(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("limits")
    k = kiosks(server, "portrait").open()
    page = k.page
    waiting_before = server.waiting()
    k.tap("#idle-touch")
    k.at("fields")
    closed = page.locator('#fields .k-field[data-service="DD"]')
    expect(closed).to_have_class(re.compile(r"\bclosed\b"))
    expect(closed.locator(".k-fnote")).to_contain_text("Ngoài giờ lấy số")
    assert "7:30–11:30" in text(page, '#fields .k-field[data-service="DD"] .k-fnote')
    k.shoot("limits-1-fields")
    k.check_layout("fields with a closed field")

    k.tap('#fields .k-field[data-service="DD"]')
    k.at("message")
    expect(page.locator("#m-title")).to_have_text("Ngoài giờ lấy số")
    message = text(page, "#m-text")
    assert "Đất đai" in message and "ngoài giờ lấy số" in message
    assert "Giờ làm việc:" in message
    assert "Sáng 7:30–11:30" in message and "Chiều 13:30–17:00" in message
    assert re.search(r"Thứ (Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ nhật", message), message
    k.shoot("limits-2-closed")
    k.check_layout("closed message")
    assert server.waiting() == waiting_before

    k.tap("#btn-message-ok")
    k.at("fields")


def test_daily_cap_reached_says_so(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("limits")
    k = kiosks(server, "landscape").open()
    k.allowed.append(HTTP_4XX)  # the server refuses the stale tap with 409
    page = k.page
    k.tap("#idle-touch")
    k.at("fields")
    cap = page.locator('#fields .k-field[data-service="KD"]')
    expect(cap).not_to_have_class(re.compile(r"\bfull\b"))

    # The last number of the day goes to someone else while this screen is open.
    r = server.post("/tickets", {"service": "KD"}, server.kiosk)
    assert r.status_code == 201, r.text
    waiting = server.waiting()

    # The server's refusal reaches the citizen in words.
    with page.expect_response(lambda r: r.url.split("?")[0].endswith("/tickets")) as info:
        k.tap('#fields .k-field[data-service="KD"]')
    assert info.value.status == 409
    k.at("message")
    expect(page.locator("#m-title")).to_have_text("Đã hết số trong ngày")
    message = text(page, "#m-text")
    assert "Đăng ký kinh doanh" in message and "hết số trong ngày" in message, message
    assert "(tối đa 1 số)" in message
    k.shoot("limits-3-full-from-server")
    assert server.waiting() == waiting

    # Back on the fields screen the field says it is full, and a tap explains it.
    k.tap("#btn-message-ok")
    k.at("fields")
    expect(cap).to_have_class(re.compile(r"\bfull\b"))
    expect(cap.locator(".k-fnote")).to_have_text("Đã hết số hôm nay")
    k.shoot("limits-4-fields-full")
    k.tap('#fields .k-field[data-service="KD"]')
    k.at("message")
    expect(page.locator("#m-title")).to_have_text("Đã hết số trong ngày")
    message = text(page, "#m-text")
    assert "Lĩnh vực Đăng ký kinh doanh đã hết số trong ngày hôm nay" in message, message
    assert "ngày làm việc tiếp theo" in message
    k.shoot("limits-5-full")
    k.check_layout("full message")
    assert server.waiting() == waiting


def test_returns_to_idle_after_the_timeout(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("limits")  # kiosk_idle_seconds = 5
    k = kiosks(server, "portrait").open()
    page = k.page
    assert page.locator("body").get_attribute("data-idle-seconds") == "5"

    # Fields screen left alone.
    k.tap("#idle-touch")
    k.at("fields")
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert 4.9 <= shown_for(page, "fields") <= 8.0

    # Ticket screen left alone.
    k.tap("#idle-touch")
    k.issue_by_tap('#fields .k-field[data-service="HT"]')
    k.printed("ok")
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert 4.9 <= shown_for(page, "ticket") <= 8.0

    # A touch keeps the screen awake.
    k.tap("#idle-touch")
    k.at("fields")
    page.wait_for_timeout(3000)
    page.locator("#screen-fields .k-ask").tap()
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert shown_for(page, "fields") >= 7.9


def test_a_slow_printer_does_not_send_the_ticket_screen_to_idle(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    """A printer may take seconds to answer (timeouts, a stalled job): the citizen must
    still see the number, and for the full idle time after it appears."""
    server = servers("limits")  # kiosk_idle_seconds = 5
    k = kiosks(server, "portrait").open()
    page = k.page

    def slow(route: Any) -> None:
        answer = route.fetch()
        time.sleep(6.5)  # longer than the idle timeout
        route.fulfill(response=answer)

    page.route(re.compile(r".*/api/v1/tickets\?.*"), slow)
    k.tap("#idle-touch")
    k.tap('#fields .k-field[data-service="HT"]')
    k.printed("ok")
    expect(page.locator("#t-number")).not_to_have_text("…")
    page.unroute(re.compile(r".*/api/v1/tickets\?.*"))
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    screens = [name for name, _ in page.evaluate("window.__screens")]
    assert screens[-3:] == ["fields", "ticket", "idle"], screens
    # Counted from the answer, not from the tap: the number stays up for the full 5 s.
    assert shown_for(page, "ticket") >= 6.5 + 4.9


def shown_for(page: Page, screen: str) -> float:
    """Seconds the last visit to `screen` lasted (until the next screen)."""
    log: list[list[Any]] = page.evaluate("window.__screens")
    last = max(i for i, (name, _) in enumerate(log) if name == screen)
    assert last + 1 < len(log), f"still on {screen}: {log}"
    return float(log[last + 1][1] - log[last][1]) / 1000


# ---- procedure lookup ------------------------------------------------------------------------


def test_lookup_prints_the_documents_checklist(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("two_taps")
    services = {s["code"]: s for s in server.get("/services")["services"]}
    procedure = services["LD"]["procedures"][0]
    for orientation in ("landscape", "portrait"):
        k = kiosks(server, orientation).open()
        page = k.page
        k.tap("#idle-touch")
        k.at("fields")
        k.tap("#btn-lookup")
        k.at("lookup")
        expect(page.locator(".k-lookup .k-field")).to_have_count(9)
        k.shoot("lookup-1-fields")
        k.check_layout("lookup fields")
        k.tap('.k-lookup .k-field[data-service="LD"]')
        expect(page.locator("#lookup-title")).to_have_text("Lao động – Thương binh và Xã hội")
        first = page.locator(".k-proc").first
        expect(first.locator("h2")).to_have_text(procedure["name"])
        expect(first.locator("li")).to_have_text(procedure["documents"])
        expect(first.locator(".k-take")).to_have_text("Lấy số và in danh sách giấy tờ này")
        assert page.evaluate("document.getElementById('lookup').scrollTop") == 0
        k.shoot("lookup-2-procedures")
        k.check_layout("lookup procedures")

    # Take a number from the checklist (on the portrait kiosk), then one without it.
    jobs = server.jobs()
    with_docs = k.issue_by_tap(".k-proc >> nth=0 >> .k-take")
    k.printed("ok")
    k.shoot("lookup-3-ticket")
    checklist = new_job(server, jobs, with_docs["print"]["job_id"]).with_suffix(".png")
    assert with_docs["ticket"]["service"] == "LD"

    k.tap("#btn-done")
    k.tap("#idle-touch")
    jobs = server.jobs()
    plain = k.issue_by_tap('#fields .k-field[data-service="LD"]')
    k.printed("ok")
    bare = new_job(server, jobs, plain["print"]["job_id"]).with_suffix(".png")

    with Image.open(checklist) as a, Image.open(bare) as b:
        assert a.width == b.width
        # Three documents plus their heading add well over a few lines of print.
        assert a.height > b.height + 3 * 30, (a.size, b.size)
    shutil.copy(checklist, SHOTS / "slip-with-checklist.png")
    shutil.copy(bare, SHOTS / "slip-without-checklist.png")


# ---- English -----------------------------------------------------------------------------------


def test_english_labels(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("three_taps")
    k = kiosks(server, "landscape").open(lang="en")
    page = k.page
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator(".k-idle-title")).to_have_text("Touch to take a number")
    expect(page.locator(".k-idle-sub")).to_have_text("Chạm để lấy số")
    k.tap("#idle-touch")
    k.at("fields")
    expect(page.locator("#screen-fields .k-ask")).to_have_text("Choose your field of procedure")
    expect(page.locator('#fields .k-field[data-service="HT"] .k-fname')).to_have_text(
        "Civil status"
    )
    expect(page.locator("#btn-lookup")).to_have_text("Procedures and documents")
    expect(page.locator("#btn-home1")).to_have_text("Back")
    k.shoot("en-1-fields")
    k.check_layout("English fields")
    k.tap('#fields .k-field[data-service="CT"]')
    k.at("priority")
    expect(page.locator("#screen-priority .k-ask")).to_have_text("Are you entitled to priority?")
    expect(page.locator("#btn-priority-yes")).to_have_text("Yes, priority")
    data = k.issue_by_tap("#btn-priority-no")
    k.printed("ok")
    expect(page.locator("#t-number")).to_have_text(data["ticket"]["number"])
    expect(page.locator("#t-field")).to_have_text("Certification")
    expect(page.locator(".k-t-label")).to_have_text("Your number")
    expect(page.locator("#t-print")).to_have_text("Printed. Please take your ticket below.")
    expect(page.locator("#btn-done")).to_have_text("Done")
    k.shoot("en-2-ticket")
    k.check_layout("English ticket")
