"""The OpenAPI document at /api/v1/openapi.json is true: every route is in it, and only routes.

The document is built by queue_server.web.openapi; the routes come from app.url_map.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import create_app
from queue_server.domain.clock import FakeClock
from queue_server.web.openapi import openapi_document
from tests.conftest import auth, local, make_config

API = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
CONVERTER = re.compile(r"<(?:[a-z_]+(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")


def doc_path(rule: str) -> str:
    """Flask's /counters/<int:number>/call-next as OpenAPI's /counters/{number}/call-next."""
    return CONVERTER.sub(r"{\1}", rule)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    """The app over the test centre on SQLite; the document does not depend on the database."""
    application = create_app(make_config(tmp_path), clock=FakeClock(local(2026, 11, 26, 9, 0)))
    yield application
    application.extensions["motcua"].db.dispose()


def routes(app: Any) -> dict[str, set[str]]:
    """{OpenAPI path: {methods}} of every rule under /api/v1."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule == API or rule.rule.startswith(API + "/"):
            methods = {m for m in rule.methods or () if m not in IGNORED_METHODS}
            found.setdefault(doc_path(rule.rule), set()).update(methods)
    return found


def documented(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {path: {m.upper() for m in item} for path, item in doc["paths"].items()}


def test_doc_path_conversion():
    assert (
        doc_path("/api/v1/counters/<int:number>/call-next") == "/api/v1/counters/{number}/call-next"
    )
    assert doc_path("/api/v1/tickets/<ticket_id>/events") == "/api/v1/tickets/{ticket_id}/events"
    assert doc_path("/api/v1/x/<string(length=2):code>") == "/api/v1/x/{code}"


def test_every_route_is_documented_with_its_methods(app):
    doc = documented(openapi_document())
    actual = routes(app)
    assert len(actual) >= 15
    missing = {p: m for p, m in actual.items() if p not in doc}
    assert not missing, f"routes missing from the OpenAPI document: {missing}"
    wrong = {p: (m, doc[p]) for p, m in actual.items() if doc[p] != m}
    assert not wrong, f"methods differ (route, document): {wrong}"


def test_every_documented_path_is_a_route(app):
    actual = routes(app)
    extra = {p: m for p, m in documented(openapi_document()).items() if p not in actual}
    assert not extra, f"documented but not served: {extra}"


def test_contract_endpoints_are_all_there(app):
    doc = documented(openapi_document())
    contract = {
        ("GET", "/health"),
        ("GET", "/services"),
        ("POST", "/tickets"),
        ("GET", "/tickets/{ticket_id}"),
        ("GET", "/queue"),
        ("GET", "/openapi.json"),
        ("POST", "/counters/{number}/call-next"),
        ("POST", "/counters/{number}/recall"),
        ("POST", "/counters/{number}/complete"),
        ("POST", "/counters/{number}/no-show"),
        ("POST", "/counters/{number}/transfer"),
    }
    for method, path in contract:
        assert method in doc.get(API + path, set()), (method, path)


def test_served_document_equals_the_built_one(app):
    resp = app.test_client().get(f"{API}/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert resp.get_json() == json.loads(json.dumps(openapi_document()))


def test_document_shape_and_refs_resolve():
    doc = openapi_document()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert "bearer" in doc["components"]["securitySchemes"]

    def refs(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(doc))
    assert found
    for ref in found:
        assert ref.startswith("#/"), ref
        node: Any = doc
        for part in ref[2:].split("/"):
            assert part in node, f"dangling $ref {ref}"
            node = node[part]

    schemas = doc["components"]["schemas"]
    ticket = schemas["Ticket"]["properties"]
    for field in (
        "id",
        "number",
        "service",
        "status",
        "priority",
        "ahead",
        "issued_at",
        "counter",
        "status_url",
    ):
        assert field in ticket, field
    status = ticket["status"]  # a $ref to the domain's TicketStatus enum
    status = schemas[status["$ref"].rsplit("/", 1)[1]] if "$ref" in status else status
    assert set(status["enum"]) == {
        "waiting",
        "called",
        "serving",
        "done",
        "no_show",
        "cancelled",
    }
    snapshot = doc["components"]["schemas"]["Snapshot"]
    assert {"epoch", "seq", "counters", "waiting"} <= set(snapshot["required"])
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    error = schemas[error["$ref"].rsplit("/", 1)[1]] if "$ref" in error else error
    assert {"code", "message"} <= set(error["required"])


def test_path_parameters_are_declared():
    for path, item in openapi_document()["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
            for p in op.get("parameters", []):
                if p["in"] == "path":
                    assert p["required"] is True


def test_operations_have_summaries_and_error_schemas():
    for path, item in openapi_document()["paths"].items():
        for method, op in item.items():
            assert op.get("summary"), (method, path)
            for status, response in op["responses"].items():
                assert response.get("description"), (method, path, status)
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


def responses(method: str, path: str) -> dict[str, Any]:
    return openapi_document()["paths"][API + path][method.lower()]["responses"]  # type: ignore[no-any-return]


# What ../shared/docs/contract.md says each route can answer.
CONTRACT_STATUSES = {
    ("POST", "/tickets"): {"201", "400", "401", "403", "404", "409"},
    ("GET", "/tickets/{ticket_id}"): {"200", "404"},
    **{
        ("POST", f"/counters/{{number}}/{action}"): {"200", "400", "401", "403", "404", "409"}
        for action in ("call-next", "recall", "complete", "no-show", "transfer")
    },
    ("GET", "/health"): {"200"},
    ("GET", "/services"): {"200"},
    ("GET", "/queue"): {"200"},
    ("GET", "/openapi.json"): {"200"},
}


@pytest.mark.parametrize(("method", "path"), sorted(CONTRACT_STATUSES))
def test_contract_statuses_are_documented(method, path):
    assert CONTRACT_STATUSES[(method, path)] <= set(responses(method, path))


def test_issue_errors_name_their_codes():
    r = responses("POST", "/tickets")
    assert "unknown_service" in r["404"]["description"]
    for code in ("closed_hours", "daily_cap_reached", "numbers_exhausted"):
        assert code in r["409"]["description"], code
    assert "413" in r


def test_routes_needing_a_token_document_401_and_403():
    for path, item in openapi_document()["paths"].items():
        for method, op in item.items():
            if op.get("security"):
                assert {"401", "403"} <= set(op["responses"]), (method, path)


def test_every_status_a_route_answers_is_documented(app):
    """Probe each route with the usual mistakes; whatever status comes back must be documented."""
    from queue_server.auth import create_token

    ext = app.extensions["motcua"]

    def tok(role: str, counter: int | None = None) -> dict[str, str]:
        return auth(create_token(ext.db, ext.desk.clock, role=role, site="test", counter=counter))

    admin, kiosk, clerk2 = tok("admin"), tok("kiosk"), tok("clerk", 2)
    client = app.test_client()
    issued = client.post(f"{API}/tickets", json={"service": "HT"}, headers=admin)
    assert issued.status_code == 201
    ticket_id = issued.get_json()["ticket"]["id"]
    json_ct = {"Content-Type": "application/json"}
    big = json.dumps({"x": "y" * 20_000}).encode()

    undocumented = []
    doc = openapi_document()["paths"]
    for path, methods in routes(app).items():
        if path.endswith("/_test/drop-next-event"):
            continue  # a test hook
        for method in methods:
            documented_statuses = set(doc[path][method.lower()]["responses"])
            probes: list[tuple[str, bytes | None, dict[str, str]]] = []
            for number, tid in (("1", ticket_id), ("99", "x" * 16)):
                real = path.replace("{number}", number).replace("{ticket_id}", tid)
                probes += [
                    (real, None, {}),
                    (real, None, kiosk),
                    (real, None, clerk2),
                    (real, None, admin),
                    (real + "?site=nowhere", None, admin),
                    (real, b"{oops", {**admin, **json_ct}),
                    (real, b"[]", {**admin, **json_ct}),
                    (real, b'{"zz": 1}', {**admin, **json_ct}),
                    (real, b'{"service": "ZZ", "ticket": "A0999"}', {**admin, **json_ct}),
                    (real, b'{"service": "DD", "ticket": "A0001"}', {**admin, **json_ct}),
                    (real, big, {**admin, **json_ct}),
                ]
            for url, data, headers in probes:
                resp = client.open(url, method=method, data=data, headers=headers)
                assert resp.status_code < 500, (method, url, resp.get_data(as_text=True))
                if str(resp.status_code) not in documented_statuses:
                    undocumented.append((method, path, resp.status_code, url[-30:]))
    assert not undocumented, "statuses answered but not documented: " + "\n".join(
        sorted({f"{m} {p} -> {s}" for m, p, s, _ in undocumented})
    )
