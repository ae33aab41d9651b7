"""The OpenAPI 3.1 document, generated from the route declarations and their pydantic models.

Nothing here restates a shape: paths, parameters, bodies and answers come from each
`Route` (web.routes), schemas from the models' `model_json_schema`, enums from the domain,
and each error status from the catalogue kinds of the codes the route declares.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .. import __version__
from ..auth import PERSON_ROLES
from ..contract import models as m
from ..contract.messages import MESSAGES
from .errors import STATUS
from .routes import CSRF_HEADER, SESSION_COOKIE, Api, Route

REF = "#/components/schemas/{model}"
ERROR = {"$ref": "#/components/schemas/Error"}
COUNTER_ROLE_TEXT = "clerk of this counter"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": m.KEY_PATTERN},
    "description": "A retry with the same key gets the first answer (header "
    "Idempotent-Replay: true), never a second action. Used by device agents for key presses.",
}


def _apis(app: Flask | None) -> list[Api]:
    """The declared APIs: those registered on the app, else the public API alone."""
    from . import api, audit_api, corrections_api, session_api, testhooks, tokens_api, users_api

    _ = (session_api, users_api, audit_api, corrections_api, tokens_api)  # declared when imported

    if app is None:
        return [api.api]
    return [a for a in (api.api, testhooks.hooks) if a.blueprint.name in app.blueprints]


def openapi_document(app: Flask | None = None) -> dict[str, Any]:
    """The whole document for the app's routes (the public API when no app is given)."""
    return _document(tuple(r for a in _apis(app) for r in a.routes))


@cache
def _document(routes: tuple[Route, ...]) -> dict[str, Any]:
    schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    for route in routes:
        paths[_path(route.rule)][route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MộtCửa Queue API",
            "version": __version__,
            "description": "Public contract v1: kiosks, displays, clerk consoles, device agents. "
            "Errors are always {error: {code, message (Vietnamese), message_en}} with a 4xx "
            "status; a 500 is a bug.",
        },
        "paths": dict(paths),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "A staff member's session (POST /api/v1/session). Every "
                    f"change made with it also sends the session's `{CSRF_HEADER}` header "
                    "(GET /api/v1/me gives it).",
                },
            },
            "schemas": schemas,
        },
    }


def _schemas(routes: tuple[Route, ...]) -> dict[str, Any]:
    """Every body and answer model, with the models they use, under components/schemas."""
    wanted: dict[tuple[type[BaseModel], str], None] = {(m.Error, "serialization"): None}
    for route in routes:
        if route.body is not None:
            wanted[(route.body, "validation")] = None
        if route.response is not None:
            wanted[(route.response, "serialization")] = None
    _, top = models_json_schema(list(wanted), ref_template=REF)  # type: ignore[arg-type]
    return dict(sorted(top.get("$defs", {}).items()))


def _path(rule: str) -> str:
    """Flask's /counters/<int:number>/call-next as OpenAPI's /counters/{number}/call-next."""
    out, rest = "", rule
    while "<" in rest:
        head, _, tail = rest.partition("<")
        inner, _, rest = tail.partition(">")
        out += head + "{" + inner.rpartition(":")[2] + "}"
    return out + rest


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for where, model in (("path", route.path), ("query", route.query)):
        if model is None:
            continue
        schema = model.model_json_schema()
        required = set(schema.get("required", ()))
        fields = {f.alias or n: f for n, f in model.model_fields.items()}  # ?from= is from_
        for name, prop in schema.get("properties", {}).items():
            prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
            param: dict[str, Any] = {
                "name": name,
                "in": where,
                "required": where == "path" or name in required,
                "schema": prop,
            }
            description = fields[name].description
            if description:
                param["description"] = description
            params.append(param)
    if route.roles and route.method == "POST" and route.idempotent:
        params.append(IDEMPOTENCY_KEY)
    return params


def _ref(model: type[BaseModel], schemas: dict[str, Any], mode: str) -> dict[str, Any]:
    """$ref to a model's schema (pydantic names a model used both ways Name-Input/-Output)."""
    name = model.__name__
    if name not in schemas:
        name = f"{name}-{'Input' if mode == 'validation' else 'Output'}"
    assert name in schemas, f"no schema for {model.__name__}"
    return {"$ref": REF.format(model=name)}


def _people(route: Route) -> bool:
    """Whether staff signed in with a session may use the route (not only devices)."""
    return bool(set(route.roles) & set(PERSON_ROLES))


def _who(route: Route) -> str:
    roles = [COUNTER_ROLE_TEXT if r == "clerk" and route.path is m.CounterPath else r
             for r in route.roles]  # fmt: skip
    return f"Who: {', '.join(roles)}." if roles else ""


def _operation(route: Route, schemas: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": f"{'hook_' if route.hook else ''}{route.endpoint}",
    }
    description = " ".join(x for x in (_who(route), route.description) if x)
    if description:
        op["description"] = description
    if route.roles:
        op["security"] = [{"bearer": []}] + ([{"session": []}] if _people(route) else [])
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.body is not None:
        required = bool(route.body.model_json_schema().get("required"))
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": _ref(route.body, schemas, "validation")}},
        }
    answer = (
        {"schema": _ref(route.response, schemas, "serialization")}
        if route.response is not None
        else {
            "schema": {"type": "object"}
            if route.media == "application/json"
            else {"type": "string"}
        }
    )
    op["responses"] = {
        str(route.status): {
            "description": (route.response.__doc__ or route.summary).strip().splitlines()[0]
            if route.response is not None
            else route.summary,
            "content": {route.media: answer},
        },
        **_errors(route),
    }
    return op


def _errors(route: Route) -> dict[str, Any]:
    """Each error status the route can answer, naming the codes behind it."""
    codes: dict[int, list[str]] = defaultdict(list)
    if route.body is not None or route.query is not None:
        codes[400] += ["malformed_json", "invalid_body", "unknown_field", "invalid_field",
                       "missing_field", "unsupported_media_type"] if route.body is not None \
            else ["invalid_query"]  # fmt: skip
    if route.roles:
        codes[401] += ["missing_token", "unauthorized"]
        codes[403] += ["forbidden"]
        if _people(route):
            codes[401].append("session_expired")
            if route.method != "GET":
                codes[403].append("csrf_failed")
        if route.method == "POST" and route.idempotent:
            codes[400].append("invalid_idempotency_key")
            codes[409].append("idempotency_key_reused")
    for code in route.errors:
        kind = MESSAGES[code].kind
        assert kind is not None, f"{code} is not an error code"
        codes[STATUS[kind]].append(code)
    if route.body is not None:
        codes[413].append("payload_too_large")
    return {
        str(status): {
            "description": ", ".join(dict.fromkeys(found)),
            "content": {"application/json": {"schema": ERROR}},
        }
        for status, found in sorted(codes.items())
    }
