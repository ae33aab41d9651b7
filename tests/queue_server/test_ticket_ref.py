"""Numbers as a clerk types them (domain.ticket_ref), calling a no-show back, and the
by-number routes: "4", "04", "a4", "A004", " A 004 " all name A004 at a counter serving A."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from queue_server.desk import QueueDesk
from queue_server.domain import ticket_ref
from queue_server.domain.errors import Conflict, IllegalTransition, NotFound
from queue_server.domain.model import EventKind, NumberFormat, Ticket, TicketStatus
from tests.conftest import auth

S = TicketStatus
A = ("HT", NumberFormat("A", 3, 1, 999))
B = ("CT", NumberFormat("B", 3, 1, 999))
LAND = ("DD", NumberFormat("", 4, 1001, 1999))
API = "/api/v1"


@pytest.mark.parametrize(
    ("typed", "formats", "expected"),
    [
        ("4", [A], [("HT", "A004")]),
        ("04", [A], [("HT", "A004")]),
        ("004", [A], [("HT", "A004")]),
        ("a4", [A], [("HT", "A004")]),
        ("A004", [A], [("HT", "A004")]),
        (" A 004 ", [A], [("HT", "A004")]),
        ("\ta0004\n", [A], [("HT", "A004")]),
        ("4", [A, B], [("HT", "A004"), ("CT", "B004")]),
        ("b4", [A, B], [("CT", "B004")]),
        ("C4", [A, B], []),  # no such prefix among these fields
        ("1005", [A, LAND], [("DD", "1005")]),  # a numeric block; A1005 is past A's end
        ("5", [LAND], []),  # below the block
        ("0", [A], []),
    ],
)
def test_candidates(typed: str, formats: Any, expected: list[tuple[str, str]]) -> None:
    assert ticket_ref.candidates(typed, formats) == expected


@pytest.mark.parametrize(
    "typed", ["", "  ", "A", "zz", "4a", "A-4", "A4.5", "²", "ABCD1", "1" * 40]
)
def test_what_is_no_number_at_all(typed: str) -> None:
    with pytest.raises(NotFound) as info:
        ticket_ref.candidates(typed, [A, B])
    assert info.value.code == "unknown_ticket"  # the wire code; the words say what to type
    assert "A012, a12 hoặc 12" in info.value.message


def _ticket(number: str, status: TicketStatus) -> Ticket:
    at = datetime(2026, 11, 26, 2, 0)
    return Ticket(number, "test", "HT", "HT", number, 1, date(2026, 11, 26), False, status, at, at)


def test_pick_prefers_the_one_the_action_applies_to() -> None:
    served, waiting = _ticket("A004", S.DONE), _ticket("B004", S.WAITING)
    assert ticket_ref.pick("4", [served, waiting], {S.WAITING, S.NO_SHOW}) is waiting
    one = _ticket("A004", S.DONE)
    assert ticket_ref.pick("4", [one], {S.WAITING}) is one  # the action then says why not


def test_pick_says_when_digits_are_ambiguous() -> None:
    both = [_ticket("A004", S.WAITING), _ticket("B004", S.NO_SHOW)]
    with pytest.raises(Conflict) as info:
        ticket_ref.pick(" 4 ", both, {S.WAITING, S.NO_SHOW})
    assert info.value.code == "ambiguous_ticket_ref"
    assert info.value.message == "Số 4 có ở nhiều lĩnh vực: A004, B004. Vui lòng gõ cả chữ cái."
    assert (
        info.value.message_en == "4 is a ticket of several fields: A004, B004. Type the letter too."
    )


def test_pick_without_tickets_names_what_was_typed() -> None:
    with pytest.raises(NotFound) as info:
        ticket_ref.pick(" a 9 ", [], {S.WAITING})
    assert info.value.message == "Không có số A9 trong ngày hôm nay."


# -- the desk: call by number as typed, a no-show called back ---------------------------------
# The test centre: HT is A0001 (4 digits), CT B001; counter 1 serves HT and CT, 3 serves DD.


def test_call_accepts_what_a_clerk_types(desk: QueueDesk) -> None:
    for _ in range(4):
        desk.issue("HT")
    for typed, number in (("1", "A0001"), ("02", "A0002"), ("a3", "A0003"), (" A 0004 ", "A0004")):
        assert desk.call_ticket(1, typed).ticket.number == number
        desk.complete(1)


def test_digits_two_fields_have_are_ambiguous_unless_one_is_done(desk: QueueDesk) -> None:
    desk.issue("HT")  # A0001
    desk.issue("CT")  # B001
    with pytest.raises(Conflict) as info:
        desk.call_ticket(1, "1")
    assert info.value.message == "Số 1 có ở nhiều lĩnh vực: A0001, B001. Vui lòng gõ cả chữ cái."
    desk.call_ticket(1, "b1")
    desk.complete(1)
    assert desk.call_ticket(1, "1").ticket.number == "A0001"  # B001 is served: only A0001 left


def test_a_number_of_another_field_is_refused_as_such(desk: QueueDesk) -> None:
    land = desk.issue("DD").ticket
    with pytest.raises(Conflict) as info:
        desk.call_ticket(1, land.number)
    assert info.value.code == "wrong_counter"
    with pytest.raises(NotFound):
        desk.call_ticket(1, "77")


def test_a_no_show_of_today_is_called_back(desk: QueueDesk) -> None:
    """'Không thể gọi số A0001: ... «Không có mặt»' no more: returned, then called."""
    t = desk.issue("HT").ticket
    desk.call_next(1)
    desk.no_show(1)
    back = desk.call_ticket(2, "a1").ticket  # the citizen came back, at another counter
    assert (back.status, back.counter) == (S.CALLED, 2)
    kinds = [e.kind for e in desk.history(t.id)]
    assert kinds == [EventKind.ISSUED, EventKind.CALLED, EventKind.NO_SHOW, EventKind.RETURNED,
                     EventKind.CALLED]  # fmt: skip


def test_a_served_ticket_cannot_be_called_again(desk: QueueDesk) -> None:
    desk.issue("HT")
    desk.call_next(1)
    desk.complete(1)
    with pytest.raises(IllegalTransition):
        desk.call_ticket(1, "1")


# -- the routes: POST /tickets/by-number/<ticket_number>/return and /cancel ---------------------


def post(client: Any, url: str, token: str, **body: Any) -> Any:
    resp = client.post(f"{API}{url}", json=body, headers=auth(token))
    return resp.status_code, resp.get_json()


def test_return_and_cancel_by_printed_number(client: Any, token: Any, desk: QueueDesk) -> None:
    clerk = token("clerk", counter=1)
    t = desk.issue("HT").ticket
    desk.call_next(1)
    desk.no_show(1)
    status, body = post(client, "/tickets/by-number/a 1/return", clerk)
    assert status == 200 and body["ticket"]["status"] == "waiting"
    assert body["ticket"]["number"] == t.number
    status, body = post(client, "/tickets/by-number/1/return", clerk)
    assert status == 409 and body["error"]["code"] == "illegal_transition"
    status, body = post(client, "/tickets/by-number/0001/cancel", clerk)
    assert status == 200 and body["ticket"]["status"] == "cancelled"
    assert desk.get(t.id).ticket.status is S.CANCELLED


def test_by_number_unknown_and_ambiguous(client: Any, token: Any, desk: QueueDesk) -> None:
    clerk, admin = token("clerk", counter=1), token("admin")
    status, body = post(client, "/tickets/by-number/A0042/cancel", clerk)
    assert status == 404
    assert body["error"] == {
        "code": "unknown_ticket",
        "message": "Không có số A0042 trong ngày hôm nay.",
        "message_en": "No ticket A0042 today.",
    }
    desk.issue("HT")
    desk.issue("CT")
    status, body = post(client, "/tickets/by-number/1/cancel", admin)
    assert status == 409 and body["error"]["code"] == "ambiguous_ticket_ref"
    assert "A0001, B001" in body["error"]["message"]


def test_digits_alone_are_read_among_the_clerks_fields(
    client: Any, token: Any, desk: QueueDesk
) -> None:
    """Clerk 3 serves Đất đai (1001-1999) only: "1" is no land ticket; the A0001 it finds
    among the site's fields is not one it may touch."""
    desk.issue("HT")
    status, body = post(client, "/tickets/by-number/1/cancel", token("clerk", counter=3))
    assert status == 403
    assert "quầy không phục vụ lĩnh vực Hộ tịch" in body["error"]["message"]
    assert desk.by_number("A0001").status is S.WAITING
