"""Error pages (issue 11, item 15): a browser opening a page that fails gets a
Vietnamese-first page in the house look, never Flask's English page or a traceback; the API
and JSON requests keep their JSON errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import request
from werkzeug.exceptions import BadRequest

from queue_server.app import create_app
from queue_server.contract.messages import render
from tests.conftest import make_config

API = "/api/v1"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SECRET = "s3cr3t-in-the-exception"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    """The test centre on SQLite, plus two routes that fail on purpose."""
    app = create_app(make_config(tmp_path), voice=None, heartbeat=False)

    @app.get("/_boom")
    def boom() -> str:
        raise RuntimeError(SECRET)

    @app.post("/_form")
    def form() -> str:
        return str(len(request.form))  # reading the body enforces max_body_bytes

    @app.get("/_bad")
    def bad() -> str:
        raise BadRequest("bad thing " + SECRET)

    yield app.test_client()
    app.extensions["motcua"].db.dispose()


def page_of(resp: Any, status: int) -> str:
    """The error page's HTML, checked for what every error page has."""
    assert resp.status_code == status
    assert resp.mimetype == "text/html"
    html: str = resp.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "/static/displays/css/pages.css" in html and "/static/displays/css/base.css" in html
    assert 'href="/"' in html and "Về trang chủ" in html
    assert "Traceback" not in html and "Werkzeug" not in html and "<title>404 Not Found" not in html
    return html


def first_and_english(html: str, status: int) -> tuple[str, str]:
    """The h1 and the English line; the Vietnamese comes first."""
    vi, en = render(f"page.error.{status}")
    h1 = re.search(r"<h1>(.*?)</h1>", html)
    assert h1 is not None and h1.group(1) == vi
    assert html.index(vi) < html.index(en), "Vietnamese first, English second"
    return vi, en


@pytest.mark.parametrize("path", ["/no-such-page", "/display/nothing", "/static/displays/x.css"])
def test_unknown_pages_get_the_vietnamese_404_page(client: Any, path: str) -> None:
    html = page_of(client.get(path, headers=BROWSER), 404)
    first_and_english(html, 404)
    assert "Không tìm thấy trang này" in html and "Page not found" in html
    # curl and scripts asking for anything get the page too: they are not the API
    page_of(client.get(path), 404)


def test_a_wrong_method_on_a_page_is_a_405_page_with_allow(client: Any) -> None:
    resp = client.post("/", headers=BROWSER, data={"x": "1"})
    html = page_of(resp, 405)
    first_and_english(html, 405)
    assert "GET" in resp.headers["Allow"]


def test_a_crash_is_a_500_page_without_the_traceback(client: Any) -> None:
    resp = client.get("/_boom", headers=BROWSER)
    html = page_of(resp, 500)
    first_and_english(html, 500)
    assert SECRET not in html and "RuntimeError" not in html
    assert "internal_error" in html


def test_a_too_large_body_on_a_page_is_a_413_page(client: Any) -> None:
    big = {"x": "a" * 20_000}  # max_body_bytes is 16384
    html = page_of(client.post("/_form", data=big, headers=BROWSER), 413)
    first_and_english(html, 413)


def test_a_bad_request_on_a_page_is_a_400_page(client: Any) -> None:
    # A display page with a site that does not exist is a domain error: its own words.
    html = page_of(client.get("/display?site=nowhere", headers=BROWSER), 404)
    assert "Không có điểm phục vụ &#39;nowhere&#39;." in html
    resp = client.get("/t/%ZZ", headers=BROWSER)  # werkzeug: a malformed URL
    assert resp.status_code in (400, 404) and resp.mimetype == "text/html"
    # A BadRequest raised by a page gets the 400 page, without the exception's words.
    html = page_of(client.get("/_bad", headers=BROWSER), 400)
    first_and_english(html, 400)
    assert SECRET not in html


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", f"{API}/no-such-route", 404, "not_found"),
        ("GET", f"{API}/tickets/unknown-ticket-id", 404, "unknown_ticket"),
        ("DELETE", f"{API}/health", 405, "method_not_allowed"),
    ],
)
def test_the_api_keeps_its_json_errors(
    client: Any, method: str, path: str, status: int, code: str
) -> None:
    resp = client.open(path, method=method, headers=BROWSER)  # even for a browser
    assert resp.status_code == status and resp.mimetype == "application/json"
    assert resp.get_json()["error"]["code"] == code


def test_a_json_request_to_a_page_path_gets_json(client: Any) -> None:
    # The demo's keypad page posts JSON outside /api/: its errors stay JSON.
    resp = client.post("/_form", data="x" * 20_000, content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "payload_too_large"
    resp = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
