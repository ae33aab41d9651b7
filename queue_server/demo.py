"""Demo sign-in: device tokens and staff accounts kept in the data dir so the printed links
and passwords work across restarts.

Demo accounts are made only in demo mode (`motcua run` without --config) and their usernames
start with DEMO_PREFIX, which `motcua user create` refuses: so a server started with a real
centre file can tell them apart, and refuses to start while any of them may still sign in.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from .accounts import DEMO_PREFIX
from .auth import create_token, verify_token

DEMO_TOKENS = "demo-tokens.json"
DEMO_ACCOUNTS = "demo-accounts.json"


def demo_tokens(ext: Any) -> dict[str, str]:
    """Tokens for the demo's kiosk, display, admin, device agent and every clerk (created once)."""
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
        "agent": ("agent", None),
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


def saved_demo_tokens(ext: Any) -> dict[str, str]:
    """The demo's tokens as `demo_tokens` saved them ({} when missing or incomplete)."""
    path = Path(ext.config.server.data_dir) / DEMO_TOKENS
    try:
        saved = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    site = ext.config.default_site
    wanted = {"kiosk", "admin", *(f"clerk-{c.number}" for c in site.counters)}
    if not isinstance(saved, dict) or not wanted <= saved.keys():
        return {}
    return {k: str(v) for k, v in saved.items()}


def demo_links(ext: Any, base: str) -> list[tuple[str, str]]:
    """What `motcua run` prints: every page to open and, in demo mode, the sign-in it needs."""
    site = ext.config.default_site
    tokens = demo_tokens(ext) if ext.config.demo else {}
    kiosk = f"?token={tokens['kiosk']}" if tokens else ""
    links = [
        ("Kiosk lấy số / ticket kiosk", f"{base}/kiosk{kiosk}"),
        ("Màn hình sảnh / lobby display", f"{base}/display"),
        ("Màn hình sảnh (tiếng Anh) / lobby in English", f"{base}/display?lang=en"),
    ]
    for c in site.counters:
        links.append(
            (
                f"Màn hình {c.name} / counter display {c.number}",
                f"{base}/display/counter/{c.number}",
            )
        )
    for c in site.counters:
        sign_in = f"?token={tokens[f'clerk-{c.number}']}" if tokens else ""
        links.append(
            (
                f"Bàn làm việc {c.name} / clerk console {c.number}",
                f"{base}/counter/{c.number}{sign_in}",
            )
        )
    if tokens and ext.config.server.demo_devices:
        links.append(
            ("Thiết bị mô phỏng / simulated keypads and LED boards", f"{base}/demo/devices")
        )
    links += [
        ("Tổng quan / overview", f"{base}/"),
        ("API (OpenAPI)", f"{base}/api/v1/openapi.json"),
    ]
    if not tokens:
        links.append(
            ("Mã đăng nhập / sign-in codes", "motcua token create --role clerk --counter N")
        )
        return links
    links.append(("Mã kiosk / kiosk token", tokens["kiosk"]))
    links.append(("Mã quản trị / admin token", tokens["admin"]))
    links.append(
        (
            "Thử lấy số / try it",
            f"curl -X POST {base}/api/v1/tickets -H 'Authorization: Bearer {tokens['kiosk']}' "
            "-H 'Content-Type: application/json' -d '{\"service\": \"HT\"}'",
        )
    )
    return links


def safety_notes(ext: Any) -> list[tuple[str, str]]:
    """What `motcua run` says about who can do what (Vietnamese, English): the demo's
    anonymous keypads, and slips' QR codes without a public_url."""
    from .contract.messages import render

    server = ext.config.server
    notes = []
    if ext.config.demo and ext.demo_devices is not None:  # keypads only when they run
        if server.loopback:
            notes.append(render("cli.demo_local"))
        elif server.public_demo:
            notes.append(render("cli.demo_public", url=ext.printing.link_base))
        else:
            notes.append(render("cli.demo_locked", host=server.host))
    if not server.public_url:  # every site's slips carry a QR code of the status link
        notes.append(render("cli.no_public_url", url=ext.printing.link_base))
    return notes


def demo_accounts(ext: Any) -> list[tuple[str, str, str, str]]:
    """The demo's staff accounts, made when missing, as (username, role, name, password): an
    administrator, a supervisor and one clerk per counter of the demo centre, each with a
    random password kept (0600) in the data dir so that a restart prints the same ones."""
    from .accounts import create_user, find_user, set_password

    path = Path(ext.config.server.data_dir) / DEMO_ACCOUNTS
    try:
        saved: dict[str, str] = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        saved = {}
    site = ext.config.default_site
    wanted: list[tuple[str, str, str, list[int] | None]] = [
        (f"{DEMO_PREFIX}admin", "admin", "Quản trị viên (demo)", None),
        (f"{DEMO_PREFIX}supervisor", "supervisor", "Giám sát viên (demo)", None),
        *((f"{DEMO_PREFIX}clerk-{c.number}", "clerk", f"Cán bộ {c.name} (demo)", [c.number])
          for c in site.counters),
    ]  # fmt: skip
    clock = ext.desk.clock
    out: list[tuple[str, str, str, str]] = []
    for username, role, name, counters in wanted:
        password = saved.get(username)
        found = find_user(ext.db, username)
        if found is None:
            password = secrets.token_urlsafe(9)
            create_user(
                ext.db, clock, username=username, password=password, role=role,
                site=site.code, name=name, counters=counters, demo=True,
            )  # fmt: skip
        elif not isinstance(password, str):  # made by another data dir: a fresh password
            password = secrets.token_urlsafe(9)
            set_password(ext.db, clock, username, password)
        saved[username] = password
        out.append((username, role, name, password))
    path.write_text(json.dumps(saved, indent=1), "utf-8")
    path.chmod(0o600)
    return out


def live_demo_accounts(db: Any) -> list[str]:
    """Demo accounts that could still sign in (active, not locked): a real centre's server
    refuses to start while there are any."""
    from .accounts import list_users

    return [
        u.username
        for u in list_users(db)
        if u.username.startswith(DEMO_PREFIX) and u.active and not u.locked
    ]
