"""The staff's admin pages: /admin/audit (Nhật ký thao tác), /admin/users (Người dùng) and
/admin/queue (Điều chỉnh hàng chờ).

Thin pages over the API: the server renders the frame and the texts (Vietnamese, or English
with ?lang=en); the page's script (static, CSP script-src 'self') signs nothing itself, it
uses the staff member's session cookie and sends the session's CSRF token on changes. Each
page stands alone, with its own header and a link back to /admin.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue

from ..audit import ACTIONS
from ..auth import PERSON_ROLES
from ..contract.enums import CallingPolicy
from ..contract.messages import MESSAGES
from .staff_pages import staff_page

bp = Blueprint(
    "admin_pages",
    __name__,
    template_folder="templates",
    static_folder="static/staff",
    static_url_path="/static/staff",
)

# Texts the scripts need, by prefix: the page's own, roles, states, actions, policies.
SCRIPT_TEXTS = ("staff.", "role.", "user_state.", "audit.", "counter_state.", "status.")


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "vi"


def _texts(lang: str) -> dict[str, str]:
    return {code: getattr(m, lang) for code, m in MESSAGES.items() if code.startswith(SCRIPT_TEXTS)}


def _page(template: str, title: str, **extra: object) -> ResponseReturnValue:
    lang = _lang()
    ext = current_app.extensions["motcua"]
    site = ext.desk.site(request.args.get("site"))
    texts = _texts(lang)
    return render_template(
        template,
        lang=lang,
        t=texts,
        texts=texts,
        title=texts[title],
        site=site,
        sites=ext.config.sites,
        other_lang="" if lang == "en" else "?lang=en",
        **extra,
    )


@bp.get("/admin/audit")
@staff_page("admin", "supervisor")
def audit_page() -> ResponseReturnValue:
    """Nhật ký thao tác: filters, the table, older pages, the CSV export."""
    return _page("staff_audit.html", "staff.audit_title", actions=ACTIONS, page="audit")


@bp.get("/admin/users")
@staff_page("admin", "supervisor")
def users_page() -> ResponseReturnValue:
    """Người dùng: the accounts of the site, and what an admin (or supervisor) may do."""
    return _page("staff_users.html", "staff.users_title", roles=PERSON_ROLES, page="users")


@bp.get("/admin/queue")
@staff_page("admin", "supervisor")
def queue_page() -> ResponseReturnValue:
    """Điều chỉnh hàng chờ: a ticket by its number, and each counter's fields for today."""
    return _page(
        "staff_queue.html", "staff.queue_title", policies=[p.value for p in CallingPolicy],
        page="queue",
    )  # fmt: skip


__all__ = ["bp"]
