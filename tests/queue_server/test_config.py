"""Centre configuration: the demo centre, the example file, and errors naming file, key, problem."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import get_args

import pytest

from hardware.tomlschema import unwrap
from queue_server.config import (
    ConfigError,
    load_config,
    normalise_database_url,
    parse_config,
)
from queue_server.config_schema import PICTOGRAMS, CounterTable
from queue_server.domain.model import CallingPolicy
from tests.conftest import centre_text, local

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "centre.toml"
REAL_FIELD_NAMES = [
    "Hộ tịch",
    "Chứng thực",
    "Đất đai",
    "Đăng ký kinh doanh",
    "Xây dựng",
    "Lao động – Thương binh và Xã hội",
    "Giao thông vận tải",
    "Trả kết quả",
]


# -- the built-in demo centre ----------------------------------------------------------


def test_demo_centre_is_valid_and_realistic():
    config = load_config(None, environ={})
    assert config.demo is True
    site = config.default_site
    assert site.timezone == "Asia/Ho_Chi_Minh"
    names = [s.name for s in site.services]
    assert len(site.services) >= 8
    for name in REAL_FIELD_NAMES:
        assert name in names, name
    assert len(site.counters) >= 10
    assert sum(1 for c in site.counters if len(c.services) > 1) >= 3
    served = {code for c in site.counters for code in c.services}
    assert served == {s.code for s in site.services}  # every field has a counter
    assert len({s.code for s in site.services}) == len(site.services)
    assert len({c.number for c in site.counters}) == len(site.counters)


def test_demo_centre_says_where_to_wait_and_who_is_priority():
    site = load_config(None, environ={}).default_site
    assert site.kiosk_priority_step is True
    assert site.waiting_area_for("HT") == site.waiting_area == "Sảnh chờ A, tầng 1"
    assert site.waiting_area_for("DD") == "Khu chờ B, tầng 1 (cánh trái)"
    assert site.serving_counters("LD") == (8, 12)
    assert site.serving_counters("DD") == (4, 5, 7, 12)
    assert "Người cao tuổi" in site.priority_groups_in("vi")
    assert "Elderly people" in site.priority_groups_in("en")


def test_priority_groups_and_waiting_areas_are_the_centres_own(tmp_path):
    text = (
        centre_text()
        .replace(
            'hours = "always"',
            'hours = "always"\npriority_groups = "Người trên 75 tuổi"\nwaiting_area = " Sảnh 1 "',
            1,
        )
        .replace('name = "Đất đai"', 'name = "Đất đai"\nwaiting_area = "Khu B"', 1)
    )
    site = parse_config(text, "t.toml", environ={}).default_site
    assert site.priority_groups_in("vi") == "Người trên 75 tuổi"
    assert site.priority_groups_in("en") == "Người trên 75 tuổi"  # no English given
    assert (site.waiting_area_for("HT"), site.waiting_area_for("DD")) == ("Sảnh 1", "Khu B")


def test_demo_centre_backup_counter_takes_the_oldest_ticket_first():
    """Counter 12 serves every field: oldest first; the others keep their field order."""
    site = load_config(None, environ={}).default_site
    policies = {c.number: c.policy for c in site.counters}
    assert policies.pop(12) is CallingPolicy.OLDEST_FIRST
    assert set(policies.values()) == {CallingPolicy.FIELD_ORDER}
    backup = site.counters_by_number[12]
    assert set(backup.services) == {s.code for s in site.services}


def test_counter_policy_values_are_the_enums():
    kind = CounterTable.model_fields["policy"].annotation
    assert set(get_args(unwrap(kind)[0])) == {p.value for p in CallingPolicy}
    assert CounterTable.model_fields["policy"].default == CallingPolicy.FIELD_ORDER.value


def test_demo_centre_has_no_caps_and_is_always_open():
    site = load_config(None, environ={}).default_site
    assert all(s.daily_cap is None for s in site.services)
    moments = [
        local(2026, 11, 29, 3, 0),  # Sunday, 3 in the morning
        local(2026, 11, 26, 12, 15),  # lunch break
        local(2027, 1, 1, 23, 59),  # public holiday, late evening
        local(2027, 2, 6, 0, 0),  # Tết
    ]
    for service in site.services:
        for moment in moments:
            assert service.hours.is_open(moment), (service.code, moment)


def test_demo_centre_numbers_never_collide():
    site = load_config(None, environ={}).default_site
    firsts = [s.number_format.number_for(1) for s in site.services]
    assert len(set(firsts)) == len(firsts)
    prefixes = [s.number_format.prefix for s in site.services]
    assert len(set(prefixes)) == len(prefixes)


# -- the example of a real centre ------------------------------------------------------


def test_example_centre_validates_with_real_hours_and_caps():
    config = load_config(EXAMPLE, environ={})
    assert config.demo is False
    assert config.source == str(EXAMPLE)
    site = config.default_site
    assert len(site.services) >= 5
    caps = [s.daily_cap for s in site.services if s.daily_cap is not None]
    assert caps and all(c > 0 for c in caps)
    for service in site.services:
        fmt = service.number_format
        if service.daily_cap is not None:
            assert service.daily_cap <= fmt.capacity

    hours = {s.code: s.hours for s in site.services}
    ht = hours["HT"]
    assert not ht.always
    assert ht.is_open(local(2026, 11, 26, 7, 30))  # Thursday morning session opens
    assert ht.is_open(local(2026, 11, 26, 11, 29))
    assert not ht.is_open(local(2026, 11, 26, 12, 0))  # lunch
    assert ht.is_open(local(2026, 11, 26, 13, 30))
    assert not ht.is_open(local(2026, 11, 26, 17, 30))  # evening
    assert not ht.is_open(local(2026, 11, 26, 7, 0))  # before opening
    assert ht.is_open(local(2026, 11, 28, 9, 0))  # Saturday morning
    assert not ht.is_open(local(2026, 11, 28, 14, 0))  # Saturday afternoon
    for h in range(24):
        assert not ht.is_open(local(2026, 11, 29, h, 0)), h  # closed all Sunday
    assert not ht.is_open(local(2027, 9, 2, 9, 0))  # Quốc khánh (a Thursday)
    thursday = ht.week[3]
    assert [(s.start, s.end) for s in thursday] == [
        (time(7, 30), time(11, 30)),
        (time(13, 30), time(17, 0)),
    ]


def test_example_uses_every_feature_documented():
    site = load_config(EXAMPLE, environ={}).default_site
    formats = {s.code: s.number_format for s in site.services}
    assert formats["HT"].number_for(1) == "A001"
    assert formats["DD"].number_for(1) == "1001"
    assert formats["KD"].number_for(1) == "2001"
    assert site.priority_policy.mode == "ratio"
    assert any(len(c.services) > 1 for c in site.counters)


# -- bad configurations ----------------------------------------------------------------

BASE = centre_text()


def replace(old: str, new: str, count: int = 1) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, count)


def with_server(lines: str) -> str:
    return f"[server]\n{lines}\n" + BASE


def after_xs(lines: str) -> str:
    """Add keys to the last service (XS: X1..X3)."""
    return replace("end = 3\n", f"end = 3\n{lines}\n")


# (id, TOML text, exact key path, words the problem must contain)
BAD_CONFIGS: list[tuple[str, str, str, str]] = [
    ("invalid-toml", BASE + '\n[[sites]]\ncode = "x\n', "", "not valid TOML"),
    (
        "invalid-toml-dup-key",
        replace('name = "Chứng thực"', 'name = "Chứng thực"\nname = "x"'),
        "",
        "not valid TOML",
    ),
    ("missing-sites", "[server]\nport = 5000\n", "sites", "at least one [[sites]]"),
    ("sites-not-array", replace("[[sites]]", "[sites]"), "sites", "at least one [[sites]]"),
    ("unknown-top-key", "[[site]]\ncode = 'x'\n" + BASE, "site", "unknown key"),
    (
        "typo-service-key",
        replace('prefix = "B"', 'prefx = "B"'),
        "sites[0].services[1].prefx",
        "unknown key",
    ),
    (
        "typo-site-key",
        replace('hours = "always"', 'hours = "always"\ntimezon = "UTC"'),
        "sites[0].timezon",
        "unknown key",
    ),
    ("typo-server-key", with_server("prot = 5000"), "server.prot", "unknown key"),
    (
        "typo-counter-key",
        replace("number = 2\n", "number = 2\nservice = ['HT']\n"),
        "sites[0].counters[1].service",
        "unknown key",
    ),
    (
        "typo-weekday",
        replace('sat = ["07:30-11:30"]', 'saturday = ["07:30-11:30"]'),
        "sites[0].services[3].hours.saturday",
        "unknown key",
    ),
    (
        "prefix-lowercase",
        replace('prefix = "B"', 'prefix = "b"'),
        "sites[0].services[1].prefix",
        "capital letters",
    ),
    (
        "prefix-too-long",
        replace('prefix = "B"', 'prefix = "BCDE"'),
        "sites[0].services[1].prefix",
        "capital letters",
    ),
    (
        "prefix-vietnamese",
        replace('prefix = "B"', 'prefix = "Đ"'),
        "sites[0].services[1].prefix",
        "capital letters",
    ),
    (
        "end-below-start",
        replace("end = 1999", "end = 999"),
        "sites[0].services[2].end",
        "below start",
    ),
    (
        "end-too-wide",
        replace("digits = 1", "digits = 1\n# 10 needs 2 digits").replace("end = 3\n", "end = 10\n"),
        "sites[0].services[4].end",
        "does not fit",
    ),
    (
        "digits-too-many",
        replace("digits = 4", "digits = 7"),
        "sites[0].services[0].digits",
        "at most 6",
    ),
    (
        "no-prefix-start-zero",
        replace("start = 1001", "start = 0"),
        "sites[0].services[2].start",
        "cannot start at 0",
    ),
    (
        "cap-above-capacity",
        after_xs("daily_cap = 4"),
        "sites[0].services[4].daily_cap",
        "exceeds the 3 numbers",
    ),
    ("cap-zero", after_xs("daily_cap = 0"), "sites[0].services[4].daily_cap", "at least 1"),
    (
        "overlap-numeric-blocks",
        replace("end = 1999", "end = 2500"),
        "sites[0].services[3]",
        "overlap",
    ),
    (
        "overlap-same-prefix",
        replace('prefix = "B"', 'prefix = "A"\ndigits = 4'),
        "sites[0].services[1]",
        "overlap",
    ),
    (
        "duplicate-service-code",
        replace('code = "CT"', 'code = "HT"'),
        "sites[0].services[1].code",
        "duplicate service code",
    ),
    (
        "counter-unknown-service",
        replace('services = ["DD"]', 'services = ["ZZ"]'),
        "sites[0].counters[2].services",
        "unknown service 'ZZ'",
    ),
    (
        "counter-service-twice",
        replace('services = ["DD"]', 'services = ["DD", "DD"]'),
        "sites[0].counters[2].services",
        "twice",
    ),
    (
        "counter-no-services",
        replace('services = ["DD"]', "services = []"),
        "sites[0].counters[2].services",
        "non-empty list",
    ),
    (
        "duplicate-counter-number",
        replace("number = 4", "number = 3"),
        "sites[0].counters[3].number",
        "duplicate counter number 3",
    ),
    (
        "counter-number-zero",
        replace("number = 4", "number = 0"),
        "sites[0].counters[3].number",
        "at least 1",
    ),
    (
        "counter-without-number",
        replace("number = 4\n", ""),
        "sites[0].counters[3].number",
        "is required",
    ),
    (
        "hours-end-before-start",
        replace('mon = ["07:30-11:30", "13:30-17:00"]', 'mon = ["17:00-07:30"]'),
        "sites[0].services[3].hours.mon",
        "ends before it starts",
    ),
    (
        "hours-not-a-range",
        replace('tue = ["07:30-11:30", "13:30-17:00"]', 'tue = ["sáng"]'),
        "sites[0].services[3].hours.tue",
        "HH:MM-HH:MM",
    ),
    (
        "hours-invalid-time",
        replace('sat = ["07:30-11:30"]', 'sat = ["07:30-25:00"]'),
        "sites[0].services[3].hours.sat",
        "not a valid time range",
    ),
    (
        "hours-overlap",
        replace('fri = ["07:30-11:30", "13:30-17:00"]', 'fri = ["07:30-11:30", "11:00-17:00"]'),
        "sites[0].services[3].hours.fri",
        "overlap",
    ),
    (
        "hours-day-not-list",
        replace('sat = ["07:30-11:30"]', 'sat = "07:30-11:30"'),
        "sites[0].services[3].hours.sat",
        "must be a list",
    ),
    (
        "hours-word",
        replace('hours = "always"', 'hours = "sometimes"'),
        "sites[0].hours",
        "always",
    ),
    (
        "closed-date-not-date",
        replace('sat = ["07:30-11:30"]', 'sat = ["07:30-11:30"]\nclosed_dates = ["2027-01-01"]'),
        "sites[0].services[3].hours.closed_dates[0]",
        "must be a date",
    ),
    (
        "closed-dates-not-list",
        replace('sat = ["07:30-11:30"]', 'sat = ["07:30-11:30"]\nclosed_dates = 5'),
        "sites[0].services[3].hours.closed_dates",
        "must be a list",
    ),
    (
        "bad-timezone",
        replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "Asia/Hanoi"'),
        "sites[0].timezone",
        "unknown time zone",
    ),
    (
        "timezone-path",
        replace('timezone = "Asia/Ho_Chi_Minh"', 'timezone = "../../etc/passwd"'),
        "sites[0].timezone",
        "unknown time zone",
    ),
    (
        "timezone-number",
        replace('timezone = "Asia/Ho_Chi_Minh"', "timezone = 7"),
        "sites[0].timezone",
        "must be a string",
    ),
    (
        "bad-async-mode",
        with_server('async_mode = "asyncio"'),
        "server.async_mode",
        "threading, gevent, eventlet",
    ),
    (
        "bad-sqlite-synchronous",
        with_server('sqlite_synchronous = "OFF"'),
        "server.sqlite_synchronous",
        "FULL",
    ),
    ("port-string", with_server('port = "5000"'), "server.port", "positive integer"),
    ("port-negative", with_server("port = -1"), "server.port", "positive integer"),
    (
        "body-limit-float",
        with_server("max_body_bytes = 1.5"),
        "server.max_body_bytes",
        "positive integer",
    ),
    ("host-number", with_server("host = 127"), "server.host", "must be a string"),
    ("data-dir-number", with_server("data_dir = 5"), "server.data_dir", "must be a string"),
    (
        "test-hooks-string",
        with_server('test_hooks = "no"'),
        "server.test_hooks",
        "true or false",
    ),
    ("server-not-table", "server = 5\n" + BASE, "server", "must be a table"),
    (
        "digits-string",
        replace("digits = 4", 'digits = "4"'),
        "sites[0].services[0].digits",
        "must be an integer",
    ),
    (
        "cap-bool",
        after_xs("daily_cap = true"),
        "sites[0].services[4].daily_cap",
        "must be an integer",
    ),
    (
        "service-name-number",
        replace('name = "Chứng thực"', "name = 5"),
        "sites[0].services[1].name",
        "must be a string",
    ),
    (
        "service-name-blank",
        replace('name = "Chứng thực"', 'name = "   "'),
        "sites[0].services[1].name",
        "must not be empty",
    ),
    (
        "service-code-bad",
        replace('code = "CT"', 'code = "C T"'),
        "sites[0].services[1].code",
        "letters, digits",
    ),
    (
        "counter-number-string",
        replace("number = 4", 'number = "4"'),
        "sites[0].counters[3].number",
        "must be an integer",
    ),
    (
        "counter-services-string",
        replace('services = ["DD"]', 'services = "DD"'),
        "sites[0].counters[2].services",
        "non-empty list",
    ),
    (
        "priority-mode",
        replace('mode = "strict"', 'mode = "fair"'),
        "sites[0].priority.mode",
        "strict",
    ),
    (
        "priority-not-table",
        replace("[sites.priority]\n", "").replace(
            'mode = "strict"\npriority = 1\nnormal = 2\n', 'priority = "strict"\n'
        ),
        "sites[0].priority",
        "must be a table",
    ),
    (
        "transfer-flag-string",
        replace('hours = "always"', 'hours = "always"\ntransfer_keeps_issue_time = "yes"'),
        "sites[0].transfer_keeps_issue_time",
        "true or false",
    ),
    (
        "procedure-documents",
        after_xs('[[sites.services.procedures]]\nname = "Thủ tục"\ndocuments = "CCCD"'),
        "sites[0].services[4].procedures[0].documents",
        "list of strings",
    ),
    (
        "unknown-array-table",
        replace('[[sites.services]]\ncode = "XS"', '[[sites.other]]\ncode = "XS"'),
        "sites[0].other",
        "unknown key",
    ),
    (
        "site-without-name",
        replace('name = "Trung tâm Phục vụ hành chính công (kiểm thử)"\n', ""),
        "sites[0].name",
        "is required",
    ),
    (
        "same-prefix-other-width",  # A001 and A0001 would be announced alike
        replace('prefix = "B"', 'prefix = "A"\ndigits = 3'),
        "sites[0].services[1]",
        "overlap",
    ),
    # Strict types: true is not an integer, a string is not a flag.
    ("port-bool", with_server("port = true"), "server.port", "positive integer"),
    (
        "repeat-bool",
        replace('hours = "always"', 'hours = "always"\nannounce_repeat = true'),
        "sites[0].announce_repeat",
        "must be an integer",
    ),
    (
        "idle-too-short",
        replace('hours = "always"', 'hours = "always"\nkiosk_idle_seconds = 3'),
        "sites[0].kiosk_idle_seconds",
        "must be at least 5",
    ),
    (
        "typo-services-table",  # the typo is reported, not the missing [[sites.services]]
        BASE.replace("[[sites.services]]", "[[sites.servicez]]"),
        "sites[0].servicez",
        "unknown key",
    ),
    (
        "counter-service-number",
        replace('services = ["DD"]', 'services = ["DD", 5]'),
        "sites[0].counters[2].services",
        "non-empty list",
    ),
    (
        "hours-session-number",
        replace('sat = ["07:30-11:30"]', 'sat = ["07:30-11:30", 5]'),
        "sites[0].services[3].hours.sat",
        "must be a list",
    ),
    (
        "duplicate-site-code",
        BASE + BASE[BASE.index("[[sites]]") :],
        "sites[1].code",
        "duplicate site code 'test'",
    ),
    (
        "voice-unknown",
        replace('hours = "always"', 'hours = "always"\nvoice = "fr"'),
        "sites[0].voice",
        "must be one of vi, vi-vn-x-central, vi-vn-x-south",
    ),
    (
        "icon-unknown",
        replace('name = "Đất đai"', 'name = "Đất đai"\nicon = "house"'),
        "sites[0].services[2].icon",
        "unknown pictogram 'house' (known: family, stamp, land,",
    ),
    (
        "counter-policy-unknown",
        replace('services = ["DD"]', 'services = ["DD"]\npolicy = "fifo"'),
        "sites[0].counters[2].policy",
        "must be 'field_order' or 'oldest_first'",
    ),
]


@pytest.mark.parametrize(
    ("text", "key", "problem"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_names_file_key_and_problem(tmp_path, text, key, problem):
    path = tmp_path / "trung-tam.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    err = caught.value
    message = str(err)
    assert str(path) in message and err.source == str(path)
    assert err.key == key, message
    if key:
        assert f": {key}: " in message, message
    assert problem in err.problem, message
    assert problem in message


def test_every_bad_config_case_really_differs_from_the_good_one():
    parse_config(BASE, "good.toml", environ={})  # the base is valid
    ids = [c[0] for c in BAD_CONFIGS]
    assert len(ids) == len(set(ids))
    assert all(c[1] != BASE for c in BAD_CONFIGS)


@pytest.mark.parametrize(
    "icon",
    [
        '<img src=x onerror="window.__xss=1">',
        '"/><img src=x onerror="window.__xss=1">',
        'doc"/><script>alert(1)</script>',
        "javascript:alert(1)",
        "Family",
        " family",
    ],
)
def test_icon_must_be_a_known_pictogram(tmp_path, icon):
    """The kiosk shows the icon as a pictogram; anything else is refused at load."""
    path = tmp_path / "centre.toml"
    path.write_text(replace('name = "Đất đai"', f'name = "Đất đai"\nicon = {icon!r}'), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    known = ", ".join(PICTOGRAMS)
    assert str(caught.value) == (
        f"{path}: sites[0].services[2].icon: unknown pictogram {icon!r} (known: {known})"
    )


def test_pictograms_are_the_kiosks_symbols():
    """The known names are the symbols of the kiosk's icons partial, every one accepted."""
    partial = ROOT / "displays" / "templates" / "partials" / "icons.html"
    symbols = re.findall(r'<symbol id="ic-([^"]+)"', partial.read_text("utf-8"))
    assert list(PICTOGRAMS) == symbols and {"family", "doc", "land"} <= set(PICTOGRAMS)
    for icon in ("", *PICTOGRAMS):
        text = replace('name = "Đất đai"', f'name = "Đất đai"\nicon = "{icon}"')
        assert parse_config(text, "t.toml", environ={}).default_site.services[2].icon == icon


