"""The ticket slip: what a citizen takes home, rendered as a 1-bit image for thermal printers.

Vietnamese is drawn with Pillow and Be Vietnam Pro instead of the printer's code pages
(see decisions.md, "Ticket printing"): every letter with its diacritics comes out right
on any ESC/POS printer, at the cost of sending a raster image.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import fontpkg_be_vietnam_pro
import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from queue_server.contract.messages import render

PAPER_WIDTHS: dict[int, int] = {58: 384, 80: 576}
"""Paper width in mm -> printable width in dots (203 dpi heads)."""

SESSIONS = ("Sáng", "Chiều", "Tối")
DEFAULT_INSTRUCTION = "Vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!"
QR_HINT = "Quét mã để xem lượt của bạn"

_FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
_WHITE = 255
_BLACK = 0
# Grey levels darker than this become black: a little below mid-grey keeps the
# anti-aliased edges of thin strokes (and small diacritics) on the paper.
_THRESHOLD = 160
_DASHES = frozenset({"-", "–", "—"})


@dataclass(frozen=True)
class TicketSlip:
    """Everything printed on one ticket slip."""

    centre_name: str
    number: str
    service_name: str
    ahead: int | None
    issued_at: datetime
    session: str
    status_url: str
    priority: bool = False
    documents: tuple[str, ...] = ()
    instruction: str = DEFAULT_INSTRUCTION
    counters: tuple[int, ...] = ()
    """Numbers of the counters that serve this field ("Quầy phục vụ: 3, 5, 12")."""
    waiting_area: str = ""
    """Where to wait ("Nơi chờ: Sảnh A, tầng 1"); empty: not printed."""

    @property
    def where(self) -> tuple[str, ...]:
        """The lines saying where to go: serving counters, then the waiting area."""
        lines = []
        if self.counters:
            counters = ", ".join(str(n) for n in self.counters)
            lines.append(render("label.serving_counters", counters=counters)[0])
        if self.waiting_area:
            lines.append(render("label.waiting_area", area=self.waiting_area)[0])
        return tuple(lines)

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware (the centre's local time)")
        if self.session not in SESSIONS:
            raise ValueError(f"session must be one of {SESSIONS}, got {self.session!r}")
        if self.ahead is not None and self.ahead < 0:
            raise ValueError("ahead must be >= 0 or None")
        if not self.number.strip():
            raise ValueError("number must not be empty")


@lru_cache(maxsize=64)
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    """Load Be Vietnam Pro at a weight ("Bold", "SemiBold", ...) and pixel size, cached."""
    return ImageFont.truetype(str(_FONT_DIR / f"BeVietnamPro-{weight}.ttf"), size)


def _nfc(text: str) -> str:
    """Compose letters: decomposed input (e + combining marks) would stack marks badly."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _tokens(text: str) -> list[str]:
    """Split into words, keeping a lone dash on the line of the word before it."""
    tokens: list[str] = []
    for word in text.split(" "):
        if word in _DASHES and tokens:
            tokens[-1] = f"{tokens[-1]} {word}"
        elif word:
            tokens.append(word)
    return tokens


