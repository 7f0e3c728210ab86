"""Factory Boy factories: one per meaningful state of a user or a referral.

Reference data (regions, local authorities, teams, role groups) comes from migrations; use the
`regions_loaded` fixture in transactional tests, which flush it.
"""

from datetime import date, timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from referrals.duplicates import search_names_for
from referrals.models import (
    Awareness,
    ConcernType,
    Gender,
    InformationRequest,
    Referral,
    ReferralStatus,
    Sector,
)
from regions.models import LocalAuthority, Postcode
from regions.selectors import route_local_authority

CAMDEN, WESTMINSTER, MANCHESTER = "E09000007", "E09000033", "E08000003"
# Postcodes of public buildings, as in the demo data.
POSTCODES = {"NW1 2DB": CAMDEN, "SW1A 2AA": WESTMINSTER, "M60 2LA": MANCHESTER}
PASSWORD = "correct horse battery staple"


def postcodes_load() -> None:
    for postcode, code in POSTCODES.items():
        Postcode.objects.update_or_create(
            postcode=postcode,
            defaults={
                "country": Postcode.Country.ENGLAND,
                "local_authority": LocalAuthority.objects.get(code=code),
            },
        )


def _add_role(user: User, create: bool, role) -> None:
    if create and role:
        group, _ = Group.objects.get_or_create(name=Role(role).value)
        user.groups.add(group)


class UserFactory(factory.django.DjangoModelFactory):
    """A user; `role` (a Role) puts them in that role's group, `teams` adds team membership."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.gov.uk")
    full_name = factory.Faker("name", locale="en_GB")
    organisation = "Example Academy"
    job_title = "Designated safeguarding lead"
    phone = "020 7946 0000"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    role = factory.PostGeneration(
        lambda user, create, extracted, **kw: _add_role(user, create, extracted)
    )

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            from regions.services import team_add_member

            for team in extracted:
                team_add_member(team=team, user=self)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class ReferrerFactory(UserFactory):
    email = factory.Sequence(lambda n: f"dsl{n}@school{n}.example.sch.uk")
    organisation = factory.Sequence(lambda n: f"Example School {n}")
    role = factory.PostGeneration(
        lambda user, create, extracted, **kw: _add_role(user, create, extracted or Role.REFERRER)
    )


def _letters(n: int) -> str:
    """0 -> 'Aa', 1 -> 'Ab'...: distinct names that survive name normalisation (no digits)."""
    word = ""
    n += 26
    while n:
        n, rest = divmod(n, 26)
        word = "abcdefghijklmnopqrstuvwxyz"[rest] + word
    return word.capitalize()


def _local_authority(code: str = CAMDEN) -> LocalAuthority:
    return LocalAuthority.objects.get(code=code)


class DraftReferralFactory(factory.django.DjangoModelFactory):
    """A draft with every page answered (so it can be submitted), not yet submitted."""

    class Meta:
        model = Referral

    class Params:
        la_code = CAMDEN

    created_by = factory.SubFactory(ReferrerFactory)
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Test{_letters(n)}")
    # Different people by default: distinct names and dates of birth, so no accidental matches.
    date_of_birth = factory.Sequence(lambda n: date(2008, 1, 1) + timedelta(days=n % 3000))
    gender = Gender.NOT_KNOWN
    address_line_1 = "1 Example Street"
    town = "London"
    postcode = "NW1 2DB"
    local_authority = factory.LazyAttribute(lambda o: _local_authority(o.la_code))
    school_or_employer = "Example Academy"
    person_aware = Awareness.NO
    referrer_name = factory.LazyAttribute(lambda o: o.created_by.full_name)
    referrer_role = "Designated safeguarding lead"
    referrer_organisation = factory.LazyAttribute(lambda o: o.created_by.organisation)
    referrer_sector = Sector.EDUCATION
    referrer_email = factory.LazyAttribute(lambda o: o.created_by.email)
    referrer_phone = "020 7946 0000"
    concern_type = ConcernType.NO_CLEAR_IDEOLOGY
    narrative = "Has been sharing violent material with younger pupils."
    seen_or_heard = "A teacher saw videos on the pupil's phone in class."
    seen_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=3))
    immediate_risk = False


class EmptyDraftReferralFactory(factory.django.DjangoModelFactory):
    """A draft just started: only 'About you' is filled in, as the service does."""

    class Meta:
        model = Referral

    created_by = factory.SubFactory(ReferrerFactory)
    referrer_name = factory.LazyAttribute(lambda o: o.created_by.full_name)
    referrer_email = factory.LazyAttribute(lambda o: o.created_by.email)


_reference_numbers = iter(range(900000, 999999))


class SubmittedReferralFactory(DraftReferralFactory):
    """A submitted and routed referral (without a workflow process: for reads and matching)."""

    class Meta:
        skip_postgeneration_save = True

    status = ReferralStatus.SUBMITTED
    reference = factory.LazyFunction(lambda: f"PRV-2026-{next(_reference_numbers):06d}")
    submitted_at = factory.LazyFunction(timezone.now)
    declaration_confirmed = True

    @factory.post_generation
    def routed(self, create, extracted, **kwargs):
        route = route_local_authority(self.local_authority)
        self.region = route.region
        self.police_force_area = route.police_force_area
        self.search_names = search_names_for(self)
        if create:
            self.save(update_fields=["region", "police_force_area", "search_names"])


class InformationRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InformationRequest

    referral = factory.SubFactory(SubmittedReferralFactory)
    question = "Has the pupil said anything more since you referred them?"
    requested_by = factory.SubFactory(UserFactory, role=Role.LA_PREVENT_LEAD)
