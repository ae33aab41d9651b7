"""The demo's counter hardware: a simulated keypad and LED board per counter, and the agent.

In demo mode `motcua run` makes them from the config (`DemoDevices.from_config`), hands
them to `create_app`, and starts them, in background threads of its own process: one
keypad line and one LED line on real pseudo-terminals (pyserial's socket:// when ptys are
not available), and the device agent driving them exactly as it drives real hardware. The
page /demo/devices presses the keypads and shows what the agent wrote to the boards.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hardware.protocol import MAX_ADDRESS, Key
from hardware.sim import PtyPort, SimPort, SimulatedKeypad, SimulatedLed, TcpPort

if TYPE_CHECKING:
    from .config import Config
    from .domain.clock import Clock
    from .storage.database import Database

log = logging.getLogger(__name__)

# The keys the demo page offers, in order, with their labels (Vietnamese, English).
KEYS: tuple[tuple[Key, str, str], ...] = (
    (Key.NEXT, "Gọi tiếp", "Next"),
    (Key.RECALL, "Gọi lại", "Recall"),
    (Key.NOSHOW, "Không có mặt", "No-show"),
    (Key.DONE, "Xong", "Done"),
    (Key.PAUSE, "Tạm dừng", "Pause"),
    (Key.RESUME, "Tiếp tục", "Resume"),
)


class DemoDevices:
    """Keypads and LED boards of the demo counters (address N = counter N), and their agent."""

    def __init__(self, counters: list[int], directory: Path) -> None:
        self.counters = [c for c in counters if 1 <= c <= MAX_ADDRESS]
        self.directory = directory
        self.keypads: SimulatedKeypad | None = None
        self.leds: SimulatedLed | None = None
        self.agent: Any = None
        self.error: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> DemoDevices | None:
        """The demo centre's devices; None outside demo mode, when the setting turns them
        off, or when the async mode cannot run their threads."""
        server = config.server
        if not config.demo or not server.demo_devices:
            return None
        if server.async_mode != "threading":
            log.warning("simulated devices need async_mode threading; not started")
            return None
        return cls(
            [c.number for c in config.default_site.counters],
            Path(server.data_dir).resolve() / "demo-devices",
        )

    def _port(self, name: str) -> SimPort:
        try:
            port: SimPort = PtyPort(self.directory / name)
            port.plug()
            port.unplug()
        except OSError as err:
            log.info("no pty for the demo %s (%s): using socket://", name, err)
            port = TcpPort()
        return port

    def devices_toml(self) -> str:
        """The agent's devices.toml for these lines."""
        assert self.keypads is not None and self.leds is not None
        lines = ['[agent]\nname = "demo"\nhealth_interval = 5\n']
        for section, port in (("keypads", self.keypads.port), ("leds", self.leds.port)):
            for c in self.counters:
                lines.append(f'[[{section}]]\nport = "{port.url}"\naddress = {c}\ncounter = {c}\n')
        return "\n".join(lines)

    def agent_token(self, db: Database, clock: Clock, site: str) -> str:
        """The demo agent's token, for exactly these counters of `site`; kept in the lines'
        folder so a restart reuses it."""
        from .auth import create_token, verify_token

        path = self.directory / "agent-token"
        try:
            token = path.read_text("utf-8").strip()
        except OSError:
            token = ""
        found = verify_token(db, token) if token else None
        if found is None or found.site != site or found.counters != frozenset(self.counters):
            token = create_token(
                db, clock, role="agent", site=site, counters=self.counters, name="demo agent"
            )
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_text(token, "utf-8")
            path.chmod(0o600)
        return token

    def start(self, server_url: str, token: str) -> None:
        """Plug the lines in, then start the agent once the server answers (in a thread)."""
        threading.Thread(
            target=self._start, args=(server_url, token), name="demo-devices", daemon=True
        ).start()

    def _start(self, server_url: str, token: str) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.keypads = SimulatedKeypad(self._port("keypads"))
            self.leds = SimulatedLed(self._port("leds"))
            self.keypads.start()
            self.leds.start()
            from hardware.agent import Agent
            from hardware.devices_config import parse_devices

            config = parse_devices(self.devices_toml(), "<demo devices>", self.directory)
            self.agent = Agent(config, server_url, token)
            _wait_for_server(server_url)
            self.agent.start()
            log.info("demo devices: %d keypads and LED boards", len(self.counters))
        except Exception as err:  # the demo goes on without its simulated hardware
            self.error = str(err) or type(err).__name__
            log.warning("simulated devices not started: %s", self.error)

    def stop(self) -> None:
        """Stop the agent and unplug the lines."""
        if self.agent is not None:
            self.agent.stop()
        for device in (self.keypads, self.leds):
            if device is not None:
                device.stop()

    def press(self, counter: int, key: Key) -> str:
        """Press a key on counter's keypad; the frame sent."""
        if self.keypads is None or counter not in self.counters:
            raise LookupError(counter)
        return self.keypads.press(counter, key).decode("ascii").strip()

    def state(self) -> dict[str, Any]:
        """What every LED board shows (None: nothing written yet) and whether the agent is on."""
        shown = dict(self.leds.shown) if self.leds is not None else {}
        agent = self.agent
        return {
            "running": self.leds is not None and agent is not None and self.error is None,
            "connected": bool(agent is not None and agent.sio.connected),
            "error": self.error,
            "leds": {str(c): shown.get(c) for c in self.counters},
        }


def _wait_for_server(url: str, timeout: float = 30.0) -> None:
    """Until the server's port accepts connections (the agent then connects at once)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((parts.hostname, parts.port or 80), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def server_url(config: Config) -> str:
    """Where this process's own server answers, for the demo's agent."""
    server = config.server
    host = server.host if server.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{server.port}"
