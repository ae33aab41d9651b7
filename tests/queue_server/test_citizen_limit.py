"""Optional rule: one ticket per citizen per field per day, the number stored only as a hash."""

import threading
from pathlib import Path

import pytest

from queue_server.desk import QueueDesk
from queue_server.domain.errors import Conflict, Invalid
from queue_server.events import EventBus
from queue_server.storage.schema import tickets
from tests.conftest import centre_text, make_config


@pytest.fixture
def limited(tmp_path: Path, db, clock) -> QueueDesk:
    text = centre_text().replace(
        'hours = "always"', 'hours = "always"\none_ticket_per_citizen = true', 1
    )
    desk = QueueDesk(make_config(tmp_path, text), db, clock, EventBus())
    desk.prepare()
    return desk


def test_second_ticket_same_field_same_day_is_refused(limited: QueueDesk, clock) -> None:
    first = limited.issue("HT", citizen_id="0912 345 678")
    with pytest.raises(Conflict) as info:
        limited.issue("HT", citizen_id="+84 912-345-678")  # same phone, written otherwise
    assert info.value.code == "already_has_ticket"
    assert "Hộ tịch" in info.value.message
    # another field, another citizen, and the next day are fine
    assert limited.issue("CT", citizen_id="0912345678").ticket.number == "B001"
    assert limited.issue("HT", citizen_id="001099012345").ticket.number == "A0002"
    clock.advance(days=1)
    assert limited.issue("HT", citizen_id="0912345678").ticket.number == "A0001"
    assert first.ticket.number == "A0001"


def test_number_is_required_checked_and_never_stored_in_clear(limited: QueueDesk) -> None:
    with pytest.raises(Invalid) as info:
        limited.issue("HT")
    assert info.value.code == "citizen_id_required"
    for bad in ("123", "abcdefghij", "0912345678901234", "０９１２３４５６７８"):
        with pytest.raises(Invalid):
            limited.issue("HT", citizen_id=bad)
    limited.issue("HT", citizen_id="0987654321")
    with limited.db.read() as conn:
        stored = [
            r[0] for r in conn.execute(tickets.select().with_only_columns(tickets.c.citizen_hash))
        ]
    assert len(stored) == 1 and len(stored[0]) == 64 and "0987654321" not in stored[0]


def test_concurrent_kiosks_give_one_ticket(limited: QueueDesk) -> None:
    results: list[str] = []

    def take() -> None:
        try:
            limited.issue("HT", citizen_id="0911111111")
            results.append("ok")
        except Conflict as err:
            results.append(err.code)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_has_ticket"] * 5 + ["ok"]


def test_rule_off_by_default(desk: QueueDesk) -> None:
    desk.issue("HT", citizen_id="0912345678")
    desk.issue("HT", citizen_id="0912345678")
    desk.issue("HT")
