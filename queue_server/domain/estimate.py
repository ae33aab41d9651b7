"""Estimated waiting time for a citizen who has just taken a ticket."""

from __future__ import annotations

import math

DEFAULT_SERVICE_SECONDS = 300.0
"""Assumed handling time before a field has served anyone today (5 minutes)."""


def estimate_minutes(
    ahead: int, avg_service_seconds: float | None, open_counters: int
) -> int | None:
    """Whole minutes until the ticket is likely called, or None when no counter serves it.

    People ahead are shared among the open counters that serve the field; each
    takes the field's average handling time today (or the default before any).
    """
    if open_counters <= 0:
        return None
    per_person = avg_service_seconds if avg_service_seconds else DEFAULT_SERVICE_SECONDS
    return math.ceil(ahead * per_person / open_counters / 60)
