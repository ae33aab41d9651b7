"""Rules for issuing a ticket: opening hours, daily caps, number formats."""

from __future__ import annotations

from datetime import datetime

from ..contract.messages import Message
from .errors import Conflict, Invalid
from .model import Service


def check_open(service: Service, local_now: datetime) -> None:
    """Raise Conflict(closed_hours) when the service is not taking tickets now."""
    if not service.hours.is_open(local_now):
        raise Conflict("closed_hours", service=_name(service), hours=service.hours.describe())


def check_cap(service: Service, issued_today: int) -> None:
    """Raise Conflict(daily_cap_reached) when the day's cap is used up."""
    if service.daily_cap is not None and issued_today >= service.daily_cap:
        raise Conflict("daily_cap_reached", service=_name(service), cap=service.daily_cap)


def number_for(service: Service, k: int) -> str:
    """The k-th number of the day for a service (raises numbers_exhausted past its format)."""
    return service.number_format.number_for(k)


def normalise_citizen_id(raw: str) -> str:
    """A phone number (10 digits) or citizen ID (9 or 12 digits) as digits only."""
    digits = "".join(ch for ch in raw if ch.isdigit() and ch.isascii())
    if digits.startswith("84") and len(digits) == 11:  # +84 912 345 678
        digits = "0" + digits[2:]
    if len(digits) not in (9, 10, 12) or len(raw) > 32:
        raise Invalid("invalid_citizen_id")
    return digits


def already_has_ticket(service: Service) -> Conflict:
    """The error for a second ticket of the same citizen in the same field today."""
    return Conflict("already_has_ticket", service=_name(service))


def _name(service: Service) -> Message:
    """A service's name in each language (its code where it has no English name)."""
    return Message(service.name, service.name_en or service.code)
