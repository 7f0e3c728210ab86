"""Duplicate and repeat detection: true matches are linked, near-misses are not, nothing merges."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals.duplicates import (
    duplicates_find,
    duplicates_link,
    name_variants,
    normalise_name,
    search_names_for,
)
from referrals.models import Gender, PossibleDuplicate, Referral
from tests.factories import DraftReferralFactory, SubmittedReferralFactory

pytestmark = pytest.mark.django_db

DOB = date(2009, 4, 3)


def _earlier(**fields) -> Referral:
    fields.setdefault("date_of_birth", DOB)
    fields.setdefault("postcode", "NW1 2DB")
    fields.setdefault("submitted_at", timezone.now() - timedelta(days=200))
    return SubmittedReferralFactory(**fields)


def _new(**fields) -> Referral:
    fields.setdefault("date_of_birth", DOB)
    fields.setdefault("postcode", "M60 2LA")
    fields.setdefault("la_code", "E08000003")
    return SubmittedReferralFactory(**fields)


def test_names_are_normalised():
    assert normalise_name("  José  O'Brien-Smith ") == "jose obrien smith"
    assert name_variants(first_name="Jo", last_name="Bloggs", aliases="Joey\nJ B Smith\n") == [
        ["jo", "bloggs"],
        ["joey", "bloggs"],
        ["j", "b", "smith"],
    ]


@pytest.mark.parametrize(
    ("earlier", "new", "reason"),
    [
        (
            {"first_name": "Jordan", "last_name": "Smith"},
            {"first_name": "Jordan", "last_name": "Smith"},
            "Same name",
        ),
        (
            {"first_name": "Jordan", "last_name": "Smith"},
            {"first_name": "Smith", "last_name": "Jordan"},
            "Same name",
        ),
        (
            {"first_name": "Jordan", "last_name": "Smith", "aliases": "Jay Smithers"},
            {"first_name": "Jay", "last_name": "Smithers"},
            "Name matches a name they are also known by (Jay Smithers)",
        ),
        (
            {"first_name": "Jordan", "last_name": "Smith"},
            {"first_name": "Jay", "last_name": "Smithers", "aliases": "Jordan Smith"},
            "Name matches a name they are also known by",
        ),
        (
            {"first_name": "José", "last_name": "Álvarez"},
            {"first_name": "Jose", "last_name": "Alvarez"},
            "Same name",
        ),
        (
            {"first_name": "Mohammed", "last_name": "Khan"},
            {"first_name": "Muhammad", "last_name": "Kahn"},
            "Similar name",
        ),
        (
            {"first_name": "Jon", "last_name": "Smith"},
            {"first_name": "John", "last_name": "Smith"},
            "Similar name",
        ),
        (
            {"first_name": "Catherine", "last_name": "Jones"},
            {"first_name": "Katherine", "last_name": "Jones"},
            "Similar name",
        ),
    ],
)
def test_true_matches_on_name_and_date_of_birth(earlier, new, reason):
    previous = _earlier(**earlier)
    referral = _new(**new)
    links = duplicates_link(referral=referral)
    assert [link.earlier for link in links] == [previous]
    assert links[0].reasons[0].startswith(reason)
    assert "Same date of birth" in links[0].reasons
    assert links[0].decision == PossibleDuplicate.Decision.PENDING


def test_day_and_month_swapped_in_the_date_of_birth():
    previous = _earlier(first_name="Amira", last_name="Hussain", date_of_birth=date(2009, 4, 3))
    referral = _new(first_name="Amira", last_name="Hussain", date_of_birth=date(2009, 3, 4))
    [link] = duplicates_link(referral=referral)
    assert link.earlier == previous
    assert "Date of birth with day and month swapped" in link.reasons


def test_same_name_and_postcode_when_one_date_of_birth_is_unknown():
    previous = _earlier(first_name="Lee", last_name="Parker", postcode="NW1 2DB")
    referral = _new(
        first_name="Lee",
        last_name="Parker",
        postcode="NW1 2DB",
        la_code="E09000007",
        date_of_birth=None,
        approximate_age=previous.age_on(timezone.localdate()),
    )
    [link] = duplicates_link(referral=referral)
    assert link.earlier == previous
    assert set(link.reasons) >= {"Same name", "Similar age in the same area", "Same postcode"}


def test_repeat_referrals_are_all_linked_best_first():
    older = _earlier(
        first_name="Sam",
        last_name="Taylor",
        postcode="M60 2LA",
        submitted_at=timezone.now() - timedelta(days=700),
    )
    recent = _earlier(first_name="Sam", last_name="Taylor")
    referral = _new(first_name="Sam", last_name="Taylor", postcode="M60 2LA")
    links = duplicates_link(referral=referral)
    assert [link.earlier for link in links] == [older, recent], "postcode also agrees with older"
    assert links[0].score > links[1].score


NEAR_MISSES = [
    # A parent and child with the same name at the same address, born on different days.
    (
        {
            "first_name": "David",
            "last_name": "Brown",
            "date_of_birth": date(1980, 6, 1),
            "postcode": "M60 2LA",
        },
        {"first_name": "David", "last_name": "Brown", "date_of_birth": date(2009, 6, 1)},
    ),
    # Twins: same surname, birthday and address, different first names.
    (
        {"first_name": "Aisha", "last_name": "Khan", "postcode": "M60 2LA"},
        {"first_name": "Amira", "last_name": "Khan"},
    ),
    (
        {"first_name": "Hassan", "last_name": "Ali", "postcode": "M60 2LA"},
        {"first_name": "Hussein", "last_name": "Ali"},
    ),
    (
        {"first_name": "Tom", "last_name": "Green", "postcode": "M60 2LA"},
        {"first_name": "Tim", "last_name": "Green"},
    ),
    # Twins of different sexes with similar names.
    (
        {
            "first_name": "Daniel",
            "last_name": "Moore",
            "gender": Gender.MALE,
            "postcode": "M60 2LA",
        },
        {"first_name": "Danielle", "last_name": "Moore", "gender": Gender.FEMALE},
    ),
    # A similar name, but nothing else about the person agrees.
    (
        {
            "first_name": "John",
            "last_name": "Smyth",
            "date_of_birth": date(2008, 1, 5),
            "postcode": "NW1 2DB",
        },
        {"first_name": "John", "last_name": "Smith"},
    ),
    # The same name, but born on another day (and not a day/month swap).
    (
        {"first_name": "Oliver", "last_name": "Wood", "date_of_birth": date(2009, 4, 13)},
        {"first_name": "Oliver", "last_name": "Wood"},
    ),
    # Same birthday and postcode, a different person altogether.
    (
        {"first_name": "Priya", "last_name": "Patel", "postcode": "M60 2LA"},
        {"first_name": "Jordan", "last_name": "Smith"},
    ),
    # One shared name only: a surname is not a person.
    (
        {"first_name": "Chris", "last_name": "Evans", "postcode": "M60 2LA"},
        {"first_name": "Evans", "last_name": "Morgan"},
    ),
]


@pytest.mark.parametrize(("earlier", "new"), NEAR_MISSES)
def test_near_misses_are_not_linked(earlier, new):
    _earlier(**earlier)
    referral = _new(**new)
    assert duplicates_link(referral=referral) == []


def test_drafts_later_referrals_and_itself_are_never_candidates():
    DraftReferralFactory(first_name="Ana", last_name="Lopez", date_of_birth=DOB)
    referral = _new(first_name="Ana", last_name="Lopez")
    _new(first_name="Ana", last_name="Lopez", submitted_at=timezone.now() + timedelta(days=1))
    assert duplicates_link(referral=referral) == []


def test_linking_is_idempotent_and_keeps_decisions(referrer):
    previous = _earlier(first_name="Kai", last_name="Reed")
    referral = _new(first_name="Kai", last_name="Reed")
    [link] = duplicates_link(referral=referral)
    link.decision = PossibleDuplicate.Decision.DISMISSED
    link.save()
    again = duplicates_link(referral=referral)
    assert [(d.earlier, d.decision) for d in again] == [
        (previous, PossibleDuplicate.Decision.DISMISSED)
    ]
    assert PossibleDuplicate.objects.count() == 1
    assert Referral.objects.count() == 2, "nothing is merged"


def _queries_to_link(referral) -> int:
    with CaptureQueriesContext(connection) as captured:
        duplicates_link(referral=referral)
    return len(captured)


def test_query_count_does_not_grow_with_the_number_of_referrals():
    _earlier(first_name="Rae", last_name="Fox")
    few = _queries_to_link(_new(first_name="Rae", last_name="Fox"))
    for _ in range(20):
        _earlier(first_name="Rae", last_name="Fox")
    many = _queries_to_link(_new(first_name="Rae", last_name="Fox"))
    assert many == few
    # The first new referral found 1; the second finds the 21 earlier ones and the first new one.
    assert PossibleDuplicate.objects.filter(referral__first_name="Rae").count() == 1 + 22


def test_search_names_include_aliases_once():
    referral = SubmittedReferralFactory.build(
        first_name="Jo", last_name="Bloggs", aliases="Joey\nJo Smith"
    )
    assert search_names_for(referral) == "jo bloggs joey smith"


def test_unsubmitted_referrals_find_nothing():
    draft = DraftReferralFactory(first_name="Ana", last_name="Lopez")
    assert duplicates_find(referral=draft) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_trigram_index_exists_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'referrals_referral_search_names_trgm'"
        )
        assert cursor.fetchone()
        cursor.execute("SELECT similarity('mohammed khan', 'muhammad khan')")
        assert cursor.fetchone()[0] > 0.3
