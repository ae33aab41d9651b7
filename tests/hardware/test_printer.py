"""Ticket printers: a network printer emulated on 127.0.0.1, faults, the simulator, the factory."""

from __future__ import annotations

import dataclasses
import os
import pty
import socket
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hardware.escpos_job import PrinterStatus, decode_job, slip_job, status_byte, status_query
from hardware.printer import (
    EscposPrinter,
    FileTarget,
    NetworkTarget,
    SerialTarget,
    SimulatedPrinter,
    UsbTarget,
    printer_from_url,
)
from hardware.slip import PAPER_WIDTHS, TicketSlip, render_slip

VN = ZoneInfo("Asia/Ho_Chi_Minh")
INIT = b"\x1b@"
QUERIES = status_query(1) + status_query(2) + status_query(4)

# Real-time status bytes (DLE EOT 1, 2, 4) as an Epson-compatible printer sends them.
READY = {1: b"\x16", 2: b"\x12", 4: b"\x12"}
PAPER_OUT = {1: b"\x1e", 2: b"\x32", 4: b"\x72"}
COVER_OPEN = {1: b"\x1e", 2: b"\x16", 4: b"\x12"}
PAPER_LOW = {1: b"\x16", 2: b"\x12", 4: b"\x1e"}
OFFLINE = {1: b"\x1e", 2: b"\x12", 4: b"\x12"}


def make_slip(**changes: object) -> TicketSlip:
    """A realistic slip; keyword arguments replace fields."""
    slip = TicketSlip(
        centre_name="Trung tâm Phục vụ hành chính công xã Yên Phong",
        number="1023",
        service_name="Đất đai",
        ahead=3,
        issued_at=datetime(2025, 11, 26, 14, 2, 9, tzinfo=VN),
        session="Chiều",
        status_url="http://10.0.0.2:5000/t/Zr8Kp3vQ",
        documents=("Giấy chứng nhận quyền sử dụng đất", "Căn cước công dân"),
    )
    return dataclasses.replace(slip, **changes)  # type: ignore[arg-type]


class FakeNetworkPrinter:
    """A raw-TCP printer on 127.0.0.1: records bytes, answers DLE EOT before the job starts.

    status maps n to the reply for DLE EOT n (None: never answer). stop_reading_after
    makes it hang like a jammed printer: it stops reading after that many bytes, with a
    tiny receive buffer so the sender really blocks.
    """

    def __init__(
        self, status: dict[int, bytes] | None = None, stop_reading_after: int | None = None
    ) -> None:
        self.status = status
        self.stop_reading_after = stop_reading_after
        self.received = bytearray()
        self.closed_by_client = threading.Event()
        self._stop = threading.Event()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if stop_reading_after is not None:
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(1)
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        scanned, printing = len(self.received), False  # bytes of earlier connections
        while not self._stop.is_set():
            if (
                self.stop_reading_after is not None
                and len(self.received) >= self.stop_reading_after
            ):
                self._stop.wait(10)  # jammed: read nothing more
                return
            try:
                chunk = conn.recv(1024)
            except TimeoutError:
                continue
            if not chunk:
                self.closed_by_client.set()
                return
            self.received += chunk
            while not printing and scanned + 3 <= len(self.received):
                if self.received[scanned : scanned + 2] == INIT:
                    printing = True  # status answers stop once the job has begun
                elif self.received[scanned : scanned + 2] == b"\x10\x04":
                    reply = (self.status or {}).get(self.received[scanned + 2])
                    if reply:
                        conn.sendall(reply)
                    scanned += 2
                scanned += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def fake_printer(request: pytest.FixtureRequest) -> Iterator[FakeNetworkPrinter]:
    """A FakeNetworkPrinter; parametrize indirectly with its keyword arguments."""
    server = FakeNetworkPrinter(**getattr(request, "param", {"status": READY}))
    yield server
    server.close()


def network_printer(
    port: int, status_timeout: float = 0.5, job_timeout: float = 15.0
) -> EscposPrinter:
    """An 80 mm printer at 127.0.0.1:port."""
    return EscposPrinter(
        NetworkTarget("127.0.0.1", port),
        width_px=PAPER_WIDTHS[80],
        status_timeout=status_timeout,
        job_timeout=job_timeout,
    )


