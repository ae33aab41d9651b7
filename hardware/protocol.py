"""The counter hardware line protocol "motcua-v1": keypads, rating pads and LED boards.

One ASCII frame per line, so a terminal program can read and type it:

    @AA:BODY[#SEQ]*CC\\r\\n

- ``AA``: the device address, two decimal digits 01-32 (RS-485 multi-drop: one pair of
  wires, up to 32 devices; on RS-232 a single device uses 01).
- ``BODY``: the command, capital letters, digits and ``:-`` only, at most 40 characters.
- ``#SEQ``: optional press number, 0-65535 (wraps). A keypad that repeats a frame (because
  it saw no ACK) repeats the same SEQ, so the repeat is recognised and dropped.
- ``CC``: checksum, two hex digits: XOR of every byte after ``@`` up to ``*`` (NMEA 0183
  style). A frame whose checksum does not match is counted and dropped.
- ``\\r\\n`` ends the frame (a bare ``\\n`` is accepted).

Keypad and rating pad -> agent, one frame per press:

    NEXT  RECALL  NOSHOW  DONE  PAUSE  RESUME   the counter keys
    START                                       the called citizen came: start serving
    XFER:<service code>                         transfer the current ticket, e.g. XFER:HT
    CALL:<number>                               call that number of today, e.g. CALL:12 or
                                                CALL:A012; a no-show comes back (Gọi lại
                                                số vắng)
    RATE:<1-5>                                  a satisfaction rating (3-button pads send 1-3)

    @03:NEXT#17*1B\\r\\n     keypad 03 pressed "next", press number 17

A 3x4 keypad (0-9, * and #) has no key per action; its firmware sends:

    #                 NEXT            *1  RECALL      *4  NOSHOW
    <digits> #        CALL:<digits>   *2  START       *5  PAUSE
                                      *3  DONE        *6  RESUME

Digits alone are read among the counter's fields as the console reads them (12 is A012
at a counter serving A; 409 when two of its fields have that number today). Cancelling a
ticket ("Hủy số") is no keypad frame: without a display the clerk cannot see which ticket
a mistyped number would cancel, so it stays in the console.

Agent -> keypad: ``@AA:ACK#SEQ*CC`` for each frame that carried a SEQ, as soon as the agent
has taken the press (it then owns delivering it to the server). Keypads without a
retransmit timer ignore it.

Agent -> LED board:

    @AA:SHOW:<text>*CC     show up to 6 characters (A-Z 0-9 and -), e.g. SHOW:A012, SHOW:--
    @AA:BLANK*CC           switch the digits off

Garbage between frames (line noise, a board booting), partial frames, frames cut by a new
``@``, over-long frames and bad checksums are skipped and counted; the parser resumes at the
next ``@``. Everything here is a pure function over bytes. A vendor's protocol is one more
module implementing :class:`KeypadProtocol` / :class:`DisplayProtocol`, registered in
:data:`KEYPAD_PROTOCOLS` / :data:`DISPLAY_PROTOCOLS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

START = 0x40  # "@"
END = 0x0A  # "\n"
MAX_FRAME = 64  # bytes from "@" to "\n": anything longer is noise
MIN_ADDRESS, MAX_ADDRESS = 1, 32
MAX_SEQ = 65535
MAX_TEXT = 6
DEFAULT_PROTOCOL = "motcua-v1"

_FRAME_RE = re.compile(rb"@(\d\d):([A-Z0-9:\-]{1,40})(?:#(\d{1,5}))?\*([0-9A-Fa-f]{2})\r?\n")
_SERVICE_RE = re.compile(r"[A-Z0-9_-]{1,16}")
_TEXT_RE = re.compile(r"[A-Z0-9\-]{1,6}")
_NUMBER_RE = re.compile(r"[A-Z]{0,3}[0-9]{1,9}")


class Reject(StrEnum):
    """Why bytes on the line were dropped."""

    NOISE = "noise"  # bytes outside any frame
    MALFORMED = "malformed"  # starts with "@" but is not a frame (or is cut by a new "@")
    TOO_LONG = "too_long"  # no end of line within MAX_FRAME bytes
    BAD_CHECKSUM = "bad_checksum"
    BAD_ADDRESS = "bad_address"  # 00 or above 32
    UNKNOWN_COMMAND = "unknown_command"  # a frame, but not one this device understands


@dataclass(frozen=True)
class Frame:
    """One checked frame: address, body ("NEXT", "XFER:HT", "SHOW:A012") and press number."""

    address: int
    body: str
    seq: int | None = None


class Parsed(NamedTuple):
    """What parse_frames found: good frames, the unfinished tail to keep, and what it dropped.

    ``garbage`` counts the dropped pieces; ``rejects`` says why each one was dropped.
    """

    frames: tuple[Frame, ...]
    rest: bytes
    garbage: int
    rejects: tuple[Reject, ...] = ()


def checksum(payload: bytes) -> int:
    """XOR of the bytes between "@" and "*"."""
    value = 0
    for byte in payload:
        value ^= byte
    return value


def encode_frame(address: int, body: str, seq: int | None = None) -> bytes:
    """One frame with its checksum and CR LF."""
    if not MIN_ADDRESS <= address <= MAX_ADDRESS:
        raise ValueError(f"address must be {MIN_ADDRESS}-{MAX_ADDRESS}, got {address}")
    if seq is not None and not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"seq must be 0-{MAX_SEQ}, got {seq}")
    payload = f"{address:02d}:{body}" + (f"#{seq}" if seq is not None else "")
    raw = payload.encode("ascii")
    return b"@" + raw + b"*" + f"{checksum(raw):02X}".encode() + b"\r\n"


def _check(candidate: bytes) -> Frame | Reject:
    """A complete line from "@" to "\\n" as a Frame, or why it is not one."""
    match = _FRAME_RE.fullmatch(candidate)
    if match is None:
        return Reject.MALFORMED
    payload = candidate[1 : candidate.index(b"*")]
    if checksum(payload) != int(match[4], 16):
        return Reject.BAD_CHECKSUM
    address = int(match[1])
    if not MIN_ADDRESS <= address <= MAX_ADDRESS:
        return Reject.BAD_ADDRESS
    seq = int(match[3]) if match[3] is not None else None
    if seq is not None and seq > MAX_SEQ:
        return Reject.MALFORMED
    return Frame(address, match[2].decode("ascii"), seq)


def parse_frames(buffer: bytes) -> Parsed:
    """Split bytes read from a line into frames; keep an unfinished frame as `rest`.

    Never raises: noise, cut and over-long frames and bad checksums are dropped and
    counted, and parsing resumes at the next "@".
    """
    frames: list[Frame] = []
    rejects: list[Reject] = []
    pos, size = 0, len(buffer)
    while pos < size:
        start = buffer.find(b"@", pos)
        if start < 0:
            start = size
        if buffer[pos:start].strip(b"\r\n\x00 "):
            rejects.append(Reject.NOISE)  # line idle bytes (CR, LF, NUL, space) are not noise
        if start >= size:
            return Parsed(tuple(frames), b"", len(rejects), tuple(rejects))
        end = buffer.find(b"\n", start)
        cut = buffer.find(b"@", start + 1, end if end >= 0 else size)
        if cut >= 0:  # a new frame began before this one ended
            rejects.append(Reject.MALFORMED)
            pos = cut
            continue
        if end < 0:
            if size - start > MAX_FRAME:
                rejects.append(Reject.TOO_LONG)
                return Parsed(tuple(frames), b"", len(rejects), tuple(rejects))
            return Parsed(tuple(frames), buffer[start:], len(rejects), tuple(rejects))
        if end + 1 - start > MAX_FRAME:
            rejects.append(Reject.TOO_LONG)
        else:
            result = _check(buffer[start : end + 1])
            (frames if isinstance(result, Frame) else rejects).append(result)  # type: ignore[arg-type]
        pos = end + 1
    return Parsed(tuple(frames), b"", len(rejects), tuple(rejects))


class Key(StrEnum):
    """Counter keypad keys, and the rating pad's RATE."""

    NEXT = "NEXT"
    RECALL = "RECALL"
    START = "START"
    NOSHOW = "NOSHOW"
    DONE = "DONE"
    XFER = "XFER"
    CALL = "CALL"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    RATE = "RATE"


