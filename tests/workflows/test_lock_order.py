"""One lock order for every write to a case: its process row first, then anything else.

The rule is enforced (`case_audit` refuses an event about a case whose process row is not
locked), the lock remembers exactly the transaction that took it, and the flows' lock never
retries inside a transaction that has failed. On PostgreSQL, both branches of 50 cases are
completed at the same instant from threads: no deadlock, no error, one join each.
"""

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from compliance.models import AuditEvent
from tests.cases import (
    ALL_CLEAR,
    SHARED_AT_GATHERING,
    SubmittedCaseFactory,
    open_task,
    open_tasks,
    people_make,
    sharing,
    submit_referral,
)
from tests.factories import DraftReferralFactory, ReferrerFactory, postcodes_load
from workflows.engine import services as engine
from workflows.engine.locking import (
    LockOrderError,
    case_lock,
    case_lock_held,
    process_row_lock,
    task_lock,
)
from workflows.referral import services
from workflows.referral.flows import ReferralFlow
from workflows.referral.intake import referral_submit
from workflows.referral.models import ReferralProcess

PG_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def test_an_audit_event_about_a_case_before_its_lock_is_refused(people):
    referral = SubmittedCaseFactory(people=people)
    events = AuditEvent.objects.count()
    with transaction.atomic(), pytest.raises(LockOrderError, match="lock the case's process"):
        engine.case_audit("case.touched", user=people.police, referral=referral)
    assert AuditEvent.objects.count() == events


def test_after_the_case_lock_the_same_event_is_written(people):
    referral = SubmittedCaseFactory(people=people)
    with transaction.atomic():
        case_lock(referral)
        assert case_lock_held(referral.pk)
        engine.case_audit("case.touched", user=people.police, referral=referral)
    assert AuditEvent.objects.filter(action="case.touched", case_reference=referral.reference)


def test_the_lock_is_forgotten_when_its_savepoint_rolls_back(people):
    referral = SubmittedCaseFactory(people=people)
    with transaction.atomic():
        try:
            with transaction.atomic():
                case_lock(referral)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert not case_lock_held(referral.pk)
        with pytest.raises(LockOrderError):
            engine.case_audit("case.touched", user=people.police, referral=referral)


def test_a_lock_outside_a_transaction_is_refused(people):
    referral = SubmittedCaseFactory(people=people)
    # pytest-django runs the test inside a transaction: look, for a moment, as if outside any.
    wrapper = connections["default"]
    wrapper.in_atomic_block = False
    try:
        with pytest.raises(LockOrderError, match="outside a transaction"):
            case_lock(referral)
    finally:
        wrapper.in_atomic_block = True


def test_a_step_locks_its_process_row_once_and_first(people):
    """The service's first statement is the lock; Viewflow's own lock reuses it."""
    referral = SubmittedCaseFactory(people=people)
    task = open_task(referral, "police_acknowledge")
    with CaptureQueriesContext(connection) as captured:
        services.task_acknowledge(task=task, user=people.police)
    statements = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    process_table = ReferralProcess._meta.db_table
    locks = [sql for sql in statements if process_table in sql and "FOR UPDATE" in sql]
    if connection.features.has_select_for_update:
        assert len(locks) == 1
        assert statements[0] == locks[0]
    else:  # SQLite: no row locks (its transactions take the database write lock at BEGIN)
        assert process_table in statements[0]
    assert sorted(open_tasks(referral)) == ["la_acknowledge", "police_deconfliction"]


def test_every_step_and_case_action_follows_the_order(people):
    """A case carried through both branches, a note, a transfer-free case action and a claim
    writes its events without a single refusal (the check raises in tests)."""
    referral = SubmittedCaseFactory(people=people)
    engine.task_claim(task=open_task(referral, "police_acknowledge"), user=people.police)
    engine.task_unclaim(task=open_task(referral, "police_acknowledge"), user=people.police)
    engine.tasks_assign(
        tasks=[open_task(referral, "police_acknowledge")],
        assignee=people.police2,
        user=people.adviser,
    )
    services.case_note_add(referral=referral, user=people.la, kind="note", text="Called school")
    assert AuditEvent.objects.filter(action="task.assigned").count() == 1
    assert AuditEvent.objects.filter(action="case_note.added").count() == 1


