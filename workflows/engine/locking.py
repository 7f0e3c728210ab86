"""The process lock, and the one lock order of every write to a case.

**The rule: the process row first, then anything else.** A transaction that changes a case
locks its process row (`SELECT ... FOR UPDATE`) before it writes anything, before it appends
to the audit chain (whose lock is held to commit) and before it updates a task's queue row.
Two writers of one case then queue on the process row and never hold each other's second
lock, so completing both branches of a case at the same instant cannot deadlock.

The engine takes the lock for every step: `task_work_check` and `task_completion` call
`task_lock` before anything else, the task page and the API lock before calling the step's
service, and case actions outside a task call `case_lock`. `case_audit` refuses an event
about a case whose process row this transaction has not locked, so a service that writes
its audit event first fails in the tests instead of deadlocking in production.

Which rows are locked is remembered for exactly as long as the lock lasts: a marker is
registered as a no-op commit callback, and Django drops those callbacks when the transaction
(or the savepoint that took the lock) rolls back and runs them away at commit. Under the test
suite every test is one database transaction (Django's test atomics), so a lock taken while
setting a case up would still be held when the code under test runs, and a service that
forgot its lock would pass unnoticed: there the marker lasts only as long as the outermost
atomic block the application itself opened (the service's), not the test's.

`ProcessLock` is the flows' `lock_impl`. Unlike Viewflow's `SelectForUpdateLock` it never
catches a database error and retries: after a failed statement PostgreSQL refuses every
further statement in the transaction ("current transaction is aborted"), so retrying inside
it can only fail again. A failure propagates, the whole transaction rolls back, and the
caller sees the real error.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction

from referrals.models import Referral

logger = logging.getLogger(__name__)


class LockOrderError(RuntimeError):
    """A case was written to before its process row was locked: a deadlock waiting to happen."""


def _application_scope() -> str | None:
    """The savepoint of the outermost atomic block not opened by a test case, if any.

    None in production, where the application's outermost block is the transaction itself.
    """
    for index, block in enumerate(connection.atomic_blocks):
        if not getattr(block, "_from_testcase", False):
            return connection.savepoint_ids[index - 1] if index else None
    return None


class _Held:
    """Marks one process row as locked by the current transaction (a no-op commit callback)."""

    __slots__ = ("flow_label", "process_pk", "referral_id", "scope")

    def __init__(self, flow_label: str, process_pk: int, referral_id: int | None):
        self.flow_label, self.process_pk, self.referral_id = flow_label, process_pk, referral_id
        self.scope = _application_scope()

    def __call__(self) -> None:
        """Nothing to do at commit: the lock ends with the transaction."""


def _held() -> Iterator[_Held]:
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Held) and (
            callback.scope is None or callback.scope in connection.savepoint_ids
        ):
            yield callback


def process_lock_held(process_class, process_pk: int) -> bool:
    label = process_class._meta.label_lower
    return any(h.process_pk == process_pk and h.flow_label == label for h in _held())


def case_lock_held(referral_id: int) -> bool:
    """Whether this transaction has locked a process row of the case (referral or Channel)."""
    return any(h.referral_id == referral_id for h in _held())


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise LockOrderError("A process lock outside a transaction would end at once.")


def _has_referral(process_class) -> bool:
    return any(f.name == "referral" for f in process_class._meta.concrete_fields)


def process_lock(process_class, process_pk: int) -> None:
    """Lock one process row until the current transaction ends; a no-op if already held.

    Blocking: a second writer of the same case waits here, before it has written anything.
    """
    _require_transaction()
    if process_lock_held(process_class, process_pk):
        return
    # Unordered and unjoined: the process table's own row, as Viewflow's lock takes it (an
    # ordering would join Viewflow's parent table and lock its row too).
    rows = process_class._default_manager.select_for_update().filter(pk=process_pk).order_by()
    field = "referral_id" if _has_referral(process_class) else "pk"
    found = list(rows.values_list(field, flat=True)[:1])
    referral_id = found[0] if found and field == "referral_id" else None
    transaction.on_commit(_Held(process_class._meta.label_lower, process_pk, referral_id))


def process_created(process) -> None:
    """Count a process row this transaction has just inserted as locked by it, without a query.

    Until commit no other transaction can see the row, let alone lock it, and at commit the
    lock would end anyway; so a flow's start (which locks the process it creates) need not
    lock it again. Outside a transaction the application opened (a start run on its own, as
    some tests do), nothing is marked and the start takes the lock as usual.
    """
    opened = any(not getattr(b, "_from_testcase", False) for b in connection.atomic_blocks)
    if opened and not process_lock_held(type(process), process.pk):
        transaction.on_commit(
            _Held(
                type(process)._meta.label_lower, process.pk, getattr(process, "referral_id", None)
            )
        )


def task_lock(task) -> None:
    """Lock the process row of the task's flow: the first statement of every step."""
    process_lock(task.flow_task.flow_class.process_class, task.process_id)


def case_lock(referral: Referral) -> None:
    """Lock the case's referral-process row, for a case action that is not a step.

    A no-op when this transaction already holds a process row of the case (a step of the
    referral or Channel flow calling a case action). A case without a process yet (a draft)
    has nothing to lock.
    """
    _require_transaction()
    if case_lock_held(referral.pk):
        return
    # The referral flow's process model, reached through its one-to-one to the referral:
    # the engine sits below the process packages and does not import them.
    process_class = Referral.process.related.related_model
    found = list(
        process_class._default_manager.select_for_update()
        .filter(referral_id=referral.pk)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
    if found:
        transaction.on_commit(_Held(process_class._meta.label_lower, found[0], referral.pk))


def case_lock_check(referral: Referral) -> None:
    """Refuse to write about a case whose process row this transaction has not locked.

    `WORKFLOW_LOCK_ORDER = "raise"` (tests, development) raises; "log" (production) logs
    the programming error and carries on, as the write itself is still correct.
    """
    if case_lock_held(referral.pk):
        return
    message = (
        f"{referral.reference or referral.pk}: lock the case's process row first "
        "(task_lock / case_lock) before writing to the case or its audit trail"
    )
    if getattr(settings, "WORKFLOW_LOCK_ORDER", "raise") == "raise":
        raise LockOrderError(message)
    logger.error("Lock order broken: %s", message)


class ProcessLock:
    """The flows' `lock_impl`: a blocking `SELECT ... FOR UPDATE` on the process row, once.

    No retry: a lock that fails (a deadlock detected, a lock timeout) fails its transaction.
    Re-entrant within a transaction: a row already locked is not locked again, and then no
    savepoint is opened either (the step's own transaction already holds everything).
    """

    @contextmanager
    def __call__(self, flow_class, process_pk: int) -> Iterator[None]:
        if connection.in_atomic_block and process_lock_held(flow_class.process_class, process_pk):
            yield
            return
        # A savepoint: a step refused inside the lock leaves the caller's transaction usable.
        with transaction.atomic():
            process_lock(flow_class.process_class, process_pk)
            yield


process_row_lock = ProcessLock()
