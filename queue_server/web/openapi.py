"""The OpenAPI 3.1 document of API v1, kept beside the routes (a test checks they agree)."""

from __future__ import annotations

from typing import Any

from .. import __version__

ERROR = {"$ref": "#/components/schemas/Error"}
TICKET_RESP = {"$ref": "#/components/schemas/TicketResponse"}
COUNTER_ROLES = "clerk of this counter, agent, admin"


def _err(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": ERROR}}}


def _ok(desc: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": schema}}}


def _body(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return {"required": bool(required), "content": {"application/json": {"schema": schema}}}


NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "Counter number as shown to citizens (Quầy số 3 is 3).",
}
TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}
SITE = {
    "name": "site",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Site code; the token's site, else the first configured site.",
}
AUTHED = {
    "401": _err("missing or invalid token"),
    "403": _err("role or counter not allowed"),
}


def _counter_action(summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "description": f"Who: {COUNTER_ROLES}.",
        "security": [{"bearer": []}],
        "parameters": [NUMBER, SITE],
        "responses": {
            "200": _ok("the ticket", TICKET_RESP),
            "400": _err("malformed body"),
            **AUTHED,
            "404": _err("unknown counter, service or ticket"),
            "409": _err("illegal transition, no current ticket, counter paused or closed"),
            "413": _err("body too large"),
        },
    }
    if body:
        op["requestBody"] = body
    return {"post": op}


def _counter_state(summary: str) -> dict[str, Any]:
    op = _counter_action(summary)
    op["post"]["responses"]["200"] = _ok(
        "the counter", {"type": "object", "properties": {"counter": {"type": "object"}}}
    )
    return op


def openapi_document() -> dict[str, Any]:
    """Build the document."""
    paths: dict[str, Any] = {
        "/api/v1/health": {
            "get": {
                "summary": "Liveness",
                "responses": {
                    "200": _ok("ok", {"type": "object", "properties": {"status": {"const": "ok"}}})
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI"}}}
        },
        "/api/v1/services": {
            "get": {
                "summary": "The site's services (procedure fields) and whether each is open",
                "parameters": [SITE],
                "responses": {
                    "200": _ok("services", {"$ref": "#/components/schemas/Services"}),
                    "404": _err("unknown site"),
                },
            }
        },
        "/api/v1/queue": {
            "get": {
                "summary": "SNAPSHOT of the lobby",
                "parameters": [SITE],
                "responses": {
                    "200": _ok("snapshot", {"$ref": "#/components/schemas/Snapshot"}),
                    "404": _err("unknown site"),
                },
            }
        },
        "/api/v1/tickets": {
            "post": {
                "summary": "Issue a ticket",
                "description": "Who: kiosk, admin. The ticket is committed before the answer "
                "and before it is printed. With `print`, the slip goes to the site's kiosk printer "
                "and `print` in the answer says how it went (a fault never loses the ticket). "
                "`procedure` adds that procedure's documents to the slip as a checklist.",
                "security": [{"bearer": []}],
                "parameters": [SITE],
                "requestBody": _body(
                    {
                        "service": {"type": "string"},
                        "priority": {"type": "boolean"},
                        "print": {"type": "boolean"},
                        "procedure": {"type": "string"},
                        "citizen_id": {
                            "type": "string",
                            "description": "phone or ID number, required when the site sets "
                            "one_ticket_per_citizen; only a keyed hash is stored",
                        },
                    },
                    ["service"],
                ),
                "responses": {
                    "201": _ok("the new ticket", {"$ref": "#/components/schemas/Issued"}),
                    "400": _err("malformed JSON, wrong types, unknown or missing field"),
                    **AUTHED,
                    "404": _err("unknown_service or unknown_procedure"),
                    "409": _err(
                        "closed_hours, daily_cap_reached, numbers_exhausted or already_has_ticket"
                    ),
                    "413": _err("body too large"),
                    "429": _err("rate_limited: too many tickets from this kiosk"),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}": {
            "get": {
                "summary": "A ticket (anyone holding its id), with its estimated wait",
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _ok("the ticket", {"$ref": "#/components/schemas/Issued"}),
                    "404": _err("unknown_ticket"),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/print": {
            "post": {
                "summary": "Print a ticket's slip again (after a printer fault)",
                "description": "Who: kiosk, admin.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "requestBody": _body({"procedure": {"type": "string"}}),
                "responses": {
                    "200": _ok(
                        "the ticket and the print result", {"$ref": "#/components/schemas/Issued"}
                    ),
                    "400": _err("malformed body"),
                    **AUTHED,
                    "404": _err("unknown_ticket or unknown_procedure"),
                    "413": _err("body too large"),
                },
            }
        },
        "/api/v1/printers": {
            "get": {
                "summary": "Kiosk printers: last result, fault, jobs, failures (for staff)",
                "description": "Who: clerk, agent, admin.",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("printers", {"type": "object"}), **AUTHED},
            }
        },
        "/api/v1/_test/printer-fault": {
            "post": {
                "summary": "Test hook: simulated printers fail with {fault} ({} clears it) "
                "(only with MOTCUA_TEST_HOOKS)",
                "requestBody": _body({"fault": {"type": "string"}}),
                "responses": {
                    "200": {"description": "set"},
                    "400": _err("malformed body"),
                    "404": _err("hooks disabled"),
                    "413": _err("body too large"),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/events": {
            "get": {
                "summary": "A ticket's log with waiting and handling times derived from it",
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _ok("log", {"$ref": "#/components/schemas/TicketLog"}),
                    "404": _err("unknown_ticket"),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/return": {
            "post": {
                "summary": "Put a no-show ticket back in its queue",
                "description": "Who: clerk, admin.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _ok("the ticket", TICKET_RESP),
                    "400": _err("malformed body"),
                    **AUTHED,
                    "404": _err("unknown_ticket"),
                    "409": _err("illegal_transition"),
                    "413": _err("body too large"),
                },
            }
        },
        "/api/v1/tickets/{ticket_id}/cancel": {
            "post": {
                "summary": "Cancel a waiting, called or no-show ticket",
                "description": "Who: clerk, admin.",
                "security": [{"bearer": []}],
                "parameters": [TICKET_ID],
                "responses": {
                    "200": _ok("the ticket", TICKET_RESP),
                    "400": _err("malformed body"),
                    **AUTHED,
                    "404": _err("unknown_ticket"),
                    "409": _err("illegal_transition"),
                    "413": _err("body too large"),
                },
            }
        },
        "/api/v1/counters/{number}/call-next": _counter_action(
            "Complete the current ticket, then call the next waiting one (ticket null if none)"
        ),
        "/api/v1/counters/{number}/call": _counter_action(
            "Call a specific ticket by printed number (today) or id",
            _body({"ticket": {"type": "string"}}, ["ticket"]),
        ),
        "/api/v1/counters/{number}/recall": _counter_action("Announce the current ticket again"),
        "/api/v1/counters/{number}/start": _counter_action(
            "The called citizen arrived: start serving"
        ),
        "/api/v1/counters/{number}/complete": _counter_action("Complete the current ticket"),
        "/api/v1/counters/{number}/no-show": _counter_action(
            "The called citizen did not come (Không có mặt)",
            _body({"requeue": {"type": "boolean", "description": "put it back in the queue"}}),
        ),
        "/api/v1/counters/{number}/transfer": _counter_action(
            "Move the current ticket to another service's queue",
            _body({"service": {"type": "string"}}, ["service"]),
        ),
        "/api/v1/counters/{number}/rating": _counter_action(
            "The citizen's satisfaction score for the ticket being served, or the one "
            "completed in the last 10 minutes (3 levels: Rất hài lòng / Hài lòng / Chưa hài lòng)",
            _body({"score": {"type": "integer"}, "scale": {"enum": [3, 5]}}, ["score"]),
        ),
        "/api/v1/counters/{number}/pause": _counter_state("Pause the counter (Tạm dừng)"),
        "/api/v1/counters/{number}/resume": _counter_state("Open the counter again (Tiếp tục)"),
        "/api/v1/counters/{number}/close": _counter_state("Close the counter"),
        "/api/v1/counters/{number}/waiting": {
            "get": {
                "summary": "Tickets waiting for this counter's services, in calling order",
                "parameters": [NUMBER, SITE],
                "responses": {
                    "200": _ok("tickets", {"type": "object"}),
                    "404": _err("unknown counter"),
                },
            }
        },
        "/api/v1/counters/{number}/stats": {
            "get": {
                "summary": "Today's figures for the counter: served, no_show, avg_service_seconds",
                "description": f"Who: {COUNTER_ROLES}.",
                "security": [{"bearer": []}],
                "parameters": [NUMBER, SITE],
                "responses": {
                    "200": _ok("figures", {"type": "object"}),
                    **AUTHED,
                    "404": _err("unknown counter"),
                },
            }
        },
        "/api/v1/_test/disconnect-displays": {
            "post": {
                "summary": "Test hook: the server drops every /display connection "
                "(only with MOTCUA_TEST_HOOKS)",
                "responses": {"200": {"description": "done"}, "404": _err("hooks disabled")},
            }
        },
        "/api/v1/agent/health": {
            "post": {
                "summary": "A device agent reports its devices' health",
                "description": "Who: agent. Body {name, devices: [{id, kind, state "
                "(ok|error|disconnected), counter, port, detail, counts}]}.",
                "security": [{"bearer": []}],
                "requestBody": _body(
                    {"name": {"type": "string"}, "devices": {"type": "array"}}, ["devices"]
                ),
                "responses": {
                    "200": _ok("stored", {"type": "object"}),
                    "400": _err("malformed body"),
                    **AUTHED,
                    "413": _err("body too large"),
                },
            }
        },
        "/api/v1/devices": {
            "get": {
                "summary": "Every agent's devices and the age of its last report (for staff)",
                "description": "Who: clerk, agent, admin.",
                "security": [{"bearer": []}],
                "responses": {"200": _ok("agents", {"type": "object"}), **AUTHED},
            }
        },
        "/api/v1/_test/drop-next-event": {
            "post": {
                "summary": "Test hook: drop the next display event (only with MOTCUA_TEST_HOOKS)",
                "responses": {"200": {"description": "armed"}, "404": _err("hooks disabled")},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MộtCửa Queue API",
            "version": __version__,
            "description": "Public contract v1: kiosks, displays, clerk consoles, device agents.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "parameters": {
                "IdempotencyKey": {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                    "description": "On any POST that needs a token: a retry with the same key "
                    "gets the first answer (header Idempotent-Replay: true), never a second "
                    "action. Used by device agents for key presses.",
                }
            },
            "schemas": SCHEMAS,
        },
    }


TICKET = {
    "type": "object",
    "required": ["id", "number", "service", "status", "priority", "issued_at", "status_url"],
    "properties": {
        "id": {"type": "string", "description": "opaque and unguessable; the QR code links to it"},
        "number": {"type": "string", "examples": ["A012", "1012"]},
        "service": {"type": "string"},
        "service_name": {"type": "string"},
        "status": {"enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
        "status_text": {"type": "string", "description": "Vietnamese status label"},
        "priority": {"type": "boolean"},
        "ahead": {"type": ["integer", "null"], "description": "people ahead, when waiting"},
        "issued_at": {"type": "string", "format": "date-time"},
        "called_at": {"type": ["string", "null"], "format": "date-time"},
        "counter": {"type": ["integer", "null"]},
        "counter_name": {"type": ["string", "null"]},
        "status_url": {"type": "string"},
        "site": {"type": "string"},
        "transferred_from": {"type": ["string", "null"]},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string", "description": "Vietnamese"},
                    "message_en": {"type": "string"},
                },
            }
        },
    },
    "Ticket": TICKET,
    "PrintResult": {
        "type": ["object", "null"],
        "properties": {
            "ok": {"type": "boolean"},
            "error_code": {
                "enum": ["offline", "paper_out", "cover_open", "timeout", "error", None]
            },
            "message": {"type": "string"},
            "message_en": {"type": "string"},
            "job_id": {"type": "string"},
            "paper_low": {"type": "boolean"},
        },
    },
    "Issued": {
        "type": "object",
        "properties": {
            "ticket": {"$ref": "#/components/schemas/Ticket"},
            "estimate_minutes": {"type": ["integer", "null"]},
            "print": {"$ref": "#/components/schemas/PrintResult"},
        },
    },
    "TicketResponse": {
        "type": "object",
        "properties": {
            "ticket": {"anyOf": [{"$ref": "#/components/schemas/Ticket"}, {"type": "null"}]}
        },
    },
    "Services": {
        "type": "object",
        "properties": {
            "site": {"type": "string"},
            "services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name", "prefix", "open"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "name_en": {"type": "string"},
                        "prefix": {"type": "string"},
                        "open": {"type": "boolean"},
                        "hours": {"type": "string"},
                        "daily_cap": {"type": ["integer", "null"]},
                        "remaining": {"type": ["integer", "null"]},
                        "first_number": {"type": "string"},
                        "last_number": {"type": "string"},
                        "icon": {"type": "string"},
                        "procedures": {"type": "array"},
                    },
                },
            },
        },
    },
    "Snapshot": {
        "type": "object",
        "required": ["epoch", "seq", "counters", "waiting"],
        "properties": {
            "epoch": {"type": "string"},
            "seq": {"type": "integer"},
            "site": {"type": "object"},
            "time": {"type": "string"},
            "counters": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "number": {"type": "integer"},
                        "name": {"type": "string"},
                        "state": {"enum": ["open", "paused", "closed"]},
                        "services": {"type": "array"},
                        "ticket": {
                            "anyOf": [{"$ref": "#/components/schemas/Ticket"}, {"type": "null"}]
                        },
                    },
                },
            },
            "waiting": {"type": "object", "additionalProperties": {"type": "integer"}},
            "services": {"type": "array"},
            "recent": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
        },
    },
    "TicketLog": {
        "type": "object",
        "properties": {
            "events": {"type": "array"},
            "wait_seconds": {"type": ["number", "null"]},
            "service_seconds": {"type": ["number", "null"]},
            "calls": {"type": "integer"},
        },
    },
}