def test_the_flows_lock_is_the_engines(people):
    assert ReferralFlow.lock_impl is process_row_lock


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_lock_that_fails_fails_once_without_retrying(transactional_db, regions_loaded):
    """Viewflow's SelectForUpdateLock retries a failed lock inside the same, now aborted,
    transaction; the engine's lock lets the first failure end the transaction."""
    people = people_make()
    referral = submit_referral(people.referrer)
    task = open_task(referral, "police_acknowledge")
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                task_lock(Task.objects.get(pk=task.pk))
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        with (
            CaptureQueriesContext(connection) as captured,
            pytest.raises(DatabaseError, match="lock timeout"),
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '200ms'")
            with process_row_lock(ReferralFlow, task.process_id):
                pass
        attempts = [q for q in captured if "FOR UPDATE" in q["sql"]]
        assert len(attempts) == 1
    finally:
        release.set()
        holder.join()


def _to_last_steps(people, referral) -> None:
    """Both branches up to their last step: information gathering and safeguarding checks."""
    services.task_acknowledge(task=open_task(referral, "police_acknowledge"), user=people.police)
    services.police_deconfliction_complete(
        task=open_task(referral, "police_deconfliction"), user=people.police, outcome="no_conflict"
    )
    services.police_gateway_checks_complete(
        task=open_task(referral, "police_gateway_checks"), user=people.police, checks=ALL_CLEAR
    )
    services.task_acknowledge(task=open_task(referral, "la_acknowledge"), user=people.la)
    services.la_initial_discussion_complete(
        task=open_task(referral, "la_initial_discussion"),
        user=people.la,
        held_on=referral.created_at.date(),
        summary="Discussed with the designated safeguarding lead.",
    )


CASES = 50
# Cases completed at the same instant per round: two threads (and connections) each, kept
# well inside the shared server's connection limit.
PER_ROUND = 10


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_both_branches_of_50_cases_completed_at_once_never_deadlock(
    transactional_db, regions_loaded
):
    people = people_make()
    cases = []
    for _ in range(CASES):
        referral = submit_referral(people.referrer)
        _to_last_steps(people, referral)
        cases.append(
            (
                referral,
                open_task(referral, "police_information_gathering"),
                open_task(referral, "la_safeguarding_checks"),
            )
        )
    errors: list[BaseException] = []

    def police(task) -> None:
        services.police_information_gathering_complete(
            task=task,
            user=people.police,
            summary="Spoke to the school; material confirmed.",
            **sharing(
                SHARED_AT_GATHERING, audience="local_authority", basis="crime_and_disorder_s115"
            ),
        )

    def la(task) -> None:
        services.la_safeguarding_checks_complete(
            task=task,
            user=people.la,
            social_care="Not known to social care",
            education="Attendance good",
            health="No concerns",
            domestic_abuse_result="no_concern",
            domestic_abuse_notes="Checked with the domestic abuse service: nothing held.",
        )

    def run(work, task, barrier) -> None:
        try:
            barrier.wait(timeout=60)
            work(task)
        except BaseException as exc:  # every failure is counted, whatever it is
            errors.append(exc)
        finally:
            connections.close_all()

    for start in range(0, CASES, PER_ROUND):
        batch = cases[start : start + PER_ROUND]
        barrier = threading.Barrier(2 * len(batch))
        threads = [
            threading.Thread(target=run, args=(work, task, barrier))
            for _referral, police_task, la_task in batch
            for work, task in ((police, police_task), (la, la_task))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    for referral, _police_task, _la_task in cases:
        process = referral.process
        joins = Task.objects.filter(process=process, flow_task=ReferralFlow.join_intake)
        assert joins.count() == 1, referral.reference
        assert sorted(open_tasks(referral)) == ["threshold_decision"], referral.reference
    completed = AuditEvent.objects.filter(action="task.completed")
    assert completed.filter(detail__stage="police_information_gathering").count() == CASES
    assert completed.filter(detail__stage="la_safeguarding_checks").count() == CASES


def test_a_start_counts_the_process_row_it_inserted_as_locked(people):
    """Nobody else can see an uncommitted row: the start does not lock what it just created,
    yet the lock order holds (the submission's audit events about the case are accepted)."""
    postcodes_load()
    referrer = ReferrerFactory(full_name="Sam Safeguarding", organisation="Example Academy")
    draft = DraftReferralFactory(created_by=referrer)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        referral = referral_submit(user=referrer, referral=draft, declaration_confirmed=True)
        assert case_lock_held(referral.pk)
    process_table = ReferralProcess._meta.db_table
    assert not [q for q in captured if process_table in q["sql"] and "FOR UPDATE" in q["sql"]]
    assert AuditEvent.objects.filter(case_reference=referral.reference, action="case.routed")
    assert sorted(open_tasks(referral)) == ["la_acknowledge", "police_acknowledge"]


def test_a_start_outside_an_application_transaction_marks_nothing(people):
    referral = submit_referral(people.referrer)  # the process started outside any atomic block
    assert not case_lock_held(referral.pk)
