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
from tests.displays.contrast import assert_readable

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
    ".k-prio, #btn-lookup, #btn-priority-yes, #btn-priority-no, #btn-back-priority, #btn-done, "
    "#btn-reprint, #btn-message-ok, #btn-back-lookup, #btn-page-next, #btn-page-prev, .k-take"
)
IDLE_TITLE = "Chạm vào lĩnh vực để lấy số"

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
        # The centre turned the priority buttons off.
        "no_priority": demo_centre(kiosk_priority_step=False, kiosk_rate_per_minute=600),
        # The default: a "Ưu tiên" button beside each field.
        "default": demo_centre(kiosk_rate_per_minute=600),
        "long_list": long_list_centre(),
        "citizen": demo_centre(one_ticket_per_citizen=True, kiosk_rate_per_minute=600),
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
                         inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5
                                 && r.right <= innerWidth + 0.5,
                         over: n.scrollHeight > n.clientHeight + 1
                               || n.scrollWidth > n.clientWidth + 1,
                         text: n.innerText.replace(/\\s+/g, ' ').trim() }; })""",
            f".k-field, {MAIN_BUTTONS}",
        )
        assert targets, f"{where}: no touch target visible"
        off = [t for t in targets if not t["inside"]]
        assert not off, f"{where}: touch targets (partly) off the screen: {off}"
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


# What each field's confirmation says about where to go (demo centre: counters serving the
# field, the field's own waiting area or else the site's).
WHERE = {
    "LD": ("Quầy phục vụ: 8, 12", "Nơi chờ: Sảnh chờ A, tầng 1"),
    "DD": ("Quầy phục vụ: 4, 5, 7, 12", "Nơi chờ: Khu chờ B, tầng 1 (cánh trái)"),
}


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize(
    ("centre", "citizen", "taps"),
    [("no_priority", "ordinary", 1), ("default", "ordinary", 1), ("default", "priority", 2)],
)
def test_idle_to_printed_ticket(
    servers: Callable[[str], KioskServer],
    kiosks: Callable[..., Kiosk],
    orientation: str,
    centre: str,
    citizen: str,
    taps: int,
) -> None:
    """At most two real taps from the idle screen to a printed ticket, priority step on."""
    server = servers(centre)
    # Counter 8 serves Lao động and opens for the day, so the kiosk can estimate the wait.
    assert server.post("/counters/8/open", token=server.admin).status_code == 200
    k = kiosks(server, orientation).open()
    page = k.page
    name = f"{centre}-{citizen}"
    # The idle screen is the fields screen: every field is one tap away.
    expect(page.locator(".k-idle-title")).to_have_text(IDLE_TITLE)
    expect(page.locator("#fields .k-field")).to_have_count(9)
    expect(page.locator('#fields .k-field[data-service="LD"] .k-fname')).to_have_text(
        "Lao động – Thương binh và Xã hội"
    )
    if centre == "default":
        # Each field has its own "Ưu tiên" button, and the idle screen says who it is for.
        expect(page.locator("#fields .k-prio")).to_have_count(9)
        expect(page.locator('#fields .k-prio[data-service="LD"]')).to_contain_text("Ưu tiên")
        expect(page.locator("#prio-help")).to_contain_text("Người cao tuổi")
    else:
        expect(page.locator("#fields .k-prio")).to_have_count(0)
        expect(page.locator("#prio-help")).to_have_count(0)
    k.shoot(f"{name}-1-idle")
    k.check_layout("idle")
    waiting_before, jobs_before = server.waiting(), server.jobs()

    if citizen == "priority":
        k.tap('#fields .k-prio[data-service="LD"]')
        k.at("priority")
        expect(page.locator("#priority-q")).to_have_text(
            "Lấy số ưu tiên cho lĩnh vực Lao động – Thương binh và Xã hội?"
        )
        expect(page.locator("#screen-priority .k-hint")).to_contain_text("Người cao tuổi")
        k.shoot(f"{name}-2-priority")
        k.check_layout("priority")
        data = k.issue_by_tap("#btn-priority-yes")
    else:
        data = k.issue_by_tap('#fields .k-field[data-service="LD"]')
    k.printed("ok")
    assert k.taps == taps <= 2
    screens = [s for s, _ in page.evaluate("() => window.__screens")]
    assert screens == ["idle", *(["priority"] if citizen == "priority" else []), "ticket"]

    ticket = data["ticket"]
    assert data["print"]["ok"] is True
    assert ticket["priority"] is (citizen == "priority")
    expect(page.locator("#t-number")).to_have_text(ticket["number"])
    expect(page.locator("#t-field")).to_have_text("Lao động – Thương binh và Xã hội")
    expect(page.locator("#t-ahead")).to_have_text(str(ticket["ahead"]))
    expect(page.locator("#t-estimate")).to_contain_text("phút")
    expect(page.locator("#t-print")).to_have_text("Đã in phiếu. Mời bạn nhận phiếu ở khe bên dưới.")
    expect(page.locator("#t-counters")).to_have_text(WHERE["LD"][0])
    expect(page.locator("#t-area")).to_have_text(WHERE["LD"][1])
    if citizen == "priority":
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


def test_a_priority_tap_by_mistake_still_gives_an_ordinary_ticket(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    """The "Ưu tiên" button asks once; "Không" still issues a ticket, in the second tap."""
    server = servers("default")
    k = kiosks(server, "portrait").open()
    page = k.page
    k.tap('#fields .k-prio[data-service="DD"]')
    k.at("priority")
    expect(page.locator("#btn-priority-no")).to_have_text("Không, lấy số thường")
    data = k.issue_by_tap("#btn-priority-no")
    k.printed("ok")
    assert k.taps == 2 and data["ticket"]["priority"] is False
    expect(page.locator("#t-prio")).to_be_hidden()
    expect(page.locator("#t-counters")).to_have_text(WHERE["DD"][0])
    expect(page.locator("#t-area")).to_have_text(WHERE["DD"][1])
    # Back from the question: the idle screen, nothing issued.
    k.tap("#btn-done")
    waiting = server.waiting()
    k.tap('#fields .k-prio[data-service="DD"]')
    k.tap("#btn-back-priority")
    k.at("idle")
    assert server.waiting() == waiting


def test_one_ticket_per_citizen_asks_the_number_then_the_priority_question(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    """With the phone/ID step on, the keypad comes between the field and the ticket."""
    server = servers("citizen")
    k = kiosks(server, "portrait").open()
    page = k.page
    k.tap('#fields .k-prio[data-service="HT"]')
    k.at("citizen")
    for digit in "0912345678":
        page.locator(f'#citizen-keys [data-key="{digit}"]').tap()
    k.tap("#citizen-next")
    k.at("priority")
    data = k.issue_by_tap("#btn-priority-yes")
    k.printed("ok")
    assert data["ticket"]["priority"] is True
    k.tap("#btn-done")
    # The same citizen, same field, same day: refused in words; back goes to the fields.
    k.allowed.append(HTTP_4XX)
    k.tap('#fields .k-field[data-service="HT"]')
    k.at("citizen")
    for digit in "0912345678":
        page.locator(f'#citizen-keys [data-key="{digit}"]').tap()
    k.tap("#citizen-next")
    k.at("message")
    k.tap("#btn-message-ok")
    k.at("idle")
    k.tap('#fields .k-field[data-service="CT"]')
    k.tap("#citizen-back")
    k.at("idle")


# Every text element of a field's buttons; none may be cut, clamped or spill out of its button.
FIELD_TEXTS = "#fields .k-fname, #fields .k-fnote, #fields .k-prio-label, #fields .k-prio-other"
TEXT_FITS = """(sel) => [...document.querySelectorAll(sel)].filter((n) => n.offsetParent !== null)
  .map((n) => {
    const box = n.closest('button').getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(n);
    const ink = [...range.getClientRects()];
    const out = ink.some((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5
                                || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5
                                || r.bottom > innerHeight + 0.5);
    return { text: n.textContent, lines: ink.length,
             cut: n.scrollHeight > n.clientHeight + 1 || n.scrollWidth > n.clientWidth + 1,
             out };
  })"""


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_field_names_and_subtitles_are_shown_whole(
    servers: Callable[[str], KioskServer],
    kiosks: Callable[..., Kiosk],
    orientation: str,
    lang: str,
) -> None:
    """Full Vietnamese and English names of the demo's fields, with nothing cut off."""
    server = servers("default")
    k = kiosks(server, orientation).open(lang=lang)
    services = server.get("/services")["services"]
    names = [
        (s["name"], s["name_en"]) if lang == "vi" else (s["name_en"], s["name"]) for s in services
    ]
    page = k.page
    assert [
        text(page, f'#fields .k-field[data-service="{s["code"]}"] .k-fname') for s in services
    ] == [n for n, _ in names]
    assert [
        text(page, f'#fields .k-field[data-service="{s["code"]}"] .k-fnote') for s in services
    ] == [sub for _, sub in names]
    shown = page.evaluate(TEXT_FITS, FIELD_TEXTS)
    assert len(shown) == 4 * 9
    assert [t for t in shown if t["cut"] or t["out"]] == []
    # The longest one wraps onto a second line rather than being clamped to one.
    longest = [t for t in shown if t["text"] == "Labour, War Invalids and Social Affairs"]
    assert len(longest) == 1
    k.shoot(f"names-{lang}")
    k.check_layout(f"idle ({lang})")


# ---- printer fault ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orientation", "centre"), [("landscape", "no_priority"), ("portrait", "default")]
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
    # The portrait kiosk takes a priority ticket: the fullest ticket screen there is.
    prio = centre == "default"
    first = '#fields .k-prio[data-service="{}"]' if prio else '#fields .k-field[data-service="{}"]'
    take = ["#btn-priority-yes"] if prio else []
    failures_before = {
        p["site"]: p["failures"] for p in server.get("/printers", server.admin)["printers"]
    }["demo"]
    waiting_before, jobs_before = server.waiting(), server.jobs()
    server.fault("paper_out")
    try:
        data = issue(k, first.format("HT"), *take)
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
    issue(k, first.format("CT"), *take)
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
    k.at("idle")


def test_daily_cap_reached_says_so(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk]
) -> None:
    server = servers("limits")
    k = kiosks(server, "landscape").open()
    k.allowed.append(HTTP_4XX)  # the server refuses the stale tap with 409
    page = k.page
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
    k.at("idle")
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

    # The lookup left alone (the idle screen itself is the fields screen).
    k.tap("#btn-lookup")
    k.at("lookup")
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert 4.9 <= shown_for(page, "lookup") <= 8.0

    # Ticket screen left alone.
    k.issue_by_tap('#fields .k-field[data-service="HT"]')
    k.printed("ok")
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert 4.9 <= shown_for(page, "ticket") <= 8.0

    # A touch keeps the screen awake.
    k.tap("#btn-lookup")
    k.at("lookup")
    page.wait_for_timeout(3000)
    page.locator("#lookup-title").tap()
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    assert shown_for(page, "lookup") >= 7.9


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
    k.tap('#fields .k-field[data-service="HT"]')
    k.printed("ok")
    expect(page.locator("#t-number")).not_to_have_text("…")
    page.unroute(re.compile(r".*/api/v1/tickets\?.*"))
    expect(page.locator("body")).to_have_attribute("data-screen", "idle", timeout=15_000)
    screens = [name for name, _ in page.evaluate("window.__screens")]
    assert screens[-3:] == ["idle", "ticket", "idle"], screens
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
    server = servers("no_priority")
    services = {s["code"]: s for s in server.get("/services")["services"]}
    procedure = services["LD"]["procedures"][0]
    for orientation in ("landscape", "portrait"):
        k = kiosks(server, orientation).open()
        page = k.page
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
    server = servers("default")
    k = kiosks(server, "landscape").open(lang="en")
    page = k.page
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator(".k-idle-title")).to_have_text("Touch your field to take a number")
    expect(page.locator(".k-idle-sub")).to_have_text(IDLE_TITLE)
    expect(page.locator('#fields .k-field[data-service="HT"] .k-fname')).to_have_text(
        "Civil status"
    )
    expect(page.locator('#fields .k-prio[data-service="HT"] .k-prio-label')).to_have_text(
        "Priority"
    )
    expect(page.locator("#prio-help")).to_contain_text("Elderly people")
    expect(page.locator("#btn-lookup")).to_have_text("Procedures and documents")
    k.shoot("en-1-fields")
    k.check_layout("English fields")
    k.tap('#fields .k-prio[data-service="CT"]')
    k.at("priority")
    expect(page.locator("#priority-q")).to_have_text("A priority number for Certification?")
    expect(page.locator("#btn-priority-yes")).to_have_text("Yes, I have priority")
    data = k.issue_by_tap("#btn-priority-no")
    k.printed("ok")
    expect(page.locator("#t-number")).to_have_text(data["ticket"]["number"])
    expect(page.locator("#t-field")).to_have_text("Certification")
    expect(page.locator(".k-t-label")).to_have_text("Your number")
    expect(page.locator("#t-counters")).to_have_text("Counters: 1, 3, 12")
    expect(page.locator("#t-area")).to_have_text("Waiting area: Sảnh chờ A, tầng 1")
    expect(page.locator("#t-print")).to_have_text("Printed. Please take your ticket below.")
    expect(page.locator("#btn-done")).to_have_text("Done")
    k.shoot("en-2-ticket")
    k.check_layout("English ticket")


