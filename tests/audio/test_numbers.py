"""Vietnamese readings of numbers, ticket codes and announcements."""

import re
from itertools import pairwise

import pytest

from audio.numbers import (
    LETTERS,
    announcement_text,
    announcement_text_en,
    read_digits,
    read_number,
    read_ticket_number,
    spell_letters,
)

# Hand-checked against the Northern standard in docs/domain.md; never computed from the code.
READINGS = [
    (0, "không"),
    (1, "một"),
    (2, "hai"),
    (3, "ba"),
    (4, "bốn"),
    (5, "năm"),
    (6, "sáu"),
    (7, "bảy"),
    (8, "tám"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (12, "mười hai"),
    (13, "mười ba"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (16, "mười sáu"),
    (17, "mười bảy"),
    (18, "mười tám"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (22, "hai mươi hai"),
    (23, "hai mươi ba"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (30, "ba mươi"),
    (31, "ba mươi mốt"),
    (34, "ba mươi tư"),
    (35, "ba mươi lăm"),
    (41, "bốn mươi mốt"),
    (44, "bốn mươi tư"),
    (45, "bốn mươi lăm"),
    (50, "năm mươi"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (114, "một trăm mười bốn"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (125, "một trăm hai mươi lăm"),
    (200, "hai trăm"),
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (1011, "một nghìn không trăm mười một"),
    (1015, "một nghìn không trăm mười lăm"),
    (1021, "một nghìn không trăm hai mươi mốt"),
    (1023, "một nghìn không trăm hai mươi ba"),
    (1024, "một nghìn không trăm hai mươi tư"),
    (1100, "một nghìn một trăm"),
    (1105, "một nghìn một trăm linh năm"),
    (2000, "hai nghìn"),
    (2024, "hai nghìn không trăm hai mươi tư"),
    (9999, "chín nghìn chín trăm chín mươi chín"),
    (10000, "mười nghìn"),
    (10005, "mười nghìn không trăm linh năm"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (24024, "hai mươi tư nghìn không trăm hai mươi tư"),
    (100000, "một trăm nghìn"),
    (101005, "một trăm linh một nghìn không trăm linh năm"),
    (105000, "một trăm linh năm nghìn"),
    (999999, "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
]


@pytest.mark.parametrize(("n", "expected"), READINGS)
def test_read_number(n: int, expected: str) -> None:
    assert read_number(n) == expected


@pytest.mark.parametrize(
    ("n", "options", "expected"),
    [
        (101, {"odd": "lẻ"}, "một trăm lẻ một"),
        (105, {"odd": "lẻ"}, "một trăm lẻ năm"),
        (1005, {"odd": "lẻ"}, "một nghìn không trăm lẻ năm"),
        (24, {"four": "bốn"}, "hai mươi bốn"),
        (14, {"four": "bốn"}, "mười bốn"),
        (14, {"four": "tư"}, "mười bốn"),
        (104, {"four": "bốn"}, "một trăm linh bốn"),
        (2024, {"four": "bốn"}, "hai nghìn không trăm hai mươi bốn"),
        (1005, {"thousand": "ngàn"}, "một ngàn không trăm linh năm"),
        (2000, {"thousand": "ngàn"}, "hai ngàn"),
        (
            1005,
            {"odd": "lẻ", "four": "bốn", "thousand": "ngàn"},
            "một ngàn không trăm lẻ năm",
        ),
        (
            2024,
            {"odd": "lẻ", "four": "bốn", "thousand": "ngàn"},
            "hai ngàn không trăm hai mươi bốn",
        ),
    ],
)
def test_read_number_variants(n: int, options: dict[str, str], expected: str) -> None:
    assert read_number(n, **options) == expected


@pytest.mark.parametrize("n", [-1, 1_000_000, 10**9])
def test_read_number_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        read_number(n)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "không"),
        ("007", "không không bảy"),
        ("0123456789", "không một hai ba bốn năm sáu bảy tám chín"),
    ],
)
def test_read_digits(text: str, expected: str) -> None:
    assert read_digits(text) == expected


@pytest.mark.parametrize("text", ["", "12a", "1 2", "²", "١٢"])
def test_read_digits_rejects_non_digits(text: str) -> None:
    with pytest.raises(ValueError):
        read_digits(text)


LETTER_NAMES = [
    ("A", "a"),
    ("B", "bê"),
    ("C", "xê"),
    ("D", "dê"),
    ("Đ", "đê"),
    ("E", "e"),
    ("G", "giê"),
    ("H", "hát"),
    ("I", "i"),
    ("K", "ca"),
    ("L", "e-lờ"),
    ("M", "em-mờ"),
    ("N", "en-nờ"),
    ("O", "o"),
    ("P", "pê"),
    ("Q", "quy"),
    ("R", "e-rờ"),
    ("S", "ét-xì"),
    ("T", "tê"),
    ("U", "u"),
    ("V", "vê"),
    ("X", "ích-xì"),
    ("Y", "i-dài"),
    ("F", "ép"),
    ("J", "gi"),
    ("W", "vê kép"),
    ("Z", "dét"),
]


def test_letters_table() -> None:
    assert dict(LETTER_NAMES) == LETTERS


@pytest.mark.parametrize(("letter", "name"), LETTER_NAMES)
def test_spell_each_letter_either_case(letter: str, name: str) -> None:
    assert spell_letters(letter) == name
    assert spell_letters(letter.lower()) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [("AB", "a bê"), ("abc", "a bê xê"), ("đD", "đê dê"), ("WX", "vê kép ích-xì")],
)
def test_spell_letters(text: str, expected: str) -> None:
    assert spell_letters(text) == expected


@pytest.mark.parametrize("text", ["", "A1", "A B", "Ă", "ß"])
def test_spell_letters_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        spell_letters(text)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("007", "không không bảy"),
        ("0105", "không một không năm"),
        ("0", "không"),
        ("5", "năm"),
        ("1005", "một nghìn không trăm linh năm"),
        ("A001", "a một"),
        ("A012", "a mười hai"),
        ("a012", "a mười hai"),
        ("B015", "bê mười lăm"),
        ("K105", "ca một trăm linh năm"),
        ("C000", "xê không"),
        ("Đ021", "đê hai mươi mốt"),
        ("AB105", "a bê một trăm linh năm"),
        ("A", "a"),
        ("A1234567", "a một hai ba bốn năm sáu bảy"),
    ],
)
def test_read_ticket_number(code: str, expected: str) -> None:
    assert read_ticket_number(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A012", "a không một hai"),
        ("B015", "bê không một năm"),
        ("1005", "một không không năm"),
        ("007", "không không bảy"),
    ],
)
def test_read_ticket_number_digits_mode(code: str, expected: str) -> None:
    assert read_ticket_number(code, mode="digits") == expected


def test_read_ticket_number_passes_options() -> None:
    assert read_ticket_number("K105", odd="lẻ") == "ca một trăm lẻ năm"
    assert read_ticket_number("A1024", four="bốn") == "a một nghìn không trăm hai mươi bốn"
    assert read_ticket_number("2000", thousand="ngàn") == "hai ngàn"


@pytest.mark.parametrize("code", ["", " A012", "A-012", "A 12", "A12!", "A\uff11\uff12", "Ă12"])
def test_read_ticket_number_rejects(code: str) -> None:
    with pytest.raises(ValueError):
        read_ticket_number(code)


def test_read_ticket_number_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError):
        read_ticket_number("A012", mode="roman")


