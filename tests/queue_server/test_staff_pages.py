"""Staff pages: to the login page without a session, 403 for the wrong role."""

from __future__ import annotations

import pytest
from flask import render_template_string

from queue_server.web.staff_pages import staff_page
from tests.conftest import sign_in


@pytest.fixture
def guarded_app(app):
    @staff_page("admin", "supervisor")
    def only_managers():
        return render_template_string("csrf={{ csrf_token() }}")

    app.add_url_rule("/_managers", "only_managers", only_managers)
    return app


def test_no_session_goes_to_login_and_back(guarded_app):
    client = guarded_app.test_client()
    resp = client.get("/_managers?x=1")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/login?next=/_managers%3Fx%3D1"


def test_the_wrong_role_gets_the_vietnamese_403_page(guarded_app, staff):
    client = guarded_app.test_client()
    staff("lan", "clerk", counters=[1])
    sign_in(client, "lan")
    resp = client.get("/_managers")
    assert resp.status_code == 403
    assert "text/html" in resp.content_type
    assert "quyền" in resp.get_data(as_text=True)


def test_a_manager_sees_the_page_with_the_sessions_csrf_token(guarded_app, staff):
    client = guarded_app.test_client()
    staff("hoa", "supervisor")
    csrf = sign_in(client, "hoa")
    resp = client.get("/_managers")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == f"csrf={csrf}"
