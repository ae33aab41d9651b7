"""devices.toml: the keypads, LED boards, rating pads and printer wired to one agent PC.

Each table of the file is a pydantic model below (AgentTable, KeypadTable, ...): the one
place where a key's type, default and help text are declared. Validation and the
defaults come from them, and so do the README's tables (DEVICES_TABLES, rendered by
queue_server.config_schema.markdown_table). Every problem names the file, the key and
what is wrong, e.g. ``devices.toml: keypads[1].parity: use N, E or O (got 'X')``. See
README.md, "Counter hardware", and examples/devices.toml.

Tables as strict pydantic models and errors in our words come from hardware.tomlschema,
which the centre file uses too.
"""

from __future__ import annotations

import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, ClassVar, Self

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hardware.protocol import (
    DEFAULT_PROTOCOL,
    DISPLAY_PROTOCOLS,
    KEYPAD_PROTOCOLS,
    MAX_ADDRESS,
    MIN_ADDRESS,
)
from hardware.tomlschema import WORDS, Reword, Table, explain, first_error, problem, rule

# -- devices.toml -----------------------------------------------------------------------

BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
PARITIES = ("N", "E", "O")
DEFAULT_DATA_DIR = Path("motcua-agent-data")

DEVICE_WORDS = {
    **WORDS,
    "missing": "missing",
    "extra_forbidden": "unknown setting; allowed: {allowed}",
    "model_type": "must be a table ({table})",
    "list_type": "must be an array of tables ({array})",
}


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
    baudrate: int
    parity: str
    protocol: str
    bounce: float  # seconds; keypads and rating pads (0 for LED boards)
    buttons: int  # rating pads (0 for the others)


@dataclass(frozen=True)
class AgentSettings:
    """The [agent] table."""

    name: str
    site: str | None
    health_interval: float


@dataclass(frozen=True)
class DevicesConfig:
    """The whole file."""

    path: str
    agent: AgentSettings
    keypads: tuple[SerialDevice, ...]
    leds: tuple[SerialDevice, ...]
    ratings: tuple[SerialDevice, ...]
    printer_url: str | None
    data_dir: Path

    @property
    def devices(self) -> tuple[SerialDevice, ...]:
        """Every serial device, keypads first."""
        return self.keypads + self.leds + self.ratings

    def ports(self) -> dict[str, tuple[int, str]]:
        """Each port used, with its (baudrate, parity)."""
        return {d.port: (d.baudrate, d.parity) for d in self.devices}


Text = Annotated[str, AfterValidator(str.strip)]


class AgentTable(Table):
    """[agent]: this PC."""

    name: Annotated[Text, rule(bool, "must not be empty")] | None = Field(
        None,
        description="How staff see this PC in `GET /api/v1/devices`.",
        json_schema_extra={"unset": "the host name"},
    )
    site: str | None = Field(
        None,
        description="The site whose counters these are.",
        json_schema_extra={"unset": "the first site"},
    )
    health_interval: Annotated[
        float, rule(lambda v: 0.2 <= v <= 300, "must be 0.2-300 seconds (got {value})")
    ] = Field(5.0, description="Seconds between health reports (0.2-300).")


class DeviceTable(Table):
    """The keys every serial device has."""

    kind: ClassVar[str] = ""
    protocols: ClassVar[Mapping[str, object]] = KEYPAD_PROTOCOLS

    port: Annotated[Text, rule(bool, "must not be empty (e.g. /dev/serial/by-id/usb-...)")] = Field(
        description="Anything pyserial opens: `/dev/serial/by-id/...`, `socket://HOST:PORT`."
    )
    address: Annotated[
        int,
        rule(
            lambda v: MIN_ADDRESS <= v <= MAX_ADDRESS,
            f"must be {MIN_ADDRESS}-{MAX_ADDRESS} (the number set on the device) (got {{value}})",
        ),
    ] = Field(description=f"{MIN_ADDRESS:02d}-{MAX_ADDRESS}, as set on the device.")
    counter: Annotated[
        int, rule(lambda v: v >= 1, "must be a counter number >= 1 (got {value})")
    ] = Field(description="The counter it belongs to.")
    baudrate: Annotated[
        int,
        rule(
            BAUDRATES.__contains__, f"use one of {', '.join(map(str, BAUDRATES))} (got {{value}})"
        ),
    ] = Field(9600, description="1200 ... 115200; 8 data bits, 1 stop bit.")
    parity: Annotated[str, rule(PARITIES.__contains__, "use N, E or O (got {value!r})")] = Field(
        "N", description="`N`, `E` or `O`."
    )
    protocol: str = Field(DEFAULT_PROTOCOL, description="The line protocol (one per port).")
    id: str | None = Field(
        None,
        description="How health reports name it.",
        json_schema_extra={"unset": "`<kind>-<counter>-<address>`"},
    )

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        if value not in cls.protocols:
            raise problem(f"unknown protocol {value!r}; known: {sorted(cls.protocols)}")
        return value

    def to_device(self) -> SerialDevice:
        """The device the agent drives."""
        return SerialDevice(
            id=self.id or f"{self.kind}-{self.counter}-{self.address:02d}",
            kind=self.kind,
            port=self.port,
            address=self.address,
            counter=self.counter,
            baudrate=self.baudrate,
            parity=self.parity,
            protocol=self.protocol,
            bounce=getattr(self, "bounce_ms", 0) / 1000,
            buttons=getattr(self, "buttons", 0),
        )