@pytest.mark.parametrize(
    ("number", "counter", "options", "expected"),
    [
        ("A012", 3, {}, "Xin mời công dân có số thứ tự a mười hai đến quầy số ba"),
        ("B015", 12, {}, "Xin mời công dân có số thứ tự bê mười lăm đến quầy số mười hai"),
        ("007", 1, {}, "Xin mời công dân có số thứ tự không không bảy đến quầy số một"),
        (
            "A012",
            "Hộ tịch 2",
            {},
            "Xin mời công dân có số thứ tự a mười hai đến quầy số Hộ tịch 2",
        ),
        (
            "K105",
            24,
            {"odd": "lẻ", "four": "bốn"},
            "Xin mời công dân có số thứ tự ca một trăm lẻ năm đến quầy số hai mươi bốn",
        ),
        (
            "A012",
            3,
            {"mode": "digits"},
            "Xin mời công dân có số thứ tự a không một hai đến quầy số ba",
        ),
    ],
)
def test_announcement_text(
    number: str, counter: str | int, options: dict[str, str], expected: str
) -> None:
    assert announcement_text(number, counter, **options) == expected


def test_announcement_text_custom_template() -> None:
    text = announcement_text("A012", 3, "Mời số {number} tới quầy {counter}")
    assert text == "Mời số a mười hai tới quầy ba"


