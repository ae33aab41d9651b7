"""Ticket printers: one small interface, an ESC/POS driver, a simulator and a config factory.

print_ticket never raises: a printer fault must not lose the ticket or crash the kiosk,
so every failure comes back as a PrintResult with a fault code and plain messages.
"""

from __future__ import annotations

import logging
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from hardware._escpos import DeviceNotFoundError, Network, Serial, Usb
from hardware.escpos_job import (
    STATUS_OFFLINE_CAUSE,
    STATUS_PAPER,
    STATUS_PRINTER,
    PrinterStatus,
    decode_job,
    escpos_profile,
    slip_job,
    status_byte,
    status_query,
)
from hardware.links import socket_unacked, wait_until_sent, write_device_file
from hardware.slip import PAPER_WIDTHS, TicketSlip
from queue_server.contract.messages import render

log = logging.getLogger(__name__)

FAULT_CODES = ("offline", "paper_out", "cover_open", "timeout", "error")
MESSAGES: dict[str | None, tuple[str, str]] = {
    code: render(f"printer.{code or 'ok'}") for code in (None, *FAULT_CODES)
}
"""(vi, en) per fault code, None for success; the texts live in the message catalogue."""


@dataclass(frozen=True)
class PrintResult:
    """The outcome of one print job; error_code is one of FAULT_CODES when ok is False."""

    ok: bool
    job_id: str
    error_code: str | None
    message_vi: str
    message_en: str
    preview_path: Path | None = None
    paper_low: bool = False