@dataclass(frozen=True)
class KeyEvent:
    """A decoded press: key, its argument (service code for XFER, ticket number for CALL,
    1-5 for RATE), press number."""

    address: int
    key: Key
    arg: str | None = None
    seq: int | None = None


class KeyParsed(NamedTuple):
    """What a keypad protocol found in the bytes read so far."""

    events: tuple[KeyEvent, ...]
    rest: bytes
    rejects: tuple[Reject, ...]


def decode_key(frame: Frame) -> KeyEvent | None:
    """A keypad frame's press, or None when the body is no key we know."""
    name, _, arg = frame.body.partition(":")
    try:
        key = Key(name)
    except ValueError:
        return None
    if key is Key.XFER:
        if not _SERVICE_RE.fullmatch(arg):
            return None
    elif key is Key.CALL:
        if not _NUMBER_RE.fullmatch(arg):
            return None
    elif key is Key.RATE:
        if arg not in ("1", "2", "3", "4", "5"):
            return None
    elif arg:
        return None
    return KeyEvent(frame.address, key, arg or None, frame.seq)


def encode_key(
    address: int, key: Key | str, arg: str | None = None, seq: int | None = None
) -> bytes:
    """The frame a keypad sends for a press (what simulators and tests send)."""
    body = str(Key(key)) + (f":{arg}" if arg is not None else "")
    return encode_frame(address, body, seq)