class KeypadTable(DeviceTable):
    """[[keypads]]: a clerk's keypad."""

    kind: ClassVar[str] = "keypad"

    bounce_ms: Annotated[int, rule(lambda v: 0 <= v <= 5000, "must be 0-5000 (got {value})")] = (
        Field(300, description="The same key again within this many ms is a bounce (0-5000).")
    )


class LedTable(DeviceTable):
    """[[leds]]: the LED board above a counter."""

    kind: ClassVar[str] = "led"
    protocols: ClassVar[Mapping[str, object]] = DISPLAY_PROTOCOLS


class RatingTable(KeypadTable):
    """[[ratings]]: a citizen's rating pad."""

    kind: ClassVar[str] = "rating"

    buttons: Annotated[int, rule(lambda v: v in (3, 5), "must be 3 or 5 (got {value})")] = Field(
        5, description="3 or 5 buttons."
    )


class PrinterTable(Table):
    """[printer]: a ticket printer on this PC."""

    url: Annotated[
        str,
        Reword('missing (e.g. "escpos-network://10.0.0.5" or "sim")', only=frozenset({"missing"})),
    ] = Field(description="Validated like the server's `printer` setting.")

    @field_validator("url")
    @classmethod
    def _opens(cls, url: str, info: ValidationInfo) -> str:
        from hardware.printer import printer_from_url

        try:
            printer_from_url(url, (info.context or {}).get("data_dir", DEFAULT_DATA_DIR))
        except ValueError as err:
            raise problem(str(err)) from None
        return url


class DevicesFile(Table):
    """The whole file."""

    agent: AgentTable = Field(AgentTable.model_validate({}), description="This PC.")
    keypads: list[KeypadTable] = Field(default_factory=list, description="One per keypad.")
    leds: list[LedTable] = Field(default_factory=list, description="One per LED board.")
    ratings: list[RatingTable] = Field(default_factory=list, description="One per rating pad.")
    printer: PrinterTable | None = Field(None, description="A ticket printer.")

    @model_validator(mode="after")
    def _one_setting_per_line(self) -> Self:
        """One serial setting and protocol per port, one device per address, unique ids."""
        settings: dict[str, tuple[str, int, str]] = {}
        protocols: dict[str, tuple[str, str]] = {}
        addresses: dict[tuple[str, int], str] = {}
        ids: set[str] = set()
        for section, tables in (
            ("keypads", self.keypads),
            ("leds", self.leds),
            ("ratings", self.ratings),
        ):
            for i, d in enumerate(t.to_device() for t in tables):
                key = f"{section}[{i}]"
                first = settings.setdefault(d.port, (key, d.baudrate, d.parity))
                if first[1:] != (d.baudrate, d.parity):
                    raise problem(
                        f"port {d.port} is set to {d.baudrate} baud parity {d.parity} here "
                        f"but {first[1]} baud parity {first[2]} in {first[0]}",
                        section,
                        i,
                    )
                speaks = protocols.setdefault(d.port, (key, d.protocol))
                if speaks[1] != d.protocol:
                    raise problem(
                        f"port {d.port} speaks {speaks[1]} in {speaks[0]}; one protocol per line",
                        *(section, i, "protocol"),
                    )
                taken = addresses.setdefault((d.port, d.address), key)
                if taken != key:
                    raise problem(
                        f"address {d.address:02d} on {d.port} is already {taken}",
                        *(section, i, "address"),
                    )
                if d.id in ids:
                    raise problem(f"id {d.id!r} is used twice", section, i, "id")
                ids.add(d.id)
        return self

    def to_config(self, path: str, data_dir: Path) -> DevicesConfig:
        """What the agent runs on."""
        agent = AgentSettings(
            self.agent.name or socket.gethostname(), self.agent.site, self.agent.health_interval
        )
        return DevicesConfig(
            path=path,
            agent=agent,
            keypads=tuple(t.to_device() for t in self.keypads),
            leds=tuple(t.to_device() for t in self.leds),
            ratings=tuple(t.to_device() for t in self.ratings),
            printer_url=self.printer.url if self.printer else None,
            data_dir=data_dir,
        )


DEVICES_TABLES: dict[str, type[Table]] = {
    "[agent]": AgentTable,
    "[[keypads]]": KeypadTable,
    "[[leds]]": LedTable,
    "[[ratings]]": RatingTable,
    "[printer]": PrinterTable,
}
"""The tables of devices.toml, as the README lists them."""


def parse_devices(
    text: str, file: str = "devices.toml", data_dir: Path | None = None
) -> DevicesConfig:
    """Validate devices.toml text; DevicesConfigError names the key and the problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise DevicesConfigError(f"{file}: not valid TOML: {err}") from None
    data_dir = data_dir or DEFAULT_DATA_DIR
    try:
        parsed = DevicesFile.model_validate(data, context={"data_dir": data_dir})
    except ValidationError as err:
        key, words = explain(first_error(err), DevicesFile, DEVICE_WORDS)
        raise DevicesConfigError(f"{file}: {key}: {words}" if key else f"{file}: {words}") from None
    return parsed.to_config(file, data_dir)


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
