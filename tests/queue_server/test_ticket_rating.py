"""The rating from a ticket's status page (issue 11, item 16): POST /tickets/<id>/rating,
authorised by the ticket's secret id, once per ticket, only after it was served."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import create_app
from queue_server.domain.clock import FakeClock
from queue_server.domain.model import CounterState
from tests.conftest import auth, centre_text, local, make_config

API = "/api/v1"
RATING_ON = centre_text().replace(
    'hours = "always"\n', 'hours = "always"\nstatus_rating = true\n', 1
)


def make(tmp_path: Path, text: str, database_url: str | None = None) -> tuple[Any, Any, FakeClock]:
    clock = FakeClock(local(2026, 11, 26, 9, 0))
    config = make_config(tmp_path, text, database_url=database_url)
    app = create_app(config, clock=clock, voice=None, heartbeat=False)
    return app, app.extensions["motcua"].desk, clock


@pytest.fixture
def centre(tmp_path: Path, database_url: str) -> Iterator[tuple[Any, Any, FakeClock]]:
    """The test centre with status_rating on, on SQLite and on PostgreSQL."""
    app, desk, clock = make(tmp_path, RATING_ON, database_url)
    yield app.test_client(), desk, clock
    desk.db.dispose()


def served(desk: Any) -> str:
    """A ticket of service HT called at counter 1 and completed; its id."""
    tid: str = desk.issue("HT", site_code="test").ticket.id
    desk.set_counter_state(1, CounterState.OPEN, site_code="test")
    desk.call_ticket(1, tid, site_code="test")
    desk.complete(1, site_code="test")
    return tid


def rate(client: Any, tid: str, score: Any) -> Any:
    return client.post(f"{API}/tickets/{tid}/rating", json={"score": score})


def offer(client: Any, tid: str) -> dict[str, Any]:
    body = client.get(f"{API}/tickets/{tid}").get_json()
    return body["rating"]  # type: ignore[no-any-return]


def rated_events(client: Any, tid: str) -> list[dict[str, Any]]:
    events = client.get(f"{API}/tickets/{tid}/events").get_json()["events"]
    return [e for e in events if e["kind"] == "rated"]


def test_a_served_ticket_is_rated_once_by_its_id(centre: Any) -> None:
    client, desk, _ = centre
    tid = served(desk)
    assert offer(client, tid) == {"offered": True, "score": None, "scale": None}
    resp = rate(client, tid, 3)  # no token: the id is the authority
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["rating"] == {"score": 3, "scale": 3} and body["ticket"]["id"] == tid
    assert offer(client, tid) == {"offered": False, "score": 3, "scale": 3}
    # The same tap again (a retry): the same answer, no second entry in the log.
    again = rate(client, tid, 3)
    assert again.status_code == 200 and again.get_json()["rating"] == {"score": 3, "scale": 3}
    # Another score: refused, the first one stands.
    other = rate(client, tid, 1)
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "already_rated"
    assert "đã được đánh giá" in other.get_json()["error"]["message"]
    (event,) = rated_events(client, tid)
    assert event["detail"] == "3/3" and event["counter"] == 1
    assert event["actor"] == "Quầy số 01"  # the log names the counter, never a person


def test_only_after_the_visit(centre: Any) -> None:
    client, desk, _ = centre
    tid = desk.issue("HT", site_code="test").ticket.id
    assert offer(client, tid)["offered"] is False
    resp = rate(client, tid, 2)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "rating_not_served"
    desk.set_counter_state(1, CounterState.OPEN, site_code="test")
    desk.call_ticket(1, tid, site_code="test")
    assert rate(client, tid, 2).get_json()["error"]["code"] == "rating_not_served"
    desk.no_show(1, site_code="test")
    assert rate(client, tid, 2).get_json()["error"]["code"] == "rating_not_served"
    assert rated_events(client, tid) == []


def test_not_after_a_day(centre: Any) -> None:
    client, desk, clock = centre
    tid = served(desk)
    clock.advance(hours=23)
    assert offer(client, tid)["offered"] is True
    clock.advance(hours=2)
    assert offer(client, tid)["offered"] is False
    resp = rate(client, tid, 3)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "rating_closed"


@pytest.mark.parametrize("score", [0, 4, 5, -1, "3", None, 2.5])
def test_a_bad_score_is_a_400(centre: Any, score: Any) -> None:
    client, desk, _ = centre
    tid = served(desk)
    resp = rate(client, tid, score)
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"]["message"]
    assert rated_events(client, tid) == []


def test_unknown_ticket_and_extra_fields(centre: Any) -> None:
    client, desk, _ = centre
    assert rate(client, "no-such-ticket-id", 3).status_code == 404
    tid = served(desk)
    resp = client.post(f"{API}/tickets/{tid}/rating", json={"score": 3, "counter": 2})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "unknown_field"


def test_one_rating_per_ticket_whatever_the_channel(centre: Any, tmp_path: Path) -> None:
    client, desk, _ = centre
    tid = served(desk)
    from queue_server.auth import create_token

    agent = create_token(desk.db, desk.clock, role="agent", site="test", name="pad")
    pad = client.post(f"{API}/counters/1/rating", json={"score": 2}, headers=auth(agent))
    assert pad.status_code == 200
    assert offer(client, tid) == {"offered": False, "score": 2, "scale": 3}
    assert rate(client, tid, 2).status_code == 200  # the same score: as recorded
    assert rate(client, tid, 3).get_json()["error"]["code"] == "already_rated"


def test_off_unless_the_site_turns_it_on(tmp_path: Path) -> None:
    app, desk, _ = make(tmp_path, centre_text())
    client = app.test_client()
    tid = served(desk)
    assert offer(client, tid)["offered"] is False
    resp = rate(client, tid, 3)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "rating_off"
    desk.db.dispose()


def test_two_taps_at_once_record_one_rating(centre: Any) -> None:
    """Two phones (or a double tap) at the same moment: one rating, the other refused."""
    import threading

    from queue_server.domain.errors import Conflict

    client, desk, _ = centre
    tid = served(desk)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def tap(score: int) -> None:
        start.wait()
        try:
            desk.rate_ticket(tid, score)
            outcomes.append("rated")
        except Conflict as err:
            outcomes.append(err.code)

    threads = [threading.Thread(target=tap, args=(s,)) for s in (3, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["already_rated", "rated"]
    assert len(rated_events(client, tid)) == 1
