"""Socket.IO: the /display namespace and the broadcaster that numbers every event.

Each event carries the site's epoch and a seq that grows by exactly 1; a
client that sees a gap or a new epoch emits `sync` and gets a SNAPSHOT back.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import request
from flask_socketio import Namespace, SocketIO, join_room

from ..contract.events import NAMESPACE, Event, Heartbeat, payload_model
from ..desk import QueueDesk
from ..events import DeskEvent, Sequencer
from ..voice import Spoken, Voice
from .serialize import announcement, counter_ref, counter_state, public_ticket, snapshot_out

log = logging.getLogger(__name__)

DISPLAY_NAMESPACE = NAMESPACE


def site_room(site: str) -> str:
    """The room every display of a site joins."""
    return f"site:{site}"


class Broadcaster:
    """Turns committed desk events into numbered Socket.IO events for displays."""

    def __init__(
        self,
        socketio: SocketIO,
        desk: QueueDesk,
        sequencer: Sequencer,
        base_url: str = "",
        voice: Voice | None = None,
    ) -> None:
        self.voice = voice
        self.socketio = socketio
        self.desk = desk
        self.sequencer = sequencer
        self.base_url = base_url
        self._lock = threading.Lock()
        self._drop_next = 0
        desk.bus.subscribe(self.on_event)

    def parts(self, event: DeskEvent) -> dict[str, Any]:
        """The payload model's fields but waiting, epoch and seq: built before the lock."""
        site = self.desk.site(event.site)
        parts: dict[str, Any] = {}
        if event.ticket is not None:  # open to anyone: no id, no status link
            parts["ticket"] = public_ticket(event.ticket, site)
        if event.name == Event.COUNTER_STATE:
            assert event.counter is not None and event.counter_state is not None
            parts["counter"] = counter_state(event.counter, event.counter_state, event.opened_today)
        elif event.counter is not None:
            parts["counter"] = counter_ref(event.counter)
        if event.name == Event.CALLED:
            parts["announcement"] = announcement(self.speak(event), self.base_url)
            parts["recall"] = event.recall
        if event.previous_service is not None:
            parts["from_"] = event.previous_service
        return parts

    def speak(self, event: DeskEvent) -> Spoken:
        """The call's sentence, with audio when voice is on."""
        assert event.ticket is not None and event.counter is not None
        site = self.desk.site(event.site)
        if self.voice is None:
            text, text_en = Voice.texts_for(site, event.ticket, event.counter)
            return Spoken(text, text_en, None)
        return self.voice.announce(site, event.ticket, event.counter)

    def on_event(self, event: DeskEvent) -> None:
        """Number an event and emit it to the site's displays, in seq order."""
        model = payload_model(event.name)
        parts = self.parts(event)
        with self._lock:
            if event.ticket is not None:
                # Read under the lock, so each event's counts are at least as new as the
                # previous event's, whatever order concurrent commits were published in.
                parts["waiting"] = self.desk.waiting_counts(event.site)
            epoch, seq = self.sequencer.next(event.site)
            # Built once per event, however many displays the room holds.
            body = model(**parts, epoch=epoch, seq=seq).model_dump(mode="json", by_alias=True)
            if self._drop_next > 0:  # test hook: lose an event on purpose
                self._drop_next -= 1
                log.warning("dropping %s seq %s on purpose (test hook)", event.name, seq)
                return
            self.socketio.emit(
                str(event.name), body, namespace=DISPLAY_NAMESPACE, to=site_room(event.site)
            )

    def start_heartbeat(self, interval: float = 30.0) -> None:
        """Every `interval` seconds tell each site's displays the current (epoch, seq), after
        closing (once a day) the counters left open since yesterday."""

        def beat() -> None:
            while True:
                self.socketio.sleep(interval)
                try:  # after midnight, yesterday's open counters show as not opened
                    self.desk.close_stale_counters()
                except Exception:  # the database away for a moment: try again next beat
                    log.exception("closing yesterday's counters failed")
                for site in self.desk.config.sites:
                    try:
                        epoch, seq = self.sequencer.current(site.code)
                        self.socketio.emit(
                            str(Event.HEARTBEAT), Heartbeat(epoch=epoch, seq=seq).model_dump(),
                            namespace=DISPLAY_NAMESPACE, to=site_room(site.code),
                        )  # fmt: skip
                    except Exception:  # Redis away for a moment: try again next beat
                        log.exception("heartbeat failed")

        self.socketio.start_background_task(beat)

    def drop_next(self, count: int = 1) -> None:
        """Test hook: skip emitting the next events (their seq is still consumed)."""
        with self._lock:
            self._drop_next += count

    def disconnect_all(self) -> int:
        """Test hook: close every /display connection from the server side."""
        server = self.socketio.server
        sids = (
            [sid for sid, _ in server.manager.get_participants(DISPLAY_NAMESPACE, None)]
            if DISPLAY_NAMESPACE in server.manager.rooms
            else []
        )
        for sid in sids:
            server.disconnect(sid, namespace=DISPLAY_NAMESPACE)
        return len(sids)

    def snapshot(self, site: str | None) -> dict[str, Any]:
        """SNAPSHOT with the seq read before the state, so no change can fall between."""
        code = self.desk.site(site).code
        epoch, seq = self.sequencer.current(code)
        snap = snapshot_out(self.desk.snapshot(code), epoch, seq)
        return snap.model_dump(mode="json")


class DisplayNamespace(Namespace):  # type: ignore[misc]
    """Open to anyone: what the lobby TV shows (no ticket ids, token ids or staff names).
    Snapshot on connect, `sync` on demand."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        super().__init__(DISPLAY_NAMESPACE)
        self.broadcaster = broadcaster

    def _site(self, auth: Any) -> str:
        site = auth.get("site") if isinstance(auth, dict) else None
        return site or request.args.get("site") or self.broadcaster.desk.site().code

    def on_connect(self, auth: Any = None) -> bool:
        """Join the site's room first, then send the snapshot, so no event is missed."""
        try:
            site = self.broadcaster.desk.site(self._site(auth)).code
        except Exception:
            return False
        join_room(site_room(site))
        # Flask-SocketIO's Namespace.emit takes room=, not to= (to= raised TypeError).
        self.emit(str(Event.SNAPSHOT), self.broadcaster.snapshot(site), room=request.sid)  # type: ignore[attr-defined]
        return True

    def on_sync(self, data: Any = None) -> dict[str, Any]:
        """Answer a resync request (Event.SYNC: on_ + its name) with a fresh SNAPSHOT."""
        site = data.get("site") if isinstance(data, dict) else None
        try:
            return self.broadcaster.snapshot(site or self._site(None))
        except Exception as err:  # an unknown site must not kill the connection
            return {"error": {"code": "unknown_site", "message": str(err)}}