class PrinterError(Exception):
    """A printer fault with a code from FAULT_CODES and messages for people."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en

    @classmethod
    def of(cls, code: str, detail: str = "") -> PrinterError:
        """The standard messages for code, with an optional technical detail in English."""
        vi, en = MESSAGES[code]
        return cls(code, vi, f"{en} ({detail})" if detail else en)

    def result(self, job_id: str) -> PrintResult:
        """This fault as a failed PrintResult."""
        return PrintResult(False, job_id, self.code, self.message_vi, self.message_en)


class TicketPrinter(Protocol):
    """Anything that prints ticket slips."""

    def print_ticket(self, slip: TicketSlip) -> PrintResult:
        """Print one slip; never raises."""
        ...


def new_job_id(slip: TicketSlip) -> str:
    """A readable, unique job id: issue time, ticket number, random suffix."""
    number = re.sub(r"[^0-9A-Za-z_-]", "_", slip.number)
    return f"{slip.issued_at:%Y%m%d-%H%M%S}-{number}-{secrets.token_hex(3)}"


def _ok(job_id: str, preview: Path | None = None, paper_low: bool = False) -> PrintResult:
    vi, en = MESSAGES[None]
    return PrintResult(True, job_id, None, vi, en, preview, paper_low)


@dataclass(frozen=True)
class NetworkTarget:
    """A printer on the LAN, raw TCP (JetDirect, usually port 9100)."""

    host: str
    port: int = 9100


@dataclass(frozen=True)
class UsbTarget:
    """A USB printer by vendor and product id."""

    vendor_id: int
    product_id: int


@dataclass(frozen=True)
class SerialTarget:
    """A printer on a serial port (prefer /dev/serial/by-id/... paths)."""

    port: str
    baudrate: int = 9600


@dataclass(frozen=True)
class FileTarget:
    """A printer device file such as /dev/usb/lp0 (write only, no status)."""

    path: str


Target = NetworkTarget | UsbTarget | SerialTarget | FileTarget


def _is_timeout(err: BaseException) -> bool:
    """socket timeouts, and pyserial's/pyusb's own timeout errors (optional imports)."""
    names = {"SerialTimeoutException", "USBTimeoutError"}
    return isinstance(err, TimeoutError) or type(err).__name__ in names


def _as_printer_error(err: Exception) -> PrinterError:
    """Map a driver exception to a fault code at the driver boundary."""
    if isinstance(err, PrinterError):
        return err
    if _is_timeout(err):
        return PrinterError.of("timeout", str(err))
    if isinstance(err, DeviceNotFoundError | ConnectionError):
        return PrinterError.of("offline", str(err).replace("\n", " "))
    if isinstance(err, OSError) and not isinstance(err, PermissionError):
        return PrinterError.of("offline", str(err))
    return PrinterError.of("error", f"{type(err).__name__}: {err}")


class EscposPrinter:
    """A real ESC/POS printer through python-escpos, checked with real-time status first."""

    def __init__(
        self,
        target: Target,
        *,
        width_px: int = PAPER_WIDTHS[80],
        profile: str | None = None,
        connect_timeout: float = 3.0,
        status_timeout: float = 0.5,
        job_timeout: float = 15.0,
    ) -> None:
        self.target = target
        self.width_px = width_px
        self.profile = profile
        self.connect_timeout = connect_timeout
        self.status_timeout = status_timeout
        self.job_timeout = job_timeout
        self._lock = threading.Lock()
        # None until known; False once the printer has ignored a status request.
        self._answers_status: bool | None = None

    def print_ticket(self, slip: TicketSlip) -> PrintResult:
        """Render, check the printer's status where it answers, send; never raises."""
        job_id = new_job_id(slip)
        try:
            data, _ = slip_job(slip, self.width_px, self.profile)
        except Exception as err:
            log.exception("printer: job %s could not be built", job_id)
            return PrinterError.of("error", f"{type(err).__name__}: {err}").result(job_id)
        with self._lock:
            try:
                paper_low = self._run(data)
            except Exception as err:
                fault = _as_printer_error(err)
                log.warning("printer %s: job %s failed: %s", self.target, job_id, fault)
                return fault.result(job_id)
        if paper_low:
            log.warning("printer %s: paper roll nearly finished", self.target)
        return _ok(job_id, paper_low=paper_low)

    def _run(self, data: bytes) -> bool:
        """Open, check status, send, close; returns whether the paper is low."""
        deadline = time.monotonic() + self.job_timeout
        if isinstance(self.target, FileTarget):
            write_device_file(self.target.path, data, self.job_timeout)
            return False
        device = self._open()
        try:
            status = self.status(device)
            fault = status.fault()
            if fault:
                raise PrinterError.of(fault, "reported by real-time status")
            self._send(device, data, deadline)
        except BaseException:
            self._close(device, failed=True)
            raise
        self._close(device, failed=False)
        return status.paper_low

    def _open(self) -> Any:
        """A connected python-escpos printer (DeviceNotFoundError when unreachable)."""
        t = self.target
        device: Any
        if isinstance(t, NetworkTarget):
            # Connect here rather than with Network.open(): python-escpos 3.1 leaks the
            # socket when the connection fails, and hides the reason in its message.
            try:
                sock = socket.create_connection((t.host, t.port), timeout=self.connect_timeout)
            except OSError as err:
                raise PrinterError.of("offline", f"{t.host}:{t.port}: {err}") from err
            device = Network(t.host, t.port, timeout=self.connect_timeout)
            device.device = sock
            return device
        if isinstance(t, UsbTarget):
            device = Usb(t.vendor_id, t.product_id, timeout=int(self.job_timeout * 1000))
        elif isinstance(t, SerialTarget):
            device = Serial(t.port, baudrate=t.baudrate, timeout=self.status_timeout)
        else:
            raise TypeError(f"no python-escpos connection for {t!r}")
        device.open()
        return device

    def status(self, device: Any) -> PrinterStatus:
        """Ask DLE EOT 1, 2 and 4 on network and serial links; empty when unanswered."""
        if not isinstance(self.target, NetworkTarget | SerialTarget):
            return PrinterStatus(None)
        if self._answers_status is False:
            return PrinterStatus(None)
        printer = self._query(device, STATUS_PRINTER)
        if printer is None:
            if self._answers_status is None:
                self._answers_status = False
                log.info("printer %s does not answer DLE EOT; printing blind", self.target)
            return PrinterStatus(None)
        self._answers_status = True
        cause = self._query(device, STATUS_OFFLINE_CAUSE)
        return PrinterStatus(printer, cause, self._query(device, STATUS_PAPER))

    def _query(self, device: Any, n: int) -> int | None:
        """Send DLE EOT n and wait status_timeout for the one-byte answer."""
        device._raw(status_query(n))
        link = device.device
        try:
            if isinstance(self.target, NetworkTarget):
                link.settimeout(self.status_timeout)
                reply = link.recv(16)
            else:
                link.timeout = self.status_timeout
                reply = link.read(1)
                reply += link.read(link.in_waiting) if reply else b""
        except TimeoutError:
            return None
        return status_byte(bytes(reply))

    def _send(self, device: Any, data: bytes, deadline: float) -> None:
        """Write the whole job, and see the printer take it, before the deadline."""
        link = device.device
        left = max(0.1, deadline - time.monotonic())
        if isinstance(self.target, NetworkTarget):
            link.settimeout(left)  # since Python 3.5 a total deadline for sendall
        elif isinstance(self.target, SerialTarget):
            link.write_timeout = left
        device._raw(data)  # python-escpos's raw write; the stream is already built
        if isinstance(self.target, NetworkTarget):
            wait_until_sent(lambda: socket_unacked(link), deadline, str(self.target))
        elif isinstance(self.target, SerialTarget):
            wait_until_sent(lambda: int(link.out_waiting), deadline, str(self.target))

    def _close(self, device: Any, failed: bool) -> None:
        """Close quietly, without blocking on a stalled printer after a failed job."""
        link = device.device
        try:
            if isinstance(self.target, NetworkTarget) and link:
                # Closing a socket with unread input sends a reset, which can drop
                # the tail of the job: read what the printer sent first.
                link.setblocking(False)
                while link.recv(256):
                    pass
            elif isinstance(self.target, SerialTarget) and link and failed:
                link.reset_output_buffer()  # else close() waits in tcdrain for ever
        except OSError:
            pass
        try:
            device.close()
        except Exception:
            log.debug("printer %s: error while closing", self.target, exc_info=True)


