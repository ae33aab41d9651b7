"""The Flask app factory: everything the app needs is passed in."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from flask import Flask
from flask_socketio import SocketIO

from counters import web as counters_web
from displays import web as displays_web
from hardware.protocol import Key

from .agents import AgentRegistry
from .announcements import LocalSchedule, RedisSchedule, Schedule
from .auth import TokenVerifier
from .config import Config
from .demo_devices import KEYS, DemoDevices
from .desk import QueueDesk
from .domain.clock import Clock, SystemClock
from .events import EventBus, LocalSequencer, RedisSequencer, Sequencer
from .idempotency import IdempotencyStore
from .printing import KioskPrinting, listening_url
from .ratelimit import RateLimiter
from .storage.database import Database
from .voice import Voice
from .web import (
    admin_pages,
    api,
    audit_api,
    contract_js,
    corrections_api,
    device,
    errors,
    login,
    pages,
    security,
    session_api,
    staff_pages,
    testhooks,
    tokens_api,
    users_api,
)
from .web.realtime import Broadcaster, DisplayNamespace

log = logging.getLogger(__name__)
LOGIN_PER_MINUTE = 30
"""Sign-in attempts one address may make in a minute (accounts lock after 20 wrong ones)."""
_ = (session_api, users_api, audit_api, corrections_api, tokens_api)  # declared on api.bp


class _Default(Enum):
    FROM_CONFIG = "from config"


FROM_CONFIG = _Default.FROM_CONFIG
"""An argument left out: create_app builds that device from the config."""


@dataclass
class Motcua:
    """What the app is made of, reachable as app.extensions["motcua"]."""

    config: Config
    db: Database
    desk: QueueDesk
    socketio: SocketIO
    broadcaster: Broadcaster
    printing: KioskPrinting
    limiter: RateLimiter
    voice: Voice | None
    verify: TokenVerifier
    idempotency: IdempotencyStore
    agents: AgentRegistry
    login_limiter: RateLimiter
    demo_devices: DemoDevices | None = None  # the demo's simulated keypads and LED boards
    demo_keys: tuple[tuple[Key, str, str], ...] = KEYS  # the keys /demo/devices offers


def create_app(
    config: Config,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    sequencer: Sequencer | None = None,
    schedule: Schedule | None = None,
    printing: KioskPrinting | None = None,
    voice: Voice | _Default | None = FROM_CONFIG,
    demo_devices: DemoDevices | None = None,
    migrate: bool = True,
    heartbeat: bool = True,
) -> Flask:
    """Build the app: database, desk, Socket.IO (async mode explicit), blueprints.

    Devices left out come from the config: the sites' kiosk printers, and the voice (None
    when it is off or no engine can speak; pass voice=None for none). `demo_devices` are
    the demo's simulated keypads and LED boards, which the caller starts once the server
    listens (`motcua run`); none by default.
    """
    server = config.server
    Path(server.data_dir).mkdir(parents=True, exist_ok=True)
    db = db or Database(server.resolved_database_url, sqlite_synchronous=server.sqlite_synchronous)
    if migrate:
        db.migrate()
    desk = QueueDesk(config, db, clock or SystemClock(), EventBus())
    desk.prepare()

    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = server.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    socketio = SocketIO(
        app,
        async_mode=server.async_mode,
        message_queue=server.redis_url,
        cors_allowed_origins=security.origin_check(server),  # [] would turn the check off
    )
    if sequencer is None or schedule is None:
        shared_sequencer, shared_schedule = _shared(server.redis_url)
        sequencer, schedule = sequencer or shared_sequencer, schedule or shared_schedule
    if voice is FROM_CONFIG:
        voice = _voice(config)
    broadcaster = Broadcaster(socketio, desk, sequencer, server.public_url or "", voice, schedule)
    if voice is not None:
        threading.Thread(target=voice.ensure_pack, name="voice-pack", daemon=True).start()
        threading.Thread(target=voice.synthesise_forever, name="voice", daemon=True).start()
        socketio.start_background_task(voice.prefetch_forever, socketio.sleep)
    socketio.on_namespace(DisplayNamespace(broadcaster))
    if heartbeat:
        broadcaster.start_heartbeat()

    if printing is None:
        printing = KioskPrinting(
            config.sites, Path(server.data_dir), desk.clock,
            link_base=listening_url(server.host, server.port),
        )  # fmt: skip
    threading.Thread(target=printing.warm_up, name="slip-warm-up", daemon=True).start()
    limiter = RateLimiter(per_minute=config.default_site.kiosk_rate_per_minute)

    app.extensions["motcua"] = Motcua(
        config, db, desk, socketio, broadcaster, printing, limiter, voice, TokenVerifier(db),
        IdempotencyStore(db, desk.clock.now), AgentRegistry(desk.clock.now),
        RateLimiter(per_minute=LOGIN_PER_MINUTE), demo_devices,
    )  # fmt: skip
    errors.register(app)
    security.register(app)
    staff_pages.register(app)
    device.register(app)
    app.register_blueprint(api.bp)
    if server.test_hooks:  # never in production
        app.register_blueprint(testhooks.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(admin_pages.bp)
    app.register_blueprint(login.bp)
    app.register_blueprint(displays_web.bp)
    app.register_blueprint(counters_web.bp)
    app.register_blueprint(contract_js.bp)
    return app


def _voice(config: Config) -> Voice | None:
    """The voice the config asks for, or None (off, or no speech engine on this machine)."""
    server = config.server
    if not server.voice:
        return None
    voice = Voice(config.sites, Path(server.data_dir), server.audio_player)
    if not voice.can_speak():
        log.warning("no speech engine (install espeak-ng): calls are shown, not heard")
        return None
    return voice


def _shared(redis_url: str | None) -> tuple[Sequencer, Schedule]:
    """The event sequence and the announcement schedule: in Redis when several processes
    share it, else in memory."""
    if not redis_url:
        return LocalSequencer(), LocalSchedule()
    import redis

    client = redis.Redis.from_url(redis_url)
    return RedisSequencer(client), RedisSchedule(client)
