"""Rules for issuing a ticket: opening hours, daily caps, number formats."""

from __future__ import annotations

from datetime import datetime

from .errors import Conflict, Invalid
from .model import Service


def check_open(service: Service, local_now: datetime) -> None:
    """Raise Conflict(closed_hours) when the service is not taking tickets now."""
    if not service.hours.is_open(local_now):
        raise Conflict(
            "closed_hours",
            f"Lĩnh vực {service.name} hiện ngoài giờ lấy số. "
            f"Giờ làm việc: {service.hours.describe()}.",
            f"{service.name_en or service.code} is not issuing tickets now "
            "(outside opening hours).",
        )


def check_cap(service: Service, issued_today: int) -> None:
    """Raise Conflict(daily_cap_reached) when the day's cap is used up."""
    if service.daily_cap is not None and issued_today >= service.daily_cap:
        raise Conflict(
            "daily_cap_reached",
            f"Lĩnh vực {service.name} đã hết số trong ngày hôm nay "
            f"(tối đa {service.daily_cap} số). Mời quay lại vào ngày làm việc tiếp theo.",
            f"{service.name_en or service.code} has issued its "
            f"{service.daily_cap} tickets for today.",
        )


def number_for(service: Service, k: int) -> str:
    """The k-th number of the day for a service (raises numbers_exhausted past its format)."""
    return service.number_format.number_for(k)


def normalise_citizen_id(raw: str) -> str:
    """A phone number (10 digits) or citizen ID (9 or 12 digits) as digits only."""
    digits = "".join(ch for ch in raw if ch.isdigit() and ch.isascii())
    if digits.startswith("84") and len(digits) == 11:  # +84 912 345 678
        digits = "0" + digits[2:]
    if len(digits) not in (9, 10, 12) or len(raw) > 32:
        raise Invalid(
            "invalid_citizen_id",
            "Số điện thoại hoặc số CCCD không hợp lệ.",
            "Give a 10-digit phone number or a 9/12-digit ID number.",
        )
    return digits


def already_has_ticket(service: Service) -> Conflict:
    """The error for a second ticket of the same citizen in the same field today."""
    return Conflict(
        "already_has_ticket",
        f"Bạn đã lấy số lĩnh vực {service.name} hôm nay. Vui lòng chờ gọi số, "
        "hoặc nhờ cán bộ hỗ trợ nếu bị mất phiếu.",
        f"This citizen already has a ticket for {service.name_en or service.code} today.",
    )