def _break_word(word: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Last resort for one word wider than the line: cut it between letters."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and font.getlength(current + char) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def wrap_text(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap measured in pixels; never returns a line wider than width."""
    lines: list[str] = []
    current = ""
    for token in _tokens(_nfc(text)):
        candidate = f"{current} {token}" if current else token
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if font.getlength(token) <= width:
            current = token
        else:
            *full, current = _break_word(token, font, width)
            lines.extend(full)
    if current:
        lines.append(current)
    return lines


def _phrases(text: str) -> list[str]:
    """Split after sentence or clause punctuation and after a free-standing dash."""
    phrases: list[str] = []
    current: list[str] = []
    for token in _tokens(_nfc(text)):
        current.append(token)
        if token[-1] in ".,;:!?" or token[-1] in _DASHES:
            phrases.append(" ".join(current))
            current = []
    return [*phrases, " ".join(current)] if current else phrases


def nice_wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Wrap like wrap_text, but break at punctuation when that costs no extra line, and
    never leave one lone word (a Vietnamese syllable) on the last line."""
    lines = wrap_text(text, font, width)
    if len(lines) < 2:
        return lines
    by_phrase = [line for phrase in _phrases(text) for line in wrap_text(phrase, font, width)]
    if len(by_phrase) <= len(lines):
        lines = by_phrase
    last, before = lines[-1].split(" "), lines[-2].split(" ")
    moved = f"{before[-1]} {last[0]}"
    if (
        len(last) == 1
        and len(before) >= 3
        and before[-1][-1] not in ".,;:!?–—-"
        and font.getlength(moved) <= width
    ):
        lines[-2:] = [" ".join(before[:-1]), moved]
    return lines


def _fit_font(
    text: str, weight: str, size: int, width: int, max_lines: int
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size <= size at which text wraps into max_lines without breaking a word."""
    while True:
        font = _font(weight, size)
        lines = nice_wrap(text, font, width)
        words_fit = all(font.getlength(t) <= width for t in _tokens(_nfc(text)))
        if (words_fit and len(lines) <= max_lines) or size <= 12:
            return font, lines
        size -= 1


class _SlipCanvas:
    """Stacks full-width greyscale strips top to bottom; each strip is measured exactly."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.margin = max(8, round(width * 0.03))
        self.inner = width - 2 * self.margin
        self.strips: list[Image.Image] = []

    def space(self, height: int) -> None:
        """Blank paper."""
        self.strips.append(Image.new("L", (self.width, height), _WHITE))

    def rule(self, thickness: int = 2, pad: int = 10) -> None:
        """A horizontal line between sections."""
        strip = Image.new("L", (self.width, thickness + 2 * pad), _WHITE)
        ImageDraw.Draw(strip).rectangle(
            (self.margin, pad, self.width - self.margin - 1, pad + thickness - 1), fill=_BLACK
        )
        self.strips.append(strip)

    def line(
        self, text: str, font: ImageFont.FreeTypeFont, align: str = "center", indent: int = 0
    ) -> int:
        """One line of text, as tall as the font's ascent+descent or its ink; returns baseline y."""
        ascent, descent = font.getmetrics()
        left, top, right, bottom = _ink(font, text, anchor="ls")
        above, below = max(ascent, -top), max(descent, bottom)
        strip = Image.new("L", (self.width, above + below), _WHITE)
        if align == "center":
            x = (self.width - (right - left)) // 2 - left
        else:
            x = self.margin + indent - min(left, 0)
        ImageDraw.Draw(strip).text((x, above), text, font=font, fill=_BLACK, anchor="ls")
        self.strips.append(strip)
        return above

    def paragraph(
        self, text: str, font: ImageFont.FreeTypeFont, align: str = "center", gap: int = 2
    ) -> None:
        """Wrapped text, each line centred (or left-aligned)."""
        for i, line in enumerate(nice_wrap(text, font, self.inner)):
            if i:
                self.space(gap)
            self.line(line, font, align)

    def paste(self, image: Image.Image) -> None:
        """A greyscale image centred on its own strip."""
        strip = Image.new("L", (self.width, image.height), _WHITE)
        strip.paste(image, ((self.width - image.width) // 2, 0))
        self.strips.append(strip)

    def image(self) -> Image.Image:
        """Join the strips and binarise with a hard threshold (no dithering noise)."""
        height = sum(s.height for s in self.strips)
        sheet = Image.new("L", (self.width, height), _WHITE)
        y = 0
        for strip in self.strips:
            sheet.paste(strip, (0, y))
            y += strip.height
        lut = [_BLACK if v < _THRESHOLD else _WHITE for v in range(256)]
        return sheet.point(lut).convert("1", dither=Image.Dither.NONE)


def _ink(font: ImageFont.FreeTypeFont, text: str, anchor: str = "la") -> tuple[int, int, int, int]:
    """The ink box of text in whole pixels, rounded outwards."""
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    return math.floor(left), math.floor(top), math.ceil(right), math.ceil(bottom)


def _size(width: int, size_at_80mm: int) -> int:
    """Scale a type size from the 80 mm layout, shrinking less than the paper does."""
    return round(size_at_80mm * math.sqrt(width / PAPER_WIDTHS[80]))


def _number_font(number: str, width: int) -> ImageFont.FreeTypeFont:
    """The biggest Black weight at which the ticket number fits across the paper."""
    size = round(width * 0.42)
    while size > 24:
        font = _font("Black", size)
        left, _, right, _ = _ink(font, number)
        if right - left <= width:
            return font
        size -= 4
    return _font("Black", size)


def _badge(text: str, font: ImageFont.FreeTypeFont, pad: int) -> Image.Image:
    """White text on a black rounded box: the priority mark a clerk spots at a glance."""
    left, top, right, bottom = _ink(font, text)
    box = Image.new("L", (right - left + 4 * pad, bottom - top + 2 * pad), _WHITE)
    draw = ImageDraw.Draw(box)
    draw.rounded_rectangle((0, 0, box.width - 1, box.height - 1), radius=pad, fill=_BLACK)
    draw.text((2 * pad - left, pad - top), text, font=font, fill=_WHITE)
    return box


def qr_image(content: str, max_size: int) -> Image.Image:
    """A QR code as a greyscale image with whole-dot modules and a 4-module quiet zone."""
    # A fixed mask is valid QR; searching all eight for the "best" one costs ~20 ms.
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, mask_pattern=0
    )
    code.add_data(content)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    module = max(2, max_size // len(matrix))
    side = len(matrix) * module
    img = Image.new("L", (side, side), _WHITE)
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = c * module, r * module
                draw.rectangle((x, y, x + module - 1, y + module - 1), fill=_BLACK)
    return img


def _checklist(canvas: _SlipCanvas, documents: Sequence[str]) -> None:
    """The documents to bring, each with a drawn tick box and a hanging indent."""
    w = canvas.width
    canvas.line("Giấy tờ cần mang theo:", _font("Bold", _size(w, 26)), align="left")
    font = _font("Medium", _size(w, 24))
    ascent, _ = font.getmetrics()
    box = round(ascent * 0.8)
    indent = box + round(box * 0.6)
    for item in documents:
        canvas.space(6)
        lines = wrap_text(item, font, canvas.inner - indent)
        for i, text in enumerate(lines):
            baseline = canvas.line(text, font, align="left", indent=indent)
            if i == 0:
                top = baseline - box
                ImageDraw.Draw(canvas.strips[-1]).rectangle(
                    (canvas.margin, top, canvas.margin + box - 1, top + box - 1),
                    outline=_BLACK,
                    width=2,
                )


def render_slip(slip: TicketSlip, width_px: int) -> Image.Image:
    """Draw the whole slip as a mode "1" image exactly width_px dots wide."""
    if width_px < 200:
        raise ValueError(f"width_px {width_px} is too narrow for a ticket slip")
    c = _SlipCanvas(width_px)
    w = width_px
    c.space(8)
    c.paragraph(slip.centre_name, _font("Bold", _size(w, 28)))
    c.rule()
    c.line("PHIẾU SỐ THỨ TỰ", _font("ExtraBold", _size(w, 38)))
    c.space(4)
    c.line(_nfc(slip.number), _number_font(_nfc(slip.number), c.inner))
    if slip.priority:
        c.space(6)
        c.paste(_badge("ƯU TIÊN", _font("ExtraBold", _size(w, 32)), pad=_size(w, 10)))
    c.space(12)
    font, lines = _fit_font(slip.service_name, "Bold", _size(w, 36), c.inner, max_lines=3)
    for line in lines:
        c.line(line, font)
    c.space(10)
    body = _font("SemiBold", _size(w, 28))
    if slip.ahead is not None:
        c.line(f"Số người chờ trước: {slip.ahead}", body)
    c.line(slip.issued_at.strftime("%H:%M:%S %d/%m/%Y"), _font("Medium", _size(w, 26)))
    c.line(f"Buổi: {slip.session}", _font("Medium", _size(w, 26)))
    for text in slip.where:
        c.space(4)
        c.paragraph(text, _font("Bold", _size(w, 28)))
    if slip.documents:
        c.rule()
        _checklist(c, slip.documents)
    c.rule()
    c.paste(qr_image(slip.status_url, max_size=min(round(w * 0.55), 300)))
    c.line(QR_HINT, _font("Medium", _size(w, 22)))
    c.rule()
    c.paragraph(slip.instruction, _font("SemiBold", _size(w, 26)))
    c.space(16)
    return c.image()
