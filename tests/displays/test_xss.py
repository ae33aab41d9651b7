"""HTML and script payloads in every configurable text and every query parameter: no script runs.

A centre whose site, notice, field (vi and en), procedure, document, counter, spoken
counter and announcement texts, and whose kiosk, clerk, admin and agent token names, all
carry payloads, served by a real `motcua run` process and opened in Debian's Chromium.
Every page is loaded with payloads in each of its query parameters (and in the path for
the error pages), while tickets are issued, called, recalled, transferred and completed,
so the payload names also arrive through live events. On every page and frame:

- no dialog opened and `window.__xss` stays undefined (each payload would set it);
- no element carries an injected handler, script or `javascript:` link (this holds even
  where a Content-Security-Policy would stop the handler from running);
- where a text is shown, it is shown as the literal text of the payload.

The service `icon` is refused when the centre is loaded; the kiosk's own handling of a
hostile icon (what reached innerHTML before) is tested by answering its /services call
with one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from playwright.sync_api import Frame, Page, Route, expect

from queue_server.config import ConfigError, parse_config
from tests.conftest import ServerProcess, motcua

pytestmark = pytest.mark.server

API = "/api/v1"
HTTP_TIMEOUT = 10
expect.set_options(timeout=10_000)

# ---- the payloads ---------------------------------------------------------------------

RUN = "window.__xss=1"
IMG = f'<img src=x onerror="{RUN}">'
SCRIPT = f'"><script>{RUN}</script>'
JS_URL = f"javascript:{RUN}"
TITLE = f"</title><svg onload={RUN}>"
TEMPLATE = "{{7*7}}"
ALERT = "'><svg/onload=alert(document.domain)>"  # a dialog, should it ever run
PAYLOADS = (IMG, SCRIPT, JS_URL, TITLE, TEMPLATE, ALERT)
Q = quote(" ".join(PAYLOADS), safe="")  # every payload in one query parameter
# What the kiosk once put into innerHTML (`<svg><use href="#ic-${icon}"/></svg>`): this
# closes the <use> and breaks out of the SVG with an <img> whose error handler runs.
ICON = f'"/><img src=x onerror="{RUN}">'

SITE = f"Trung tâm {TITLE} {TEMPLATE}"
NOTICE = f"Thông báo {SCRIPT} {IMG} {TEMPLATE} {ALERT}"
HT, HT_EN = f"Hộ tịch {IMG}", f"Civil status {TITLE}"
CT, CT_EN = f"Chứng thực {SCRIPT}", f"Certification {JS_URL} {ALERT}"
PROCEDURE = f"Khai sinh {TITLE} {ALERT}"
DOCUMENTS = [IMG, SCRIPT, JS_URL, f"Tờ khai {TEMPLATE}"]
COUNTER_1, SPOKEN_1 = f"Quầy {IMG}", f"một {SCRIPT}"
COUNTER_2 = f"Quầy {TITLE} {JS_URL}"
ANNOUNCE = f"{IMG} Mời số {{number}} đến {{counter}} {ALERT}"
NAMES = {"kiosk": IMG, "clerk": SCRIPT, "admin": TITLE, "agent": f"{ALERT} {JS_URL}"}
AGENT_REPORT_NAME = f"PC {IMG} {TITLE}"


def _s(text: str) -> str:
    """A TOML basic string."""
    return json.dumps(text, ensure_ascii=False)


def payload_centre(icon: str = "family") -> str:
    """A centre whose every configurable text carries payloads."""
    return f"""
[server]
voice = false

[[sites]]
code = "xss"
name = {_s(SITE)}
notice = {_s(NOTICE)}
hours = "always"
kiosk_priority_step = false
kiosk_rate_per_minute = 600
announce_template = {_s(ANNOUNCE)}
announce_slot_seconds = 0
waiting_area = {_s(NOTICE)}

