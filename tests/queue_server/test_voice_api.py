"""Voice through the app: the `ticket.called` announcement, its audio, the site's voice
settings, the kiosk guidance route and the server-side player.

Tests on the `app`/`client` fixtures run on SQLite and PostgreSQL. Tests that compare
centres with different settings build their own apps, each on its own SQLite file, so
their numbering starts afresh. espeak-ng is needed (mandatory under CI=true).
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from audio import wav
from audio.announcer import GUIDANCE
from audio.engines import EspeakEngine
from queue_server.app import create_app
from queue_server.config import ConfigError
from queue_server.domain.clock import FakeClock
from queue_server.storage.database import Database
from queue_server.voice import ServerPlayer, Voice
from tests.conftest import auth, centre_text, make_config, require_service

API = "/api/v1"
DISPLAY = "/display"
DEFAULT_A0001 = "Xin mời công dân có số thứ tự a một đến quầy số một"
CHIME_GAP = 0.25  # Announcer's default pause after the chime
SAY_GAP = 0.6  # Announcer's default pause between two sayings


@pytest.fixture(autouse=True)
def espeak() -> None:
    """The always-available engine must be there; the clip pack is built with it."""
    if not EspeakEngine("vi").available():
        require_service("espeak-ng", "binary not found (apt-get install espeak-ng)")


def centre(dd_start: int = 1001, **site: Any) -> str:
    """The test centre with extra [[sites]] keys and the land block (DD) starting elsewhere."""
    lines = "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in site.items())
    text = centre_text().replace('hours = "always"\n', f'hours = "always"\n{lines}', 1)
    return text.replace("start = 1001\n", f"start = {dd_start}\n", 1)


def wait_for_pack() -> None:
    """Let the start-up clip pack build (a thread per app) finish before calls are timed."""
    for t in threading.enumerate():
        if t.name == "voice-pack":
            t.join(60)


class Hall:
    """One app with a display listening on /display, a kiosk and an admin."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.ext = app.extensions["motcua"]
        self.client = app.test_client()
        from queue_server.auth import create_token

        def tok(role: str) -> dict[str, str]:
            t = create_token(self.ext.db, self.ext.desk.clock, role=role, site="test", name="t")
            return auth(t)

        self.kiosk, self.admin = tok("kiosk"), tok("admin")
        self.display = self.ext.socketio.test_client(app, namespace=DISPLAY)
        assert self.display.is_connected(DISPLAY)
        self.display.get_received(DISPLAY)  # the snapshot

    def issue(self, service: str = "HT") -> dict[str, Any]:
        r = self.client.post(f"{API}/tickets", json={"service": service}, headers=self.kiosk)
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()["ticket"]  # type: ignore[no-any-return]

    def act(self, counter: int, action: str, payload: dict[str, Any] | None = None) -> Any:
        r = self.client.post(
            f"{API}/counters/{counter}/{action}", json=payload or {}, headers=self.admin
        )
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()["ticket"]

    def called(self) -> list[dict[str, Any]]:
        """The ticket.called events the display received since the last look."""
        got = self.display.get_received(DISPLAY)
        return [e["args"][0] for e in got if e["name"] == "ticket.called"]

    def call(self, counter: int, ticket: str | None = None) -> dict[str, Any]:
        """Call the next ticket (or a given number) at a counter: its ticket.called body."""
        if ticket is None:
            self.act(counter, "call-next")
        else:
            self.act(counter, "call", {"ticket": ticket})
        events = self.called()
        assert len(events) == 1, events
        return events[0]

    def audio(self, event: dict[str, Any]) -> bytes:
        """GET the event's audio_url: a 200 audio/wav."""
        url = event["announcement"]["audio_url"]
        assert url and url.startswith("/audio/calls/") and url.endswith(".wav"), url
        status, mimetype, data = fetch(self.client, url)
        assert (status, mimetype) == (200, "audio/wav"), url
        return data

    def engine(self, event: dict[str, Any]) -> str:
        """Which engine spoke the call (from the .json kept beside the file)."""
        name = event["announcement"]["audio_url"].rsplit("/", 1)[1]
        assert self.ext.voice.ready(name)  # the file is made just after the event
        meta = json.loads(self.ext.voice.path(name).with_suffix(".json").read_text("utf-8"))
        return str(meta["engine"])


def fetch(client: Any, url: str) -> tuple[int, str, bytes]:
    """GET a URL: status, mimetype and body, with the (file) response closed."""
    with client.get(url) as r:
        return r.status_code, r.mimetype, r.get_data()


