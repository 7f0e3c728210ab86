"""The navigation offers each role only what it may use, and refusals are GOV.UK pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from regions.selectors import route_local_authority
from regions.services import team_add_member
from tests.factories import CAMDEN, PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LINKS = {
    "referrer": reverse("referrals:list"),
    "tasks": reverse("workflows:my_tasks"),
    "adviser": reverse("workflows:queue"),
    "channel_panel": reverse("channel:home"),
    "provider": reverse("channel:interventions"),
    "compliance": reverse("compliance:audit"),
}


def _user(kind: str):
    route = route_local_authority(CAMDEN)
    return {
        "referrer": lambda: UserFactory(role=Role.REFERRER),
        "police": lambda: UserFactory(role=Role.CTP_PREVENT_OFFICER, teams=[route.ctp_team]),
        "adviser": lambda: UserFactory(role=Role.REGIONAL_ADVISER, teams=[route.regional_team]),
        "panel": lambda: UserFactory(role=Role.CHANNEL_PANEL_MEMBER, teams=[route.channel_panel]),
        "provider": lambda: UserFactory(role=Role.INTERVENTION_PROVIDER),
        "compliance": lambda: UserFactory(role=Role.COMPLIANCE),
    }[kind]()


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("referrer", {"referrer"}),
        ("police", {"tasks"}),
        ("adviser", {"tasks", "adviser"}),
        ("panel", {"tasks", "channel_panel"}),
        ("provider", {"provider"}),
        ("compliance", {"compliance"}),
    ],
)
def test_each_role_sees_its_own_links_and_no_others(client, kind, shown):
    client.login(username=_user(kind).email, password=PASSWORD)
    html = client.get(reverse("home")).content.decode()
    for name, url in LINKS.items():
        assert (f'href="{url}"' in html) == (name in shown), name
    for name in shown:
        assert client.get(LINKS[name]).status_code == 200, name


def test_the_navigation_costs_one_query_however_many_groups(client):
    user = _user("panel")
    client.login(username=user.email, password=PASSWORD)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    route = route_local_authority(CAMDEN)
    for team in (route.ctp_team, route.la_team, route.regional_team):
        team_add_member(team=team, user=user)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)


def test_refusal_and_not_found_are_govuk_pages(client):
    client.login(username=_user("referrer").email, password=PASSWORD)
    refused = client.get(reverse("workflows:my_tasks"))
    assert refused.status_code == 403
    assert "You cannot do this" in refused.content.decode()
    assert "govuk-template" in refused.content.decode()
    missing = client.get("/cases/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404
    assert "Page not found" in missing.content.decode()
