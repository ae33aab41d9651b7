"""Serial lines through real pseudo-terminals and pyserial's socket://: unplug, replug, LED boards.

Also the counter mirror that turns /display events (arriving out of order) into board texts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hardware.counter_view import CounterMirror
from hardware.keypad import InputLine, Keypad
from hardware.led import LedBoard, counter_text
from hardware.protocol import MotcuaV1, encode_key
from hardware.serial_link import (
    DISCONNECTED,
    ERROR,
    OK,
    DeviceError,
    LineSettings,
    SerialLink,
    open_serial,
    wait_until,
)
from hardware.sim import PtyPort, SimulatedKeypad, SimulatedLed, TcpPort

FAST = (0.05, 0.2)  # backoff for tests: re-open every 50-200 ms


def test_open_serial_errors_say_what_and_where(tmp_path: Path):
    with pytest.raises(DeviceError, match="ttyNOPE") as missing:
        open_serial(LineSettings(str(tmp_path / "ttyNOPE")))
    assert missing.value.state == DISCONNECTED
    plain = tmp_path / "not-a-tty"
    plain.write_text("x")
    with pytest.raises(DeviceError) as not_tty:
        open_serial(LineSettings(str(plain)))
    assert not_tty.value.state == ERROR
    with pytest.raises(DeviceError) as refused:
        open_serial(LineSettings("socket://127.0.0.1:1"))
    assert refused.value.state == DISCONNECTED


def test_loop_url_echoes():
    port = open_serial(LineSettings("loop://", read_timeout=0.5))
    port.write(encode_key(1, "NEXT"))
    assert port.read(64) == encode_key(1, "NEXT")
    port.close()


@pytest.mark.parametrize("kind", ["pty", "socket"])
def test_keypad_line_survives_unplug(kind: str, tmp_path: Path):
    port = PtyPort(tmp_path / "ttyKEYPAD") if kind == "pty" else TcpPort()
    sim = SimulatedKeypad(port)
    sim.start()
    link = SerialLink(LineSettings(port.url), backoff=FAST)
    line = InputLine(link, MotcuaV1())
    keypad = Keypad(line, 3, bounce=0)
    presses = []
    keypad.on_key(lambda p: (presses.append(p), keypad.settle(p)))
    states = []
    link.on_state(states.append)
    link.start()
    try:
        assert wait_until(lambda: link.state == OK, 5)
        sim.press(3, "NEXT")
        assert wait_until(lambda: len(presses) == 1, 5)
        assert wait_until(lambda: sim.acks == [(3, 1)], 5), "the agent acknowledges the press"
        sim.port.unplug()
        assert wait_until(lambda: link.state == DISCONNECTED, 5)
        assert link.write(b"x") is False
        sim.port.plug()
        assert wait_until(lambda: link.state == OK, 5)
        sim.press(3, "DONE")
        assert wait_until(lambda: len(presses) == 2, 5)
        assert [p.key.value for p in presses] == ["NEXT", "DONE"]
        assert states[-3:] == [OK, DISCONNECTED, OK]
        assert link.counts["opens"] == 2 and link.counts["disconnects"] == 1
    finally:
        link.stop()
        sim.stop()


@pytest.mark.parametrize("kind", ["pty", "socket"])
def test_led_board_is_driven_again_after_replug(kind: str, tmp_path: Path):
    port = PtyPort(tmp_path / "ttyLED") if kind == "pty" else TcpPort()
    led = SimulatedLed(port)
    led.start()
    link = SerialLink(LineSettings(port.url), backoff=FAST)
    boards = {n: LedBoard(link, n, MotcuaV1()) for n in (3, 4)}
    link.start()
    try:
        assert wait_until(lambda: link.state == OK, 5)
        boards[3].show("A012")
        boards[4].show("--")
        assert led.wait_for(3, "A012") and led.wait_for(4, "--")
        port.unplug()
        assert wait_until(lambda: link.state == DISCONNECTED, 5)
        assert boards[3].show("A013") is False  # the board missed it ...
        port.plug()
        assert led.wait_for(3, "A013", 5)  # ... and gets it when the line is back
        assert led.wait_for(4, "--", 5)
        boards[4].show("")
        assert led.wait_for(4, "", 5)
        assert boards[3].counts["write_errors"] == 1 and boards[3].counts["redrives"] >= 1
    finally:
        link.stop()
        led.stop()


def test_a_missing_port_is_disconnected_until_it_appears(tmp_path: Path):
    port = PtyPort(tmp_path / "by-id" / "usb-FTDI_FT232R-if00-port0")
    port.path.parent.mkdir()
    link = SerialLink(LineSettings(port.url), backoff=FAST)
    link.start()
    try:
        assert wait_until(lambda: link.counts["opens"] == 0 and "No such file" in link.detail, 5)
        assert link.state == DISCONNECTED
        port.plug()
        assert wait_until(lambda: link.state == OK, 5)
    finally:
        link.stop()
        port.unplug()


@pytest.mark.parametrize(
    ("state", "number", "text"),
    [("open", "A012", "A012"), ("paused", "A012", "--"), ("closed", "A012", ""),
     ("open", None, ""), (None, "1001", "1001")],
)  # fmt: skip
def test_counter_text(state, number, text):
    assert counter_text(state, number) == text


def snap(epoch="e1", seq=10, **counters):
    return {
        "epoch": epoch,
        "seq": seq,
        "counters": [
            {"number": int(n[1:]), "state": s, "ticket": {"number": t} if t else None}
            for n, (s, t) in counters.items()
        ],
    }


def called(seq, counter, ticket, epoch="e1"):
    return ("ticket.called", {"epoch": epoch, "seq": seq, "counter": {"number": counter},
                              "ticket": {"number": ticket}})  # fmt: skip


def test_mirror_follows_events_in_seq_order():
    m = CounterMirror()
    assert m.text(3) is None
    assert m.snapshot(snap(c3=("open", "1001"), c4=("paused", None))) == {3, 4}
    assert (m.text(3), m.text(4)) == ("1001", "--")
    # call-next: the call of 1002 (seq 11) and the completion of 1001 (seq 12) arrive swapped
    done = ("ticket.completed", {"epoch": "e1", "seq": 12, "ticket": {"number": "1001"}})
    assert m.event(*done).changed == frozenset() and m.event(*done).need_sync
    applied = m.event(*called(11, 3, "1002"))
    assert applied.changed == {3} and not applied.need_sync
    assert m.text(3) == "1002" and m.seq == 12
    assert m.event(*called(11, 3, "1002")).changed == frozenset()  # duplicate: ignored
    state = ("counter.state", {"epoch": "e1", "seq": 13, "counter": {"number": 4, "state": "open"}})
    assert m.event(*state).changed == {4} and m.text(4) == ""
    issued = ("ticket.issued", {"epoch": "e1", "seq": 14, "ticket": {"number": "1005"}})
    assert m.event(*issued).changed == frozenset() and m.seq == 14
    # a gap that stays open, or a new epoch (server restarted), asks for a sync
    assert m.event(*called(16, 4, "1003")).need_sync and m.has_gap()
    assert m.event(*called(1, 4, "1003", epoch="e2")).need_sync
    assert m.heartbeat({"epoch": "e1", "seq": 20}) and not m.heartbeat({"epoch": "e1", "seq": 14})
    m.snapshot(snap("e2", 1, c3=("open", "1002"), c4=("open", "1003")))
    assert (m.text(3), m.text(4), m.has_gap()) == ("1002", "1003", False)


def test_mirror_knows_a_leaving_ticket_by_its_number():
    # /display carries no ticket ids; a printed number is unique per site and day.
    m = CounterMirror()
    m.snapshot(snap(c3=("open", "1001"), c4=("open", "1002")))
    gone = ("ticket.no_show", {"epoch": "e1", "seq": 11, "ticket": {"number": "1001"}})
    assert m.event(*gone).changed == {3}
    assert (m.text(3), m.text(4)) == ("", "1002")


def test_mirror_holds_events_until_the_first_snapshot():
    m = CounterMirror()
    assert m.event(*called(11, 3, "1002")).changed == frozenset()
    assert m.snapshot(snap(c3=("open", "1001"))) == {3}
    assert m.text(3) == "1002"


def test_hardware_imports_nothing_from_the_web_layer():
    code = (
        "import sys, hardware.agent, hardware.sim, hardware.devices_config, hardware.rating\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_socketio',"
        " 'queue_server') and not m.startswith('queue_server.contract') and m != 'queue_server']\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
