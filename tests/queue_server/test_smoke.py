"""A first end-to-end pass through the desk on both backends."""

from queue_server.domain.model import TicketStatus


def test_issue_call_complete(desk):
    a = desk.issue("HT")
    b = desk.issue("HT")
    assert (a.ticket.number, b.ticket.number) == ("A0001", "A0002")
    assert b.ahead == 1
    called = desk.call_next(1)
    assert called.ticket.id == a.ticket.id and called.ticket.status is TicketStatus.CALLED
    done = desk.complete(1)
    assert done.ticket.status is TicketStatus.DONE
