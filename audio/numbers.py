"""Read numbers, ticket codes and announcements aloud in Vietnamese."""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MAX_NUMBER = 999_999
MODES = ("natural", "digits")

LETTERS: dict[str, str] = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "dê",
    "Đ": "đê",
    "E": "e",
    "G": "giê",
    "H": "hát",
    "I": "i",
    "K": "ca",
    "L": "e-lờ",
    "M": "em-mờ",
    "N": "en-nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e-rờ",
    "S": "ét-xì",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "X": "ích-xì",
    "Y": "i-dài",
    "F": "ép",
    "J": "gi",
    "W": "vê kép",
    "Z": "dét",
}

DEFAULT_TEMPLATE = "Xin mời công dân có số thứ tự {number} đến quầy số {counter}"
EN_TEMPLATE = "Ticket number {number}, please go to counter {counter}"

# A ticket code is runs of letters and runs of ASCII digits (str.isdigit would
# also accept "²" or Arabic-Indic digits, which we cannot read).
_RUN = re.compile(r"[0-9]+|[^\W\d_]+")


def _units_after_tens(units: int, four: str) -> str:
    """The units word after "mươi": mốt, tư (or bốn), lăm, otherwise the plain digit."""
    return {1: "mốt", 4: four, 5: "lăm"}.get(units, DIGITS[units])


def _read_group(n: int, *, full: bool, odd: str, four: str) -> list[str]:
    """Words for 0 < n < 1000; full reads a zero hundreds digit ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = [DIGITS[hundreds], "trăm"] if hundreds or full else []
    if tens == 0:
        if units:
            words += [odd, DIGITS[units]] if words else [DIGITS[units]]
    elif tens == 1:
        # 11 is "mười một" and 14 "mười bốn": mốt and tư belong after "mươi" only.
        words += ["mười", "lăm" if units == 5 else DIGITS[units]] if units else ["mười"]
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append(_units_after_tens(units, four))
    return words


def read_number(n: int, *, odd: str = "linh", four: str = "tư", thousand: str = "nghìn") -> str:
    """Read 0 <= n <= 999_999 the way a Northern announcer says it (options give variants)."""
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"cannot read {n!r}: only 0 to {MAX_NUMBER} are supported")
    if n == 0:
        return DIGITS[0]
    upper, lower = divmod(n, 1000)
    words = []
    if upper:
        words += [*_read_group(upper, full=False, odd=odd, four=four), thousand]
    if lower:
        words += _read_group(lower, full=bool(upper), odd=odd, four=four)
    return " ".join(words)


def read_digits(text: str) -> str:
    """Read a string of ASCII digits one by one ("007" -> "không không bảy")."""
    if not text or any(ch not in "0123456789" for ch in text):
        raise ValueError(f"not a string of digits: {text!r}")
    return " ".join(DIGITS[int(ch)] for ch in text)


def spell_letters(text: str) -> str:
    """Spell letters by their Vietnamese names ("AB" -> "a bê"), ignoring case."""
    if not text:
        raise ValueError("nothing to spell")
    # Upper-case letter by letter: "ß".upper() is "SS", which must not pass as two letters.
    names = [LETTERS.get(ch.upper()) for ch in text]
    if None in names:
        raise ValueError(f"cannot spell {text!r}: only {''.join(LETTERS)} have names")
    return " ".join(name for name in names if name)


def _read_run(run: str, *, mode: str, odd: str, four: str, thousand: str) -> str:
    """Read one run of a ticket code: letters spelled, digits per mode."""
    if run[0] not in "0123456789":
        return spell_letters(run)
    # Runs too long for read_number are read digit by digit, like a phone number.
    if mode == "digits" or int(run) > MAX_NUMBER:
        return read_digits(run)
    return read_number(int(run), odd=odd, four=four, thousand=thousand)


def read_ticket_number(
    code: str,
    *,
    mode: str = "natural",
    odd: str = "linh",
    four: str = "tư",
    thousand: str = "nghìn",
) -> str:
    """Read a printed ticket number: "A012" -> "a mười hai", "007" -> "không không bảy"."""
    if mode not in MODES:
        raise ValueError(f"unknown reading mode {mode!r}; expected one of {MODES}")
    runs = _RUN.findall(code)
    if not code or "".join(runs) != code:
        raise ValueError(f"a ticket number is letters and digits only: {code!r}")
    if code.startswith("0") and len(runs) == 1:
        # Zero-led numeric codes are read as printed: "bảy" alone would hide the zeros.
        mode = "digits"
    options = {"odd": odd, "four": four, "thousand": thousand}
    return " ".join(_read_run(run, mode=mode, **options) for run in runs)


def announcement_text(
    number: str,
    counter: str | int,
    template: str = DEFAULT_TEMPLATE,
    **reading_options: str,
) -> str:
    """The Vietnamese call for a ticket; an int counter is read aloud, a name is used as is."""
    spoken_number = read_ticket_number(number, **reading_options)
    if isinstance(counter, int):
        # The counter is a plain number, so the ticket's mode ("digits") does not apply.
        number_options = {k: v for k, v in reading_options.items() if k != "mode"}
        counter = read_number(counter, **number_options)
    return template.format(number=spoken_number, counter=counter)


def announcement_text_en(number: str, counter: str | int, template: str = EN_TEMPLATE) -> str:
    """The English call for a ticket, with the number and counter as printed."""
    return template.format(number=number, counter=counter)
