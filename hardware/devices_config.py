"""devices.toml: the keypads, LED boards, rating pads and printer wired to one agent PC.

Loaded and validated in one go; every problem names the file, the key and what is wrong,
e.g. ``devices.toml: keypads[1].parity: use N, E or O (got 'X')``. See README.md,
"Counter hardware", and examples/devices.toml.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardware.protocol import (
    DEFAULT_PROTOCOL,
    DISPLAY_PROTOCOLS,
    KEYPAD_PROTOCOLS,
    MAX_ADDRESS,
    MIN_ADDRESS,
)

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class DevicesConfigError(ValueError):
    """devices.toml is missing or wrong; the message names file, key and problem."""


@dataclass(frozen=True)
class SerialDevice:
    """A device on a serial line: where it hangs and which counter it belongs to."""

    id: str
    kind: str  # "keypad", "led", "rating"
    port: str
    address: int
    counter: int
    baudrate: int = 9600
    parity: str = "N"
    protocol: str = DEFAULT_PROTOCOL
    bounce: float = 0.3  # keypads and rating pads
    buttons: int = 5  # rating pads


@dataclass(frozen=True)
class AgentSettings:
    """The [agent] table."""

    name: str
    site: str | None = None
    health_interval: float = 5.0


@dataclass(frozen=True)
class DevicesConfig:
    """The whole file."""

    path: str
    agent: AgentSettings
    keypads: tuple[SerialDevice, ...] = ()
    leds: tuple[SerialDevice, ...] = ()
    ratings: tuple[SerialDevice, ...] = ()
    printer_url: str | None = None
    data_dir: Path = field(default=Path("motcua-agent-data"))

    @property
    def devices(self) -> tuple[SerialDevice, ...]:
        """Every serial device, keypads first."""
        return self.keypads + self.leds + self.ratings

    def ports(self) -> dict[str, tuple[int, str]]:
        """Each port used, with its (baudrate, parity)."""
        return {d.port: (d.baudrate, d.parity) for d in self.devices}


class _Checker:
    """Reads values from the parsed TOML, raising errors that name file and key."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str, problem: str) -> DevicesConfigError:
        return DevicesConfigError(f"{self.file}: {key}: {problem}")

    def table(self, data: dict[str, Any], key: str, allowed: set[str]) -> dict[str, Any]:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0],
                f"unknown setting; allowed: {', '.join(sorted(allowed))}",
            )
        return data

    def get(self, data: dict[str, Any], key: str, name: str, kind: type, default: Any) -> Any:
        value = data.get(name, default)
        if value is None and default is None:
            return None
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            names = {str: "a string", int: "an integer", float: "a number"}
            raise self.fail(f"{key}.{name}", f"must be {names.get(kind, kind.__name__)}")
        return value

    def number(
        self,
        data: dict[str, Any],
        key: str,
        name: str,
        default: int,
        check: Callable[[int], bool],
        rule: str,
    ) -> int:
        value: int = self.get(data, key, name, int, default)
        if not check(value):
            raise self.fail(f"{key}.{name}", f"{rule} (got {value})")
        return value


DEVICE_KEYS = {"id", "port", "baudrate", "parity", "address", "counter", "protocol"}
EXTRA_KEYS = {"keypads": {"bounce_ms"}, "leds": set[str](), "ratings": {"bounce_ms", "buttons"}}
KINDS = {"keypads": "keypad", "leds": "led", "ratings": "rating"}


def _device(c: _Checker, section: str, i: int, raw: Any) -> SerialDevice:
    key = f"{section}[{i}]"
    if not isinstance(raw, dict):
        raise c.fail(key, "must be a table ([[" + section + "]])")
    c.table(raw, key, DEVICE_KEYS | EXTRA_KEYS[section])
    for required in ("port", "address", "counter"):
        if required not in raw:
            raise c.fail(f"{key}.{required}", "missing")
    port = c.get(raw, key, "port", str, None).strip()
    if not port:
        raise c.fail(f"{key}.port", "must not be empty (e.g. /dev/serial/by-id/usb-...)")
    address = c.number(
        raw,
        key,
        "address",
        1,
        lambda v: MIN_ADDRESS <= v <= MAX_ADDRESS,
        f"must be {MIN_ADDRESS}-{MAX_ADDRESS} (the number set on the device)",
    )
    counter = c.number(raw, key, "counter", 1, lambda v: v >= 1, "must be a counter number >= 1")
    baudrate = c.number(
        raw,
        key,
        "baudrate",
        9600,
        lambda v: v in BAUDRATES,
        f"use one of {', '.join(map(str, BAUDRATES))}",
    )
    parity = c.get(raw, key, "parity", str, "N")
    if parity not in ("N", "E", "O"):
        raise c.fail(f"{key}.parity", f"use N, E or O (got {parity!r})")
    protocol = c.get(raw, key, "protocol", str, DEFAULT_PROTOCOL)
    known = DISPLAY_PROTOCOLS if section == "leds" else KEYPAD_PROTOCOLS
    if protocol not in known:
        raise c.fail(f"{key}.protocol", f"unknown protocol {protocol!r}; known: {sorted(known)}")
    bounce = c.number(raw, key, "bounce_ms", 300, lambda v: 0 <= v <= 5000, "must be 0-5000")
    buttons = c.number(raw, key, "buttons", 5, lambda v: v in (3, 5), "must be 3 or 5")
    device_id = c.get(raw, key, "id", str, f"{KINDS[section]}-{counter}-{address:02d}")
    return SerialDevice(
        device_id,
        KINDS[section],
        port,
        address,
        counter,
        baudrate,
        parity,
        protocol,
        bounce / 1000,
        buttons,
    )


