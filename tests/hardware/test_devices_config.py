"""devices.toml: what a good file gives, and errors that name the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.devices_config import DevicesConfigError, load_devices, parse_devices

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[agent]
name = "quay-3-4"
health_interval = 2

[[keypads]]
port = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0"
baudrate = 19200
parity = "E"
address = 3
counter = 3
bounce_ms = 200

[[keypads]]
port = "socket://10.0.0.7:4001"
address = 1
counter = 4

[[leds]]
port = "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0"
baudrate = 19200
parity = "E"
address = 13
counter = 3

[[ratings]]
port = "socket://10.0.0.7:4001"
address = 21
counter = 4
buttons = 3

[printer]
url = "sim"
"""


def test_good_file():
    c = parse_devices(GOOD, "devices.toml")
    assert c.agent.name == "quay-3-4" and c.agent.health_interval == 2.0
    k3, k4 = c.keypads
    assert (k3.port, k3.baudrate, k3.parity, k3.address, k3.counter, k3.bounce) == (
        "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0",
        19200,
        "E",
        3,
        3,
        0.2,
    )
    assert (k4.id, k4.baudrate, k4.parity, k4.protocol) == ("keypad-4-01", 9600, "N", "motcua-v1")
    assert c.leds[0].id == "led-3-13" and c.ratings[0].buttons == 3
    assert c.printer_url == "sim"
    assert len(c.ports()) == 2


def test_example_file_loads():
    c = load_devices(ROOT / "examples" / "devices.toml")
    assert len(c.keypads) == len(c.leds) == 12
    assert {k.counter for k in c.keypads} == set(range(1, 13))


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (replace('parity = "E"', 'parity = "X"'), "keypads[0].parity: use N, E or O (got 'X')"),
        (replace("address = 3\n", "address = 40\n"), "keypads[0].address: must be 1-32"),
        (replace("address = 3\n", "address = 0\n"), "keypads[0].address: must be 1-32"),
        (replace("address = 3\n", 'address = "3"\n'), "keypads[0].address: must be an integer"),
        (replace("baudrate = 19200", "baudrate = 12345"), "keypads[0].baudrate: use one of"),
        (replace("counter = 3\n", "counter = 0\n"), "keypads[0].counter: must be a counter"),
        (replace("counter = 3\nbounce_ms", "bounce_ms"), "keypads[0].counter: missing"),
        (replace('port = "socket://10.0.0.7:4001"', 'port = ""'), "keypads[1].port: must not be"),
        (replace("bounce_ms = 200", "bounce_ms = 200\nspeed = 1"), "keypads[0].speed: unknown"),
        (replace("address = 13", "address = 3"), "leds[0].address: address 03 on /dev/serial"),
        (replace("address = 13\ncounter = 3", "address = 13\ncounter = 3\nbuttons = 3"),
         "leds[0].buttons: unknown"),
        (replace("buttons = 3", "buttons = 4"), "ratings[0].buttons: must be 3 or 5"),
        (GOOD.replace('parity = "E"\naddress = 13', 'parity = "N"\naddress = 13'),
         "leds[0]: port /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0 is set"),
        (replace("address = 1\n", 'address = 1\nprotocol = "vendor-x"\n'),
         "keypads[1].protocol: unknown protocol 'vendor-x'"),
        (replace('url = "sim"', 'url = "lpt1"'), "printer.url: unknown printer 'lpt1'"),
        (replace("health_interval = 2", "health_interval = 0"), "agent.health_interval: must be"),
        (replace('name = "quay-3-4"', "name = 5"), "agent.name: must be a string"),
        (replace("[agent]", "[agnet]"), "agnet: unknown setting"),
        (replace("[[leds]]", "[leds]"), "leds: must be an array of tables"),
        (GOOD + "\n[[keypads]\n", "devices.toml: not valid TOML"),
    ],
)  # fmt: skip
def test_errors_name_file_key_and_problem(text, message):
    with pytest.raises(DevicesConfigError) as err:
        parse_devices(text, "devices.toml")
    assert str(err.value).startswith("devices.toml: ")
    assert message in str(err.value)


NO_PRINTER = GOOD.replace('[printer]\nurl = "sim"', "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (replace("address = 3\n", "address = true\n"), "keypads[0].address: must be an integer"),
        (replace("health_interval = 2", "health_interval = true"),
         "agent.health_interval: must be a number"),
        (replace('parity = "E"', "parity = 5"), "keypads[0].parity: must be a string"),
        ("keypads = [1]\n", "keypads[0]: must be a table ([[keypads]])"),
        (replace('url = "sim"', ""),
         'printer.url: missing (e.g. "escpos-network://10.0.0.5" or "sim")'),
        ('printer = "sim"\n' + NO_PRINTER, "printer: must be a table ([printer])"),
        (replace("counter = 4\n", 'counter = 4\nid = "keypad-3-03"\n'),
         "keypads[1].id: id 'keypad-3-03' is used twice"),
        (replace('name = "quay-3-4"', 'name = "  "'), "agent.name: must not be empty"),
    ],
)  # fmt: skip
def test_strict_types_and_more_errors(text, message):
    with pytest.raises(DevicesConfigError) as err:
        parse_devices(text, "devices.toml")
    assert str(err.value) == f"devices.toml: {message}"


def test_defaults_come_from_the_schema():
    from hardware.devices_config import AgentTable, KeypadTable, RatingTable

    c = parse_devices('[[keypads]]\nport = "loop://"\naddress = 1\ncounter = 1\n')
    (k,) = c.keypads
    fields = KeypadTable.model_fields
    assert (k.baudrate, k.parity, k.protocol) == tuple(
        fields[n].default for n in ("baudrate", "parity", "protocol")
    )
    assert k.bounce == fields["bounce_ms"].default / 1000
    assert c.agent.health_interval == AgentTable.model_fields["health_interval"].default
    assert RatingTable.model_fields["buttons"].default == 5
    assert c.printer_url is None and c.leds == c.ratings == ()


def test_missing_file(tmp_path: Path):
    with pytest.raises(DevicesConfigError, match=r"nope\.toml: cannot read"):
        load_devices(tmp_path / "nope.toml")
