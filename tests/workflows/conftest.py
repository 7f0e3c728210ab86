"""People and cases for the referral-flow tests: two regions, two LAs in one of them."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import Role
from referrals.models import Referral, ReferralStatus
from regions.selectors import route_local_authority
from regions.services import team_add_member
from workflows.referral.intake import referral_process_start

CAMDEN, WESTMINSTER, MANCHESTER = "E09000007", "E09000033", "E08000003"


def make_user(email: str, role: Role, *teams) -> User:
    user = User.objects.create_user(email=email, password="x" * 12, full_name=email.split("@")[0])
    user.groups.add(Group.objects.get(name=role.value))
    for team in teams:
        team_add_member(team=team, user=user)
    return user


@dataclass
class People:
    referrer: User
    other_referrer: User
    police: User
    police2: User
    la: User
    la2: User
    adviser: User
    adviser2: User
    police_other_region: User
    la_other_la: User
    adviser_other_region: User
    westminster_la: User
    panel: User
    compliance: User


@pytest.fixture
def people(db) -> People:
    camden = route_local_authority(CAMDEN)
    westminster = route_local_authority(WESTMINSTER)
    manchester = route_local_authority(MANCHESTER)
    return People(
        referrer=make_user("dsl@school.example", Role.REFERRER),
        other_referrer=make_user("dsl@other-school.example", Role.REFERRER),
        police=make_user("pc.one@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team),
        police2=make_user("pc.two@police.example", Role.CTP_PREVENT_OFFICER, camden.ctp_team),
        la=make_user("lead@camden.example", Role.LA_PREVENT_LEAD, camden.la_team),
        la2=make_user("lead2@camden.example", Role.LA_PREVENT_LEAD, camden.la_team),
        adviser=make_user("adviser@ho.example", Role.REGIONAL_ADVISER, camden.regional_team),
        adviser2=make_user("adviser2@ho.example", Role.REGIONAL_ADVISER, camden.regional_team),
        police_other_region=make_user(
            "pc@nw-police.example", Role.CTP_PREVENT_OFFICER, manchester.ctp_team
        ),
        la_other_la=make_user("lead@manchester.example", Role.LA_PREVENT_LEAD, manchester.la_team),
        adviser_other_region=make_user(
            "adviser@nw.example", Role.REGIONAL_ADVISER, manchester.regional_team
        ),
        westminster_la=make_user(
            "lead@westminster.example", Role.LA_PREVENT_LEAD, westminster.la_team
        ),
        panel=make_user("panel@camden.example", Role.CHANNEL_PANEL_MEMBER, camden.channel_panel),
        compliance=make_user("scu@ho.example", Role.COMPLIANCE),
    )


_counter = iter(range(1, 10**6))


def submit_referral(
    referrer: User,
    *,
    la_code: str = CAMDEN,
    dob: date = date(1990, 5, 1),
    first_name: str = "Testy",
    last_name: str = "McExample",
) -> Referral:
    """A complete referral, routed and started the way submission does it."""
    route = route_local_authority(la_code)
    referral = Referral.objects.create(
        created_by=referrer,
        status=ReferralStatus.SUBMITTED,
        reference=f"PRV-2026-{next(_counter):06d}",
        first_name=first_name,
        last_name=last_name,
        date_of_birth=dob,
        local_authority=route.local_authority,
        region=route.region,
        police_force_area=route.police_force_area,
        referrer_email=referrer.email,
        concern_type="extreme_right_wing",
        narrative="Shared violent extremist material.",
    )
    referral_process_start(referral=referral, actor=referrer)
    referral.refresh_from_db()
    return referral


@pytest.fixture
def referral(people) -> Referral:
    return submit_referral(people.referrer)


@pytest.fixture
def child_referral(people) -> Referral:
    return submit_referral(people.referrer, dob=date(2011, 3, 2), first_name="Young")
