"""The /display wire contract, declared once in queue_server.contract.events.

The generated /contract.js says what the Python declarations say; no page restates an event
name; every payload the Broadcaster emits validates against its model and is the JSON the
dict-built payloads were (same keys, same order, same values). The app-driven tests run on
SQLite and PostgreSQL (the `app` fixture sits on `database_url`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from queue_server.contract.events import (
    LEAVING,
    NAMESPACE,
    NUMBERED,
    SPECS,
    Event,
    SyncRequest,
    payload_model,
)
from queue_server.contract.messages import LANGS, page_labels
from queue_server.contract.models import Snapshot
from queue_server.domain.model import CounterState
from queue_server.events import DeskEvent
from queue_server.web.realtime import DISPLAY_NAMESPACE, DisplayNamespace
from queue_server.web.serialize import counter_ref, counter_state, ticket_out
from tests.conftest import ROOT, auth, local, require_service

API = "/api/v1"
PAGE_JS = sorted(
    [*(ROOT / "displays/static/js").glob("*.js"), *(ROOT / "counters/static").glob("*.js")]
)


# -- the generated module ----------------------------------------------------------------


def test_module_is_served_like_static_files(client):
    resp = client.get("/contract.js")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Cache-Control"] == "no-cache"
    etag = resp.headers["ETag"]
    again = client.get("/contract.js", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_module_says_what_the_declarations_say(client, tmp_path: Path):
    node = shutil.which("node")
    if node is None:
        require_service("Node.js", "node not found (it installs the front-end libraries)")
    module = tmp_path / "contract.mjs"
    module.write_bytes(client.get("/contract.js").data)
    script = f"import({json.dumps(module.as_uri())}).then((m) => console.log(JSON.stringify(m)));"
    out = subprocess.run(
        [str(node), "--input-type=module", "-e", script],
        capture_output=True, text=True, encoding="utf-8", check=True, timeout=30,
    )  # fmt: skip
    got = json.loads(out.stdout)
    assert got["NAMESPACE"] == NAMESPACE == DISPLAY_NAMESPACE
    assert got["EVENTS"] == {e.name: e.value for e in Event}
    assert got["NUMBERED"] == [e.value for e in NUMBERED]
    assert set(got["LEAVING"]) == {e.value for e in LEAVING}
    assert got["LABELS"] == {lang: page_labels(lang) for lang in LANGS}


def test_sync_handler_is_named_after_the_event():
    # Flask-SocketIO dispatches an event to the namespace's on_<name> method.
    assert callable(getattr(DisplayNamespace, f"on_{Event.SYNC}"))


# -- the pages ----------------------------------------------------------------------------

_BARE = "|".join(re.escape(e.value) for e in Event if "." not in e.value)
NAME_LITERAL = re.compile(rf"""["'`](?:ticket\.[a-z_]*|counter\.state|{_BARE})["'`]""")


@pytest.mark.parametrize("path", PAGE_JS, ids=lambda p: p.name)
def test_pages_take_event_names_from_the_module(path: Path):
    text = path.read_text("utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    assert not NAME_LITERAL.findall(code), f"{path.name} restates event names"
    if "EVENTS." in text or "NUMBERED" in text:
        assert re.search(r'^import \{[^}]*\} from "/contract\.js";$', text, re.M), path.name


def test_sync_request_shapes_of_the_pages_and_agent():
    assert SyncRequest.model_validate({}).model_dump(mode="json", by_alias=True) == {}
    assert SyncRequest.model_validate({"site": "test"}).site == "test"


# -- what the Broadcaster emits -----------------------------------------------------------


def legacy_body(ext: Any, event: DeskEvent, emitted: dict[str, Any]) -> dict[str, Any]:
    """The payload as Broadcaster.payload built it by hand before the contract models."""
    site = ext.desk.site(event.site)
    base = ext.broadcaster.base_url
    body: dict[str, Any] = {}
    if event.ticket is not None:
        full = ticket_out(event.ticket, site, base).model_dump(mode="json")
        # Open to anyone: the same ticket JSON without the id behind its status page.
        body["ticket"] = {k: v for k, v in full.items() if k not in ("id", "status_url")}
    if event.name == "ticket.called":
        assert event.counter is not None
        body["counter"] = counter_ref(event.counter).model_dump(mode="json")
        body["announcement"] = emitted["announcement"]  # the voice's own; checked by its tests
        body["recall"] = event.recall
        # The call's announcement slot (issue 11): checked by test_announcements.
        body["announce_at"], body["announce_ms"] = emitted["announce_at"], emitted["announce_ms"]
    elif event.name == "counter.state":
        assert event.counter is not None and event.counter_state is not None
        body["counter"] = counter_state(
            event.counter, event.counter_state, event.opened_today
        ).model_dump(mode="json")
    elif event.counter is not None:
        body["counter"] = counter_ref(event.counter).model_dump(mode="json")
    if event.previous_service is not None:
        body["from"] = event.previous_service
    if event.ticket is not None:
        body["waiting"] = emitted["waiting"]
    body.update(epoch=emitted["epoch"], seq=emitted["seq"])
    return body


class Hall:
    """One app, a display on /display, and what the desk published."""

    def __init__(self, app: Any, token: Callable[..., str]) -> None:
        self.ext = app.extensions["motcua"]
        self.client = app.test_client()
        self.kiosk = auth(token("kiosk"))
        self.clerk = auth(token("clerk", counter=1))
        self.admin = auth(token("admin"))
        self.published: list[DeskEvent] = []
        self.ext.desk.bus.subscribe(self.published.append)  # after the Broadcaster
        self.display = self.ext.socketio.test_client(app, namespace=NAMESPACE)
        assert self.display.is_connected(NAMESPACE)

    def post(self, path: str, headers: dict[str, str], **body: Any) -> Any:
        resp = self.client.post(f"{API}{path}", json=body, headers=headers)
        assert resp.status_code in (200, 201), resp.get_data(as_text=True)
        return resp.get_json()

    def issue(self, service: str) -> dict[str, Any]:
        return self.post("/tickets", self.kiosk, service=service)["ticket"]  # type: ignore[no-any-return]

    def at_counter(self, action: str, **body: Any) -> Any:
        return self.post(f"/counters/1/{action}", self.clerk, **body)

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        return [(e["name"], e["args"][0]) for e in self.display.get_received(NAMESPACE)]


def test_every_emitted_payload_is_its_model_and_the_old_json(app, token):
    hall = Hall(app, token)
    (name, snap), *rest = hall.received()
    assert (name, rest) == (Event.SNAPSHOT, [])
    assert Snapshot.model_validate(snap).model_dump(mode="json") == snap

    for service in ("HT", "CT", "HT", "HT"):
        hall.issue(service)
    hall.at_counter("call-next")
    hall.at_counter("recall")
    hall.at_counter("start")
    hall.at_counter("complete")
    hall.at_counter("call-next")
    hall.at_counter("call-next")  # completes the one before at no counter, calls the next
    gone = hall.at_counter("no-show")["ticket"]
    hall.post(f"/tickets/{gone['id']}/return", hall.admin)
    current = hall.at_counter("call-next")["ticket"]
    hall.at_counter("transfer", service="CT" if current["service"] == "HT" else "HT")
    waiting = hall.issue("HT")
    hall.post(f"/tickets/{waiting['id']}/cancel", hall.admin)
    hall.at_counter("pause")
    hall.at_counter("resume")

    got = hall.received()
    assert [name for name, _ in got] == [str(e.name) for e in hall.published]
    assert {name for name, _ in got} == {e.value for e in NUMBERED}
    completed = [body for name, body in got if name == Event.COMPLETED]
    assert {"counter" in body for body in completed} == {True, False}
    for (name, body), event in zip(got, hall.published, strict=True):
        model = payload_model(name)
        assert model.model_validate(body).model_dump(mode="json", by_alias=True) == body, name
        old = legacy_body(hall.ext, event, body)
        assert json.dumps(body, ensure_ascii=False) == json.dumps(old, ensure_ascii=False), name

    answer = hall.display.emit(str(Event.SYNC), {}, namespace=NAMESPACE, callback=True)
    assert Snapshot.model_validate(answer).model_dump(mode="json") == answer


class _Stop(Exception):
    pass


def test_heartbeat_is_its_model(app, monkeypatch):
    ext = app.extensions["motcua"]
    display = ext.socketio.test_client(app, namespace=NAMESPACE)
    display.get_received(NAMESPACE)
    beats = iter([None])

    def sleep(_seconds: float) -> None:
        if next(beats, _Stop) is _Stop:
            raise _Stop  # one beat, then the loop ends

    monkeypatch.setattr(ext.socketio, "sleep", sleep)
    monkeypatch.setattr(ext.socketio, "start_background_task", lambda target: target())
    with pytest.raises(_Stop):
        ext.broadcaster.start_heartbeat(0)
    [(name, body)] = [(e["name"], e["args"][0]) for e in display.get_received(NAMESPACE)]
    assert name == Event.HEARTBEAT
    assert payload_model(name).model_validate(body).model_dump(mode="json") == body
    assert list(body) == ["epoch", "seq", "server_time"]


def test_the_first_heartbeat_after_midnight_closes_yesterdays_counters(app, clock, monkeypatch):
    """A lobby left on overnight learns that yesterday's open counter is not open today."""
    ext = app.extensions["motcua"]
    ext.desk.set_counter_state(1, CounterState.OPEN)
    display = ext.socketio.test_client(app, namespace=NAMESPACE)
    display.get_received(NAMESPACE)
    clock.set(local(2026, 11, 27, 0, 0, 20))
    beats = iter([None, None])

    def sleep(_seconds: float) -> None:
        if next(beats, _Stop) is _Stop:
            raise _Stop  # two beats, then the loop ends

    monkeypatch.setattr(ext.socketio, "sleep", sleep)
    monkeypatch.setattr(ext.socketio, "start_background_task", lambda target: target())
    with pytest.raises(_Stop):
        ext.broadcaster.start_heartbeat(0)
    got = [(e["name"], e["args"][0]) for e in display.get_received(NAMESPACE)]
    assert [name for name, _ in got] == [Event.COUNTER_STATE, Event.HEARTBEAT, Event.HEARTBEAT]
    counter = got[0][1]["counter"]
    assert (counter["number"], counter["state"], counter["opened_today"]) == (1, "closed", False)
    assert counter["state_text"] == "Chưa mở"


def test_every_event_has_a_spec():
    assert set(SPECS) == set(Event)
    assert set(NUMBERED) >= LEAVING