[[sites.services]]
code = "HT"
name = {_s(HT)}
name_en = {_s(HT_EN)}
prefix = "A"
icon = {_s(icon)}

[[sites.services.procedures]]
name = {_s(PROCEDURE)}
documents = {_s(DOCUMENTS)}

[[sites.services]]
code = "CT"
name = {_s(CT)}
name_en = {_s(CT_EN)}
prefix = "B"
icon = "stamp"

[[sites.counters]]
number = 1
name = {_s(COUNTER_1)}
spoken = {_s(SPOKEN_1)}
services = ["HT", "CT"]

[[sites.counters]]
number = 2
name = {_s(COUNTER_2)}
services = ["CT", "HT"]
"""


# ---- the server and its tokens --------------------------------------------------------


class Centre:
    """The payload centre on a real server, with tokens whose names are payloads."""

    def __init__(self, server: ServerProcess) -> None:
        self.server, self.url = server, server.url
        self.http = requests.Session()
        self.kiosk = self.token("kiosk")
        self.clerk = self.token("clerk", counter=1)
        self.admin = self.token("admin")
        self.agent = self.token("agent")

    def token(self, role: str, counter: int | None = None) -> str:
        """`motcua token create` with the role's payload name."""
        s = self.server
        cmd = [sys.executable, "-m", "queue_server.cli", "token", "create", "--role", role,
               "--name", NAMES[role], "--data-dir", str(s.data_dir), "--config",
               str(s.config_path)]  # fmt: skip
        if counter is not None:
            cmd += ["--counter", str(counter)]
        out = subprocess.run(cmd, env=s.env, capture_output=True, text=True, check=True)
        return out.stdout.strip().splitlines()[-1]

    def call(self, method: str, path: str, token: str | None, payload: Any = None) -> Any:
        """An API call that must succeed; its JSON (always JSON, never a page)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(
            method, f"{self.url}{API}{path}", json=payload, headers=headers, timeout=HTTP_TIMEOUT
        )
        assert r.status_code in (200, 201, 202), r.text
        assert r.headers["Content-Type"].startswith("application/json"), r.headers
        return r.json()

    def issue(self, service: str) -> dict[str, Any]:
        """A ticket from the kiosk (named with a payload)."""
        return self.call("POST", "/tickets", self.kiosk, {"service": service})["ticket"]  # type: ignore[no-any-return]

    def act(self, counter: int, action: str, payload: Any = None) -> Any:
        """A counter action: counter 1 by its clerk, any other by the admin."""
        token = self.clerk if counter == 1 else self.admin
        return self.call("POST", f"/counters/{counter}/{action}", token, payload)


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    """The payload centre on a real server process."""
    root = tmp_path_factory.mktemp("xss")
    config = root / "centre.toml"
    config.write_text(payload_centre(), "utf-8")
    server = ServerProcess(root / "data", config, {"MOTCUA_VOICE": "0"}).start()
    try:
        yield Centre(server)
    finally:
        server.stop()


# ---- pages, and what must hold on each ------------------------------------------------

# Run in every frame of a page: markup a payload would leave behind if it were parsed.
INJECTED = """() => {
  const found = [];
  const mark = /__xss|alert\\(/;
  for (const node of document.querySelectorAll("*")) {
    for (const a of node.attributes) {
      const url = /^(href|src|action|formaction|xlink:href|data)$/i.test(a.name);
      if ((/^on/i.test(a.name) && mark.test(a.value)) || (url && /^\\s*javascript:/i.test(a.value)))
        found.push(`<${node.localName} ${a.name}="${a.value}">`);
    }
    if (node.localName === "script" && mark.test(node.textContent))
      found.push(`<script>${node.textContent}`);
  }
  return found;
}"""


class Browser:
    """Pages in one context: records dialogs, page errors and every page to check."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )  # fmt: skip
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.pages: list[tuple[str, Page]] = []
        self.status: dict[str, int] = {}

    def open(self, url: str, ready: str | None = None) -> Page:
        """Open a page, and wait for `ready` (a selector) when given."""
        page = self.context.new_page()
        name = url.split("?token=")[0]

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(f"{name}: {dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda err: self.errors.append(f"{name}: {err}"))
        response = page.goto(url)
        self.status[url] = response.status if response else 0
        if ready:
            page.wait_for_selector(ready, state="attached")
        self.pages.append((name, page))
        return page

    def check(self) -> None:
        """On every page and frame: no dialog, no script ran, no markup injected."""
        ran, injected = [], []
        for name, page in self.pages:
            page.wait_for_timeout(50)  # let image errors and load events fire
            for frame in page.frames:
                if _evaluate(frame, "() => window.__xss") is not None:
                    ran.append(f"{name} ({frame.url})")
                injected += [f"{name}: {m}" for m in _evaluate(frame, INJECTED) or []]
        assert not self.dialogs, self.dialogs
        assert not ran, f"a payload ran on: {ran}"
        assert not injected, f"payload markup in the page: {injected}"
        assert not self.errors, f"script errors: {self.errors}"

    def close(self) -> None:
        """Close the context and its pages."""
        self.context.close()


def _evaluate(frame: Frame, script: str) -> Any:
    """Evaluate in a frame; a page that reloads itself (the overview) is tried again."""
    for _ in range(3):
        try:
            return frame.evaluate(script)
        except Exception as err:  # the execution context was destroyed by a reload
            if "context was destroyed" not in str(err) and "navigat" not in str(err):
                raise
            frame.wait_for_load_state()
    return frame.evaluate(script)


@pytest.fixture
def pages(browser: Any) -> Iterator[Browser]:
    """A browser context whose pages are checked at the end of the test."""
    b = Browser(browser)
    yield b
    b.close()


def texts(page: Page, selector: str) -> list[str]:
    """The textContent of every element matching selector."""
    return page.locator(selector).evaluate_all("(ns) => ns.map((n) => n.textContent)")


# ---- the tests ------------------------------------------------------------------------


def test_the_icon_is_refused_at_load(tmp_path: Path):
    """A payload in `icon` never reaches a page: the centre does not load."""
    with pytest.raises(ConfigError) as caught:
        parse_config(payload_centre(icon=ICON), "centre.toml", environ={})
    assert caught.value.key == "sites[0].services[0].icon"
    assert caught.value.problem.startswith(f"unknown pictogram {ICON!r} (known: family, ")
    path = tmp_path / "centre.toml"
    path.write_text(payload_centre(icon=IMG), "utf-8")
    out = motcua("config", "check", str(path), cwd=tmp_path)
    assert out.returncode != 0 and "unknown pictogram" in out.stderr + out.stdout, out
    parse_config(payload_centre(), "centre.toml", environ={})  # every other payload loads


def test_no_payload_runs_on_any_page_with_live_events(centre: Centre, pages: Browser):
    first = centre.issue("HT")  # A001: the status page's ticket, issued before it opens
    centre.issue("CT")
    url = centre.url
    lobby = pages.open(
        f"{url}/display?counters=1,2,{Q}&services=HT,CT,{Q}&lang={Q}&audio={Q}&x={Q}",
        "body[data-seq]",
    )
    lobby_en = pages.open(f"{url}/display?lang=en&audio=0&services={Q},HT,CT", "body[data-seq]")
    screen = pages.open(f"{url}/display/counter/1?lang={Q}&x={Q}", "body[data-seq]")
    console = pages.open(f"{url}/counter/1?token={centre.clerk}&lang={Q}&x={Q}", "body[data-ready]")
    status = pages.open(f"{url}/t/{first['id']}?lang={Q}&x={Q}", "#s-number")
    kiosk = pages.open(f"{url}/kiosk?token={centre.kiosk}&lang={Q}&x={Q}", "body[data-ready]")
    kiosk_en = pages.open(f"{url}/kiosk?token={centre.kiosk}&lang=en", "body[data-ready]")

    # Live events while every page is open: issue, call, recall, transfer, complete, pause.
    centre.issue("HT")  # A002
    centre.act(1, "call-next")  # A001 to counter 1, by its clerk: its names are announced
    expect(lobby.locator("#now-counter")).to_have_text(COUNTER_1)
    expect(status.locator("#s-call")).to_contain_text(COUNTER_1)
    centre.act(1, "recall")
    centre.act(1, "transfer", {"service": "CT"})
    expect(status.locator("#s-field")).to_have_text(CT)
    centre.act(2, "call-next")  # the transferred A001 (it keeps its place) to counter 2
    expect(lobby.locator("#now-counter")).to_have_text(COUNTER_2)
    expect(status.locator("#s-call")).to_contain_text(COUNTER_2)
    centre.act(2, "complete")
    centre.act(2, "pause")
    centre.act(2, "resume")
    centre.act(1, "call-next")  # A002 to counter 1
    centre.call(
        "POST", "/agent/health", centre.agent,
        {"name": AGENT_REPORT_NAME, "devices": [{"id": "kp1", "state": "ok", "detail": IMG}]},
    )  # fmt: skip
    agents = centre.call("GET", "/devices", centre.admin)["agents"]
    assert [a["name"] for a in agents] == [AGENT_REPORT_NAME]

    # The lobby: names as text, the call's announcement (template + spoken name) as text.
    expect(lobby.locator("#now-counter")).to_have_text(COUNTER_1)
    expect(lobby.locator("#now-field")).to_have_text(HT)
    caption = lobby.locator("#now-caption")
    for text in (IMG, SPOKEN_1, ALERT):
        expect(caption).to_contain_text(text)
    assert lobby.title().startswith(SITE)
    expect(lobby.locator("#centre-name")).to_have_text(SITE)
    expect(lobby.locator("#notice")).to_have_text(NOTICE)
    assert texts(lobby, "#waiting .wname") == [HT, CT]
    assert texts(lobby, "#tiles .cname") == [COUNTER_1, COUNTER_2]
    expect(lobby.locator("#recent")).to_contain_text(COUNTER_2)
    assert texts(lobby_en, "#waiting .wname") == [HT_EN, CT_EN]
    expect(lobby_en.locator("#now-field")).to_have_text(HT_EN)
    expect(status.locator(".centre")).to_have_text(SITE)
    expect(status.locator("body")).to_have_attribute("data-status", "done")

    # The counter's own display and the clerk console.
    expect(screen.locator("#cd-name")).to_have_text(COUNTER_1)
    expect(screen.locator("#cd-field")).to_have_text(HT)
    assert screen.title() == f"{COUNTER_1} · {SITE}"
    expect(console.locator("#cur-field")).to_have_text(HT)
    assert texts(console, ".bar .title") == [COUNTER_1]
    assert texts(console, ".bar .subtitle") == [SITE]
    assert texts(console, "#transfer-select option") == [HT, CT]

    # The kiosk: fields, lookup with the procedure and its documents, a ticket taken.
    assert texts(kiosk, "#fields .k-fname") == [HT, CT]
    assert texts(kiosk, "#fields .k-fnote") == [HT_EN, CT_EN]
    kiosk.locator("#btn-lookup").click()
    assert texts(kiosk, "#lookup .k-fname") == [HT, CT]
    kiosk.locator('#lookup [data-service="HT"]').click()
    expect(kiosk.locator("#lookup-title")).to_have_text(HT)
    assert texts(kiosk, "#lookup .k-proc h2") == [PROCEDURE]
    assert texts(kiosk, "#lookup .k-proc li") == DOCUMENTS
    kiosk.locator("#lookup .k-take").click()
    expect(kiosk.locator("body")).to_have_attribute("data-screen", "ticket")
    expect(kiosk.locator("#t-field")).to_have_text(HT)
    expect(kiosk.locator("#t-area")).to_have_text(f"Nơi chờ: {NOTICE}")
    assert texts(kiosk_en, "#fields .k-fname") == [HT_EN, CT_EN]

    # Pages rendered on the server, after the events: the overview and the slip.
    home = pages.open(f"{url}/?x={Q}&lang={Q}", "h1")
    expect(home.locator("h1")).to_have_text("Trang khởi đầu cho cán bộ trung tâm")
    expect(home.locator("body")).to_contain_text(SITE)
    for text in (NOTICE, COUNTER_1, COUNTER_2, HT, CT):
        expect(home.locator("body")).to_contain_text(text)
    ticket = centre.issue("HT")["id"]  # the slip of an HT ticket, with its procedure's list
    slip = pages.open(f"{url}/t/{ticket}/slip?procedure={quote(PROCEDURE)}", ".docs")
    assert texts(slip, ".docs li") == DOCUMENTS
    expect(slip.locator(".centre")).to_have_text(SITE)
    expect(slip.locator(".field")).to_have_text(HT)
    unknown = pages.open(f"{url}/t/{ticket}/slip?procedure={Q}&lang={Q}", "h1")  # 404 page
    for text in (TITLE, HT):  # "no procedure <payload> in <field>"
        expect(unknown.locator("h1")).to_contain_text(text)
    assert TITLE in unknown.title()
    pages.check()


ERROR_PAGES = [
    f"/t/{Q}",
    f"/t/{Q}/slip?procedure={Q}",
    f"/t/{quote(IMG, safe='')}?lang={Q}",
    f"/display?site={Q}&lang={Q}",
    f"/kiosk?site={Q}&token={Q}",
    f"/counter/1?site={Q}&token={Q}",
    f"/display/counter/99?lang={Q}",
    f"/display/counter/{Q}",
    f"/counter/99?lang={Q}",
    f"/demo/devices?lang={Q}",
    f"/{Q}",
    f"/{quote(IMG, safe='')}/{quote(TITLE)}",
]


def test_no_payload_runs_on_error_pages_or_with_a_payload_token(centre: Centre, pages: Browser):
    for path in ERROR_PAGES:
        pages.open(f"{centre.url}{path}")
    answers = {url.removeprefix(centre.url): code for url, code in pages.status.items()}
    assert all(400 <= code < 500 for code in answers.values()), answers
    # A payload as the device code: kept as a code, shown nowhere; the console asks again.
    pages.open(f"{centre.url}/kiosk?token={Q}", "body[data-screen]")
    console = pages.open(f"{centre.url}/counter/2?token={Q}")
    expect(console.locator("#signin")).to_be_visible()
    pages.check()


def hostile_services(route: Route) -> None:
    """Answer the kiosk's /services call with icons that are markup, not pictogram names."""
    response = route.fetch()
    data = response.json()
    for service in data["services"]:
        service["icon"] = ICON
    route.fulfill(response=response, json=data)


def test_the_kiosk_builds_a_hostile_icon_as_nodes(centre: Centre, pages: Browser):
    """Even an icon that is markup (an older server, a proxy) stays an attribute value."""
    pages.context.route("**/api/v1/services?*", hostile_services)
    kiosk = pages.open(f"{centre.url}/kiosk?token={centre.kiosk}", "body[data-ready]")
    expect(kiosk.locator("#fields .k-field")).to_have_count(2)
    hrefs = kiosk.locator("#fields .k-field use").evaluate_all(
        "(ns) => ns.map((n) => n.getAttribute('href'))"
    )
    assert hrefs == ["#ic-doc", "#ic-doc"]  # an unknown name shows the plain document
    assert kiosk.locator("#fields img").count() == 0
    kiosk.locator("#btn-lookup").click()
    expect(kiosk.locator("#lookup .k-field use")).to_have_count(2)
    assert kiosk.locator("#lookup img").count() == 0
    pages.check()
