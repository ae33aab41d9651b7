"""Kiosk printing through the API: slips after the commit, faults, procedures, rate limit, estimate.

Flask test client over the test centre, on SQLite and PostgreSQL (the `app`
fixture sits on `database_url`). The centre's printer is the simulated one
("sim", the default), which writes <data_dir>/printer/<job>.bin and .png;
the config's data_dir is the test's tmp_path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from hardware.escpos_job import decode_job
from hardware.printer import MESSAGES, SimulatedPrinter
from queue_server.app import create_app
from queue_server.auth import create_token
from queue_server.config import Config
from queue_server.domain.clock import FakeClock
from queue_server.domain.estimate import DEFAULT_SERVICE_SECONDS
from queue_server.storage.database import Database
from queue_server.storage.schema import tickets
from tests.conftest import auth, centre_text, make_config

API = "/api/v1"
VI_LETTER = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)
PROCEDURE = "Đăng ký khai sinh"
DOCUMENTS = [
    "Tờ khai đăng ký khai sinh (theo mẫu)",
    "Giấy chứng sinh hoặc giấy tờ thay thế",
    "Căn cước/CCCD của cha, mẹ hoặc người đi đăng ký",
    "Giấy chứng nhận kết hôn của cha mẹ (nếu có)",
]


# -- helpers ---------------------------------------------------------------------------------


def with_procedures(text: str) -> str:
    """The test centre with one procedure (and its documents) on HT."""
    docs = ", ".join(f'"{d}"' for d in DOCUMENTS)
    block = f'\n[[sites.services.procedures]]\nname = "{PROCEDURE}"\ndocuments = [{docs}]\n'
    anchor = 'prefix = "A"\ndigits = 4\n'
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + block)


def with_site_setting(text: str, line: str) -> str:
    """The test centre with one more [[sites]] setting."""
    anchor = 'hours = "always"\n'
    assert text.count(anchor) == 1
    return text.replace(anchor, anchor + line + "\n")


def sim(app: Any) -> SimulatedPrinter:
    """The site's simulated printer."""
    printer = app.extensions["motcua"].printing.printers()[0]
    assert isinstance(printer, SimulatedPrinter)
    return printer


def printer_dir(app: Any) -> Path:
    """Where the simulated printer keeps its jobs."""
    return Path(app.extensions["motcua"].config.server.data_dir) / "printer"


def jobs(app: Any) -> set[str]:
    """Names of the .bin files written so far."""
    folder = printer_dir(app)
    return {p.name for p in folder.glob("*.bin")} if folder.exists() else set()


def ticket_count(app: Any) -> int:
    """Tickets in the database, whatever their status."""
    with app.extensions["motcua"].db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tickets)).scalar_one())


def waiting(app: Any) -> dict[str, int]:
    """Waiting tickets per field."""
    return app.extensions["motcua"].desk.waiting_counts("test")  # type: ignore[no-any-return]


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    """The API's JSON error with a Vietnamese message."""
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text
    assert resp.mimetype == "application/json", text
    err = resp.get_json()["error"]
    assert err["code"] == code, text
    assert VI_LETTER.search(err["message"]), text
    assert err["message_en"].strip(), text
    return err  # type: ignore[no-any-return]


def issue(client: Any, tok: str, **payload: Any) -> Any:
    """POST /tickets; the response."""
    return client.post(f"{API}/tickets", json={"service": "HT", **payload}, headers=auth(tok))


def printers(client: Any, tok: str) -> dict[str, Any]:
    """The test site's printer as GET /printers reports it."""
    r = client.get(f"{API}/printers", headers=auth(tok))
    assert r.status_code == 200, r.get_data(as_text=True)
    return next(p for p in r.get_json()["printers"] if p["site"] == "test")  # type: ignore[no-any-return]


@pytest.fixture
def kiosk(token: Callable[..., str]) -> str:
    """A kiosk device token."""
    return token("kiosk")


@pytest.fixture
def admin(token: Callable[..., str]) -> str:
    """An admin token."""
    return token("admin")


@pytest.fixture
def app_with(
    tmp_path: Path, db: Database, clock: FakeClock
) -> Callable[[str], tuple[Any, Callable[..., str]]]:
    """An app over another centre text (same database backend); returns (app, token maker)."""

    def make(text: str) -> tuple[Any, Callable[..., str]]:
        config: Config = make_config(tmp_path, text)
        app = create_app(config, clock=clock, db=db)
        ext = app.extensions["motcua"]

        def tok(role: str, counter: int | None = None) -> str:
            return create_token(ext.db, ext.desk.clock, role=role, site="test", counter=counter)

        return app, tok

    return make


# -- printing after the commit -------------------------------------------------------------