# ---- a long list of procedures ------------------------------------------------------------------


LONG_PROCEDURES = [
    (f"Thủ tục số {i + 1:02d}: " + ("đăng ký, cấp đổi và xác nhận " * (1 + i % 3)).strip(),
     [f"Giấy tờ {j + 1} của thủ tục {i + 1}" + (" (bản chính và bản sao)" if j % 2 else "")
      for j in range(2 + i % 4)])
    for i in range(30)
]  # fmt: skip


def long_list_centre() -> str:
    """One field with 30 procedures, more than any screen holds."""
    procs = "".join(
        f'\n[[sites.services.procedures]]\nname = "{name}"\ndocuments = {docs!r}\n'.replace(
            "'", '"'
        )
        for name, docs in LONG_PROCEDURES
    )
    return f"""
[[sites]]
code = "dai"
name = "UBND xã Đại Lộc"
hours = "always"

[[sites.services]]
code = "TH"
name = "Tổng hợp"
name_en = "General"
prefix = "A"
icon = "doc"
{procs}
[[sites.counters]]
number = 1
services = ["TH"]
"""


# Visible procedure cards: name, and whether the whole card is inside the list's box and the
# screen (nothing shown cut off, nothing reachable only by a scroll no one sees).
VISIBLE_CARDS = """() => { const box = document.getElementById('lookup').getBoundingClientRect();
  return [...document.querySelectorAll('#lookup .k-proc')].filter((n) => n.offsetParent !== null)
    .map((n) => { const r = n.getBoundingClientRect();
      return { name: n.querySelector('h2').textContent,
               inside: r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5
                       && r.bottom <= innerHeight && r.right <= innerWidth }; }); }"""


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_thirty_procedures_are_paged_and_each_is_reachable(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk], orientation: str
) -> None:
    server = servers("long_list")
    k = kiosks(server, orientation).open()
    page = k.page
    k.tap("#btn-lookup")
    k.tap('#lookup .k-field[data-service="TH"]')
    expect(page.locator("#lookup-title")).to_have_text("Tổng hợp")
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        cards = page.evaluate(VISIBLE_CARDS)
        k.shoot(f"long-list-{pages}")
        assert cards, f"page {pages} shows no procedure"
        assert [c for c in cards if not c["inside"]] == [], f"page {pages}: cut off"
        # Nothing scrolls out of sight: the list's box holds exactly what it shows.
        assert page.evaluate(
            "() => { const b = document.getElementById('lookup');"
            " return b.scrollHeight <= b.clientHeight + 1 && b.scrollTop === 0; }"
        )
        seen += [c["name"] for c in cards]
        total = page.locator("body").get_attribute("data-page")
        assert total is not None and total.startswith(f"{pages}/")
        expect(page.locator("#page-of")).to_have_text("Trang {} trên {}".format(*total.split("/")))
        if pages == 1:
            expect(page.locator("#btn-page-prev")).to_be_hidden()
            k.check_layout("long list, first page")
        if page.locator("#btn-page-next").is_hidden():
            break
        expect(page.locator("#btn-page-next")).to_have_text("Xem tiếp")
        k.tap("#btn-page-next")
        assert pages < 31, "paging never ends"
    assert seen == [name for name, _ in LONG_PROCEDURES]
    assert pages > 1 and total == f"{pages}/{pages}"
    k.shoot("long-list-last")
    k.check_layout("long list, last page")
    # Back a page, then take a number from a procedure of the last pages.
    expect(page.locator("#btn-page-prev")).to_have_text("Trang trước")
    k.tap("#btn-page-prev")
    assert page.locator("body").get_attribute("data-page") == f"{pages - 1}/{pages}"
    name = page.evaluate(VISIBLE_CARDS)[0]["name"]
    data = k.issue_by_tap("#lookup .k-proc:visible >> nth=0 >> .k-take")
    k.printed("ok")
    assert data["ticket"]["service"] == "TH"
    assert name in seen[-12:]


