"""The audit events and notices of one engine operation, written together at its end.

A submission or a completion appends several events (the step's, the tasks it opens, the
routing) and queues several notices. Inside `writes_together` the engine collects them and
writes them as the operation ends, in the order they were made, still in its transaction: the
events in one INSERT (`audit_record_many`), the notices in one statement
(`notifications_queue_many`), after one query for the members of every team they go to.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from compliance.audit import audit_record, audit_record_many
from notifications.services import notification_queue, notifications_queue_many
from regions.models import TeamMembership


@dataclass
class _Writes:
    """The audit events and notices of one engine operation, written together at its end."""

    events: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)


_writes: ContextVar[_Writes | None] = ContextVar("engine_writes", default=None)


@contextmanager
def writes_together() -> Iterator[_Writes]:
    """Collect the audit events and notices written inside the block; write them as it ends,
    in order, still in the caller's transaction. A nested block joins the outermost; an
    exception writes nothing (the transaction is rolling back)."""
    pending = _writes.get()
    if pending is not None:
        yield pending
        return
    pending = _Writes()
    token = _writes.set(pending)
    try:
        yield pending
    finally:
        _writes.reset(token)
    audit_record_many(pending.events)
    notifications_queue_many(_with_members(pending.notices))


def _with_members(notices: list[dict]) -> list[dict]:
    """Each notice's `teams` (team ids) become their active members' addresses in `to`."""
    team_ids = {team_id for notice in notices for team_id in notice.get("teams", ())}
    members: dict[int, list[str]] = {}
    if team_ids:
        rows = TeamMembership.objects.filter(team_id__in=team_ids, user__is_active=True)
        for team_id, email in rows.values_list("team_id", "user__email"):
            members.setdefault(team_id, []).append(email)
    resolved = []
    for notice in notices:
        notice = dict(notice)
        teams = notice.pop("teams", ())
        notice["to"] = [*notice["to"], *(a for t in teams for a in members.get(t, []))]
        resolved.append(notice)
    return resolved


def notify(**notice) -> None:
    """Queue a notice: with the operation's others when inside `writes_together`.

    `teams` (ids) adds the active members of those teams to `to`.
    """
    pending = _writes.get()
    if pending is None:
        notification_queue(**_with_members([notice])[0])
    else:
        pending.notices.append(notice)


def event_record(event: dict) -> None:
    """Append an audit event (`audit_record`'s arguments): at once, or with the operation's."""
    pending = _writes.get()
    if pending is None:
        audit_record(**event)
    else:
        pending.events.append(event)
