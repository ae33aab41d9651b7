"""Demo sign-in: device tokens kept in the data dir so the printed links work across restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .auth import create_token, verify_token

DEMO_TOKENS = "demo-tokens.json"


def demo_tokens(ext: Any) -> dict[str, str]:
    """Tokens for the demo's kiosk, display, admin and every counter's clerk (created once)."""
    path = Path(ext.config.server.data_dir) / DEMO_TOKENS
    try:
        saved: dict[str, str] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        saved = {}
    site = ext.config.default_site
    wanted: dict[str, tuple[str, int | None]] = {
        "kiosk": ("kiosk", None),
        "display": ("display", None),
        "admin": ("admin", None),
        **{f"clerk-{c.number}": ("clerk", c.number) for c in site.counters},
    }
    tokens: dict[str, str] = {}
    for key, (role, counter) in wanted.items():
        token = saved.get(key)
        if not token or verify_token(ext.db, token) is None:
            token = create_token(
                ext.db,
                ext.desk.clock,
                role=role,
                site=site.code,
                counter=counter,
                name=f"demo {key}",
            )
        tokens[key] = token
    path.write_text(json.dumps(tokens, indent=1), "utf-8")
    path.chmod(0o600)
    return tokens


def demo_links(ext: Any, base: str) -> list[tuple[str, str]]:
    """What `motcua run` prints: every page to open and, in demo mode, the tokens to use."""
    links = [
        ("Tổng quan / overview", f"{base}/"),
        ("API (OpenAPI)", f"{base}/api/v1/openapi.json"),
        ("Hàng chờ / queue snapshot", f"{base}/api/v1/queue"),
    ]
    if not ext.config.demo:
        return links
    tokens = demo_tokens(ext)
    links.append(("Mã kiosk / kiosk token", tokens["kiosk"]))
    links.append(("Mã quản trị / admin token", tokens["admin"]))
    for c in ext.config.default_site.counters:
        links.append(
            (f"Mã {c.name} / clerk token, counter {c.number}", tokens[f"clerk-{c.number}"])
        )
    links.append(
        (
            "Thử lấy số / try it",
            f"curl -X POST {base}/api/v1/tickets -H 'Authorization: Bearer {tokens['kiosk']}' "
            "-H 'Content-Type: application/json' -d '{\"service\": \"HT\"}'",
        )
    )
    return links