def test_announcement_text_en_keeps_digits() -> None:
    assert announcement_text_en("A012", 3) == "Ticket number A012, please go to counter 3"
    assert announcement_text_en("007", "B") == "Ticket number 007, please go to counter B"


# Properties over 0..9999: checks that could fail, not restatements of the code.

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
VOCABULARY = {*DIGIT_WORDS, "mười", "mươi", "trăm", "nghìn", "linh", "mốt", "tư", "lăm"}
FORBIDDEN_PAIRS = {
    ("mươi", "một"),  # 21 is "hai mươi mốt"
    ("mươi", "năm"),  # 25 is "hai mươi lăm"
    ("mười", "năm"),  # 15 is "mười lăm"
    ("mươi", "bốn"),  # default four="tư"
    ("mười", "mốt"),  # 11 is "mười một"
    ("mười", "tư"),  # 14 is "mười bốn"
    ("linh", "mốt"),
    ("linh", "lăm"),
    ("linh", "tư"),
}
ALL_READINGS = {n: read_number(n) for n in range(10_000)}


def _parse(text: str) -> int:
    """An independent reader of the spoken form back into a number."""
    values = {word: value for value, word in enumerate(DIGIT_WORDS)}
    values.update({"mốt": 1, "tư": 4, "lăm": 5})
    total = group = 0
    digit: int | None = None
    for word in text.split():
        if word in values:
            assert digit is None, text
            digit = values[word]
        elif word in ("trăm", "mươi"):
            assert digit is not None, text
            group += digit * (100 if word == "trăm" else 10)
            digit = None
        elif word == "mười":
            group += 10
        elif word == "nghìn":
            total, group, digit = (group + (digit or 0)) * 1000, 0, None
    return total + group + (digit or 0)


def test_readings_use_only_the_vocabulary() -> None:
    for n, text in ALL_READINGS.items():
        assert set(text.split()) <= VOCABULARY, (n, text)


def test_readings_avoid_wrong_word_pairs() -> None:
    for n, text in ALL_READINGS.items():
        words = text.split()
        assert not set(pairwise(words)) & FORBIDDEN_PAIRS, (n, text)


def test_readings_are_unique() -> None:
    assert len(set(ALL_READINGS.values())) == len(ALL_READINGS)


def test_zero_hundreds_inside_thousands_is_said() -> None:
    for n, text in ALL_READINGS.items():
        says_zero_hundreds = "không trăm" in text
        expected = n >= 1000 and n // 100 % 10 == 0 and n % 1000 != 0
        assert says_zero_hundreds == expected, (n, text)


def test_linh_only_for_a_missing_tens_digit() -> None:
    for n, text in ALL_READINGS.items():
        expected = n >= 100 and n // 10 % 10 == 0 and n % 10 != 0
        assert ("linh" in text.split()) == expected, (n, text)


def test_readings_round_trip() -> None:
    for n, text in ALL_READINGS.items():
        assert _parse(text) == n, (n, text)
    for n in range(0, 1_000_000, 997):
        assert _parse(read_number(n)) == n, n
    assert _parse(read_number(999_999)) == 999_999


def test_no_stray_spaces() -> None:
    for n, text in ALL_READINGS.items():
        assert re.fullmatch(r"\S+( \S+)*", text), (n, text)
