"""Browser tests: Debian's Chromium driven by Playwright against a live test server.

Every page a journey visits is scanned with axe-core (from the npm package, evaluated in the
page through the DevTools protocol, which the page's Content-Security-Policy does not govern:
the policy stays enforced for everything the service itself sends); any WCAG 2.2 A or AA
violation fails the test. Every page also runs under the service's real policy, and anything
the policy blocks (a `securitypolicyviolation` event, or Chromium's console report of one) fails
the test too. Run with `pytest -m browser`.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

from accounts.selectors import second_factor_required
from tests.clients import totp_code, verified_device
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install chromium`")
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Runs before any of the page's own scripts, in every document the context loads.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (event) => {
    window.__reportCspViolation(
        `${event.effectiveDirective} blocked ${event.blockedURI || 'inline'} ` +
        `(${event.sourceFile || document.location.href}:${event.lineNumber})`
    );
});
"""


class CspViolations(list):
    """What the Content-Security-Policy blocked in this test's pages, as it happened."""

    def check(self) -> None:
        if self:
            pytest.fail("The Content-Security-Policy blocked:\n" + "\n".join(self), pytrace=False)


@pytest.fixture
def csp_violations() -> CspViolations:
    return CspViolations()


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.expose_function("__reportCspViolation", lambda text: csp_violations.append(f"{text}"))
    context.add_init_script(script=CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"console: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.set_default_timeout(15_000)
    yield page
    context.close()
    csp_violations.check()


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"  - {', '.join(map(str, node['target']))}: {node['html'][:200]}")
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_SCRIPT.read_text()


@pytest.fixture
def axe(page, axe_source, csp_violations):
    """Call `axe()` (or `axe(other_page)`) to fail on any WCAG 2.2 A/AA violation, or on anything
    the Content-Security-Policy has blocked so far."""

    def check(target=None):
        target = target or page
        csp_violations.check()
        if not target.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated, not added as a <script> element (which the policy would rightly block).
            target.evaluate(axe_source)
        result = target.evaluate(
            """async (tags) => await window.axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']
            })""",
            AXE_TAGS,
        )
        violations = result["violations"]
        if violations:
            report = _describe(violations)
            print(f"Accessibility violations on {target.url}:\n{report}")
            pytest.fail(f"Accessibility violations on {target.url}:\n{report}", pytrace=False)

    return check


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Uploads made in the browser go to a directory of the test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def postcodes(regions_loaded):
    from tests.factories import postcodes_load

    postcodes_load()


@pytest.fixture
def sign_in(page, axe):
    """Sign in through the real pages: email and password, then, for anyone who needs a second
    factor, the code their authenticator app would show (django-otp's own TOTP)."""

    def sign_in_as(user, *, check=True):
        device = verified_device(user) if second_factor_required(user) else None
        page.goto("/sign-in/")
        if check:
            axe()
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # The code page; or home, when this browser's session was already verified.
        page.wait_for_url(lambda url: "/sign-in/" not in url or "/sign-in/code/" in url)
        if "/sign-in/code/" in page.url:
            if check:
                axe()
            page.get_by_label("Enter the code from your authenticator app").fill(totp_code(device))
            page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/")

    return sign_in_as
