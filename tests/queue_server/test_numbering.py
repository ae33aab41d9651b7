"""Numbering per local day, opening hours and caps, driven by the fake clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from queue_server.desk import QueueDesk
from queue_server.domain.clock import FakeClock
from queue_server.domain.errors import Conflict, ErrorKind
from queue_server.domain.model import Hours, NumberFormat, Session, TicketStatus
from queue_server.storage.schema import day_counters, ticket_events, tickets
from tests.conftest import local

MORNING = Session(time(7, 30), time(11, 30))
AFTERNOON = Session(time(13, 30), time(17, 0))
KD_HOURS_VI = "Thứ Hai – Thứ Sáu: Sáng 7:30–11:30, Chiều 13:30–17:00; Thứ Bảy: Sáng 7:30–11:30"


def state(desk: QueueDesk, service: str) -> tuple[dict[date, int], int, int]:
    """A service's day counters, its ticket rows and all log rows, read from the tables."""
    with desk.db.read() as conn:
        days = {
            d: last
            for d, last in conn.execute(
                select(day_counters.c.day, day_counters.c.last).where(
                    day_counters.c.service == service
                )
            )
        }
        rows = conn.execute(
            select(func.count()).select_from(tickets).where(tickets.c.issued_service == service)
        ).scalar_one()
        events = conn.execute(select(func.count()).select_from(ticket_events)).scalar_one()
    return days, int(rows), int(events)


# -- local midnight --------------------------------------------------------------------------


def test_numbering_resets_at_local_midnight(desk: QueueDesk, clock: FakeClock) -> None:
    clock.set(local(2026, 11, 26, 23, 58))
    assert desk.issue("HT").ticket.number == "A0001"
    clock.set(local(2026, 11, 26, 23, 59, 59))
    late = desk.issue("HT").ticket
    assert clock.now().astimezone(UTC).hour == 16  # still the afternoon in UTC
    assert (late.number, late.day) == ("A0002", date(2026, 11, 26))
    clock.set(local(2026, 11, 27, 0, 0))
    assert clock.now().astimezone(UTC).hour == 17
    first = desk.issue("HT").ticket
    assert (first.number, first.seq, first.day) == ("A0001", 1, date(2026, 11, 27))
    assert desk.issue("HT").ticket.number == "A0002"
    # same for a numeric block
    assert desk.issue("DD").ticket.number == "1001"
    days, rows, _ = state(desk, "HT")
    assert days == {date(2026, 11, 26): 2, date(2026, 11, 27): 2}
    assert rows == 4


def test_numbering_does_not_reset_at_utc_midnight(desk: QueueDesk, clock: FakeClock) -> None:
    clock.set(local(2026, 11, 27, 6, 59))  # 23:59 UTC on the 26th
    a = desk.issue("HT").ticket
    clock.set(local(2026, 11, 27, 7, 0))  # 00:00 UTC on the 27th
    assert clock.now().astimezone(UTC).date() == date(2026, 11, 27)
    b = desk.issue("HT").ticket
    assert (a.number, b.number) == ("A0001", "A0002")
    assert a.day == b.day == date(2026, 11, 27)


def test_tickets_of_yesterday_are_not_called_today(desk: QueueDesk, clock: FakeClock) -> None:
    clock.set(local(2026, 11, 26, 23, 50))
    old = [desk.issue("HT").ticket for _ in range(3)]
    clock.set(local(2026, 11, 27, 0, 5))
    assert desk.call_next(1) is None
    assert desk.snapshot().waiting["HT"] == 0
    new = desk.issue("HT").ticket
    assert new.number == "A0001"
    assert desk.call_next(1).ticket.id == new.id
    assert desk.call_next(1) is None
    assert all(desk.get(t.id).ticket.status is TicketStatus.WAITING for t in old)


