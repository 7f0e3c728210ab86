"""Public pages look public: no staff classification banner, and a header that leads to the
public start page rather than to signing in. Every page's footer links to the accessibility
statement, the privacy notice and the cookies page, which answer everyone."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from regions.selectors import route_local_authority
from tests.factories import CAMDEN, UserFactory

pytestmark = pytest.mark.django_db

BANNER = "OFFICIAL-SENSITIVE. Do not enter material marked SECRET or above."
FOOTER = ("accessibility", "privacy", "cookies")
COMPLAINT_START = reverse("compliance:complaint_start")
SIGN_IN = reverse("login")

PUBLIC_TO_ANYONE = [
    reverse("compliance:complaint_start"),
    reverse("compliance:complaint_public"),
    *(reverse(name) for name in FOOTER),
]
SIGN_IN_PAGES = [reverse("login"), reverse("password_reset"), reverse("password_reset_done")]


def _service_link(html: str) -> str:
    start = html.index('class="govuk-service-navigation__service-name"')
    return html[start:].split('href="', 1)[1].split('"', 1)[0]


def _police_officer():
    return UserFactory(
        role=Role.CTP_PREVENT_OFFICER, teams=[route_local_authority(CAMDEN).ctp_team]
    )


@pytest.mark.parametrize("url", PUBLIC_TO_ANYONE + SIGN_IN_PAGES)
def test_a_page_shown_to_someone_not_signed_in_has_no_classification_banner(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert BANNER not in html
    assert 'data-testid="classification"' not in html
    assert "Beta" in html  # the phase banner itself stays


@pytest.mark.parametrize("url", PUBLIC_TO_ANYONE)
def test_the_public_pages_header_leads_to_the_public_start_page(client, url):
    html = client.get(url).content.decode()
    assert _service_link(html) == COMPLAINT_START
    assert f'href="{SIGN_IN}' not in html
    assert 'href="/"' not in html


def test_the_complaint_pages_stay_public_for_someone_signed_in(client, regions_loaded):
    client.force_login(_police_officer())
    for url in (COMPLAINT_START, reverse("compliance:complaint_public")):
        html = client.get(url).content.decode()
        assert BANNER not in html, url
        assert _service_link(html) == COMPLAINT_START, url


def test_the_referral_start_page_has_no_classification_banner(client):
    client.force_login(UserFactory(role=Role.REFERRER))
    html = client.get(reverse("referrals:start")).content.decode()
    assert BANNER not in html
    assert _service_link(html) == "/"


@pytest.mark.parametrize(
    "url", ["/", "/referrals/", "/account/", reverse("compliance:complaint_practitioner")]
)
def test_a_referrers_own_pages_carry_the_classification_banner(client, url):
    client.force_login(UserFactory(role=Role.REFERRER))
    html = client.get(url).content.decode()
    assert BANNER in html
    assert _service_link(html) == "/"


@pytest.mark.parametrize("url", ["/", "/tasks/", "/account/"])
def test_staff_pages_carry_the_classification_banner(client, regions_loaded, url):
    client.force_login(_police_officer())
    assert BANNER in client.get(url).content.decode()


def _footer_links(html: str) -> set[str]:
    footer = html[html.index('<footer class="govuk-footer">') :]
    return {name for name in FOOTER if f'href="{reverse(name)}"' in footer}


@pytest.mark.parametrize(
    "url", [*PUBLIC_TO_ANYONE, *SIGN_IN_PAGES, "/no-such-page/", reverse("workflows:queue")]
)
def test_every_page_links_to_the_footer_pages_for_someone_not_signed_in(client, url):
    html = client.get(url, follow=True).content.decode()
    assert _footer_links(html) == set(FOOTER)


@pytest.mark.parametrize("url", ["/", "/tasks/", "/account/", "/queue/", "/no-such-page/"])
def test_every_page_links_to_the_footer_pages_for_staff(client, regions_loaded, url):
    client.force_login(_police_officer())
    response = client.get(url)
    assert response.status_code in (200, 403, 404)
    assert _footer_links(response.content.decode()) == set(FOOTER)


@pytest.mark.parametrize("name", FOOTER)
def test_the_footer_pages_answer_everyone(client, name):
    assert client.get(reverse(name)).status_code == 200
    client.force_login(UserFactory(role=Role.REFERRER))
    assert client.get(reverse(name)).status_code == 200


def test_the_cookies_page_names_every_cookie_the_service_sets(client, settings):
    html = client.get(reverse("cookies")).content.decode()
    for cookie in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "messages"):
        assert f">{cookie}<" in html
