"""The one-command demo's simulated counter hardware: a virtual keypad press calls a ticket
through the device agent, and the virtual LED board shows its number (issue 6, item 3)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ARTIFACTS, ServerProcess, auth, centre_text

pytestmark = pytest.mark.server


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """`motcua run` without --config: the demo centre, its devices and their agent."""
    server = ServerProcess(tmp_path / "data", None, {"MOTCUA_VOICE": "0"})
    server.start()
    yield server
    server.stop()


def _state(server: ServerProcess) -> dict[str, Any]:
    res = requests.get(f"{server.url}/demo/devices/state", timeout=5)
    assert res.status_code == 200
    state: dict[str, Any] = res.json()
    return state


def _until(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_virtual_keypad_calls_a_ticket_and_the_led_board_shows_it(
    demo_server: ServerProcess, browser: Any
) -> None:
    server = demo_server
    tokens = json.loads((server.data_dir / "demo-tokens.json").read_text("utf-8"))
    assert "agent" in tokens
    # The agent connects and drives every board once (blank: nobody is being served).
    assert _until(lambda: _state(server)["connected"]), _state(server)
    assert _until(lambda: _state(server)["leds"]["1"] == ""), _state(server)

    res = requests.post(
        f"{server.url}/api/v1/tickets", json={"service": "HT"}, headers=auth(tokens["kiosk"]),
        timeout=5,
    )  # fmt: skip
    assert res.status_code == 201, res.text
    number = res.json()["ticket"]["number"]
    # Nobody has opened counter 1 yet: the keypad's first NEXT opens it (logged as a call).
    queue = requests.get(f"{server.url}/api/v1/queue", timeout=5).json()
    assert {c["state"] for c in queue["counters"]} == {"closed"}

    res = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "NEXT"}, timeout=5)
    assert res.status_code == 202, res.text
    assert "NEXT" in res.json()["frame"]
    assert _until(lambda: _state(server)["leds"]["1"] == number, 5), _state(server)
    queue = requests.get(f"{server.url}/api/v1/queue", timeout=5).json()
    counter = next(c for c in queue["counters"] if c["number"] == 1)
    assert (counter.get("ticket") or {}).get("number") == number, counter
    assert counter["state"] == "open", counter
    with closing(sqlite3.connect(server.data_dir / "motcua.db")) as db:
        log = db.execute("SELECT counter, kind, cause FROM counter_events").fetchall()
    assert log == [(1, "opened", "call")]
    assert _state(server)["leds"]["2"] == ""  # the other boards did not change

    # Bad input is refused without touching the line.
    bad = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "BOOM"}, timeout=5)
    assert bad.status_code == 400
    none = requests.post(f"{server.url}/demo/devices/99/press", json={"key": "NEXT"}, timeout=5)
    assert none.status_code == 404

    # The page, as a visitor sees it.
    shots = ARTIFACTS / "screens"
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(f"{server.url}/demo/devices")
        page.wait_for_function(
            "n => document.getElementById('led-1').textContent === n", arg=number
        )
        page.locator("#conn:not(.offline)").wait_for()
        # A press from the page itself: pause counter 2, its board shows "--".
        page.locator('[data-counter="2"] button[data-key="PAUSE"]').click()
        page.wait_for_function("() => document.getElementById('led-2').textContent === '--'")
        page.screenshot(path=str(shots / "demo-devices.png"), full_page=True)
    finally:
        page.close()


def test_no_demo_devices_page_with_a_centre_file(tmp_path: Path) -> None:
    config = tmp_path / "centre.toml"
    config.write_text(centre_text(), "utf-8")
    server = ServerProcess(tmp_path / "data", config, {"MOTCUA_VOICE": "0"}).start()
    try:
        for path in ("/demo/devices", "/demo/devices/state"):
            assert requests.get(f"{server.url}{path}", timeout=5).status_code == 404
        res = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "NEXT"}, timeout=5)
        assert res.status_code == 404
        assert not (tmp_path / "data" / "demo-devices").exists()
    finally:
        server.stop()


def test_devices_can_be_turned_off(tmp_path: Path) -> None:
    env = {"MOTCUA_VOICE": "0", "MOTCUA_DEMO_DEVICES": "0"}
    server = ServerProcess(tmp_path / "data", None, env).start()
    try:
        assert _state(server)["running"] is False
        page = requests.get(f"{server.url}/demo/devices", timeout=5)
        assert page.status_code == 200 and "MOTCUA_DEMO_DEVICES=0" in page.text
        res = requests.post(f"{server.url}/demo/devices/1/press", json={"key": "NEXT"}, timeout=5)
        assert res.status_code == 503
        assert not (tmp_path / "data" / "demo-devices").exists()
        assert "/demo/devices" not in server.log.read_text("utf-8")
    finally:
        server.stop()


def test_without_ptys_the_lines_fall_back_to_socket_urls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from hardware.sim import TcpPort
    from queue_server.demo_devices import DemoDevices

    def no_pty() -> tuple[int, int]:
        raise OSError("out of ptys")

    monkeypatch.setattr(os, "openpty", no_pty)
    devices = DemoDevices([1, 2, 40], tmp_path / "sim")
    assert devices.counters == [1, 2]  # keypad addresses stop at 32
    port = devices._port("keypads")
    assert isinstance(port, TcpPort)
