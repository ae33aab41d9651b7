"""The start page's rules (issue 11, item 14) with Flask's test client: sign-in codes only
in a demo whose keypads are open too (loopback or public_demo), every site listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import create_app
from queue_server.config import load_config
from tests.conftest import centre_text, make_config, second_site

OTHER_SITE = second_site()


def demo_page(tmp_path: Path, **server: Any) -> tuple[str, dict[str, str]]:
    config = load_config(None, overrides={"data_dir": str(tmp_path), **server}, environ={})
    app = create_app(config, voice=None, heartbeat=False)
    try:
        html = app.test_client().get("/").get_data(as_text=True)
        path = tmp_path / "demo-tokens.json"
        tokens = json.loads(path.read_text("utf-8")) if path.exists() else {}
    finally:
        app.extensions["motcua"].db.dispose()
    return html, tokens


def test_a_loopback_demo_shows_its_codes(tmp_path: Path) -> None:
    html, tokens = demo_page(tmp_path)
    shown = ["kiosk", "admin", *(k for k in tokens if k.startswith("clerk-"))]
    assert len(shown) == 14 and all(tokens[k] in html for k in shown)
    assert tokens["agent"] not in html  # the demo's own device agent: nobody signs in with it
    assert f"/kiosk?token={tokens['kiosk']}" in html


@pytest.mark.parametrize("public_demo", [False, True])
def test_a_demo_beyond_loopback_shows_codes_only_when_public(
    tmp_path: Path, public_demo: bool
) -> None:
    html, tokens = demo_page(tmp_path, host="0.0.0.0", public_demo=public_demo)
    if public_demo:
        assert tokens["admin"] in html
    else:
        assert "token=" not in html and "mc_" not in html
        assert "chỉ in trong cửa sổ chạy «motcua run»" in html


def test_every_site_with_its_own_links_and_no_codes(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, centre_text() + OTHER_SITE), voice=None, heartbeat=False)
    html = app.test_client().get("/").get_data(as_text=True)
    app.extensions["motcua"].db.dispose()
    assert 'id="site-test"' in html and 'id="site-other"' in html
    assert "Điểm phục vụ xã Đông Hòa" in html
    assert 'href="/kiosk?site=other"' in html and 'href="/counter/1?site=other"' in html
    assert "token=" not in html and "Mã đăng nhập không bao giờ hiện ở trang này" in html
