"""What browsers are told and whom the server believes (issue 9, defects 3, 5, 6 and 8).

Socket.IO handshakes from a foreign Origin are refused on polling and WebSocket; status links
and slips' QR codes never take a forged Host header; every page and API route sends the
security headers; the demo's anonymous keypads answer only on a loopback or public-demo
server. Flask's test client for the tables, real `motcua run` processes for the sockets.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
import websocket
import zxingcpp
from PIL import Image

from queue_server.app import create_app
from queue_server.config import ConfigError, parse_config
from queue_server.web.security import origin_check
from tests.conftest import ROOT, ServerProcess, auth, centre_text, make_config

API = "/api/v1"
EVIL = "http://evil.example"
NS = "/display"
QUIET = {"MOTCUA_VOICE": "0"}


# -- security headers on every route ---------------------------------------------------------

SAMPLES: dict[str, Any] = {
    "number": 1,
    "counter": 1,
    "name": "socket.io.min.js",
    "step": "idle",
    "filename": "css/base.css",
    "ticket_number": "A0001",
    "username": "nobody",
    "token_id": 999_999,  # unknown: never the test's own admin token
}
"""A value for each route argument (ticket_id: a real ticket); a new one must be added here."""


def csp(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: sources}."""
    policy = response.headers.get("Content-Security-Policy", "")
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def assert_secure(response: Any, where: str, framed_by_us: bool = False) -> None:
    """The headers every response carries (the HTML slip may be framed by our own pages)."""
    policy = csp(response)
    assert policy.get("script-src") == ["'self'"], where
    assert policy.get("default-src") == ["'self'"], where
    assert policy.get("connect-src") == ["'self'"], where
    assert policy.get("base-uri") == ["'none'"], where
    assert policy.get("form-action") == ["'self'"], where
    assert policy.get("object-src") == ["'none'"], where
    assert not any("unsafe-eval" in s for v in policy.values() for s in v), where
    assert policy.get("frame-ancestors") == (["'self'"] if framed_by_us else ["'none'"]), where
    frames = "SAMEORIGIN" if framed_by_us else "DENY"
    assert response.headers.get("X-Frame-Options") == frames, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where


@pytest.fixture
def hooked_app(tmp_path: Path, db: Any, clock: Any) -> Any:
    """The test centre with the test hooks on, so their routes are checked too."""
    return create_app(make_config(tmp_path, test_hooks=True), clock=clock, db=db, heartbeat=False)