def wav_seconds(data: bytes) -> float:
    """Duration of a WAV read with the standard library, checking the common format."""
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        assert w.getnframes() > 0
        return float(w.getnframes() / w.getframerate())


@pytest.fixture
def hall(app: Any) -> Iterator[Hall]:
    """The `app` fixture (the test centre, both databases) with a display connected."""
    wait_for_pack()
    h = Hall(app)
    yield h
    h.display.disconnect(DISPLAY)


@pytest.fixture
def make_hall(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Hall]]:
    """Halls for other centres, each with its own data dir and SQLite database."""
    made: list[tuple[Hall, Database]] = []

    def make(text: str | None = None, **server: Any) -> Hall:
        folder = tmp_path / f"hall{len(made)}"
        folder.mkdir()
        db = Database(f"sqlite:///{folder / 'motcua.db'}")
        db.migrate()
        app = create_app(make_config(folder, text, **server), clock=clock, db=db)
        wait_for_pack()
        h = Hall(app)
        made.append((h, db))
        return h

    yield make
    for h, db in made:
        h.display.disconnect(DISPLAY)
        db.dispose()


# -- the announcement on ticket.called -------------------------------------------------------


def test_call_carries_the_sentence_and_a_wav(hall: Hall) -> None:
    hall.issue()
    event = hall.call(1)
    assert event["ticket"]["number"] == "A0001"
    ann = event["announcement"]
    assert ann["text"] == DEFAULT_A0001
    assert ann["text_en"] and "1" in ann["text_en"]
    data = hall.audio(event)
    seconds = wav_seconds(data)
    assert seconds == pytest.approx(wav.duration(data))
    # Chime, then said twice: well over two seconds, and not a runaway file either.
    assert 3 < seconds < 20, seconds
    assert hall.engine(event) == "clips"  # the pack the server built at start-up


def test_recall_is_announced_again_with_the_same_audio(hall: Hall) -> None:
    hall.issue()
    first = hall.call(1)
    hall.act(1, "recall")
    (again,) = hall.called()
    assert again["recall"] is True
    assert again["announcement"] == first["announcement"]
    hall.audio(again)


def test_a_long_number_takes_longer_than_a_short_one(make_hall: Callable[..., Hall]) -> None:
    h = make_hall(centre(dd_start=1999))
    h.issue()
    short = h.call(1)
    h.issue("DD")
    long = h.call(3)
    assert long["announcement"]["text"] == (
        "Xin mời công dân có số thứ tự một nghìn chín trăm chín mươi chín đến quầy số ba"
    )
    s, n = wav_seconds(h.audio(short)), wav_seconds(h.audio(long))
    assert n > s + 1.0, (s, n)
    assert h.engine(short) == h.engine(long) == "clips"


def test_no_voice_means_text_without_audio(make_hall: Callable[..., Hall]) -> None:
    h = make_hall(voice=False)
    assert h.ext.voice is None
    h.issue()
    event = h.call(1)
    assert event["announcement"]["text"] == DEFAULT_A0001
    assert event["announcement"]["audio_url"] is None
    assert fetch(h.client, "/audio/guide/fields.wav")[0] == 404


# -- the site's voice settings --------------------------------------------------------------


def test_template_changes_text_and_audio(make_hall: Callable[..., Hall]) -> None:
    default = make_hall()
    short = make_hall(centre(announce_template="Mời số {number} đến quầy {counter}"))
    for h in (default, short):
        h.issue()
    d, s = default.call(1), short.call(1)
    assert s["announcement"]["text"] == "Mời số a một đến quầy một"
    assert s["announcement"]["audio_url"] != d["announcement"]["audio_url"]
    assert wav_seconds(short.audio(s)) < wav_seconds(default.audio(d)) - 1.0
    assert short.engine(s) == "clips"  # the pack covers the template's own words


def test_reading_odd_le(make_hall: Callable[..., Hall]) -> None:
    linh = make_hall(centre(dd_start=1005))
    le = make_hall(centre(dd_start=1005, reading_odd="lẻ"))
    for h in (linh, le):
        h.issue("DD")
    a, b = linh.call(3), le.call(3)
    assert a["ticket"]["number"] == b["ticket"]["number"] == "1005"
    assert a["announcement"]["text"] == (
        "Xin mời công dân có số thứ tự một nghìn không trăm linh năm đến quầy số ba"
    )
    assert b["announcement"]["text"] == (
        "Xin mời công dân có số thứ tự một nghìn không trăm lẻ năm đến quầy số ba"
    )
    assert a["announcement"]["audio_url"] != b["announcement"]["audio_url"]
    wav_seconds(le.audio(b))
    assert le.engine(b) == "clips"  # "lẻ" is in that centre's pack


