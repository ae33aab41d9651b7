"""The queue's corrections for supervisors (and admins) at their site.

Besides cancelling or returning any ticket by its printed number (web.api's by-number
routes, open to supervisors too): close a counter left open, ending the ticket it holds
(`force-close`), and move a counter's fields for the rest of the day (`services`). Each is
audited in the transaction that makes it.
"""

from __future__ import annotations

from ..contract import models as m
from ..contract.enums import CallingPolicy
from .api import api, base_url, desk, site, ticket_answer
from .auditing import request_entry
from .routes import principal
from .serialize import counter_now

CORRECTORS = ("supervisor", "admin")


@api.post(
    "/counters/<int:number>/force-close",
    response=m.ForceCloseAnswer,
    roles=CORRECTORS,
    path=m.CounterPath,
    query=m.SiteQuery,
    body=m.Empty,
    errors=("unknown_site", "unknown_counter", "ticket_taken"),
)
def force_close(path: m.CounterPath, query: m.SiteQuery) -> m.ForceCloseAnswer:
    """Close a counter left open (Đóng quầy bị bỏ quên), never losing its ticket

    For a supervisor or an admin of the site, whoever opened it. The ticket it holds ends
    first: one called but not started goes back to its field's queue (logged as a no-show,
    then returned, keeping its place when the site's `return_keeps_place` is on), so any
    counter of the field calls it again; one being served is completed. The counter is then
    closed («Đã đóng quầy») and open with no clerk; screens are told at once.
    """
    s = site(query)
    view, ticket = desk().force_close(
        path.number, site_code=s.code, actor=principal().actor,
        audit=request_entry("counter.force_close", f"counter {path.number}", s.code),
    )  # fmt: skip
    return m.ForceCloseAnswer(
        counter=counter_now(view, s, base_url()),
        ticket=ticket_answer(ticket).ticket,
    )


@api.put(
    "/counters/<int:number>/services",
    response=m.DayFieldsAnswer,
    roles=CORRECTORS,
    path=m.CounterPath,
    query=m.SiteQuery,
    body=m.DayFieldsRequest,
    errors=("unknown_site", "unknown_counter", "unknown_service", "no_services"),
)
def day_fields(
    path: m.CounterPath, query: m.SiteQuery, body: m.DayFieldsRequest
) -> m.DayFieldsAnswer:
    """Move a counter's fields for the rest of today (Đổi lĩnh vực hôm nay)

    `services` in calling order (field_order: the first field's tickets first), `policy`
    optionally. Calls at the counter use them until the site's midnight, then the centre's
    own fields again. Screens get a `counter.state` event and the snapshot lists the new
    fields.
    """
    s = site(query)
    counter = desk().set_day_fields(
        path.number, body.services, CallingPolicy(body.policy) if body.policy else None,
        site_code=s.code, actor=principal().actor,
        audit=request_entry("counter.services", f"counter {path.number}", s.code),
    )  # fmt: skip
    return m.DayFieldsAnswer(
        number=counter.number, services=list(counter.services), policy=counter.policy,
        day=s.local_day(desk().clock.now()).isoformat(),
    )  # fmt: skip
