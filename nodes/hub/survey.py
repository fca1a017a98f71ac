"""The survey core: a citizen's rating of a finished ticket in, one event out. Pure.

Two kinds of rating (docs/reports.md, *SKM*): the SKM questionnaire of PermenPAN-RB 14/2017
from the ticket's web page (`SurveyAnswered`, nine answers and a comment) and the counter's
quick one-question score right after "finish" (`QuickScored`). Each may be given once per
ticket, and only for a ticket that was served to the end (`done`): a ticket still waiting,
skipped or cancelled was never served, so there is nothing to rate.

The queue records which kinds each ticket has had (`Queue.rated`, from the log on a
restart), and forgets them with the ticket after its day: a ticket can be rated on the day
it was served, which is when its holder still has the page open.
"""

from __future__ import annotations

from datetime import datetime

from nodes.hub.events import QuickScored, RateTicket, SurveyAnswered
from nodes.hub.queue import Queue, Rejected


def kind_of(command: RateTicket) -> str:
    """The event kind a rating becomes (the "once per kind" key)."""
    return QuickScored.kind if command.score is not None else SurveyAnswered.kind


def rate(queue: Queue, command: RateTicket, now: datetime) -> list[SurveyAnswered | QuickScored]:
    """The event of `command` at `now`; raises `Rejected`. Changes nothing."""
    if now.tzinfo is None:
        raise ValueError("rate() needs an aware datetime")
    ticket = queue.ticket(command.ticket_id)
    if ticket is None:
        raise Rejected(
            "unknown_ticket",
            "Nomor antrian ini tidak ditemukan. Survei dapat diisi pada hari pelayanan.",
        )
    if ticket.state != "done" or ticket.counter is None:
        raise Rejected(
            "invalid_state",
            f"Survei untuk antrian {ticket.number} dapat diisi setelah pelayanannya selesai.",
        )
    if kind_of(command) in queue.rated(ticket.ticket_id):
        raise Rejected(
            "invalid_state", f"Survei untuk antrian {ticket.number} sudah diisi. Terima kasih."
        )
    at = now.astimezone(queue.office.tz)
    if command.score is not None:
        return [QuickScored(at, ticket.day, ticket.ticket_id, ticket.service, ticket.counter,
                            command.node, command.score)]  # fmt: skip
    if command.answers is None:
        raise Rejected("bad_request", "Survei tanpa jawaban.")
    return [SurveyAnswered(at, ticket.day, ticket.ticket_id, ticket.service, ticket.counter,
                           command.node, dict(command.answers), command.comment)]  # fmt: skip
