"""Ordinary printers: the kiosk's browser prints an HTML slip (printer = "browser")."""

from pathlib import Path

from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.storage.database import Database
from tests.conftest import auth, centre_text, make_config


def browser_app(tmp_path: Path, db: Database, clock):
    text = centre_text().replace('hours = "always"', 'hours = "always"\nprinter = "browser"', 1)
    return create_app(make_config(tmp_path, text), clock=clock, db=db, heartbeat=False)


def test_issue_with_browser_printing_returns_the_html_slip(tmp_path, db, clock):
    app = browser_app(tmp_path, db, clock)
    client = app.test_client()
    ext = app.extensions["motcua"]
    kiosk = create_token(ext.db, clock, role="kiosk", site="test")
    res = client.post("/api/v1/tickets", json={"service": "DD", "print": True}, headers=auth(kiosk))
    assert res.status_code == 201
    body = res.get_json()
    printed, ticket = body["print"], body["ticket"]
    assert printed["ok"] and printed["mode"] == "browser"
    assert printed["slip_url"] == f"/t/{ticket['id']}/slip"
    page = client.get(printed["slip_url"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    for text in ("PHIẾU SỐ THỨ TỰ", ticket["number"], "Đất đai", "Buổi: Sáng", "<svg", "@page"):
        assert text in html, text
    assert not list((tmp_path / "printer").glob("*.bin"))  # no ESC/POS job was made
    # reprint answers the same way; an unknown ticket is a Vietnamese 404 page
    again = client.post(f"/api/v1/tickets/{ticket['id']}/print", headers=auth(kiosk))
    assert again.get_json()["print"]["slip_url"] == printed["slip_url"]
    missing = client.get("/t/nope/slip")
    assert missing.status_code == 404 and "Không tìm thấy" in missing.get_data(as_text=True)


def test_slip_names_are_escaped(tmp_path, db, clock):
    text = centre_text().replace('name = "Đất đai"', 'name = "<b>Đất đai</b>"', 1)
    app = create_app(make_config(tmp_path, text), clock=clock, db=db, heartbeat=False)
    ext = app.extensions["motcua"]
    view = ext.desk.issue("DD")
    html = app.test_client().get(f"/t/{view.ticket.id}/slip").get_data(as_text=True)
    assert "&lt;b&gt;Đất đai&lt;/b&gt;" in html and "<b>Đất đai" not in html


def test_slip_says_which_counters_serve_the_field_and_where_to_wait(tmp_path, db, clock):
    """The site's waiting area, unless the field names its own; counters from the config."""
    text = (
        centre_text()
        .replace('hours = "always"', 'hours = "always"\nwaiting_area = "Sảnh chờ A"', 1)
        .replace('name = "Đất đai"', 'name = "Đất đai"\nwaiting_area = "Khu chờ B, tầng 2"', 1)
    )
    app = create_app(make_config(tmp_path, text), clock=clock, db=db, heartbeat=False)
    ext = app.extensions["motcua"]
    client = app.test_client()
    land = client.get(f"/t/{ext.desk.issue('DD').ticket.id}/slip").get_data(as_text=True)
    assert "Quầy phục vụ: 3, 4" in land and "Nơi chờ: Khu chờ B, tầng 2" in land
    civil = client.get(f"/t/{ext.desk.issue('HT').ticket.id}/slip").get_data(as_text=True)
    assert "Quầy phục vụ: 1, 2" in civil and "Nơi chờ: Sảnh chờ A" in civil
    services = {s["code"]: s for s in client.get("/api/v1/services").get_json()["services"]}
    assert services["DD"]["waiting_area"] == "Khu chờ B, tầng 2"
    assert services["HT"]["waiting_area"] == "Sảnh chờ A"
