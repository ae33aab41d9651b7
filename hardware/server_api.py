"""The agent's HTTP client: JSON POSTs with a bearer token over kept-alive connections.

Standard library only (http.client), one connection per thread. A request that fails on
the network raises :class:`ServerUnavailable`; any HTTP answer, 5xx included, comes back
as an :class:`Answer` and the caller decides whether to retry.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class ServerUnavailable(OSError):
    """The server could not be reached or dropped the connection mid-request."""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, JSON body ({} when not JSON), and whether it was a replay."""

    status: int
    body: dict[str, Any]
    replay: bool = False

    @property
    def error_code(self) -> str | None:
        """The API's error code, if the answer is an error."""
        error = self.body.get("error")
        return error.get("code") if isinstance(error, dict) else None


class ServerApi:
    """POST JSON to the MộtCửa API as one agent token."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"server URL must look like http://HOST:PORT, got {base_url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            conn = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        """One request; ServerUnavailable when no HTTP answer came back."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        conn = self._connection()
        try:
            if conn.sock is None:
                conn.connect()
                _no_delay(conn)
            conn.request(method, self.prefix + path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as err:
            self.close()  # a half-used connection is not reused
            raise ServerUnavailable(f"{self.host}:{self.port}: {err}") from err
        if response.will_close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return Answer(
            response.status,
            parsed if isinstance(parsed, dict) else {},
            response.getheader("Idempotent-Replay") == "true",
        )


def _no_delay(conn: http.client.HTTPConnection) -> None:
    """Send small requests at once (no Nagle wait for the server's delayed ACK)."""
    sock: socket.socket | None = conn.sock
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