def test_network_print_sends_the_whole_stream_after_a_status_check(
    fake_printer: FakeNetworkPrinter,
) -> None:
    slip = make_slip()
    result = network_printer(fake_printer.port).print_ticket(slip)

    assert result.ok, result
    assert result.error_code is None
    assert result.message_vi == "Đã in phiếu."
    assert fake_printer.closed_by_client.wait(5), "connection left open"
    expected, _ = slip_job(slip, PAPER_WIDTHS[80])
    assert bytes(fake_printer.received) == QUERIES + expected


@pytest.mark.parametrize("fake_printer", [{"status": None}], indirect=True)
def test_printer_that_ignores_status_requests_still_prints(
    fake_printer: FakeNetworkPrinter,
) -> None:
    printer = network_printer(fake_printer.port, status_timeout=0.3)
    assert printer.print_ticket(make_slip()).ok
    assert printer.print_ticket(make_slip()).ok  # the second job no longer asks
    assert fake_printer.closed_by_client.wait(5)
    expected, _ = slip_job(make_slip(), PAPER_WIDTHS[80])
    assert bytes(fake_printer.received) == status_query(1) + expected + expected


def free_port() -> int:
    """A port on 127.0.0.1 that nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_offline() -> None:
    started = time.monotonic()
    result = network_printer(free_port()).print_ticket(make_slip())
    assert not result.ok
    assert result.error_code == "offline"
    assert result.message_vi == "Máy in đang mất kết nối."
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "fake_printer", [{"status": READY, "stop_reading_after": 2000}], indirect=True
)
def test_printer_hanging_mid_job_times_out_in_bounded_time(
    fake_printer: FakeNetworkPrinter,
) -> None:
    started = time.monotonic()
    result = network_printer(fake_printer.port, job_timeout=1.0).print_ticket(make_slip())
    elapsed = time.monotonic() - started
    assert not result.ok
    assert result.error_code == "timeout"
    assert result.message_en.startswith("The printer did not respond in time.")
    assert elapsed < 5
    assert 0 < len(fake_printer.received) < len(slip_job(make_slip(), PAPER_WIDTHS[80])[0])


@pytest.mark.parametrize(
    ("fake_printer", "code"),
    [
        ({"status": PAPER_OUT}, "paper_out"),
        ({"status": COVER_OPEN}, "cover_open"),
        ({"status": OFFLINE}, "offline"),
    ],
    indirect=["fake_printer"],
)
def test_fault_status_stops_the_job_before_anything_is_printed(
    fake_printer: FakeNetworkPrinter, code: str
) -> None:
    result = network_printer(fake_printer.port).print_ticket(make_slip())
    assert not result.ok
    assert result.error_code == code
    assert fake_printer.closed_by_client.wait(5)
    assert INIT not in fake_printer.received
    assert bytes(fake_printer.received) == QUERIES


@pytest.mark.parametrize("fake_printer", [{"status": PAPER_LOW}], indirect=True)
def test_paper_near_end_prints_and_warns(fake_printer: FakeNetworkPrinter) -> None:
    result = network_printer(fake_printer.port).print_ticket(make_slip())
    assert result.ok
    assert result.paper_low


def test_printer_recovers_after_a_fault() -> None:
    server = FakeNetworkPrinter(status=PAPER_OUT)
    try:
        printer = network_printer(server.port)
        assert printer.print_ticket(make_slip()).error_code == "paper_out"
        server.status = READY  # paper loaded
        assert printer.print_ticket(make_slip()).ok
    finally:
        server.close()


# Status bytes -> fault, from the ESC/POS DLE EOT tables; hand-written, not computed.
STATUS_TABLE = [
    ((0x12, 0x12, 0x12), None),
    ((0x16, 0x12, 0x12), None),
    ((0x1E, 0x16, 0x12), "cover_open"),
    ((0x1E, 0x32, 0x72), "paper_out"),
    ((0x16, 0x12, 0x72), "paper_out"),
    ((0x1E, 0x52, 0x12), "error"),
    ((0x1E, 0x12, 0x12), "offline"),
    ((0x12, 0x12, 0x1E), None),
    ((None, None, None), None),
]


@pytest.mark.parametrize(("status", "fault"), STATUS_TABLE)
def test_status_bytes_to_fault(status: tuple[int | None, ...], fault: str | None) -> None:
    assert PrinterStatus(*status).fault() == fault


def test_status_byte_ignores_noise_and_keeps_the_latest_answer() -> None:
    assert status_byte(b"") is None
    assert status_byte(b"\x00\xff") is None
    assert status_byte(b"\x16") == 0x16
    assert status_byte(b"\x12\x1e") == 0x1E
    assert status_byte(b"\x1e\x10\x00\x0f") == 0x1E  # ASB packet bytes after it are skipped


def test_file_printer_writes_the_same_stream(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.touch()  # the device node exists while the printer is plugged in
    printer = printer_from_url(f"escpos-file://{device}?paper=58", tmp_path)
    assert printer.print_ticket(make_slip()).ok
    assert printer.print_ticket(make_slip()).ok
    assert device.read_bytes() == slip_job(make_slip(), PAPER_WIDTHS[58])[0] * 2


def test_file_printer_missing_device_is_offline(tmp_path: Path) -> None:
    printer = printer_from_url(f"escpos-file://{tmp_path}/no/such/lp0", tmp_path)
    result = printer.print_ticket(make_slip())
    assert (result.ok, result.error_code) == (False, "offline")


def test_serial_printer_over_a_pseudo_terminal() -> None:
    pytest.importorskip("serial")
    master, slave = pty.openpty()
    tty.setraw(slave)
    received = bytearray()
    done = threading.Event()

    def printer_side() -> None:
        while not done.is_set():
            try:
                chunk = os.read(master, 4096)
            except OSError:
                return
            received.extend(chunk)
            for n, reply in READY.items():
                if status_query(n) in chunk:
                    os.write(master, reply)

    thread = threading.Thread(target=printer_side, daemon=True)
    thread.start()
    try:
        printer = EscposPrinter(SerialTarget(os.ttyname(slave)), width_px=PAPER_WIDTHS[58])
        result = printer.print_ticket(make_slip())
        expected = QUERIES + slip_job(make_slip(), PAPER_WIDTHS[58])[0]
        deadline = time.monotonic() + 5
        while len(received) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        done.set()
        os.close(slave)
        os.close(master)
        thread.join(5)
    assert result.ok, result
    assert bytes(received) == expected


def test_build_errors_become_a_result_not_an_exception() -> None:
    printer = EscposPrinter(NetworkTarget("127.0.0.1", free_port()), width_px=100)
    result = printer.print_ticket(make_slip())
    assert (result.ok, result.error_code) == (False, "error")


def test_simulated_printer_keeps_bytes_and_preview_per_job(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path, width_px=PAPER_WIDTHS[58])
    first = printer.print_ticket(make_slip(number="1023"))
    second = printer.print_ticket(make_slip(number="1024", priority=True))

    assert first.ok and second.ok
    assert first.job_id != second.job_id
    files = sorted(p.name for p in (tmp_path / "printer").iterdir())
    assert files == sorted(f"{r.job_id}.{ext}" for r in (first, second) for ext in ("bin", "png"))
    data = (tmp_path / "printer" / f"{first.job_id}.bin").read_bytes()
    assert data == slip_job(make_slip(number="1023"), PAPER_WIDTHS[58])[0]
    assert first.preview_path == tmp_path / "printer" / f"{first.job_id}.png"
    from PIL import Image

    with Image.open(first.preview_path) as preview:
        rendered = render_slip(make_slip(number="1023"), PAPER_WIDTHS[58])
        assert preview.convert("1").tobytes() == rendered.tobytes()
    assert decode_job(data).commands[-1] == "cut"
    assert [job.result for job in printer.jobs] == [first, second]


def test_simulated_printer_fault_switch(tmp_path: Path) -> None:
    printer = SimulatedPrinter(tmp_path)
    printer.set_fault("paper_out")
    failed = printer.print_ticket(make_slip())
    assert (failed.ok, failed.error_code) == (False, "paper_out")
    assert failed.message_vi == "Máy in đã hết giấy."
    assert failed.preview_path is None
    assert not (tmp_path / "printer").exists()

    printer.set_fault("offline")
    assert printer.print_ticket(make_slip()).error_code == "offline"
    printer.set_fault(None)
    again = printer.print_ticket(make_slip())
    assert again.ok
    assert [j.result.error_code for j in printer.jobs] == ["paper_out", "offline", None]
    assert printer.jobs[0].bin_path is None and printer.jobs[2].bin_path is not None
    with pytest.raises(ValueError, match="unknown fault"):
        printer.set_fault("on_fire")


@pytest.mark.parametrize(
    ("url", "kind", "target", "width"),
    [
        ("sim", SimulatedPrinter, None, 576),
        ("sim?paper=58", SimulatedPrinter, None, 384),
        ("escpos-network://10.0.0.5:9100", EscposPrinter, NetworkTarget("10.0.0.5", 9100), 576),
        (
            "escpos-network://printer.local?paper=58",
            EscposPrinter,
            NetworkTarget("printer.local"),
            384,
        ),
        ("escpos-usb://0x0416:0x5011", EscposPrinter, UsbTarget(0x0416, 0x5011), 576),
        (
            "escpos-serial:///dev/ttyUSB0?baudrate=19200",
            EscposPrinter,
            SerialTarget("/dev/ttyUSB0", 19200),
            576,
        ),
        ("escpos-file:///dev/usb/lp0?paper=80", EscposPrinter, FileTarget("/dev/usb/lp0"), 576),
        (
            "escpos-network://10.0.0.5?profile=TM-T20II",
            EscposPrinter,
            NetworkTarget("10.0.0.5"),
            576,
        ),
    ],
)
def test_printer_from_url(url: str, kind: type, target: object, width: int, tmp_path: Path) -> None:
    printer = printer_from_url(url, tmp_path)
    assert isinstance(printer, kind)
    assert printer.width_px == width  # type: ignore[attr-defined]
    if target is not None:
        assert printer.target == target  # type: ignore[attr-defined]


def test_printer_from_url_options(tmp_path: Path) -> None:
    printer = printer_from_url("escpos-network://10.0.0.5?timeout=2.5", tmp_path)
    assert isinstance(printer, EscposPrinter)
    assert printer.job_timeout == 2.5
    sim = printer_from_url("sim", tmp_path)
    assert isinstance(sim, SimulatedPrinter)
    assert sim.out_dir == tmp_path / "printer"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "unknown printer"),
        ("cups://office", "unknown printer"),
        ("escpos-network://", "HOST"),
        ("escpos-network://10.0.0.5:printer", "bad port"),
        ("escpos-usb://0416", "USB ids"),
        ("escpos-usb://0xZZZZ:0x5011", "USB ids"),
        ("escpos-serial://ttyUSB0", "absolute device path"),
        ("escpos-serial:///dev/ttyUSB0?baudrate=fast", "baudrate must be a number"),
        ("escpos-file:///dev/usb/lp0?baudrate=9600", "unknown option"),
        ("escpos-usb://0x0416:0x5011?paper=58&colour=red", "unknown option"),
        ("sim?paper=110", "paper must be 58 or 80"),
        ("sim?paper=58&paper=80", "given twice"),
        ("escpos-network://10.0.0.5?timeout=0", "timeout must be positive"),
        ("escpos-network://10.0.0.5?profile=NoSuchPrinter", "unknown python-escpos profile"),
        ("escpos-network://10.0.0.5?profile=POS-5890", "narrower"),
    ],
)
def test_printer_from_url_rejects_bad_strings(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        printer_from_url(url, tmp_path)


def test_serial_printer_that_stops_reading_times_out() -> None:
    pytest.importorskip("serial")
    master, slave = pty.openpty()
    tty.setraw(slave)
    try:
        # Nobody reads the other end: the status request goes unanswered, then the
        # pseudo-terminal's buffer fills up like a printer holding the line busy.
        printer = EscposPrinter(
            SerialTarget(os.ttyname(slave)), status_timeout=0.2, job_timeout=1.0
        )
        started = time.monotonic()
        result = printer.print_ticket(make_slip(documents=("Sổ đỏ",) * 12))
        elapsed = time.monotonic() - started
    finally:
        os.close(slave)
        os.close(master)
    assert (result.ok, result.error_code) == (False, "timeout")
    assert elapsed < 5


def test_hardware_imports_nothing_from_the_web_layer_and_leaves_logging_alone() -> None:
    code = (
        "import logging, sys\n"
        "import hardware.printer, hardware.slip, hardware.escpos_job, hardware.links\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'flask_socketio', 'socketio', 'engineio', 'queue_server', 'displays', "
        "'counters', 'werkzeug', 'sqlalchemy'} and not m.startswith('queue_server.contract')"
        " and m != 'queue_server']\n"
        "print(','.join(sorted(bad)))\n"
        "print(len(logging.getLogger().handlers))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", "0"]
