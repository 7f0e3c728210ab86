"""Signing in in a real browser: setting up an authenticator from the page's own secret, the
code page, the account page, the lockout page and password reset. Every page is scanned with
axe."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from accounts.roles import Role
from regions.selectors import route_local_authority
from tests.factories import CAMDEN, PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions_loaded")]


def _heading(page):
    return page.get_by_role("heading", level=1)


def test_staff_set_up_an_authenticator_then_sign_in_with_it(page, axe):
    officer = UserFactory(
        role=Role.CTP_PREVENT_OFFICER, teams=[route_local_authority(CAMDEN).ctp_team]
    )
    page.goto("/sign-in/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    axe()
    page.get_by_label("Email address").fill(officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(_heading(page)).to_have_text("Set up an authenticator app")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    axe()
    page.goto("/tasks/")
    expect(_heading(page)).to_have_text("Set up an authenticator app")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    app = TOTP(b32decode(secret))
    page.get_by_label("Code from your authenticator app").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Continue").click()

    expect(_heading(page)).to_have_text("Your backup codes")
    expect(page.locator(".app-backup-codes li")).to_have_count(10)
    axe()
    page.get_by_role("link", name="Continue").click()
    expect(_heading(page)).to_have_text("Your tasks")

    page.get_by_role("link", name="Your account").click()
    expect(_heading(page)).to_have_text("Your account")
    axe()
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You have been signed out on every device"
    )
    axe()


def test_the_code_page_and_the_lockout_page(page, axe, sign_in):
    lead = UserFactory(role=Role.LA_PREVENT_LEAD, teams=[route_local_authority(CAMDEN).la_team])
    sign_in(lead)  # through the code page, scanned
    page.get_by_role("button", name="Sign out").click()

    for _ in range(5):
        page.get_by_label("Email address").fill(lead.email)
        page.get_by_label("Password").fill("not my password at all")
        page.get_by_role("button", name="Sign in").click()
    expect(_heading(page)).to_have_text("Your account is locked")
    axe()


def test_password_reset_pages(page, axe):
    page.goto("/sign-in/")
    page.get_by_role("link", name="I have forgotten my password").click()
    expect(_heading(page)).to_have_text("Reset your password")
    axe()
    page.get_by_label("Email address").fill("nobody@nowhere.example")
    page.get_by_role("button", name="Send a reset link").click()
    expect(_heading(page)).to_have_text("Check your email")
    axe()