@dataclass(frozen=True)
class SimulatedJob:
    """One job the simulated printer was asked to print."""

    slip: TicketSlip
    result: PrintResult
    bin_path: Path | None
    png_path: Path | None


class SimulatedPrinter:
    """Builds the same ESC/POS stream as the real driver and keeps it with a PNG preview.

    Files go to <data_dir>/printer/<job>.bin and <job>.png; the preview is decoded back
    from the bytes, so it shows exactly what a printer would burn. set_fault() makes the
    next jobs fail, for demos and tests.
    """

    def __init__(
        self, data_dir: Path, *, width_px: int = PAPER_WIDTHS[80], profile: str | None = None
    ) -> None:
        self.out_dir = Path(data_dir) / "printer"
        self.width_px = width_px
        self.profile = profile
        self._fault: str | None = None
        self._jobs: list[SimulatedJob] = []
        self._lock = threading.Lock()

    def set_fault(self, code: str | None) -> None:
        """Fail every job with code from now on (None: work again)."""
        if code is not None and code not in FAULT_CODES:
            raise ValueError(f"unknown fault {code!r}; expected one of {FAULT_CODES}")
        self._fault = code

    @property
    def fault(self) -> str | None:
        """The fault currently simulated, if any."""
        return self._fault

    @property
    def jobs(self) -> tuple[SimulatedJob, ...]:
        """Every job so far, failed ones included, oldest first."""
        with self._lock:
            return tuple(self._jobs)

    def print_ticket(self, slip: TicketSlip) -> PrintResult:
        """Write the job's bytes and preview, or fail with the simulated fault."""
        job_id = new_job_id(slip)
        bin_path = png_path = None
        fault = self._fault
        if fault:
            result = PrinterError.of(fault, "simulated").result(job_id)
        else:
            try:
                data, _ = slip_job(slip, self.width_px, self.profile)
                self.out_dir.mkdir(parents=True, exist_ok=True)
                bin_path = self.out_dir / f"{job_id}.bin"
                png_path = self.out_dir / f"{job_id}.png"
                bin_path.write_bytes(data)
                decode_job(data).image().save(png_path)
                result = _ok(job_id, png_path)
            except Exception as err:
                log.exception("simulated printer: job %s failed", job_id)
                result = _as_printer_error(err).result(job_id)
        with self._lock:
            self._jobs.append(SimulatedJob(slip, result, bin_path, png_path))
        return result