def test_yesterdays_calls_do_not_count_towards_todays_ratio(
    desk: QueueDesk, clock: FakeClock
) -> None:
    # strict policy: a priority ticket goes first whatever happened before
    clock.set(local(2026, 11, 26, 23, 0))
    desk.issue("HT", priority=True)
    desk.call_next(1)
    clock.set(local(2026, 11, 27, 8, 0))
    n = desk.issue("HT").ticket
    p = desk.issue("HT", priority=True).ticket
    assert [desk.call_next(1).ticket.id for _ in range(2)] == [p.id, n.id]


# -- opening hours ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        local(2026, 11, 26, 12, 0),  # Thursday lunch break
        local(2026, 11, 26, 11, 30),  # the morning session has just ended
        local(2026, 11, 26, 17, 0),  # the afternoon session has just ended
        local(2026, 11, 26, 7, 29),  # not yet open
        local(2026, 11, 28, 14, 0),  # Saturday afternoon
        local(2026, 11, 29, 9, 0),  # Sunday
        local(2026, 11, 26, 23, 59),
    ],
    ids=["thu-12:00", "thu-11:30", "thu-17:00", "thu-07:29", "sat-14:00", "sun-09:00", "thu-23:59"],
)
def test_closed_hours(desk: QueueDesk, clock: FakeClock, when: object) -> None:
    clock.set(when)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as info:
        desk.issue("KD")
    err = info.value
    assert err.code == "closed_hours"
    assert err.kind is ErrorKind.CONFLICT
    assert "Đăng ký kinh doanh" in err.message
    assert "7:30–11:30" in err.message and "13:30–17:00" in err.message
    assert state(desk, "KD") == ({}, 0, 0)
    assert desk.is_open(desk.site(), "KD") is False
    # a service open around the clock is unaffected
    assert desk.issue("HT").ticket.number == "A0001"


@pytest.mark.parametrize(
    "when",
    [
        local(2026, 11, 26, 7, 30),
        local(2026, 11, 26, 11, 29),
        local(2026, 11, 26, 13, 30),
        local(2026, 11, 26, 16, 59),
        local(2026, 11, 23, 9, 0),  # Monday
        local(2026, 11, 28, 10, 0),  # Saturday morning
    ],
    ids=["thu-07:30", "thu-11:29", "thu-13:30", "thu-16:59", "mon-09:00", "sat-10:00"],
)
def test_open_hours(desk: QueueDesk, clock: FakeClock, when: object) -> None:
    clock.set(when)  # type: ignore[arg-type]
    assert desk.is_open(desk.site(), "KD") is True
    assert desk.issue("KD").ticket.number == "2001"


def test_hours_are_local_not_utc(desk: QueueDesk, clock: FakeClock) -> None:
    # 03:00 UTC is 10:00 in Vietnam (open); 10:00 UTC is 17:00 in Vietnam (closed)
    clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    assert desk.issue("KD").ticket.number == "2001"
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    with pytest.raises(Conflict) as info:
        desk.issue("KD")
    assert info.value.code == "closed_hours"


def test_hours_describe_in_vietnamese(desk: QueueDesk) -> None:
    kd = desk.site().services_by_code["KD"]
    assert kd.hours.describe() == KD_HOURS_VI
    assert desk.site().services_by_code["HT"].hours.describe() == "Mở cửa cả ngày"


def test_hours_describe_built_by_hand() -> None:
    week = (
        (MORNING, AFTERNOON),
        (MORNING, AFTERNOON),
        (),
        (MORNING,),
        (MORNING,),
        (),
        (),
    )
    text = Hours(week=week).describe()
    assert text == (
        "Thứ Hai – Thứ Ba: Sáng 7:30–11:30, Chiều 13:30–17:00; Thứ Năm – Thứ Sáu: Sáng 7:30–11:30"
    )
    assert Hours(week=((),) * 7).describe() == "Không mở cửa"
    sunday = Hours(week=((),) * 6 + ((Session(time(18, 0), time(21, 0)),),))
    assert sunday.describe() == "Chủ nhật: Tối 18:00–21:00"


