"""Demo users for every role in two regions. Used by `manage.py demo_data`, never in production."""

import secrets
from base64 import b32encode
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from regions.models import LocalAuthority, Postcode
from regions.selectors import route_local_authority
from regions.services import team_add_member

from .models import User
from .roles import Role
from .selectors import second_factor_required

DEMO_DEVICE_NAME = "Demo authenticator"

# Two regions, two local authorities each — enough to show that access stops at boundaries.
DEMO_AREAS = {
    "london": [("E09000007", "camden"), ("E09000033", "westminster")],
    "north-west": [("E08000003", "manchester"), ("E08000006", "salford")],
}
# Real postcodes of public buildings, so the journey's postcode lookup works in the demo.
DEMO_POSTCODES = {
    "SW1A 2AA": "E09000033",
    "SW1A 1AA": "E09000033",
    "NW1 2DB": "E09000007",
    "M60 2LA": "E08000003",
    "M5 4WT": "E08000006",
}


@dataclass
class DemoUsers:
    password: str
    by_key: dict[str, User] = field(default_factory=dict)
    # Base32 secret of each demo user's authenticator, by email (staff only).
    secrets: dict[str, str] = field(default_factory=dict)


def demo_device(user: User) -> TOTPDevice:
    """The demo user's confirmed authenticator, made once: its secret stays the same when the
    demo data is built again, so an app already set up with it keeps working."""
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_DEVICE_NAME, defaults={"confirmed": True}
    )
    return device


def demo_secret(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def demo_code(device: TOTPDevice) -> str:
    """The code the device's app would show now."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def second_factors_give(users: DemoUsers) -> None:
    """An authenticator for every demo user who needs one (again: keeps each secret)."""
    for user in users.by_key.values():
        if second_factor_required(user):
            users.secrets[user.email] = demo_secret(demo_device(user))


def _user(
    users: DemoUsers, key: str, email: str, name: str, role: Role, org: str, teams=()
) -> User:
    user, _ = User.objects.update_or_create(
        email=email, defaults={"full_name": name, "organisation": org, "is_active": True}
    )
    user.set_password(users.password)
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role.value))
    for team in teams:
        team_add_member(team=team, user=user)
    users.by_key[key] = user
    return user


@transaction.atomic
def build(password: str | None = None) -> DemoUsers:
    users = DemoUsers(password=password or secrets.token_urlsafe(12))
    for code_pc, code in DEMO_POSTCODES.items():
        Postcode.objects.update_or_create(
            postcode=code_pc,
            defaults={
                "country": Postcode.Country.ENGLAND,
                "local_authority": LocalAuthority.objects.get(code=code),
            },
        )
    for region_slug, areas in DEMO_AREAS.items():
        route = route_local_authority(areas[0][0])
        _user(
            users,
            f"adviser-{region_slug}",
            f"adviser.{region_slug}@example.gov.uk",
            f"Alex Adviser ({route.region.name})",
            Role.REGIONAL_ADVISER,
            "Home Office",
            [route.regional_team],
        )
        _user(
            users,
            f"police-{region_slug}",
            f"police.{region_slug}@example.police.uk",
            f"Pat Police ({route.region.name})",
            Role.CTP_PREVENT_OFFICER,
            f"{route.region.name} CT policing",
            [route.ctp_team],
        )
        for la_code, la_slug in areas:
            la_route = route_local_authority(la_code)
            la = la_route.local_authority
            _user(
                users,
                f"la-{la_slug}",
                f"prevent.{la_slug}@example.gov.uk",
                f"Lee Lead ({la.name})",
                Role.LA_PREVENT_LEAD,
                f"{la.name} Council",
                [la_route.la_team, la_route.channel_panel],
            )
            _user(
                users,
                f"panel-{la_slug}",
                f"panel.{la_slug}@example.nhs.uk",
                f"Morgan Member ({la.name})",
                Role.CHANNEL_PANEL_MEMBER,
                f"{la.name} NHS trust",
                [la_route.channel_panel],
            )
            _user(
                users,
                f"referrer-{la_slug}",
                f"dsl.{la_slug}@example.sch.uk",
                f"Sam Safeguarding ({la.name})",
                Role.REFERRER,
                f"Example School, {la.name}",
            )
            _user(
                users,
                f"provider-{la_slug}",
                f"mentor.{la_slug}@example.org",
                f"Jo Mentor ({la.name})",
                Role.INTERVENTION_PROVIDER,
                "Example Mentoring Ltd",
            )
    _user(
        users,
        "compliance",
        "compliance@example.gov.uk",
        "Chris Compliance",
        Role.COMPLIANCE,
        "Standards and Compliance Unit",
    )
    _user(
        users,
        "national",
        "national@example.gov.uk",
        "Nat National",
        Role.NATIONAL,
        "Home Office Prevent centre",
    )
    admin = _user(
        users,
        "admin",
        "admin@example.gov.uk",
        "Ada Administrator",
        Role.ADMINISTRATOR,
        "Service operations",
    )
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    second_factors_give(users)
    return users