@pytest.mark.parametrize(
    "path", [None, EXAMPLE, ROOT / "bench" / "bench_centre.toml"], ids=["demo", "example", "bench"]
)
def test_shipped_centres_use_known_pictograms(path):
    for site in load_config(path, environ={}).sites:
        assert all(s.icon in ("", *PICTOGRAMS) for s in site.services)


def test_missing_and_unreadable_files(tmp_path):
    missing = tmp_path / "khong-co.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(missing, environ={})
    assert str(missing) in str(caught.value) and "cannot read" in str(caught.value)

    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(BASE.encode("utf-8").replace("Hộ tịch".encode(), b"H\xf4 t\xecch"))
    with pytest.raises(ConfigError) as caught:
        load_config(latin1, environ={})
    assert str(latin1) in str(caught.value) and "UTF-8" in str(caught.value)

    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})  # a folder
    assert str(tmp_path) in str(caught.value)


def test_invalid_toml_error_points_at_the_line(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(BASE + "\nbroken = = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "line" in str(caught.value)


# -- environment and overrides ---------------------------------------------------------


def test_defaults_without_environment():
    server = load_config(None, environ={}).server
    assert (server.host, server.port, server.async_mode) == ("127.0.0.1", 5000, "threading")
    assert server.database_url is None
    assert server.resolved_database_url.startswith("sqlite:///")
    assert server.resolved_database_url.endswith("/motcua-data/motcua.db")
    assert server.max_body_bytes == 16384
    assert server.test_hooks is False


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(with_server('async_mode = "threading"\nport = 6000'), encoding="utf-8")
    env = {
        "MOTCUA_DATABASE_URL": "postgresql://u:p@db.example:5432/motcua",
        "MOTCUA_ASYNC_MODE": "gevent",
        "MOTCUA_PORT": "7000",
        "MOTCUA_DATA_DIR": str(tmp_path / "d"),
        "MOTCUA_REDIS_URL": "redis://127.0.0.1:6379/0",
        "MOTCUA_TEST_HOOKS": "1",
    }
    server = load_config(path, environ=env).server
    assert server.async_mode == "gevent"
    assert server.port == 7000
    assert server.database_url == "postgresql://u:p@db.example:5432/motcua"
    assert server.resolved_database_url == "postgresql+psycopg://u:p@db.example:5432/motcua"
    assert server.redis_url == "redis://127.0.0.1:6379/0"
    assert server.data_dir == str(tmp_path / "d")
    assert server.test_hooks is True
    # Without the environment, the file's values.
    server = load_config(path, environ={}).server
    assert (server.async_mode, server.port) == ("threading", 6000)
    # An empty variable does not override.
    assert load_config(path, environ={"MOTCUA_PORT": ""}).server.port == 6000


def test_overrides_beat_the_environment():
    server = load_config(
        None,
        overrides={"port": 8000, "data_dir": "/tmp/x", "host": None},
        environ={"MOTCUA_PORT": "7000", "MOTCUA_HOST": "0.0.0.0"},
    ).server
    assert server.port == 8000 and server.data_dir == "/tmp/x"
    assert server.host == "0.0.0.0"  # a None override leaves the value alone


def test_bad_environment_values():
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MOTCUA_ASYNC_MODE": "asyncio"})
    assert caught.value.key == "server.async_mode"
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MOTCUA_PORT": "http"})
    assert "MOTCUA_PORT" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MOTCUA_MAX_BODY_BYTES": "-5"})
    assert caught.value.key == "server.max_body_bytes"


def test_environment_flags():
    server = load_config(None, environ={"MOTCUA_VOICE": "off", "MOTCUA_TEST_HOOKS": "on"}).server
    assert (server.voice, server.test_hooks) == (False, True)
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"MOTCUA_VOICE": "maybe"})
    assert caught.value.source == "environment MOTCUA_VOICE"
    assert "invalid value" in caught.value.problem