def test_closed_dates() -> None:
    holiday = date(2026, 9, 2)
    hours = Hours(week=((MORNING,),) * 7, closed_dates=frozenset({holiday}))
    assert not hours.is_open(local(2026, 9, 2, 9, 0))
    assert hours.is_open(local(2026, 9, 3, 9, 0))


# -- daily cap -------------------------------------------------------------------------------


def test_daily_cap(desk: QueueDesk, clock: FakeClock) -> None:
    got = [desk.issue("KD").ticket.number for _ in range(3)]
    assert got == ["2001", "2002", "2003"]
    before = state(desk, "KD")
    assert before[0] == {date(2026, 11, 26): 3} and before[1] == 3
    for _ in range(2):
        with pytest.raises(Conflict) as info:
            desk.issue("KD")
        assert info.value.code == "daily_cap_reached"
        assert "3" in info.value.message
        assert "Đăng ký kinh doanh" in info.value.message
    assert state(desk, "KD") == before  # nothing written, the counter did not move
    # other services are not capped
    assert desk.issue("DD").ticket.number == "1001"
    # a cancelled ticket does not give its number back
    first = desk.waiting_for(None, 4)[0].ticket
    desk.cancel(first.id)
    with pytest.raises(Conflict):
        desk.issue("KD")
    # the next working day starts again at 2001
    clock.set(local(2026, 11, 27, 7, 30))
    assert [desk.issue("KD").ticket.number for _ in range(3)] == ["2001", "2002", "2003"]
    with pytest.raises(Conflict) as info:
        desk.issue("KD")
    assert info.value.code == "daily_cap_reached"
    days, rows, _ = state(desk, "KD")
    assert days == {date(2026, 11, 26): 3, date(2026, 11, 27): 3}
    assert rows == 6


# -- formats that run out ---------------------------------------------------------------------


def test_numbers_exhausted(desk: QueueDesk, clock: FakeClock) -> None:
    assert [desk.issue("XS").ticket.number for _ in range(3)] == ["X1", "X2", "X3"]
    before = state(desk, "XS")
    for _ in range(3):
        with pytest.raises(Conflict) as info:
            desk.issue("XS")
        assert info.value.code == "numbers_exhausted"
        assert info.value.kind is ErrorKind.CONFLICT
    assert state(desk, "XS") == before
    assert before[0] == {date(2026, 11, 26): 3}
    with desk.db.read() as conn:
        numbers = sorted(
            conn.execute(select(tickets.c.number).where(tickets.c.service == "XS")).scalars()
        )
    assert numbers == ["X1", "X2", "X3"]  # never wrapped to X0 or X1 again
    clock.set(local(2026, 11, 27, 0, 0))
    assert desk.issue("XS").ticket.number == "X1"


@pytest.mark.parametrize(
    ("fmt", "first", "last"),
    [
        (NumberFormat(prefix="A", digits=3, start=1, end=999), "A001", "A999"),
        (NumberFormat(prefix="", digits=4, start=1001, end=1999), "1001", "1999"),
        (NumberFormat(prefix="B", digits=4, start=1, end=9999), "B0001", "B9999"),
    ],
)
def test_number_format_bounds(fmt: NumberFormat, first: str, last: str) -> None:
    assert fmt.number_for(1) == first
    assert fmt.number_for(fmt.capacity) == last
    assert fmt.all_numbers_range() == (first, last)
    with pytest.raises(Conflict) as info:
        fmt.number_for(fmt.capacity + 1)
    assert info.value.code == "numbers_exhausted"
    with pytest.raises(ValueError):
        fmt.number_for(0)


def test_numeric_block_runs_to_its_end() -> None:
    fmt = NumberFormat(prefix="", digits=4, start=1001, end=1999)
    assert fmt.capacity == 999
    assert fmt.number_for(2) == "1002"
    assert fmt.number_for(999) == "1999"
