"""Printing ticket slips for kiosks: after the ticket is committed, never before.

A printer fault never loses the ticket: the kiosk gets the fault in plain words
and can print again; staff see the printer's last state at /api/v1/printers.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from hardware.printer import PrintResult, TicketPrinter, printer_from_url
from hardware.slip import TicketSlip, render_slip

from .contract import models as m
from .contract.messages import Message, render
from .desk import TicketView
from .domain.clock import Clock
from .domain.errors import NotFound
from .domain.model import Service, Site, session_name_at

log = logging.getLogger(__name__)

BROWSER = "browser"
"""Printer setting for an ordinary (non-ESC/POS) printer: the kiosk prints an HTML slip."""
DEFAULT_LINK_BASE = "http://127.0.0.1:5000"
"""The slips' link base when none is given: the default listening address."""


def primary_ipv4() -> str:
    """This machine's primary non-loopback IPv4 address (the one its default route uses),
    or 127.0.0.1 when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: a UDP connect sends no packet
            address = str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
    return "127.0.0.1" if ipaddress.ip_address(address).is_loopback else address


def listening_url(host: str, port: int) -> str:
    """`http://HOST:PORT` of the listening address; for 0.0.0.0 or ::, the machine's primary
    IPv4 address (what a phone on the centre's network can reach)."""
    if host in ("0.0.0.0", "::", ""):
        host = primary_ipv4()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


@dataclass
class PrinterState:
    """What staff need to know about a kiosk printer."""

    site: str
    url: str
    ok: bool | None = None
    error_code: str | None = None
    message: str = ""
    message_en: str = ""
    at: datetime | None = None
    jobs: int = 0
    failures: int = 0


class KioskPrinting:
    """One printer per site (from its `printer` setting), one job at a time per printer."""

    def __init__(
        self,
        sites: tuple[Site, ...],
        data_dir: Path,
        clock: Clock,
        link_base: str = DEFAULT_LINK_BASE,
    ) -> None:
        self.clock = clock
        self.link_base = link_base  # for slips of requests whose own host is not trusted
        self._printers: dict[str, TicketPrinter] = {}
        self._locks: dict[str, threading.Lock] = {}
        self.states: dict[str, PrinterState] = {}
        for site in sites:
            if site.printer == BROWSER:
                self.states[site.code] = PrinterState(site.code, BROWSER)
                continue
            self._printers[site.code] = printer_from_url(site.printer, data_dir)
            self._locks[site.code] = threading.Lock()
            self.states[site.code] = PrinterState(site.code, _redact(site.printer))

    def warm_up(self) -> None:
        """Load fonts and render once, so the first citizen's slip is not the slow one."""
        slip = TicketSlip("MộtCửa", "A000", "Hộ tịch", 0, self.clock.now(), "Sáng", "http://x/t/0")
        render_slip(slip, 384)

    def printers(self) -> list[TicketPrinter]:
        """Every site's printer (for test hooks and health reports)."""
        return list(self._printers.values())

    @staticmethod
    def check_procedure(site: Site, service_code: str, procedure: str) -> None:
        """Raise NotFound unless the service has this procedure (checked before issuing)."""
        service = site.services_by_code.get(service_code)
        if service is not None and not any(p.name == procedure for p in service.procedures):
            raise _unknown_procedure(service, procedure)

    def slip(
        self, view: TicketView, site: Site, base_url: str, procedure: str | None
    ) -> TicketSlip:
        """The slip for a ticket; `procedure` adds that procedure's documents as a checklist.

        The QR code links to `base_url` when it is absolute (public_url or a trusted host),
        else to `link_base`: a phone cannot follow a relative link, nor a forged Host."""
        ticket = view.ticket
        service = site.services_by_code[ticket.service]
        documents: tuple[str, ...] = ()
        if procedure is not None:
            found = next((p for p in service.procedures if p.name == procedure), None)
            if found is None:
                raise _unknown_procedure(service, procedure)
            documents = found.documents
        issued = site.local(ticket.issued_at)
        return TicketSlip(
            centre_name=site.name,
            number=ticket.number,
            service_name=service.name,
            ahead=view.ahead,
            issued_at=issued,
            session=session_name_at(issued.time()),
            status_url=f"{_absolute(base_url) or self.link_base.rstrip('/')}/t/{ticket.id}",
            priority=ticket.priority,
            documents=documents,
            counters=site.serving_counters(ticket.service),
            waiting_area=site.waiting_area_for(ticket.service),
        )

    @staticmethod
    def by_browser(site: Site) -> bool:
        """Whether the kiosk's browser prints this site's slips (HTML slip, ordinary printer)."""
        return site.printer == BROWSER

    def print(self, site: Site, slip: TicketSlip) -> PrintResult:
        """Print a slip on the site's printer and remember how it went."""
        if self.by_browser(site):
            return PrintResult(True, "browser", None, *render("printer.browser"))
        with self._locks[site.code]:
            result = self._printers[site.code].print_ticket(slip)
            state = self.states[site.code]
            state.ok, state.error_code = result.ok, result.error_code
            state.message, state.message_en = result.message_vi, result.message_en
            state.at = self.clock.now()
            state.jobs += 1
            if not result.ok:
                state.failures += 1
                log.warning(
                    "printer fault at %s: %s (ticket %s)", site.code, result.error_code, slip.number
                )
        return result

    def print_ticket(
        self, view: TicketView, site: Site, base_url: str, procedure: str | None
    ) -> m.PrintResult:
        """The kiosk's one way to print a committed ticket: the slip on the site's printer,
        or, for an ordinary printer, the HTML slip its browser prints (issue and reprint)."""
        result = self.print(site, self.slip(view, site, base_url, procedure))
        slip_url = None
        if self.by_browser(site):
            query = f"?{urlencode({'procedure': procedure})}" if procedure else ""
            slip_url = f"/t/{view.ticket.id}/slip{query}"
        return m.PrintResult(
            ok=result.ok,
            error_code=result.error_code,  # type: ignore[arg-type]
            message=result.message_vi,
            message_en=result.message_en,
            job_id=result.job_id,
            paper_low=result.paper_low,
            mode="browser" if slip_url else None,
            slip_url=slip_url,
        )


def _unknown_procedure(service: Service, procedure: str) -> NotFound:
    return NotFound(
        "unknown_procedure", service=Message(service.name, service.code), procedure=procedure
    )


def _absolute(base_url: str) -> str:
    """The base without its trailing slash when it is an absolute http(s) URL, else ""."""
    return base_url.rstrip("/") if base_url.startswith(("http://", "https://")) else ""


def _redact(url: str) -> str:
    """Printer URLs carry no secrets today, but keep only scheme and host for display."""
    return url.split("?", 1)[0]
