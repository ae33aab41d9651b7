"""ESC/POS byte streams for ticket slips: building one, reading one back, reading status bytes.

Everything here is a pure function over images and bytes, so the simulator, the real
driver and the tests all share one byte stream and one parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image

from hardware._escpos import Dummy, get_profile
from hardware.slip import TicketSlip, render_slip

ESC_INIT = b"\x1b@"
GS_RASTER = b"\x1dv0"
DLE_EOT = b"\x10\x04"
FRAGMENT_ROWS = 960  # python-escpos's default band height; some printers cap GS v 0 heights
# DLE EOT n requests (bit meanings: see PrinterStatus)
STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_PAPER = 4


def escpos_profile(width_px: int, name: str | None = None) -> Any:
    """A python-escpos profile whose media width is width_px dots.

    The bundled "default" profile has an unknown width (image() then prints a warning
    to stdout and cannot check the width); copying the data onto the instance leaves
    the shared, cached profile class untouched.
    """
    profile = get_profile(name or "default")
    known = profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    if isinstance(known, int) and known < width_px:
        raise ValueError(f"printer profile {name!r} prints {known} dots, narrower than {width_px}")
    data = dict(profile.profile_data)
    data["media"] = {"width": {"mm": "Unknown", "pixels": width_px}}
    profile.profile_data = data
    return profile


def job_bytes(image: Image.Image, width_px: int, profile: str | None = None) -> bytes:
    """The ESC/POS stream for one slip image: initialise, raster image, feed and cut."""
    printer = Dummy()
    printer.profile = escpos_profile(width_px, profile)
    printer.hw("INIT")
    # Bands of at most FRAGMENT_ROWS rows, as image() would cut them itself, but without
    # converting the whole image once more first.
    for top in range(0, image.height, FRAGMENT_ROWS):
        printer.image(image.crop((0, top, image.width, min(top + FRAGMENT_ROWS, image.height))))
    printer.cut()
    return bytes(printer.output)


def slip_job(
    slip: TicketSlip, width_px: int, profile: str | None = None
) -> tuple[bytes, Image.Image]:
    """Render a slip and build its ESC/POS stream; returns (bytes, the rendered image)."""
    image = render_slip(slip, width_px)
    return job_bytes(image, width_px, profile), image


@dataclass(frozen=True)
class RasterImage:
    """One GS v 0 raster bit image as the printer receives it (1 bit = 1 printed dot)."""

    mode: int
    width_bytes: int
    height: int
    data: bytes

    def to_image(self) -> Image.Image:
        """Mode "1" image, black where the printer burns a dot."""
        # rawmode "1;I": a set bit is black, the printer's convention
        return Image.frombytes("1", (self.width_bytes * 8, self.height), self.data, "raw", "1;I")


@dataclass(frozen=True)
class DecodedJob:
    """The commands of an ESC/POS stream, in order, and its raster images."""

    commands: tuple[str, ...]
    images: tuple[RasterImage, ...]

    def image(self) -> Image.Image:
        """All raster images stacked top to bottom, as they come out of the printer."""
        width = max(r.width_bytes for r in self.images) * 8
        sheet = Image.new("1", (width, sum(r.height for r in self.images)), 1)
        y = 0
        for raster in self.images:
            sheet.paste(raster.to_image(), (0, y))
            y += raster.height
        return sheet


def _u16(data: bytes, at: int) -> int:
    """Little-endian 16-bit number (ESC/POS's nL nH)."""
    return data[at] | data[at + 1] << 8


def decode_job(data: bytes) -> DecodedJob:
    """Parse the commands a slip job uses; ValueError on anything else or on truncation."""
    commands: list[str] = []
    images: list[RasterImage] = []
    i = 0
    while i < len(data):
        if data.startswith(ESC_INIT, i):
            commands.append("init")
            i += 2
        elif data.startswith(GS_RASTER, i) and i + 8 <= len(data):
            mode, width_bytes, height = data[i + 3], _u16(data, i + 4), _u16(data, i + 6)
            end = i + 8 + width_bytes * height
            if end > len(data):
                raise ValueError(f"raster image at byte {i} is truncated")
            images.append(RasterImage(mode, width_bytes, height, data[i + 8 : end]))
            commands.append("raster")
            i = end
        elif data.startswith(b"\x1bd", i) and i + 3 <= len(data):
            commands.append(f"feed {data[i + 2]}")
            i += 3
        elif data.startswith(b"\x1dV", i) and i + 3 <= len(data):
            # GS V m (m = 0/1/48/49) or GS V m n (m = 65/66)
            size = 4 if data[i + 2] in (65, 66) else 3
            commands.append("cut" if data[i + 2] in (0, 48, 65) else "partial cut")
            i += size
        elif data[i] == 0x0A:
            commands.append("lf")
            i += 1
        else:
            raise ValueError(f"unexpected byte 0x{data[i]:02x} at {i}")
    return DecodedJob(tuple(commands), tuple(images))


def status_query(n: int) -> bytes:
    """DLE EOT n, the real-time status request."""
    return DLE_EOT + bytes((n,))


def status_byte(reply: bytes) -> int | None:
    """The status byte in a reply, or None when the printer said nothing usable.

    Real-time status bytes always have bits 1 and 4 set and bits 0 and 7 clear; that tells
    them apart from Automatic Status Back packets or noise that may share the line.
    """
    for byte in reversed(reply):
        if byte & 0x93 == 0x12:
            return byte
    return None


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer reported about itself; None fields were not answered."""

    printer: int | None
    offline_cause: int | None = None
    paper: int | None = None

    @property
    def answered(self) -> bool:
        """Whether the printer answers real-time status requests at all."""
        return self.printer is not None

    @property
    def cover_open(self) -> bool:
        """DLE EOT 2, bit 2."""
        return self.offline_cause is not None and bool(self.offline_cause & 0x04)

    @property
    def paper_out(self) -> bool:
        """DLE EOT 4 bits 5-6, or DLE EOT 2 bit 5 (stopped on paper end)."""
        by_sensor = self.paper is not None and bool(self.paper & 0x60)
        by_cause = self.offline_cause is not None and bool(self.offline_cause & 0x20)
        return by_sensor or by_cause

    @property
    def paper_low(self) -> bool:
        """DLE EOT 4 bits 2-3: the roll is nearly finished."""
        return self.paper is not None and bool(self.paper & 0x0C)

    @property
    def offline(self) -> bool:
        """DLE EOT 1 bit 3."""
        return self.printer is not None and bool(self.printer & 0x08)

    @property
    def error(self) -> bool:
        """DLE EOT 2 bit 6: cutter jam, head overheated and the like."""
        return self.offline_cause is not None and bool(self.offline_cause & 0x40)

    def fault(self) -> str | None:
        """The fault code that stops a job, most specific first, or None to print."""
        if self.cover_open:
            return "cover_open"
        if self.paper_out:
            return "paper_out"
        if self.error:
            return "error"
        if self.offline:
            return "offline"
        return None
