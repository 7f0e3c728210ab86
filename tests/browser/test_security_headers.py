"""The service's own scripts and styles work with its Content-Security-Policy enforced, and the
policy does block what it should. (Every browser test also fails on any blocked resource: see
conftest.py.)"""

import re

import pytest
from playwright.sync_api import expect

from tests.cases import open_task
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def police(regions_loaded, people):
    people.police.set_password(PASSWORD)
    people.police.save()
    return people.police


def test_govuk_frontend_starts_under_the_policy(page, axe, live_server, db):
    response = page.goto("/sign-in/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    # static/app/supported.js ran before the page painted ...
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    # ... and static/app/init.js ran GOV.UK Frontend's initAll: each component marks itself.
    expect(page.locator(".govuk-skip-link")).to_have_attribute("data-govuk-skip-link-init", "")
    expect(page.get_by_role("button", name="Sign in")).to_have_attribute(
        "data-govuk-button-init", ""
    )
    page.get_by_label("Email address").fill("nobody@example.gov.uk")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    # The error summary's script takes focus to it, as GOV.UK Frontend does when it runs.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_have_attribute("data-govuk-error-summary-init", "")
    expect(summary).to_be_focused()
    axe()


def test_the_policy_blocks_inline_script_and_style(page, live_server, db, csp_violations):
    """What a successful injection would try is refused, and reported (so the other browser
    tests would see anything of ours that the policy blocked)."""
    page.goto("/sign-in/")
    ran = page.evaluate(
        """() => new Promise((resolve) => {
            window.__injected = false;
            const script = document.createElement('script');
            script.textContent = 'window.__injected = true';
            document.body.appendChild(script);
            const style = document.createElement('style');
            style.textContent = 'body { background: rgb(255, 0, 0) }';
            document.head.appendChild(style);
            setTimeout(() => resolve({
                injected: window.__injected,
                background: getComputedStyle(document.body).backgroundColor,
            }), 200);
        })"""
    )
    assert ran["injected"] is False
    assert ran["background"] != "rgb(255, 0, 0)"
    page.wait_for_timeout(200)
    blocked = list(csp_violations)
    csp_violations.clear()
    assert any(line.startswith("script-src-elem blocked inline") for line in blocked), blocked
    assert any(line.startswith("style-src-elem blocked inline") for line in blocked), blocked


def test_the_case_diagram_is_drawn_by_the_stylesheet(page, axe, sign_in, police, referral):
    sign_in(police, check=False)
    page.goto(f"/cases/{referral.public_id}/")
    step = page.locator("#diagram-police_acknowledge rect.task")
    expect(step).to_have_css("stroke", "rgb(212, 53, 28)")
    expect(step).to_have_css("fill", "rgb(210, 226, 241)")
    axe()


def test_a_task_page_runs_under_the_policy(page, axe, sign_in, police, referral):
    sign_in(police, check=False)
    page.goto(f"/tasks/{open_task(referral, 'police_acknowledge').pk}/")
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))
    axe()


def test_the_api_docs_load_only_from_the_service(page, sign_in, police, live_server):
    origins = set()
    page.on("request", lambda request: origins.add(re.match(r"^[a-z]+://[^/]+", request.url)[0]))
    sign_in(police, check=False)
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Prevent referrals API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert origins == {live_server.url}


def test_anonymous_api_docs_send_a_person_to_sign_in(page, live_server, db):
    page.goto("/api/docs/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=/api/docs/$"))
