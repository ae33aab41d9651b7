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

from audio.announcer import estimate_seconds

from ..announcements import PAUSE_MS, LocalSchedule, Schedule, Slot
from ..contract import models as m
from ..contract.events import NAMESPACE, Event, Heartbeat, payload_model
from ..desk import QueueDesk
from ..domain.model import Site
from ..events import DeskEvent, Sequencer
from ..voice import Spoken, Voice
from .serialize import (
    announcement,
    counter_ref,
    counter_state,
    ms_time,
    public_ticket,
    snapshot_out,
)

log = logging.getLogger(__name__)

DISPLAY_NAMESPACE = NAMESPACE
AUDIO_WAIT = 3.0
"""How long a call waits for its audio file to be made, to learn its length (usually ms)."""


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
        schedule: Schedule | None = None,
    ) -> None:
        self.voice = voice
        self.schedule = schedule or LocalSchedule()
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
            parts["counter"] = counter_state(
                event.counter, event.counter_state, event.opened_today, event.clerk
            )
        elif event.counter is not None:
            parts["counter"] = counter_ref(event.counter)
        if event.name == Event.CALLED:
            spoken = self.speak(event)
            parts["announcement"] = announcement(spoken, self.base_url)
            parts["recall"] = event.recall
            parts["announce_ms"] = self.slot_ms(site, spoken)
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

    def slot_ms(self, site: Site, spoken: Spoken) -> int:
        """How long a call's announcement slot lasts: the setting, else its audio's length
        (waiting briefly for the file), else an estimate of the sentence; plus a pause."""
        if site.announce_slot_seconds is not None:
            return round(site.announce_slot_seconds * 1000)
        seconds = None
        if self.voice is not None and spoken.audio_name:
            seconds = self.voice.seconds(spoken.audio_name, AUDIO_WAIT)
        if seconds is None:
            seconds = estimate_seconds(spoken.text, site.announce_repeat)
        return round(seconds * 1000) + PAUSE_MS

    def book(self, site: Site, parts: dict[str, Any], seq: int) -> None:
        """Give a call its slot in the site's announcement queue (under the lock, in seq
        order within this process; across processes the shared schedule orders them)."""
        entry = {
            "ticket": parts["ticket"].model_dump(mode="json"),
            "counter": parts["counter"].model_dump(mode="json"),
            "announcement": parts["announcement"].model_dump(mode="json"),
            "recall": parts["recall"],
            "seq": seq,
        }
        slot = self.schedule.book(site.code, parts["announce_ms"], entry)
        parts["announce_at"] = ms_time(slot.start_ms, site)

    def announcing(self, site: Site) -> list[m.AnnouncingCall]:
        """The calls being read or waiting to be read, as the schedule holds them."""
        return [_announcing(slot, site) for slot in self.schedule.pending(site.code)]

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
            if event.name == Event.CALLED:
                self.book(self.desk.site(event.site), parts, seq)
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
                        now = ms_time(self.schedule.now_ms(), site)
                        beat = Heartbeat(epoch=epoch, seq=seq, server_time=now)
                        self.socketio.emit(
                            str(Event.HEARTBEAT), beat.model_dump(),
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
        where = self.desk.site(site)
        epoch, seq = self.sequencer.current(where.code)
        state = self.desk.snapshot(where.code)
        # After the state: a call booked meanwhile is in `announcing` with a seq beyond the
        # snapshot's, and its event (which follows) is recognised by that seq.
        now = ms_time(self.schedule.now_ms(), where)
        snap = snapshot_out(state, epoch, seq, now, self.announcing(where))
        return snap.model_dump(mode="json")


def _announcing(slot: Slot, site: Site) -> m.AnnouncingCall:
    """A booked slot as the snapshot lists it."""
    return m.AnnouncingCall.model_validate(
        {**slot.entry, "announce_at": ms_time(slot.start_ms, site), "announce_ms": slot.length_ms}
    )


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
