"""Device agents report the health of the keypads, LED boards and printers wired to them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class AgentReport:
    """The latest report of one agent."""

    token_id: int
    name: str
    site: str
    devices: list[dict[str, Any]]
    at: datetime
    reports: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class AgentRegistry:
    """Latest health per agent, in memory: agents report every few seconds."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._reports: dict[int, AgentReport] = {}
        self._lock = threading.Lock()

    def report(self, token_id: int, name: str, site: str, devices: list[dict[str, Any]]) -> None:
        """Store an agent's report."""
        with self._lock:
            old = self._reports.get(token_id)
            count = old.reports + 1 if old else 1
            self._reports[token_id] = AgentReport(token_id, name, site, devices, self.now(), count)

    def all(self) -> list[AgentReport]:
        """Every agent's latest report."""
        with self._lock:
            return list(self._reports.values())