def _check_lines(c: _Checker, sections: dict[str, list[SerialDevice]]) -> None:
    """One serial setting and protocol per port, one device per address, unique ids."""
    settings: dict[str, tuple[str, int, str]] = {}
    protocols: dict[str, tuple[str, str]] = {}
    addresses: dict[tuple[str, int], str] = {}
    ids: set[str] = set()
    for section, devices in sections.items():
        for i, d in enumerate(devices):
            key = f"{section}[{i}]"
            first = settings.setdefault(d.port, (key, d.baudrate, d.parity))
            if first[1:] != (d.baudrate, d.parity):
                raise c.fail(
                    key,
                    f"port {d.port} is set to {d.baudrate} baud parity {d.parity} here "
                    f"but {first[1]} baud parity {first[2]} in {first[0]}",
                )
            speaks = protocols.setdefault(d.port, (key, d.protocol))
            if speaks[1] != d.protocol:
                raise c.fail(
                    f"{key}.protocol",
                    f"port {d.port} speaks {speaks[1]} in {speaks[0]}; one protocol per line",
                )
            taken = addresses.setdefault((d.port, d.address), key)
            if taken != key:
                raise c.fail(
                    f"{key}.address", f"address {d.address:02d} on {d.port} is already {taken}"
                )
            if d.id in ids:
                raise c.fail(f"{key}.id", f"id {d.id!r} is used twice")
            ids.add(d.id)


def parse_devices(
    text: str, file: str = "devices.toml", data_dir: Path | None = None
) -> DevicesConfig:
    """Validate devices.toml text; DevicesConfigError names the key and the problem."""
    c = _Checker(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise DevicesConfigError(f"{file}: not valid TOML: {err}") from None
    c.table(data, "", {"agent", "keypads", "leds", "ratings", "printer"})
    agent_raw = data.get("agent", {})
    if not isinstance(agent_raw, dict):
        raise c.fail("agent", "must be a table ([agent])")
    c.table(agent_raw, "agent", {"name", "site", "health_interval"})
    name = c.get(agent_raw, "agent", "name", str, socket.gethostname()).strip()
    if not name:
        raise c.fail("agent.name", "must not be empty")
    interval = c.get(agent_raw, "agent", "health_interval", float, 5.0)
    if not 0.2 <= interval <= 300:
        raise c.fail("agent.health_interval", f"must be 0.2-300 seconds (got {interval})")
    agent = AgentSettings(name, c.get(agent_raw, "agent", "site", str, None), interval)
    sections: dict[str, list[SerialDevice]] = {}
    for section in ("keypads", "leds", "ratings"):
        raw = data.get(section, [])
        if not isinstance(raw, list):
            raise c.fail(section, f"must be an array of tables ([[{section}]])")
        sections[section] = [_device(c, section, i, item) for i, item in enumerate(raw)]
    _check_lines(c, sections)
    printer_url = _printer(c, data.get("printer"), data_dir or Path("motcua-agent-data"))
    return DevicesConfig(
        file,
        agent,
        tuple(sections["keypads"]),
        tuple(sections["leds"]),
        tuple(sections["ratings"]),
        printer_url,
        data_dir or Path("motcua-agent-data"),
    )


def _printer(c: _Checker, raw: Any, data_dir: Path) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise c.fail("printer", "must be a table ([printer])")
    c.table(raw, "printer", {"url"})
    url = c.get(raw, "printer", "url", str, None)
    if url is None:
        raise c.fail("printer.url", 'missing (e.g. "escpos-network://10.0.0.5" or "sim")')
    from hardware.printer import printer_from_url

    try:
        printer_from_url(url, data_dir)
    except ValueError as err:
        raise c.fail("printer.url", str(err)) from None
    return str(url)


def load_devices(path: str | Path, data_dir: Path | None = None) -> DevicesConfig:
    """Read and validate a devices.toml file."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as err:
        raise DevicesConfigError(f"{p}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise DevicesConfigError(f"{p}: not UTF-8 text") from None
    return parse_devices(text, str(p), data_dir)
