"""The message catalogue: complete, bilingual, and the only place raise sites get words from."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.printer import FAULT_CODES, PrinterError
from hardware.printer import MESSAGES as PRINTER_MESSAGES
from queue_server.contract.messages import (
    MESSAGES,
    PAGE_LABELS,
    ErrorKind,
    Message,
    page_labels,
    placeholders,
    render,
    wire_code,
)
from queue_server.domain import errors
from queue_server.domain.errors import Conflict, DomainError, IllegalTransition, Invalid, NotFound
from queue_server.domain.model import COUNTER_STATE_VI, STATUS_VI, CounterState, TicketStatus
from queue_server.web.errors import HTTP_CODES, STATUS

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("queue_server", "hardware", "displays", "counters")
VI_LETTER = re.compile(
    r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.IGNORECASE
)
ASCII_SAFE: frozenset[str] = frozenset()
"""Codes whose Vietnamese text may be plain ASCII (a proper name, say); none so far."""

ERROR_CLASSES: dict[str, type[DomainError]] = {
    cls.__name__: cls for cls in (DomainError, NotFound, Conflict, Invalid, IllegalTransition)
}
CALLERS = {*ERROR_CLASSES, "render"}
"""Calls whose first argument is a catalogue code."""


# -- the catalogue itself --------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_entry_is_bilingual_with_the_same_placeholders(code: str) -> None:
    m = MESSAGES[code]
    assert m.vi.strip() and m.en.strip(), code
    assert m.vi == m.vi.strip() and m.en == m.en.strip(), code
    assert m.vi != m.en, f"{code}: the Vietnamese text is the English one"
    assert placeholders(m.vi) == placeholders(m.en), code
    filled = {name: "x" for name in placeholders(m.vi)}
    assert all(render(code, **filled)), code  # well-formed templates


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_vietnamese_text_is_vietnamese(code: str) -> None:
    vi = MESSAGES[code].vi
    words = re.sub(r"\{[^}]*\}", "", vi)
    if re.search(r"[A-Za-z]", words) and code not in ASCII_SAFE:
        assert VI_LETTER.search(words), f"{code}: {vi!r} has no Vietnamese letter"


def test_variants_share_an_error_of_the_same_kind() -> None:
    for code, m in MESSAGES.items():
        if m.code is not None:
            assert m.kind is not None, code
            assert m.code in MESSAGES and MESSAGES[m.code].code is None, code
            assert MESSAGES[m.code].kind is m.kind, code


def test_every_kind_has_an_http_status() -> None:
    assert set(STATUS) == set(ErrorKind)
    for status, code in HTTP_CODES.items():
        assert MESSAGES[code].kind is not None, (status, code)
    assert wire_code(HTTP_CODES[403]) == "forbidden"


def test_render_and_an_unknown_code() -> None:
    assert render("unknown_counter", counter=7) == ("Không có quầy số 7.", "No counter 7.")
    assert render("unknown_site", site="X") == ("Không có điểm phục vụ 'X'.", "No site 'X'.")
    name = Message("Hộ tịch", "Civil status")
    vi, en = render("already_has_ticket", service=name)
    assert "lĩnh vực Hộ tịch hôm nay" in vi and "for Civil status today" in en
    with pytest.raises(KeyError):
        render("no_such_code")
    with pytest.raises(KeyError):
        NotFound("no_such_code")


def test_domain_error_reads_the_catalogue() -> None:
    err = Conflict("ticket_taken_at_counter", number="A001", counter=2)
    assert err.code == "ticket_taken"  # a variant answers with its shared code
    assert err.message == "Số A001 đang được Quầy số 2 phục vụ."
    assert err.message_en == str(err) == "Ticket A001 is being served at counter 2."
    assert err.kind is ErrorKind.CONFLICT and err.params == {"number": "A001", "counter": 2}
    assert DomainError("rate_limited").kind is ErrorKind.TOO_MANY
    assert NotFound("unknown_service", code="ZZ").message == "Không có lĩnh vực mã 'ZZ'."
    assert errors.ErrorKind is ErrorKind  # old imports keep working


def test_catalogue_imports_only_the_standard_library() -> None:
    """hardware/ and the domain import it, so it must not import them (or Flask) back."""
    code = (
        "import sys, queue_server.contract.messages\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'queue_server', 'hardware', 'flask', 'pydantic', 'sqlalchemy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(
        ["queue_server", "queue_server.contract", "queue_server.contract.messages"]
    )


# -- what is derived from it -----------------------------------------------------------------


def test_status_labels_come_from_the_catalogue() -> None:
    assert {s: MESSAGES[f"status.{s.value}"].vi for s in TicketStatus} == STATUS_VI
    assert {s: MESSAGES[f"counter_state.{s.value}"].vi for s in CounterState} == COUNTER_STATE_VI
    assert STATUS_VI[TicketStatus.NO_SHOW] == "Không có mặt"
    assert COUNTER_STATE_VI[CounterState.PAUSED] == "Tạm dừng"


def test_printer_results_come_from_the_catalogue() -> None:
    for code in (None, *FAULT_CODES):
        assert PRINTER_MESSAGES[code] == render(f"printer.{code or 'ok'}")
    fault = PrinterError.of("paper_out", "simulated")
    assert fault.message_vi == "Máy in đã hết giấy."
    assert fault.message_en == "The printer is out of paper. (simulated)"


def test_page_labels() -> None:
    vi, en = page_labels("vi"), page_labels("en")
    assert vi.keys() == en.keys() == PAGE_LABELS.keys()
    assert vi["label.online"] == "Đã kết nối" and en["label.offline"] == "Disconnected"
    assert {f"status.{s.value}" for s in TicketStatus} <= vi.keys()
    assert {f"counter_state.{s.value}" for s in CounterState} <= vi.keys()
    assert all(not code.startswith(("printer.", "cli.")) for code in vi)
    with pytest.raises(ValueError):
        page_labels("fr")


# -- the source: every code raised is in the catalogue ---------------------------------------


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_printer_error_of(func: ast.expr) -> bool:
    """PrinterError.of(fault, ...): its fault codes are the catalogue's printer.<fault>."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "of"
        and _name(func.value) == ("PrinterError")
    )