def test_print_true_writes_the_slip_before_answering(app: Any, client: Any, kiosk: str) -> None:
    before = jobs(app)
    r = issue(client, kiosk, print=True)
    assert r.status_code == 201, r.get_data(as_text=True)
    data = r.get_json()
    assert set(data) == {"ticket", "estimate_minutes", "print"}
    printed = data["print"]
    assert printed["ok"] is True and printed["error_code"] is None
    assert printed["message"] == "Đã in phiếu." and printed["message_en"] == "Ticket printed."
    assert printed["paper_low"] is False

    # The ESC/POS bytes were on disk when the 201 came back.
    assert jobs(app) - before == {f"{printed['job_id']}.bin"}
    job = printer_dir(app) / f"{printed['job_id']}.bin"
    assert data["ticket"]["number"] in job.name
    decoded = decode_job(job.read_bytes())
    assert decoded.commands[0] == "init" and decoded.commands[-1] == "cut"
    assert {r.width_bytes * 8 for r in decoded.images} == {576}  # 80 mm paper by default
    assert job.with_suffix(".png").stat().st_size > 0
    assert sim(app).jobs[-1].slip.status_url.endswith(f"/t/{data['ticket']['id']}")

    # Without "print" (or with false) nothing is printed and "print" is null.
    for payload in ({}, {"print": False}):
        r = issue(client, kiosk, **payload)
        assert r.status_code == 201 and r.get_json()["print"] is None
    assert len(jobs(app) - before) == 1


@pytest.mark.parametrize("fault", ["paper_out", "offline", "cover_open"])
def test_printer_fault_keeps_the_ticket_and_reprint_works(
    app: Any, client: Any, kiosk: str, admin: str, fault: str
) -> None:
    before, count = jobs(app), ticket_count(app)
    sim(app).set_fault(fault)

    r = issue(client, kiosk, print=True)
    assert r.status_code == 201, r.get_data(as_text=True)
    data = r.get_json()
    printed = data["print"]
    assert printed["ok"] is False
    assert printed["error_code"] == fault
    assert printed["message"] == MESSAGES[fault][0]
    assert VI_LETTER.search(printed["message"])
    assert printed["message_en"].startswith(MESSAGES[fault][1])
    assert jobs(app) == before, "a failed job left a slip behind"

    # The ticket was committed and is kept.
    tid = data["ticket"]["id"]
    assert ticket_count(app) == count + 1
    got = client.get(f"{API}/tickets/{tid}")
    assert got.status_code == 200 and got.get_json()["ticket"]["status"] == "waiting"
    assert got.get_json()["ticket"]["number"] == data["ticket"]["number"]

    # Staff see the fault.
    state = printers(client, admin)
    assert state["ok"] is False and state["error_code"] == fault
    assert state["message"] == MESSAGES[fault][0]
    assert state["failures"] == 1 and state["jobs"] == 1 and state["at"]

    # Still broken: the reprint says so again, and nothing is issued.
    r = client.post(f"{API}/tickets/{tid}/print", headers=auth(kiosk))
    assert r.status_code == 200 and r.get_json()["print"]["error_code"] == fault

    # The printer is back: the same ticket prints, and the next citizen's too.
    sim(app).set_fault(None)
    r = client.post(f"{API}/tickets/{tid}/print", headers=auth(kiosk))
    assert r.status_code == 200, r.get_data(as_text=True)
    again = r.get_json()
    assert again["ticket"]["id"] == tid and again["print"]["ok"] is True
    assert jobs(app) - before == {f"{again['print']['job_id']}.bin"}
    assert ticket_count(app) == count + 1
    state = printers(client, admin)
    assert state["ok"] is True and state["error_code"] is None
    assert state["failures"] == 2 and state["jobs"] == 3

    r = issue(client, kiosk, print=True)
    assert r.status_code == 201 and r.get_json()["print"]["ok"] is True


def test_reprint_needs_a_kiosk_or_admin_and_a_real_ticket(
    app: Any, client: Any, kiosk: str, token: Callable[..., str]
) -> None:
    tid = issue(client, kiosk).get_json()["ticket"]["id"]
    before = jobs(app)
    assert_error(client.post(f"{API}/tickets/{tid}/print"), 401, "missing_token")
    clerk = token("clerk", counter=1)
    assert_error(client.post(f"{API}/tickets/{tid}/print", headers=auth(clerk)), 403, "forbidden")
    assert_error(
        client.post(f"{API}/tickets/nope-not-a-ticket-id/print", headers=auth(kiosk)),
        404,
        "unknown_ticket",
    )
    assert jobs(app) == before


# -- procedures ------------------------------------------------------------------------------


def test_unknown_procedure_is_refused_before_anything_is_issued(
    app: Any, client: Any, kiosk: str
) -> None:
    count, queued, before = ticket_count(app), waiting(app), jobs(app)
    for payload in (
        {"procedure": "Thủ tục không có", "print": True},
        {"procedure": "Thủ tục không có"},
        {"procedure": ""},
    ):
        err = assert_error(issue(client, kiosk, **payload), 404, "unknown_procedure")
        assert "Hộ tịch" in err["message"]
    assert ticket_count(app) == count
    assert waiting(app) == queued
    assert jobs(app) == before


