"""The staff's admin pages in Chromium against a real server: /admin/audit shows and filters
the log, /admin/users lists and changes accounts, /admin/queue corrects a ticket; script and
markup payloads in people's names stay text (CSP: no inline scripts). Screenshots at
1366×768 under artifacts/staff/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.conftest import ARTIFACTS, STAFF_PASSWORD, ServerProcess

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
SVG_NAME = "<svg/onload=window.__xss=3>"  # a username: no spaces
TIMEOUT = 20_000  # ms: a loaded 2-core machine


def make_user(server: ServerProcess, username: str, role: str, name: str) -> None:
    cmd = [sys.executable, "-m", "queue_server.cli", "user", "create", "--username", username,
           "--role", role, "--name", name, "--password-stdin", "--data-dir",
           str(server.data_dir), "--config", str(server.config_path)]  # fmt: skip
    if role == "clerk":
        cmd += ["--counter", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    done = subprocess.run(
        cmd, input=STAFF_PASSWORD + "\n", capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def server(server_factory: Any) -> Iterator[ServerProcess]:
    srv = server_factory(env={"MOTCUA_VOICE": "0"}).start()
    make_user(srv, "chi", "admin", f"Chi {SCRIPT}")
    make_user(srv, "hoa", "supervisor", f"Hoa {IMG}")
    make_user(srv, SVG_NAME, "clerk", f"Lan {IMG}{SCRIPT}")
    yield srv


def signed_in_page(browser: Any, server: ServerProcess, username: str) -> tuple[Any, Any, list]:
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    resp = context.request.post(
        f"{server.url}/api/v1/session", data={"username": username, "password": STAFF_PASSWORD}
    )
    assert resp.status == 200, resp.text()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"error: {err}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on(
        "console",
        lambda m: problems.append(f"csp: {m.text}") if "Content Security" in m.text else None,
    )
    return context, page, problems


def shot(page: Any, name: str) -> None:
    folder = ARTIFACTS / "staff"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def no_payload_ran(page: Any, problems: list[str]) -> None:
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("#rows img, #rows svg, #rows script").count() == 0
    assert not problems, problems


def test_users_page_lists_creates_and_locks_with_payload_names(browser, server):
    context, page, problems = signed_in_page(browser, server, "chi")
    try:
        page.goto(f"{server.url}/admin/users")
        page.wait_for_selector(f'#rows tr[data-username="{SVG_NAME}"]', timeout=TIMEOUT)
        assert page.title().startswith("Người dùng")
        row = page.locator(f'#rows tr[data-username="{SVG_NAME}"]')
        assert row.locator(".fullname").text_content() == f"Lan {IMG}{SCRIPT}"
        assert row.locator(".uname").text_content() == SVG_NAME
        assert "Cán bộ một cửa" in row.text_content() and "Đang hoạt động" in row.text_content()
        admin_row = page.locator('#rows tr[data-username="chi"]')
        assert "Quản trị" in admin_row.text_content()
        assert page.locator("#back").get_attribute("href") == "/admin"
        # create an account whose name is a payload, from the form
        page.fill("#c-username", "moi")
        page.fill("#c-name", f"Mới {IMG}")
        page.select_option("#c-role", "clerk")
        page.fill("#c-counters", "1, 2")
        page.fill("#c-password", "mat-khau-moi-2026")
        page.click("#c-go")
        page.wait_for_selector('#rows tr[data-username="moi"]', timeout=TIMEOUT)
        new_row = page.locator('#rows tr[data-username="moi"]')
        assert new_row.locator(".fullname").text_content() == f"Mới {IMG}"
        assert "1, 2" in new_row.text_content()
        # lock it, then unlock it
        new_row.get_by_role("button", name="Khóa").click()
        page.wait_for_selector('#rows tr[data-username="moi"] .pill.locked', timeout=TIMEOUT)
        shot(page, "users")
        page.locator('#rows tr[data-username="moi"]').get_by_role("button", name="Mở khóa").click()
        page.wait_for_selector('#rows tr[data-username="moi"] .pill.active', timeout=TIMEOUT)
        # edit: the name and the counters
        page.locator('#rows tr[data-username="moi"]').get_by_role("button", name="Sửa").click()
        page.fill("#e-name", "Mới Tên")
        page.fill("#e-counters", "3")
        page.click("#edit-form button[type=submit]")
        page.wait_for_function(
            """() => [...document.querySelectorAll('#rows tr[data-username="moi"] .fullname')]
                 .some((n) => n.textContent === 'Mới Tên')""",
            timeout=TIMEOUT,
        )
        no_payload_ran(page, problems)
        # English
        page.goto(f"{server.url}/admin/users?lang=en")
        page.wait_for_selector('#rows tr[data-username="moi"]', timeout=TIMEOUT)
        assert page.title().startswith("Users")
        assert "Clerk" in page.locator('#rows tr[data-username="moi"]').text_content()
        no_payload_ran(page, problems)
    finally:
        context.close()


def test_audit_page_shows_filters_and_exports_the_log(browser, server):
    http = requests.Session()
    login = http.post(f"{server.url}/api/v1/session",
                      json={"username": "chi", "password": STAFF_PASSWORD}, timeout=30)  # fmt: skip
    h = {"X-CSRF-Token": login.json()["csrf_token"]}
    new = {"username": "lan2", "name": f"Lan {SCRIPT}", "role": "clerk", "password": "12345678abc"}
    made = http.post(f"{server.url}/api/v1/users", headers=h, timeout=30, json=new)
    assert made.status_code == 201, made.text
    http.patch(f"{server.url}/api/v1/users/lan2", headers=h, timeout=30,
               json={"name": f"Lan {IMG}"})  # fmt: skip
    http.post(f"{server.url}/api/v1/users/lan2/lock", headers=h, json={}, timeout=30)
    context, page, problems = signed_in_page(browser, server, "hoa")  # a supervisor reads it
    try:
        page.goto(f"{server.url}/admin/audit")
        page.wait_for_selector("#rows tr", timeout=TIMEOUT)
        assert page.title().startswith("Nhật ký thao tác")
        rows = page.locator("#rows tr")
        assert rows.count() == 6  # 3 here, and the 3 accounts made with motcua user create
        assert (
            "cli@" in rows.nth(5).text_content() and "Tạo tài khoản" in rows.nth(5).text_content()
        )
        top = rows.nth(0).text_content()
        assert "Khóa tài khoản" in top and "admin@chi" in top and "user lan2" in top
        assert "127.0.0.1" in top and "Bị khóa: không → có" in top
        update = rows.nth(1)
        assert "Sửa tài khoản" in update.text_content()
        # changed keys only, as text
        assert update.locator(".change .key").all_text_contents() == ["Họ và tên: "]
        assert update.locator(".change .was").text_content() == f"Lan {SCRIPT}"
        assert update.locator(".change .now").text_content() == f"Lan {IMG}"
        shot(page, "audit")
        page.select_option("#f-action", "user.lock")
        page.click("#f-go")
        page.wait_for_function("() => document.querySelectorAll('#rows tr').length === 1",
                               timeout=TIMEOUT)  # fmt: skip
        href = page.locator("#export").get_attribute("href")
        assert href == "/api/v1/audit.csv?action=user.lock"
        csv = context.request.get(f"{server.url}{href}")
        assert csv.status == 200 and csv.body().startswith(b"\xef\xbb\xbf")
        assert "Khóa tài khoản" in csv.body().decode("utf-8-sig")
        no_payload_ran(page, problems)
    finally:
        context.close()


def test_queue_page_cancels_by_number_and_a_clerk_is_refused(browser, server):
    kiosk = server.token("kiosk")
    bearer = {"Authorization": f"Bearer {kiosk}"}
    ticket = requests.post(
        f"{server.url}/api/v1/tickets", json={"service": "HT"}, headers=bearer, timeout=30
    ).json()
    number = ticket["ticket"]["number"]
    context, page, problems = signed_in_page(browser, server, "hoa")
    try:
        page.goto(f"{server.url}/admin/queue")
        page.wait_for_selector('#rows tr[data-counter="3"]', timeout=TIMEOUT)
        page.fill("#q-number", number)
        page.click("#q-cancel")
        page.wait_for_function(
            "() => document.getElementById('status').textContent.includes('Đã hủy')",
            timeout=TIMEOUT,
        )
        row = page.locator('#rows tr[data-counter="3"]')
        row.locator("input").fill("DD, HT")
        row.get_by_role("button", name="Đổi lĩnh vực hôm nay").click()
        page.wait_for_function(
            """() => document.querySelector('#rows tr[data-counter="3"] input').value === 'DD, HT'
                 && document.getElementById('status').textContent === 'Đã lưu.'""",
            timeout=TIMEOUT,
        )
        shot(page, "queue")
        no_payload_ran(page, problems)
    finally:
        context.close()
    context, page, problems = signed_in_page(browser, server, SVG_NAME)
    try:
        answer = page.goto(f"{server.url}/admin/audit")
        assert answer is not None and answer.status == 403  # a clerk: the 403 page, no table
        assert "không có quyền" in page.locator("h1").inner_text()
        assert page.locator("#content").count() == 0
        no_payload_ran(page, problems)
    finally:
        context.close()
    anonymous = browser.new_page(viewport={"width": 1366, "height": 768})
    try:
        anonymous.goto(f"{server.url}/admin/audit?site=test")  # no session: to /login and back
        anonymous.wait_for_url("**/login?next=/admin/audit%3Fsite%3Dtest", timeout=TIMEOUT)
    finally:
        anonymous.close()
