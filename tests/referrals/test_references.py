"""Reference numbers: unique by year, drawn without a lock held to commit (PostgreSQL: one
sequence per prefix and year, made on demand; SQLite: the counter row)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from compliance.models import Complaint, ComplaintReferenceCounter
from config.references import sequence_name, yearly_reference
from referrals.models import ReferenceCounter, Referral
from tests.factories import DraftReferralFactory
from workflows.referral.intake import referral_submit

PG_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


def _prv(year: int) -> str:
    return yearly_reference(prefix="PRV", year=year, counter_model=ReferenceCounter, model=Referral)


def _sequence_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_references_are_by_year_and_count_up():
    assert [_prv(2031), _prv(2031), _prv(2032)] == [
        "PRV-2031-000001",
        "PRV-2031-000002",
        "PRV-2032-000001",
    ]


@PG_ONLY
@pytest.mark.django_db
def test_a_new_year_starts_after_the_highest_reference_already_issued(referrer):
    """A database moving from the counter row to sequences never reissues a number."""
    DraftReferralFactory(created_by=referrer, reference="PRV-2033-000041")
    ReferenceCounter.objects.create(year=2034, last_number=7)
    assert _prv(2033) == "PRV-2033-000042"
    assert _prv(2034) == "PRV-2034-000008"


@PG_ONLY
@pytest.mark.django_db
def test_on_postgresql_each_year_has_its_sequence_and_the_counter_is_left_alone(referrer):
    year = timezone.localdate().year
    assert not _sequence_exists(sequence_name("PRV", year))
    referral = referral_submit(
        user=referrer,
        referral=DraftReferralFactory(created_by=referrer),
        declaration_confirmed=True,
    )
    assert referral.reference == f"PRV-{year}-000001"
    assert _sequence_exists(sequence_name("PRV", year))
    assert not ReferenceCounter.objects.exists()


@PG_ONLY
@pytest.mark.django_db
def test_complaints_have_their_own_sequence():
    year = 2035
    first = yearly_reference(
        prefix="CMP", year=year, counter_model=ComplaintReferenceCounter, model=Complaint
    )
    assert first == "CMP-2035-000001" and _sequence_exists("cmp_reference_2035")
    assert _prv(year) == "PRV-2035-000001"
    assert not ComplaintReferenceCounter.objects.exists()


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_reference_is_drawn_while_another_submission_is_still_open(transactional_db):
    """The number is not a lock held to commit: while one transaction that drew a reference
    stays open, another draws the next at once (a lock would time out here)."""
    year = 2036
    _prv(year)  # the year's sequence exists, committed
    drawn, release = threading.Event(), threading.Event()
    held: list[str] = []

    def open_submission() -> None:
        try:
            with transaction.atomic():
                held.append(_prv(year))
                drawn.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    other = threading.Thread(target=open_submission)
    other.start()
    try:
        assert drawn.wait(timeout=30)
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")
            mine = _prv(year)
        assert time.monotonic() - started < 0.5
    finally:
        release.set()
        other.join()
    assert held == ["PRV-2036-000002"] and mine == "PRV-2036-000003"


@PG_ONLY
@pytest.mark.django_db(transaction=True)
def test_a_number_drawn_by_a_transaction_that_rolls_back_is_not_reused(transactional_db):
    year = 2037
    _prv(year)
    with pytest.raises(RuntimeError), transaction.atomic():
        _prv(year)
        raise RuntimeError("submission failed")
    assert _prv(year) == "PRV-2037-000003", "unique, with a gap where the failed one was"