def test_procedure_prints_its_documents(
    app_with: Callable[[str], tuple[Any, Callable[..., str]]],
) -> None:
    app, tok = app_with(with_procedures(centre_text()))
    client, kiosk = app.test_client(), tok("kiosk")

    services = {s["code"]: s for s in client.get(f"{API}/services").get_json()["services"]}
    assert services["HT"]["procedures"] == [{"name": PROCEDURE, "documents": DOCUMENTS}]

    r = issue(client, kiosk, print=True, procedure=PROCEDURE)
    assert r.status_code == 201, r.get_data(as_text=True)
    with_docs = r.get_json()
    assert with_docs["print"]["ok"] is True
    assert sim(app).jobs[-1].slip.documents == tuple(DOCUMENTS)

    plain = issue(client, kiosk, print=True).get_json()
    assert sim(app).jobs[-1].slip.documents == ()
    folder = printer_dir(app)
    with (
        Image.open(folder / f"{with_docs['print']['job_id']}.png") as a,
        Image.open(folder / f"{plain['print']['job_id']}.png") as b,
    ):
        assert a.width == b.width
        assert a.height > b.height + len(DOCUMENTS) * 20, (a.size, b.size)

    # A procedure of another field is unknown there; nothing is issued.
    count = ticket_count(app)
    assert_error(issue(client, kiosk, service="CT", procedure=PROCEDURE), 404, "unknown_procedure")
    assert ticket_count(app) == count

    # Reprinting with the checklist works; with an unknown procedure it is refused.
    reprint = f"{API}/tickets/{plain['ticket']['id']}/print"
    r = client.post(reprint, json={"procedure": PROCEDURE}, headers=auth(kiosk))
    assert r.status_code == 200 and r.get_json()["print"]["ok"] is True
    assert sim(app).jobs[-1].slip.documents == tuple(DOCUMENTS)
    n = len(sim(app).jobs)
    r = client.post(reprint, json={"procedure": "Không có"}, headers=auth(kiosk))
    assert_error(r, 404, "unknown_procedure")
    assert len(sim(app).jobs) == n


# -- rate limit -------------------------------------------------------------------------------


def test_kiosk_rate_limit(app_with: Callable[[str], tuple[Any, Callable[..., str]]]) -> None:
    app, tok = app_with(with_site_setting(centre_text(), "kiosk_rate_per_minute = 3"))
    client = app.test_client()
    assert app.extensions["motcua"].config.default_site.kiosk_rate_per_minute == 3
    first, second, admin = tok("kiosk"), tok("kiosk"), tok("admin")

    for _ in range(3):
        assert issue(client, first).status_code == 201
    count, queued = ticket_count(app), waiting(app)
    err = assert_error(issue(client, first, print=True), 429, "rate_limited")
    assert "quá nhanh" in err["message"]
    assert ticket_count(app) == count and waiting(app) == queued
    assert_error(issue(client, first), 429, "rate_limited")

    # Another kiosk is not affected; an admin is never limited.
    for _ in range(3):
        assert issue(client, second).status_code == 201
    for _ in range(6):
        assert issue(client, admin).status_code == 201
    assert ticket_count(app) == count + 9


# -- estimate ---------------------------------------------------------------------------------


def test_estimate_grows_with_people_ahead(client: Any, kiosk: str, admin: str) -> None:
    for counter in (1, 2):  # the two counters serving HT open for the day
        assert client.post(f"{API}/counters/{counter}/open", headers=auth(admin)).status_code == 200
    issued = [issue(client, kiosk).get_json() for _ in range(5)]
    aheads = [d["ticket"]["ahead"] for d in issued]
    estimates = [d["estimate_minutes"] for d in issued]
    assert aheads == [0, 1, 2, 3, 4]
    assert all(isinstance(e, int) for e in estimates), estimates
    assert estimates == sorted(estimates) and estimates[-1] > estimates[0], estimates
    # No handling time yet today: the default per person, shared by the two HT counters.
    assert estimates == [math.ceil(a * DEFAULT_SERVICE_SECONDS / 2 / 60) for a in aheads]

    for d in issued:
        got = client.get(f"{API}/tickets/{d['ticket']['id']}").get_json()
        assert got["estimate_minutes"] == d["estimate_minutes"]

    # Once called, a ticket has no estimate; those behind it move up.
    r = client.post(f"{API}/counters/1/call-next", headers=auth(admin))
    assert r.get_json()["ticket"]["id"] == issued[0]["ticket"]["id"]
    assert (
        client.get(f"{API}/tickets/{issued[0]['ticket']['id']}").get_json()["estimate_minutes"]
        is None
    )
    last = client.get(f"{API}/tickets/{issued[-1]['ticket']['id']}").get_json()
    assert last["ticket"]["ahead"] == 3
    assert last["estimate_minutes"] <= estimates[-1]


# -- /printers is for staff -------------------------------------------------------------------


def test_printers_is_for_staff_only(client: Any, token: Callable[..., str]) -> None:
    assert_error(client.get(f"{API}/printers"), 401, "missing_token")
    assert_error(client.get(f"{API}/printers", headers=auth(token("kiosk"))), 403, "forbidden")
    for tok in (token("clerk", counter=1), token("agent"), token("admin")):
        state = printers(client, tok)
        assert state["printer"] == "sim"
        assert state["jobs"] == 0 and state["failures"] == 0 and state["ok"] is None