def encode_ack(address: int, seq: int) -> bytes:
    """The agent's acknowledgement of press number seq."""
    return encode_frame(address, "ACK", seq)


def clean_text(text: str) -> str:
    """What an LED board can show: capitals, digits and "-", the last MAX_TEXT characters.

    A number longer than the board ("ABC00012" on 6 digits) keeps its end, which differs
    from one ticket to the next.
    """
    kept = "".join(c for c in text.upper() if c.isascii() and (c.isalnum() or c == "-"))
    return kept[-MAX_TEXT:]


def encode_show(address: int, text: str) -> bytes:
    """Show text on an LED board (BLANK when nothing showable is left)."""
    shown = clean_text(text)
    return encode_frame(address, f"SHOW:{shown}") if shown else encode_blank(address)


def encode_blank(address: int) -> bytes:
    """Switch an LED board's digits off."""
    return encode_frame(address, "BLANK")


def decode_display(frame: Frame) -> str | Reject | None:
    """An LED frame's text ("" for BLANK); ACK frames give None; anything else a Reject."""
    if frame.body == "BLANK":
        return ""
    if frame.body.startswith("SHOW:") and _TEXT_RE.fullmatch(frame.body[5:]):
        return frame.body[5:]
    if frame.body == "ACK":
        return None
    return Reject.UNKNOWN_COMMAND


class KeypadProtocol(Protocol):
    """How presses are read from a keypad line and acknowledged."""

    name: str

    def parse(self, buffer: bytes) -> KeyParsed:
        """Presses found in buffer, the unfinished tail, and what was dropped."""
        ...

    def encode_ack(self, address: int, seq: int) -> bytes | None:
        """Bytes that acknowledge a press, or None when the protocol has no ACK."""
        ...


class DisplayProtocol(Protocol):
    """How an LED board is told what to show."""

    name: str

    def encode_show(self, address: int, text: str) -> bytes:
        """Show text (already cleaned to what the board can show)."""
        ...

    def encode_blank(self, address: int) -> bytes:
        """Blank the board."""
        ...


class MotcuaV1:
    """Our own protocol (this module's docstring), for keypads, rating pads and LED boards."""

    name = DEFAULT_PROTOCOL

    def parse(self, buffer: bytes) -> KeyParsed:
        """Frames to presses; frames with no known key count as UNKNOWN_COMMAND."""
        parsed = parse_frames(buffer)
        events: list[KeyEvent] = []
        rejects = list(parsed.rejects)
        for frame in parsed.frames:
            event = decode_key(frame)
            if event is None:
                rejects.append(Reject.UNKNOWN_COMMAND)
            else:
                events.append(event)
        return KeyParsed(tuple(events), parsed.rest, tuple(rejects))

    def encode_ack(self, address: int, seq: int) -> bytes | None:
        """@AA:ACK#SEQ."""
        return encode_ack(address, seq)

    def encode_show(self, address: int, text: str) -> bytes:
        """@AA:SHOW:TEXT."""
        return encode_show(address, text)

    def encode_blank(self, address: int) -> bytes:
        """@AA:BLANK."""
        return encode_blank(address)


KEYPAD_PROTOCOLS: dict[str, Callable[[], KeypadProtocol]] = {DEFAULT_PROTOCOL: MotcuaV1}
DISPLAY_PROTOCOLS: dict[str, Callable[[], DisplayProtocol]] = {DEFAULT_PROTOCOL: MotcuaV1}


def keypad_protocol(name: str = DEFAULT_PROTOCOL) -> KeypadProtocol:
    """The keypad protocol registered under name (KeyError names the known ones)."""
    try:
        return KEYPAD_PROTOCOLS[name]()
    except KeyError:
        raise KeyError(
            f"unknown keypad protocol {name!r}; known: {sorted(KEYPAD_PROTOCOLS)}"
        ) from None


def display_protocol(name: str = DEFAULT_PROTOCOL) -> DisplayProtocol:
    """The LED board protocol registered under name."""
    try:
        return DISPLAY_PROTOCOLS[name]()
    except KeyError:
        raise KeyError(
            f"unknown display protocol {name!r}; known: {sorted(DISPLAY_PROTOCOLS)}"
        ) from None
