"""Rules for issuing a ticket: opening hours, daily caps, number formats."""

from __future__ import annotations

from datetime import datetime

from .errors import Conflict
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