def test_announce_repeat(make_hall: Callable[..., Hall]) -> None:
    twice = make_hall()
    once = make_hall(centre(announce_repeat=1))
    thrice = make_hall(centre(announce_repeat=3))
    durations = []
    for h in (once, twice, thrice):
        h.issue()
        event = h.call(1)
        assert event["announcement"]["text"] == DEFAULT_A0001
        assert h.engine(event) == "clips"
        durations.append(wav_seconds(h.audio(event)))
    one, two, three = durations
    chime = len(wav.chime_frames()) / wav.FRAME_BYTES / wav.RATE
    speech = one - chime - CHIME_GAP
    assert speech > 1.5, durations
    # Each extra saying adds the sentence and the pause before it, to the sample.
    assert two - one == pytest.approx(speech + SAY_GAP, abs=0.002), durations
    assert three - two == pytest.approx(speech + SAY_GAP, abs=0.002), durations


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("announce_template", "Xin mời quầy số {counter}"),  # no {number}
        ("announce_template", "Xin mời số {number}"),  # no {counter}
        ("announce_template", "Mời số {number} quầy {counter} {name}"),
        ("announce_repeat", 0),
        ("reading_odd", "x"),
        ("voice", "fr"),
        ("kiosk_voice", "yes"),
    ],
)
def test_bad_voice_settings_name_the_key(tmp_path: Path, key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as err:
        make_config(tmp_path, centre(**{key: value}))
    assert err.value.key == f"sites[0].{key}"
    assert f"sites[0].{key}" in str(err.value)


def test_good_voice_settings_are_accepted(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        centre(
            announce_template="Mời số {number} đến {counter}",
            announce_repeat=3,
            reading_odd="lẻ",
            voice="vi-vn-x-south",
            voice_clips=str(tmp_path / "clips"),
            kiosk_voice=False,
        ),
    )
    site = config.default_site
    assert (site.announce_template, site.announce_repeat, site.reading_odd) == (
        "Mời số {number} đến {counter}",
        3,
        "lẻ",
    )
    assert (site.voice, site.voice_clips, site.kiosk_voice) == (
        "vi-vn-x-south",
        str(tmp_path / "clips"),
        False,
    )


# -- audio routes ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", sorted(GUIDANCE))
def test_guide_route_serves_each_step(hall: Hall, step: str) -> None:
    status, mimetype, data = fetch(hall.client, f"/audio/guide/{step}.wav?site=test")
    assert (status, mimetype) == (200, "audio/wav")
    assert wav_seconds(data) > 0.5


def test_guide_route_english_and_unknown(hall: Hall) -> None:
    vi = fetch(hall.client, "/audio/guide/fields.wav")
    en = fetch(hall.client, "/audio/guide/fields.wav?lang=en")
    assert vi[:2] == en[:2] == (200, "audio/wav")
    assert en[2] != vi[2]
    for bad in ("/audio/guide/nope.wav", "/audio/guide/message.wav", "/audio/guide/..%2Fx.wav"):
        assert fetch(hall.client, bad)[0] == 404, bad


def test_call_audio_route_refuses_other_names(hall: Hall) -> None:
    assert fetch(hall.client, f"/audio/calls/{'0' * 64}.wav")[0] == 404
    assert fetch(hall.client, "/audio/calls/abc.wav")[0] == 404
    assert fetch(hall.client, "/audio/calls/..%2F..%2Fmotcua.db")[0] == 404
    hall.issue()
    url = hall.call(1)["announcement"]["audio_url"]
    json_name = url.rsplit("/", 1)[1].replace(".wav", ".json")
    assert fetch(hall.client, f"/audio/calls/{json_name}")[0] == 404


# -- the clip pack made while calls are already coming in -------------------------------------


def test_calls_use_the_pack_once_it_is_built(tmp_path: Path) -> None:
    """A call made before the start-up build loads no clips; later calls must still get them."""
    config = make_config(tmp_path)
    site = config.default_site
    voice = Voice(config.sites, tmp_path)
    before = voice._announcers[site.code].announce(
        "Xin mời công dân có số thứ tự a một đến quầy số một"
    )
    assert before.engine == "espeak-ng"  # no pack yet
    report = voice.build()
    assert report.missing == []
    after = voice._announcers[site.code].announce(
        "Xin mời công dân có số thứ tự a hai đến quầy số một"
    )
    assert after.engine == "clips"


# -- the server-side player -------------------------------------------------------------------

FAKE_PLAYER = """
import sys, time
log, path = sys.argv[1], sys.argv[2]
with open(log, "a") as f:
    f.write(f"start {time.time():.6f} {path}\\n")
time.sleep(0.3)
with open(log, "a") as f:
    f.write(f"end {time.time():.6f} {path}\\n")
"""


def fake_player(tmp_path: Path) -> tuple[str, Path]:
    """A command that 'plays' a file for 0.3 s, logging start and end with timestamps."""
    script, log = tmp_path / "player.py", tmp_path / "played.log"
    script.write_text(FAKE_PLAYER, "utf-8")
    return f"{sys.executable} {script} {log}", log


def played(log: Path, count: int, timeout: float = 10) -> list[tuple[str, float, str]]:
    """Wait for `count` finished plays; (kind, time, file name) in log order."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log.read_text("utf-8").splitlines() if log.exists() else []
        if sum(1 for line in lines if line.startswith("end ")) >= count:
            break
        time.sleep(0.05)
    out = []
    for line in log.read_text("utf-8").splitlines():
        kind, at, path = line.split(" ", 2)
        out.append((kind, float(at), Path(path).name))
    return out


def assert_one_after_another(entries: list[tuple[str, float, str]], names: list[str]) -> None:
    """start, end, start, end... for `names` in order, each start after the previous end."""
    assert [k for k, _, _ in entries] == ["start", "end"] * len(names), entries
    assert [n for _, _, n in entries[::2]] == names
    assert [n for _, _, n in entries[1::2]] == names
    for (_, prev_end, _), (_, next_start, _) in zip(entries[1::2], entries[2::2], strict=False):
        assert next_start >= prev_end, entries


def test_server_player_plays_one_after_another(tmp_path: Path) -> None:
    command, log = fake_player(tmp_path)
    player = ServerPlayer(command)
    files = [tmp_path / "first.wav", tmp_path / "second.wav", tmp_path / "third.wav"]
    for f in files:
        player.play("test", f)  # all queued at once: none may overlap another
    entries = played(log, 3)
    assert_one_after_another(entries, [f.name for f in files])
    deadline = time.monotonic() + 5
    while len(player.played) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert player.played == [("test", f.name) for f in files]


def test_server_player_setting_plays_each_call(
    tmp_path: Path, make_hall: Callable[..., Hall]
) -> None:
    command, log = fake_player(tmp_path)
    h = make_hall(audio_player=command)
    assert h.ext.voice.player is not None
    h.issue()
    h.issue()
    first = h.call(1)
    second = h.call(2)  # made while the first is still playing: it waits its turn
    h.act(1, "recall")
    (recall,) = h.called()
    names = [e["announcement"]["audio_url"].rsplit("/", 1)[1] for e in (first, second, recall)]
    assert names[0] == names[2] != names[1]
    assert_one_after_another(played(log, 3), names)


def test_counter_spoken_name_is_read_as_configured(tmp_path):
    from datetime import UTC, datetime

    from audio.numbers import announcement_text
    from queue_server.config import parse_config
    from queue_server.domain.model import Ticket, TicketStatus
    from queue_server.voice import Voice
    from tests.conftest import centre_text

    text = centre_text().replace(
        "number = 3\nservices", 'number = 3\nspoken = "tiếp nhận đất đai"\nservices', 1
    )
    config = parse_config(text, "t.toml", overrides={"data_dir": str(tmp_path)}, environ={})
    site = config.default_site
    counter = site.counters_by_number[3]
    assert counter.said == "tiếp nhận đất đai"
    assert site.counters_by_number[1].said == 1
    now = datetime.now(UTC)
    ticket = Ticket(
        "t1", "test", "DD", "DD", "1005", 5, now.date(), False, TicketStatus.CALLED, now, now, 3
    )
    said, _ = Voice.texts_for(site, ticket, counter)
    assert said == announcement_text("1005", "tiếp nhận đất đai")
    assert said.endswith("đến quầy số tiếp nhận đất đai")
