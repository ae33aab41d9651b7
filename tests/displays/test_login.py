"""Staff accounts in a real browser: a clerk signs in at /login with a username and a
password, opens counter 3, calls and signs out; a second clerk takes the counter over with
"Đổi ca"; the ticket's log names each clerk; a clerk allowed only counter 3 cannot work at
counter 4, in the page or through the API.

A real `motcua run` server (the test centre, 4 counters), Debian's Chromium, accounts made
with `motcua user create`.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.displays.test_screens import (
    API,
    HTTP_4XX,
    HTTP_TIMEOUT,
    SHOTS,
    Centre,
    Screens,
    centre,
    idle,
    screens,
)

pytestmark = pytest.mark.server

__all__ = ["centre", "screens"]  # fixtures, used by name

PASSWORD = "mat-khau-cua-quay-3"
LAN, MINH = "Nguyễn Thị Lan", "Trần Văn Minh"


def make_user(centre: Centre, username: str, name: str, *counters: int, role: str = "clerk"):
    """`motcua user create` against the server's database."""
    server = centre.server
    cmd = [sys.executable, "-m", "queue_server.cli", "user", "create", "--username", username,
           "--role", role, "--name", name, "--password-stdin", "--data-dir",
           str(server.data_dir)]  # fmt: skip
    for c in counters:
        cmd += ["--counter", str(c)]
    if server.config_path:
        cmd += ["--config", str(server.config_path)]
    subprocess.run(cmd, input=PASSWORD + "\n", env=server.env, text=True, check=True,
                   capture_output=True)  # fmt: skip


