"""What a clerk types to name a ticket: "4", "04", "a4", "A004", " A 004 ", "1005".

Two pure steps. `candidates` reads the typed text against the number formats of the
fields in question and lists the printed numbers it can mean; `pick` chooses among the
tickets of today that carry those numbers, preferring the ones the action applies to, and
says plainly when the text is ambiguous or matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from .errors import Conflict, NotFound
from .model import NumberFormat, Ticket, TicketStatus

# Letters (the prefix) then digits; spaces anywhere are what a hurried clerk adds.
_REF_RE = re.compile(r"([A-Z]{0,3})([0-9]{1,9})")
MAX_REF = 32
"""Longer input is no printed number (the longest is 3 letters and 9 digits)."""


def normalise(text: str) -> str:
    """Capitals without spaces: " a 004 " is "A004" (what the messages echo)."""
    return "".join(text.split()).upper()


def candidates(text: str, formats: Sequence[tuple[str, NumberFormat]]) -> list[tuple[str, str]]:
    """The (service code, printed number) pairs typed text can mean among these fields.

    Letters must be a field's prefix (any case); without letters the digits fit any of the
    fields whose block holds the value ("4" is A004 and B004; "1005" is 1005). Leading
    zeros never matter. Raises NotFound (invalid_ticket_ref) when the text cannot be a
    ticket number at all.
    """
    ref = normalise(text)
    match = _REF_RE.fullmatch(ref) if len(ref) <= MAX_REF and ref.isascii() else None
    if match is None:
        raise NotFound("invalid_ticket_ref", ref=text.strip()[:MAX_REF])
    letters, value = match[1], int(match[2])
    found: list[tuple[str, str]] = []
    for code, fmt in formats:
        if letters and letters != fmt.prefix:
            continue
        if fmt.start <= value <= fmt.end:
            number = f"{fmt.prefix}{value:0{fmt.digits}d}"
            if (code, number) not in found:
                found.append((code, number))
    return found


def has_letters(text: str) -> bool:
    """Whether the clerk typed a prefix ("a4"), not digits alone ("4")."""
    return any(c.isalpha() for c in text)


def pick(text: str, tickets: Sequence[Ticket], actionable: Collection[TicketStatus]) -> Ticket:
    """The one ticket meant, among today's tickets carrying a candidate number.

    One ticket: that one (the action then says if its status forbids it). Several: the only
    one in an `actionable` status, if exactly one is; else the clerk must type the letter.
    None: NotFound naming what was typed.
    """
    ref = normalise(text)
    if not tickets:
        raise NotFound("unknown_ticket_today", ref=ref)
    if len(tickets) == 1:
        return tickets[0]
    usable = [t for t in tickets if t.status in actionable]
    if len(usable) == 1:
        return usable[0]
    among = usable or list(tickets)
    numbers = ", ".join(sorted(t.number for t in among))
    raise Conflict("ambiguous_ticket_ref", ref=ref, numbers=numbers)


__all__ = ["candidates", "has_letters", "normalise", "pick"]