# ---- contrast ------------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_every_kiosk_text_is_readable_in_every_state(
    servers: Callable[[str], KioskServer], kiosks: Callable[..., Kiosk], orientation: str
) -> None:
    """WCAG AA (4.5:1) for every visible text of every kiosk screen, from rendered colours:
    idle, the priority question, the lookup, the ticket, a closed field and its message."""
    k = kiosks(servers("default"), orientation).open()
    page = k.page
    assert_readable(page, "kiosk idle")
    k.tap('#fields .k-prio[data-service="LD"]')
    k.at("priority")
    assert_readable(page, "kiosk priority question")
    k.tap("#btn-back-priority")
    k.at("idle")
    k.tap("#btn-lookup")
    k.at("lookup")
    assert_readable(page, "kiosk lookup")
    k.tap("#btn-back-lookup")
    k.at("idle")
    k.issue_by_tap('#fields .k-field[data-service="LD"]')
    k.printed("ok")
    page.wait_for_timeout(400)  # the ticket's entrance animation
    assert_readable(page, "kiosk ticket")

    limits = kiosks(servers("limits"), orientation).open()
    expect(limits.page.locator('#fields .k-field[data-service="DD"]')).to_have_class(
        re.compile(r"\bclosed\b")
    )
    assert_readable(limits.page, "kiosk with a field out of hours")
    limits.tap('#fields .k-field[data-service="DD"]')
    limits.at("message")
    assert_readable(limits.page, "kiosk out-of-hours message")