def sign_in(page: Page, username: str) -> None:
    """Type the username and password at /login, from the keyboard alone."""
    expect(page.locator("#username")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def counter_now(centre: Centre, number: int) -> dict[str, Any]:
    return next(c for c in centre.queue()["counters"] if c["number"] == number)  # type: ignore[no-any-return]


def test_clerks_sign_in_open_call_hand_over_and_sign_out(centre: Centre, screens: Screens):
    make_user(centre, "lan", LAN, 3)
    make_user(centre, "minh", MINH, 3, 4)
    screens.allow(*HTTP_4XX)  # the refused requests below
    ticket = centre.issue("DD")

    # The console without a session goes to /login, coming back to it, counter 3 chosen.
    first = screens.open(
        f"{centre.url}/counter/3", "body.login[data-ready]", width=1366, height=768
    )
    assert "/login?counter=3" in first.url and "next=%2Fcounter%2F3" in first.url
    expect(first.locator("h1").first).to_have_text("Đăng nhập cán bộ")
    expect(first.locator("#for-counter")).to_contain_text("Quầy số 03")
    first.screenshot(path=str(SHOTS / "login-1366x768.png"))
    # A wrong password: the API's Vietnamese words.
    sign_in(first, "lan")
    first.wait_for_url("**/counter/3", timeout=15_000)
    first.wait_for_selector("body[data-ready]")
    expect(first.locator("#clerk-name")).to_have_text(LAN)
    expect(first.locator("#signout")).to_be_visible()
    expect(first.locator("#handover")).to_be_visible()
    first.screenshot(path=str(SHOTS / "console-session-1366x768.png"))

    # Open the counter (D) and call (Enter): the counter is open with Lan.
    first.keyboard.press("d")
    idle(first)
    expect(first.locator("#state")).to_have_text("Quầy đang mở")
    assert counter_now(centre, 3)["clerk"] == {"username": "lan", "name": LAN}
    first.keyboard.press("Enter")
    idle(first)
    expect(first.locator("#cur-number")).to_have_text(ticket["number"])
    display = screens.open(f"{centre.url}/display/counter/3")
    expect(display.locator("#cd-clerk")).to_have_text(f"Cán bộ: {LAN}")

    # "Đổi ca": Minh signs in at counter 3 while it is open with Lan and takes it over.
    second_ctx = screens.context.browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        second = second_ctx.new_page()
        second.goto(f"{centre.url}/login?counter=3&next=/counter/3")
        second.wait_for_selector("body[data-ready]")
        sign_in(second, "minh")
        expect(second.locator("#handover")).to_be_visible()
        expect(second.locator("#handover-text")).to_contain_text(LAN)
        expect(second.locator("#handover-go")).to_be_focused()
        second.screenshot(path=str(SHOTS / "login-handover-1366x768.png"))
        second.keyboard.press("Enter")
        second.wait_for_url("**/counter/3", timeout=15_000)
        second.wait_for_selector("body[data-ready]")
        expect(second.locator("#clerk-name")).to_have_text(MINH)
        expect(second.locator("#cur-number")).to_have_text(ticket["number"])  # still there
        now = counter_now(centre, 3)
        assert now["state"] == "open" and now["clerk"] == {"username": "minh", "name": MINH}
        expect(display.locator("#cd-clerk")).to_have_text(f"Cán bộ: {MINH}")

        # Lan's next action says her session at the counter is over, and why.
        first.keyboard.press("+")
        expect(first.locator("#notice")).to_be_visible()
        expect(first.locator("#notice-text")).to_contain_text(MINH)
        expect(first.locator("#notice-text")).to_contain_text("Đổi ca")
        expect(first.locator("#notice-go")).to_have_attribute(
            "href", "/login?counter=3&next=%2Fcounter%2F3"
        )

        # Minh completes the citizen (*) and signs out: the counter closes.
        second.keyboard.press("*")
        idle(second)
        expect(second.locator("#cur-number")).to_have_text("—")
        second.locator("#signout").click()
        second.wait_for_url("**/login?**", timeout=15_000)
        after = counter_now(centre, 3)
        assert after["state"] == "closed" and after["clerk"] is None
    finally:
        second_ctx.close()

    # The ticket's log names each clerk (to an administrator).
    log = requests.get(
        f"{centre.url}{API}/tickets/{ticket['id']}/events", timeout=HTTP_TIMEOUT,
        headers={"Authorization": f"Bearer {centre.admin}"},
    ).json()["events"]  # fmt: skip
    staff = [(e["kind"], e["staff"]) for e in log if e["kind"] != "issued"]
    assert staff == [("called", "clerk@lan"), ("completed", "clerk@minh")], staff
    anonymous = requests.get(
        f"{centre.url}{API}/tickets/{ticket['id']}/events", timeout=HTTP_TIMEOUT
    ).json()["events"]
    assert all(e["staff"] is None for e in anonymous)


def test_a_clerk_of_counter_3_cannot_work_at_counter_4(centre: Centre, screens: Screens):
    make_user(centre, "lan", LAN, 3)
    make_user(centre, "hoa", "Lê Thị Hoa", 2, 3)
    screens.allow(*HTTP_4XX)
    # /login for counter 4: Lan is signed in at her own counter instead.
    page = screens.open(
        f"{centre.url}/login?counter=4&next=/counter/4", "body[data-ready]", width=1366, height=768
    )
    sign_in(page, "lan")
    page.wait_for_url("**/counter/3", timeout=15_000)
    page.wait_for_selector("body[data-ready]")
    # /counter/4 refuses her, clearly, and offers her own counter.
    page.goto(f"{centre.url}/counter/4")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice-text")).to_have_text(
        "Tài khoản lan không được làm việc tại quầy số 4."
    )
    expect(page.locator("#notice-go")).to_have_text("Về quầy số 3")
    expect(page.locator("#main")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "console-refused-1366x768.png"))
    # ... and so does the API, with her session's cookie and CSRF token.
    csrf = page.evaluate("() => fetch('/api/v1/me').then((r) => r.json())")["csrf_token"]
    refused = page.request.post(
        f"{centre.url}{API}/counters/4/call-next", data={}, headers={"X-CSRF-Token": csrf}
    )
    assert refused.status == 403
    assert refused.json()["error"]["message"] == "Tài khoản lan không được làm việc tại quầy số 4."

    # A clerk of counters 2 and 3 picks among hers only: no button for counter 4.
    other = screens.context.browser.new_context(viewport={"width": 390, "height": 844},
                                                is_mobile=True, has_touch=True)  # fmt: skip
    try:
        phone = other.new_page()
        phone.goto(f"{centre.url}/login")
        phone.wait_for_selector("body[data-ready]")
        phone.screenshot(path=str(SHOTS / "login-phone-390x844.png"))
        sign_in(phone, "hoa")
        phone.wait_for_selector("body[data-picking]")
        buttons = phone.locator("#pick-list button")
        assert buttons.evaluate_all("bs => bs.map(b => b.dataset.counter)") == ["2", "3"]
        phone.screenshot(path=str(SHOTS / "login-pick-phone-390x844.png"))
        phone.keyboard.press("Enter")  # the first is focused
        phone.wait_for_url("**/counter/2", timeout=15_000)
        phone.wait_for_selector("body[data-ready]")
        phone.screenshot(path=str(SHOTS / "console-session-phone-390x844.png"))
    finally:
        other.close()


def test_wrong_password_and_next_stay_on_this_site(centre: Centre, screens: Screens):
    make_user(centre, "lan", LAN, 3)
    screens.allow(*HTTP_4XX)
    page = screens.open(f"{centre.url}/login?next=https://evil.example/x", "body[data-ready]")
    assert page.locator("body").get_attribute("data-next") == ""
    page.keyboard.type("lan")
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.locator("#password")).to_be_focused()
    english = screens.open(f"{centre.url}/login?lang=en", "body[data-ready]")
    expect(english.locator("h1").first).to_have_text("Staff sign-in")
    expect(english.locator("label[for=username]")).to_have_text("Username")
    # The old sign-in with the counter's code is still there.
    code = screens.open(f"{centre.url}/counter/3?code=1", "#signin:not([hidden])")
    expect(code.locator("#token")).to_be_visible()
    expect(code.locator("#account-link")).to_be_visible()