_URL_HELP = (
    'expected "sim", "escpos-network://HOST[:PORT]", "escpos-usb://0xVID:0xPID", '
    '"escpos-serial:///dev/ttyUSB0?baudrate=19200" or "escpos-file:///dev/usb/lp0", '
    "optionally with ?paper=58|80 (default 80), &profile=<python-escpos profile> "
    "and &timeout=<seconds for one job, default 15>"
)
_PARAMS = {
    "sim": {"paper", "profile"},
    "escpos-network": {"paper", "profile", "timeout"},
    "escpos-usb": {"paper", "profile", "timeout"},
    "escpos-serial": {"paper", "profile", "timeout", "baudrate"},
    "escpos-file": {"paper", "profile", "timeout"},
}


def _query_params(url: str, scheme: str, query: str) -> dict[str, str]:
    """Single-valued query parameters, only those the scheme knows."""
    try:
        raw = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as err:
        raise ValueError(f"printer {url!r}: bad query string ({err})") from None
    unknown = set(raw) - _PARAMS[scheme]
    if unknown:
        allowed = ", ".join(sorted(_PARAMS[scheme]))
        raise ValueError(f"printer {url!r}: unknown option {sorted(unknown)}; allowed: {allowed}")
    if any(len(v) > 1 for v in raw.values()):
        raise ValueError(f"printer {url!r}: an option is given twice")
    return {k: v[0] for k, v in raw.items()}


def _number(url: str, name: str, value: str, kind: type[int] | type[float]) -> Any:
    """A positive int or float from the URL, or a clear ValueError."""
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"printer {url!r}: {name} must be a number, got {value!r}") from None
    if number <= 0:
        raise ValueError(f"printer {url!r}: {name} must be positive, got {value!r}")
    return number


def _usb_ids(url: str, netloc: str) -> UsbTarget:
    """'0x0416:0x5011' (hex, 0x optional) to a UsbTarget."""
    match = re.fullmatch(r"(?:0x)?([0-9a-fA-F]{1,4}):(?:0x)?([0-9a-fA-F]{1,4})", netloc)
    if not match:
        raise ValueError(f"printer {url!r}: USB ids must look like 0x0416:0x5011")
    return UsbTarget(int(match[1], 16), int(match[2], 16))


def _target(url: str, scheme: str, netloc: str, path: str) -> Target:
    """The connection target of an escpos-* URL."""
    if scheme == "escpos-network":
        parts = urlsplit(f"//{netloc}")
        try:
            port = parts.port or 9100
        except ValueError:
            raise ValueError(f"printer {url!r}: bad port") from None
        if not parts.hostname or path not in ("", "/"):
            raise ValueError(f"printer {url!r}: expected escpos-network://HOST[:PORT]")
        return NetworkTarget(parts.hostname, port)
    if scheme == "escpos-usb":
        return _usb_ids(url, netloc)
    if netloc or not path.startswith("/"):
        raise ValueError(f"printer {url!r}: expected an absolute device path after ://")
    return SerialTarget(path) if scheme == "escpos-serial" else FileTarget(path)


def printer_from_url(url: str, data_dir: Path) -> TicketPrinter:
    """Build a printer from a config string such as "sim" or "escpos-network://10.0.0.5:9100"."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme or parts.path
    if scheme not in _PARAMS or (scheme != "sim" and not parts.scheme):
        raise ValueError(f"unknown printer {url!r}: {_URL_HELP}")
    if scheme == "sim" and (parts.scheme or parts.netloc):
        raise ValueError(f"unknown printer {url!r}: {_URL_HELP}")
    params = _query_params(url, scheme, parts.query)
    paper = params.get("paper", "80")
    if paper not in ("58", "80"):
        raise ValueError(f"printer {url!r}: paper must be 58 or 80 (mm), got {paper!r}")
    width_px, profile = PAPER_WIDTHS[int(paper)], params.get("profile") or None
    try:
        escpos_profile(width_px, profile)
    except KeyError:
        raise ValueError(f"printer {url!r}: unknown python-escpos profile {profile!r}") from None
    if scheme == "sim":
        return SimulatedPrinter(data_dir, width_px=width_px, profile=profile)
    target = _target(url, scheme, parts.netloc, parts.path)
    if isinstance(target, SerialTarget) and "baudrate" in params:
        target = SerialTarget(target.port, _number(url, "baudrate", params["baudrate"], int))
    timeout = _number(url, "timeout", params.get("timeout", "15"), float)
    return EscposPrinter(target, width_px=width_px, profile=profile, job_timeout=timeout)
