"""Ticket slips: rendering, the ESC/POS bytes a printer receives, and the kept previews."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from escpos.exceptions import ImageWidthError
from PIL import Image

from hardware.escpos_job import decode_job, job_bytes, slip_job
from hardware.slip import (
    PAPER_WIDTHS,
    TicketSlip,
    _font,
    nice_wrap,
    render_slip,
    wrap_text,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "slips"
LONG_FIELD = "Lao động – Thương binh và Xã hội"
STATUS_URL = "http://192.168.1.10:5000/t/q7Zk2mX9wPbR4tLs"


def make_slip(**changes: object) -> TicketSlip:
    """A realistic slip; keyword arguments replace fields."""
    slip = TicketSlip(
        centre_name="Trung tâm Phục vụ hành chính công phường Ba Đình",
        number="A023",
        service_name=LONG_FIELD,
        ahead=12,
        issued_at=datetime(2025, 11, 26, 8, 15, 32, tzinfo=VN),
        session="Sáng",
        status_url=STATUS_URL,
    )
    return dataclasses.replace(slip, **changes)  # type: ignore[arg-type]


def read_qr(image: Image.Image) -> list[str]:
    """Texts of the QR codes zxing-cpp finds in an image."""
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("paper", [58, 80])
def test_escpos_bytes_decode_to_init_raster_of_paper_width_and_cut(paper: int) -> None:
    width = PAPER_WIDTHS[paper]
    data, image = slip_job(make_slip(priority=True, documents=("Căn cước công dân",)), width)

    # Byte by byte: ESC @ first, then GS v 0 m xL xH yL yH, and GS V 0 at the very end.
    assert data[:2] == b"\x1b@"
    assert data[2:5] == b"\x1dv0"
    assert int.from_bytes(data[6:8], "little") * 8 == width
    assert int.from_bytes(data[8:10], "little") > 0
    assert data[-3:] == b"\x1dV\x00"

    job = decode_job(data)
    assert job.commands[0] == "init"
    assert job.commands[-1] == "cut"
    assert "raster" in job.commands
    assert {r.width_bytes * 8 for r in job.images} == {width}
    assert all(r.height > 0 and r.mode == 0 for r in job.images)
    assert sum(r.height for r in job.images) == image.height


@pytest.mark.parametrize("paper", [58, 80])
def test_qr_in_the_printed_raster_points_at_the_status_page(paper: int) -> None:
    data, _ = slip_job(make_slip(), PAPER_WIDTHS[paper])
    printed = decode_job(data).image()  # rebuilt from the bytes the printer gets
    assert read_qr(printed) == [STATUS_URL]


def test_decode_job_rejects_truncated_and_unknown_streams() -> None:
    data, _ = slip_job(make_slip(), PAPER_WIDTHS[58])
    with pytest.raises(ValueError, match="truncated"):
        decode_job(data[:500])
    with pytest.raises(ValueError, match="unexpected byte"):
        decode_job(b"\x1b@\x07")


def test_image_wider_than_the_profile_is_refused() -> None:
    wide = Image.new("1", (PAPER_WIDTHS[80], 10), 1)
    with pytest.raises(ValueError, match="narrower"):
        job_bytes(wide, PAPER_WIDTHS[80], profile="POS-5890")  # a 384-dot printer
    with pytest.raises(ImageWidthError, match="576 > 384"):
        job_bytes(wide, PAPER_WIDTHS[58])


@pytest.mark.parametrize("paper", [58, 80])
def test_long_field_name_preview_is_kept_and_nothing_is_cut_off(paper: int) -> None:
    width = PAPER_WIDTHS[paper]
    slip = make_slip(
        priority=True,
        documents=(
            "Tờ khai đề nghị hưởng trợ cấp (mẫu số 01)",
            "Căn cước công dân bản chính",
            "Giấy xác nhận mức độ khuyết tật",
        ),
    )
    data, image = slip_job(slip, width)
    preview = decode_job(data).image()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    preview.save(ARTIFACTS / f"slip-{paper}mm-lao-dong-thuong-binh-xa-hoi.png")

    assert preview.size == (width, image.height)
    # Ink never reaches the side margins, so no glyph was clipped at the paper edge.
    margin = max(8, round(width * 0.03))
    pixels = preview.load()
    assert pixels is not None
    for x in [*range(margin - 2), *range(width - margin + 2, width)]:
        assert all(pixels[x, y] for y in range(preview.height)), f"ink in column {x}"
    # Nor the top and bottom edges.
    for y in (0, preview.height - 1):
        assert all(pixels[x, y] for x in range(width))
    assert read_qr(preview) == [STATUS_URL]


@pytest.mark.parametrize("width", PAPER_WIDTHS.values())
def test_field_name_wraps_on_words_and_keeps_the_dash_with_its_word(width: int) -> None:
    font = _font("Bold", 36)
    lines = nice_wrap(LONG_FIELD, font, width - 24)
    assert " ".join(lines) == LONG_FIELD
    assert all(font.getlength(line) <= width - 24 for line in lines)
    assert not any(line.startswith("–") for line in lines)


def test_wrap_text_breaks_a_word_only_when_it_cannot_fit() -> None:
    font = _font("Bold", 30)
    assert wrap_text("Hộ tịch", font, 400) == ["Hộ tịch"]
    pieces = wrap_text("Đăngkýkinhdoanhhợptácxã", font, 120)
    assert "".join(pieces) == "Đăngkýkinhdoanhhợptácxã"
    assert all(font.getlength(p) <= 120 for p in pieces)


def test_nice_wrap_breaks_at_punctuation_and_avoids_a_lone_last_word() -> None:
    font = _font("SemiBold", 26)
    text = "Vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!"
    assert nice_wrap(text, font, 540) == ["Vui lòng giữ phiếu và chờ gọi số.", "Xin cảm ơn!"]
    for line in nice_wrap("Trung tâm Phục vụ hành chính công phường Ba Đình", font, 300):
        assert len(line.split()) > 1


def test_render_is_one_bit_without_dithering_noise() -> None:
    image = render_slip(make_slip(), PAPER_WIDTHS[80])
    assert image.mode == "1"
    assert image.width == PAPER_WIDTHS[80]
    # A dithered grey leaves lone dots; thresholded text leaves almost none.
    px = image.convert("L").load()
    assert px is not None
    lone = sum(
        1
        for y in range(1, image.height - 1)
        for x in range(1, image.width - 1)
        if px[x, y] == 0 and px[x - 1, y] and px[x + 1, y] and px[x, y - 1] and px[x, y + 1]
    )
    assert lone < 20


def test_optional_parts_take_room_only_when_present() -> None:
    base = render_slip(make_slip(), 384).height
    assert render_slip(make_slip(priority=True), 384).height > base
    assert render_slip(make_slip(documents=("Sổ hộ khẩu",)), 384).height > base
    assert render_slip(make_slip(ahead=None), 384).height < base


def test_slip_says_where_to_go_when_it_knows() -> None:
    where = make_slip(counters=(3, 5, 12), waiting_area="Sảnh chờ A, tầng 1")
    assert where.where == ("Quầy phục vụ: 3, 5, 12", "Nơi chờ: Sảnh chờ A, tầng 1")
    assert make_slip().where == ()
    assert make_slip(counters=(4,)).where == ("Quầy phục vụ: 4",)
    base = render_slip(make_slip(), 384).height
    one = render_slip(make_slip(counters=(3, 5, 12)), 384).height
    assert base < one < render_slip(where, 384).height
    # The real ESC/POS stream still decodes to the same raster, and the QR code still reads.
    data, image = slip_job(where, PAPER_WIDTHS[80])
    printed = decode_job(data).image()
    assert printed.size == image.size
    assert read_qr(printed) == [STATUS_URL]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    printed.save(ARTIFACTS / "slip-80mm-where.png")


def test_decomposed_input_renders_like_composed() -> None:
    nfd = make_slip(service_name=unicodedata.normalize("NFD", "Hộ tịch"))
    nfc = make_slip(service_name="Hộ tịch")
    assert render_slip(nfd, 384).tobytes() == render_slip(nfc, 384).tobytes()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_at": datetime(2025, 11, 26, 8, 15)}, "timezone-aware"),
        ({"session": "Trưa"}, "session"),
        ({"ahead": -1}, "ahead"),
        ({"number": " "}, "number"),
    ],
)
def test_slip_rejects_bad_values(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_slip(**changes)


def test_too_narrow_width_is_refused() -> None:
    with pytest.raises(ValueError, match="too narrow"):
        render_slip(make_slip(), 100)