def _literals(node: ast.expr) -> list[str]:
    """The string constants an argument can be ("a" if x else "b" gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _uses() -> list[tuple[str, str, str]]:
    """(where, caller, code) for every catalogue code named in the scanned packages."""
    found = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call) and node.args:
                    name = _name(node.func)
                    if name in CALLERS:
                        found += [(where, name, c) for c in _literals(node.args[0])]
                    elif _is_printer_error_of(node.func):
                        found += [(where, name, f"printer.{c}") for c in _literals(node.args[0])]
                elif isinstance(node, ast.Subscript) and _name(node.value) == "MESSAGES":
                    found += [(where, "MESSAGES", c) for c in _literals(node.slice)]
    return found


USES = _uses()


def test_the_scan_sees_the_raise_sites() -> None:
    codes = {code for _, _, code in USES}
    assert {"unknown_ticket", "illegal_transition", "printer.browser", "printer.offline"} <= codes
    assert len(USES) > 30


@pytest.mark.parametrize(("where", "caller", "code"), USES, ids=[u[0] for u in USES])
def test_code_is_in_the_catalogue_with_the_kind_raised(where: str, caller: str, code: str) -> None:
    assert code in MESSAGES, f"{where}: {caller}({code!r}) names no catalogue entry"
    cls = ERROR_CLASSES.get(caller)
    if cls is None:
        return
    kind = MESSAGES[code].kind
    assert kind is not None, f"{where}: {code!r} is a status text, not an error"
    if cls is not DomainError:
        assert kind is cls.kind, f"{where}: {caller}({code!r}) but the catalogue says {kind}"


def test_no_inline_texts_at_raise_sites() -> None:
    """Words come from the catalogue: an error takes its code and keyword parameters only."""
    inline = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and _name(node.func) in ERROR_CLASSES
                    and len(node.args) > 1
                ):
                    inline.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not inline