def test_every_route_sends_the_security_headers(hooked_app: Any) -> None:
    app = hooked_app
    client = app.test_client()
    ticket = app.extensions["motcua"].desk.issue("HT").ticket.id
    admin = create_admin(app)
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        values = {arg: ticket if arg == "ticket_id" else SAMPLES[arg] for arg in rule.arguments}
        path = adapter.build(rule.endpoint, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for headers in ({}, auth(admin)):
                with client.open(path, method=method, json={}, headers=headers) as res:
                    where = f"{method} {path} -> {res.status_code}"
                    slip = rule.endpoint == "displays.ticket_slip"
                    assert_secure(res, where, framed_by_us=slip)
                checked += 1
    assert checked > 90
    # Flask's own answers (unknown page, unknown API path, wrong method) carry them too.
    for method, path in (("GET", "/nope"), ("GET", f"{API}/nope"), ("DELETE", f"{API}/queue")):
        assert_secure(client.open(path, method=method), f"{method} {path}")


def create_admin(app: Any) -> str:
    """An admin token of the test site."""
    from queue_server.auth import create_token

    ext = app.extensions["motcua"]
    return create_token(ext.db, ext.desk.clock, role="admin", site="test", name="pytest")


TEMPLATES = sorted(
    path
    for folder in ("displays/templates", "counters/templates", "queue_server/web/templates")
    for path in (ROOT / folder).rglob("*.html")
)
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|javascript:", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_or_event_handler_in_templates(template: Path) -> None:
    """The CSP refuses inline code: it belongs in static JS files."""
    found = INLINE_CODE.findall(template.read_text("utf-8"))
    assert found == [], f"{template}: inline code {found}"


# -- status links never follow a forged Host -------------------------------------------------


def test_a_forged_host_gets_relative_links_and_slips_the_listening_address(
    app: Any, client: Any, token: Any
) -> None:
    kiosk = token("kiosk")
    forged = {"Host": "evil.example", **auth(kiosk)}
    res = client.post(f"{API}/tickets", json={"service": "HT", "print": True}, headers=forged)
    assert res.status_code == 201, res.get_data(as_text=True)
    ticket = res.get_json()["ticket"]
    assert ticket["status_url"] == f"/t/{ticket['id']}"
    printer = app.extensions["motcua"].printing.printers()[0]
    assert printer.jobs[-1].slip.status_url == f"http://127.0.0.1:5000/t/{ticket['id']}"
    for path in (f"{API}/tickets/{ticket['id']}", f"/t/{ticket['id']}/slip", f"{API}/queue"):
        body = client.get(path, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body, path


@pytest.mark.parametrize(
    ("server", "host", "expected"),
    [
        ({}, "evil.example", ""),
        ({}, "127.0.0.1:5000", "http://127.0.0.1:5000/"),  # the listening address itself
        ({}, "localhost:5000", "http://localhost:5000/"),
        ({}, "localhost:5001", ""),
        ({"trusted_hosts": ["queue.local"]}, "queue.local:8080", "http://queue.local:8080/"),
        ({"trusted_hosts": ["queue.local:80"]}, "queue.local:8080", ""),
        ({"host": "0.0.0.0"}, "10.0.0.2:5000", ""),  # a wildcard names no host of its own
        ({"public_url": "https://q.example/"}, "evil.example", "https://q.example/"),
    ],
)
def test_status_base(tmp_path: Path, server: dict[str, Any], host: str, expected: str) -> None:
    settings = make_config(tmp_path, **server).server
    assert settings.status_base(host, f"http://{host}/") == expected


def test_new_settings_from_the_environment_and_their_errors(tmp_path: Path) -> None:
    env = {
        "MOTCUA_TRUSTED_HOSTS": "Queue.Local, 10.0.0.2:5000,",
        "MOTCUA_ALLOWED_ORIGINS": "https://Proxy.example/",
        "MOTCUA_PUBLIC_DEMO": "yes",
    }
    server = parse_config(centre_text(), environ=env).server
    assert server.trusted_hosts == ["queue.local", "10.0.0.2:5000"]
    assert server.allowed_origins == ["https://proxy.example"]
    assert server.public_demo is True
    with pytest.raises(ConfigError, match=r"allowed_origins\[0\]: 'https://x/y' is not an origin"):
        parse_config(centre_text(), environ={"MOTCUA_ALLOWED_ORIGINS": "https://x/y"})
    with pytest.raises(ConfigError, match=r"trusted_hosts\[1\]: 'http://b' is not HOST"):
        parse_config(centre_text(), environ={"MOTCUA_TRUSTED_HOSTS": "a,http://b"})


# -- which origins may open a socket ---------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "sent", "host", "allowed"),
    [
        ({}, "http://127.0.0.1:5000", "127.0.0.1:5000", True),
        ({}, "http://localhost:5000", "localhost:5000", True),
        ({}, EVIL, "127.0.0.1:5000", False),
        ({}, EVIL, "evil.example", False),  # a listener on one address believes no Host
        ({}, "null", "127.0.0.1:5000", False),
        ({}, None, "127.0.0.1:5000", False),  # no Origin: no CORS headers (not a refusal)
        ({}, "http://127.0.0.1:5001", "127.0.0.1:5000", False),
        ({"public_url": "https://q.example/x/"}, "https://q.example", "127.0.0.1:5000", True),
        ({"public_url": "https://q.example/"}, "http://q.example", "127.0.0.1:5000", False),
        ({"allowed_origins": ["https://proxy.example"]}, "https://proxy.example", "x", True),
        ({"trusted_hosts": ["queue.local"]}, "http://queue.local:5000", "queue.local:5000", True),
        ({"host": "0.0.0.0"}, "http://10.0.0.2:5000", "10.0.0.2:5000", True),  # its own page
        ({"host": "0.0.0.0"}, EVIL, "10.0.0.2:5000", False),
        ({"host": "0.0.0.0"}, "http://127.0.0.1:5000", "127.0.0.1:5000", True),
    ],
)
def test_origin_check(
    tmp_path: Path, server: dict[str, Any], sent: str | None, host: str, allowed: bool
) -> None:
    check = origin_check(make_config(tmp_path, **server).server)
    assert check(sent, {"HTTP_HOST": host}) is allowed


def polling(url: str, origin: str) -> requests.Response:
    """An Engine.IO polling handshake sent with this Origin."""
    path = f"{url}/socket.io/?EIO=4&transport=polling"
    return requests.get(path, headers={"Origin": origin}, timeout=5)


def ws_handshake(url: str, origin: str) -> str:
    """A raw Engine.IO WebSocket handshake with this Origin: its open packet, or the refusal."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    try:
        conn = websocket.create_connection(ws_url, origin=origin, timeout=5)
    except websocket.WebSocketBadStatusException as err:
        return f"refused {err.status_code}"
    try:
        return str(conn.recv())
    finally:
        conn.close()


def lobby(url: str, origin: str, transport: str) -> dict[str, Any]:
    """Connect a python-socketio lobby client from this origin; the snapshot it gets."""
    got: list[dict[str, Any]] = []
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    client.on("snapshot", got.append, namespace=NS)
    headers = {"Origin": origin} if transport == "polling" else {}
    try:
        client.connect(url, namespaces=[NS], transports=[transport], headers=headers,
                       wait_timeout=10)  # fmt: skip
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.disconnect()
    assert got, "no snapshot"
    return got[0]


def refused(url: str, origin: str, transport: str) -> bool:
    """Whether a python-socketio client from this origin fails to connect."""
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    headers = {"Origin": origin} if transport == "polling" else {}
    try:
        client.connect(url, namespaces=[NS], transports=[transport], headers=headers,
                       wait_timeout=5)  # fmt: skip
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


@pytest.mark.server
def test_foreign_origins_are_refused_on_polling_and_websocket(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory(env=QUIET).start()
    url = server.url
    res = polling(url, EVIL)
    assert res.status_code == 400 and "Not an accepted origin" in res.text
    assert "Access-Control-Allow-Origin" not in res.headers
    assert ws_handshake(url, EVIL) == "refused 400"
    assert refused(url, EVIL, "polling") and refused(url, EVIL, "websocket")
    # Its own pages connect, by either transport.
    own = polling(url, url)
    assert own.status_code == 200 and own.text.startswith("0{"), own.text
    assert own.headers["Access-Control-Allow-Origin"] == url
    assert ws_handshake(url, url).startswith("0{")
    for transport in ("polling", "websocket"):
        assert lobby(url, url, transport)["site"]["code"] == "test"


@pytest.mark.server
def test_behind_a_reverse_proxy_the_public_origin_connects(
    server_factory: Callable[..., ServerProcess],
) -> None:
    """The proxy forwards https://queue.example to 127.0.0.1 (its own Host header)."""
    env = {**QUIET, "MOTCUA_PUBLIC_URL": "https://queue.example/",
           "MOTCUA_ALLOWED_ORIGINS": "https://other-proxy.example:8443"}  # fmt: skip
    server = server_factory(env=env).start()
    url = server.url
    for origin in ("https://queue.example", "https://other-proxy.example:8443", url):
        assert polling(url, origin).status_code == 200, origin
        assert ws_handshake(url, origin).startswith("0{"), origin
        assert lobby(url, origin, "websocket")["site"]["code"] == "test", origin
    for origin in (EVIL, "http://queue.example", "https://queue.example.evil.example"):
        assert polling(url, origin).status_code == 400, origin
        assert ws_handshake(url, origin) == "refused 400", origin
    # Links follow public_url, whatever Host the proxy (or anyone) sends.
    kiosk = server.token("kiosk")
    res = requests.post(f"{url}{API}/tickets", json={"service": "HT"},
                        headers={"Host": "evil.example", **auth(kiosk)}, timeout=5)  # fmt: skip
    ticket = res.json()["ticket"]
    assert ticket["status_url"] == f"https://queue.example/t/{ticket['id']}"


# -- a real server, a forged Host, and the slip's QR code -----------------------------------


def read_qr(png: Path) -> list[str]:
    """QR code texts found in a slip preview."""
    return [r.text for r in zxingcpp.read_barcodes(Image.open(png).convert("L"))]


@pytest.mark.server
def test_curl_with_a_forged_host_never_answers_it(
    server_factory: Callable[..., ServerProcess],
) -> None:
    server = server_factory(env=QUIET).start()
    url, kiosk = server.url, server.token("kiosk")
    forged = {"Host": "evil.example"}
    res = requests.post(f"{url}{API}/tickets", json={"service": "HT", "print": True},
                        headers={**forged, **auth(kiosk)}, timeout=10)  # fmt: skip
    assert res.status_code == 201, res.text
    assert "evil.example" not in res.text
    body = res.json()
    ticket, job = body["ticket"], body["print"]["job_id"]
    assert ticket["status_url"] == f"/t/{ticket['id']}"
    for path in (f"{API}/tickets/{ticket['id']}", f"{API}/queue", f"{API}/counters/1/waiting",
                 f"/t/{ticket['id']}", f"/t/{ticket['id']}/slip"):  # fmt: skip
        answer = requests.get(f"{url}{path}", headers=forged, timeout=5)
        assert "evil.example" not in answer.text, path
    reprint = requests.post(f"{url}{API}/tickets/{ticket['id']}/print", json={},
                            headers={**forged, **auth(kiosk)}, timeout=10)  # fmt: skip
    assert reprint.status_code == 200, reprint.text
    # Both slips' QR codes link to the listening address, never to the forged host.
    jobs = (job, reprint.json()["print"]["job_id"])
    for png in (server.data_dir / "printer" / f"{j}.png" for j in jobs):
        assert read_qr(png) == [f"{url}/t/{ticket['id']}"], png
    # The request's own (trusted) host gets absolute links.
    mine = requests.get(f"{url}{API}/tickets/{ticket['id']}", timeout=5).json()["ticket"]
    assert mine["status_url"] == f"{url}/t/{ticket['id']}"
    # Without public_url, start-up warned about the QR codes.
    log = server.log.read_text("utf-8")
    assert f"QR codes on slips link to {url}" in log
    assert f"mã QR trên phiếu trỏ tới {url}" in log


# -- demo mode: anonymous keypads only where that is meant ------------------------------------


def demo_app(tmp_path: Path, db: Any, clock: Any, **server: Any) -> Any:
    """The test centre in demo mode (no simulated devices started)."""
    config = dataclasses.replace(make_config(tmp_path, **server), demo=True)
    return create_app(config, clock=clock, db=db, heartbeat=False)


@pytest.mark.parametrize(
    ("server", "status"),
    [
        ({"host": "0.0.0.0"}, 403),
        ({"host": "::"}, 403),
        ({"host": "10.0.0.2"}, 403),
        ({"host": "0.0.0.0", "public_demo": True}, 503),  # open: past the lock, devices off
        ({"host": "127.0.0.1"}, 503),
        ({"host": "localhost"}, 503),
        ({"host": "::1"}, 503),
    ],
)
def test_demo_keypads_answer_only_on_loopback_or_a_public_demo(
    tmp_path: Path, db: Any, clock: Any, server: dict[str, Any], status: int
) -> None:
    client = demo_app(tmp_path, db, clock, **server).test_client()
    res = client.post("/demo/devices/1/press", json={"key": "NEXT"})
    assert res.status_code == status, res.get_data(as_text=True)
    page = client.get("/demo/devices").get_data(as_text=True)
    if status == 403:
        body = res.get_json()
        assert body["error"] == "demo_locked"
        assert f"nghe trên {server['host']}" in body["message"]
        assert "MOTCUA_PUBLIC_DEMO=1" in body["message_en"]
        assert 'id="dd-locked"' in page and "MOTCUA_PUBLIC_DEMO=1" in page
    else:
        assert res.get_json()["error"] == "devices_off"
        assert 'id="dd-locked"' not in page


@pytest.mark.server
def test_a_demo_on_every_address_locks_its_keypads_and_says_so(tmp_path: Path) -> None:
    """`motcua run` without --config on 0.0.0.0: press answers 403, the banner says why."""
    server = ServerProcess(tmp_path / "data", None, {**QUIET, "MOTCUA_HOST": "0.0.0.0"})
    try:
        server.start()
        res = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "NEXT"}, timeout=5)
        assert res.status_code == 403 and res.json()["error"] == "demo_locked", res.text
        log = server.log.read_text("utf-8")
        vi = "Bản demo: bàn phím mô phỏng bị khóa vì máy chủ nghe trên 0.0.0.0"
        en = "Demo: the simulated keypads are locked because the server listens on 0.0.0.0"
        assert vi in log and en in log and log.index(vi) < log.index(en)
        # Listening everywhere, it still takes its own pages' sockets (Origin host == Host).
        assert polling(server.url, server.url).status_code == 200
        assert polling(server.url, EVIL).status_code == 400
        assert ws_handshake(server.url, EVIL) == "refused 400"
    finally:
        server.stop()


@pytest.mark.server
@pytest.mark.parametrize(
    ("env", "vi", "en"),
    [
        ({}, "Bản demo: chỉ máy này vào được", "Demo: only this computer can reach it"),
        ({"MOTCUA_HOST": "0.0.0.0", "MOTCUA_PUBLIC_DEMO": "1"}, "Bản demo công khai: bất kỳ ai",
         "Public demo: anyone who can reach http://"),
    ],
)  # fmt: skip
def test_an_open_demo_says_who_can_press(tmp_path: Path, env: dict[str, str], vi: str, en: str):
    server = ServerProcess(tmp_path / "data", None, {**QUIET, **env})
    try:
        server.start()
        log = server.log.read_text("utf-8")
        assert vi in log and en in log and log.index(vi) < log.index(en), log[-2000:]
        tokens = json.loads((server.data_dir / "demo-tokens.json").read_text("utf-8"))
        assert tokens  # the demo is up; its keypads pass the lock (no 403)
        res = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "BOOM"}, timeout=5)
        assert res.status_code == 400
    finally:
        server.stop()