def test_sqlite_synchronous_is_case_insensitive():
    assert load_config(None, environ={"MOTCUA_SQLITE_SYNCHRONOUS": "normal"}).server == (
        load_config(None, environ={"MOTCUA_SQLITE_SYNCHRONOUS": "NORMAL"}).server
    )


def test_domain_values_get_their_defaults_from_the_schema():
    """A key left out of the file has the schema's default: the domain declares none."""
    from queue_server.config_schema import CounterTable, ServiceTable, SiteTable

    site = parse_config(BASE, "t.toml", environ={}).default_site
    for name, field in SiteTable.model_fields.items():
        if hasattr(site, name) and not field.is_required() and f"\n{name} =" not in BASE:
            assert getattr(site, name) == field.default, name
    xs = site.services_by_code["XS"]
    assert (xs.name_en, xs.icon, xs.daily_cap) == tuple(
        ServiceTable.model_fields[k].default for k in ("name_en", "icon", "daily_cap")
    )
    assert site.counters[0].spoken == CounterTable.model_fields["spoken"].default
    assert site.counters[0].name == "Quầy số 01"
    assert site.services_by_code["DD"].number_format.digits == 4  # the width of `end`
    assert site.services_by_code["CT"].number_format.end == 999


def test_eventlet_mode_is_accepted():
    assert load_config(None, environ={"MOTCUA_ASYNC_MODE": "eventlet"}).server.async_mode == (
        "eventlet"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///motcua.db", "sqlite:///motcua.db"),
        ("sqlite:////abs/path.db", "sqlite:////abs/path.db"),
    ],
)
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected
