"""Every main page reflows at 375 and 320 CSS pixels wide (WCAG 2.2 1.4.10): signed in as each
role that has pages of its own, nothing makes the page scroll sideways and no element is wider
than the window, except inside a region made to scroll on its own (the process diagram). Each
page is scanned with axe at that width too.

The people and the case carry long unbroken strings (an email address, a name), the kind of
text that pushes a page wide when nothing lets it wrap.
"""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.roles import Role
from referrals import services as referral_services
from referrals.forms import SECTIONS
from regions.selectors import route_local_authority
from tests.cases import (
    adopt,
    consent,
    make_user,
    open_task,
    plan,
    refer_to_channel,
    submit_referral,
)
from tests.compliance.factories import ComplianceOfficerFactory, linked_investigation
from tests.factories import CAMDEN, PASSWORD
from workflows.channel import services as channel
from workflows.engine.models import CaseTask

pytestmark = pytest.mark.browser

LONG_EMAIL = "alexandra.safeguarding-designated-lead@an-exceptionally-long-school-name.example"

# Elements that spill past the window, outside any region that scrolls (or clips) on its own.
OVERFLOW = """() => {
    const width = window.innerWidth;
    const found = [];
    if (document.documentElement.scrollWidth > width) {
        found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
    }
    const inScroller = (element) => {
        for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
            const overflow = getComputedStyle(up).overflowX;
            if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
        }
        return false;
    };
    for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (box.right <= width + 1 && box.left >= -1) continue;
        if (inScroller(element)) continue;
        const style = getComputedStyle(element);
        if (style.position === 'absolute' && style.clipPath !== 'none') continue;  // hidden
        if (element.closest('.govuk-visually-hidden, .govuk-skip-link')) continue;
        const name = element.tagName.toLowerCase() +
            (element.id ? `#${element.id}` : '') +
            (element.className && typeof element.className === 'string'
                ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
        found.push(`${name} spans ${Math.round(box.left)}..${Math.round(box.right)}px`);
    }
    return found.slice(0, 8);
}"""


def _person(email, full_name, role, *teams):
    user = make_user(email, role, *teams)
    user.full_name = full_name
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def world(regions_loaded, settings, tmp_path):
    route = route_local_authority(CAMDEN)
    referrer = _person(LONG_EMAIL, "Alexandra Example-Safeguarding", Role.REFERRER)
    police = _person(
        "pat.police@police.example", "Pat Police", Role.CTP_PREVENT_OFFICER, route.ctp_team
    )
    chair = _person(
        "lee.lead@camden.example",
        "Lee Lead",
        Role.LA_PREVENT_LEAD,
        route.la_team,
        route.channel_panel,
    )
    panel = _person(
        "morgan.member@camden.example",
        "Morgan Member",
        Role.CHANNEL_PANEL_MEMBER,
        route.channel_panel,
    )
    adviser = _person(
        "ada.adviser@homeoffice.example",
        "Ada Adviser",
        Role.REGIONAL_ADVISER,
        route.regional_team,
    )
    provider = _person("jo.mentor@mentoring.example", "Jo Mentor", Role.INTERVENTION_PROVIDER)
    officer = ComplianceOfficerFactory(
        full_name="Chris Compliance", email="chris.compliance@example.gov.uk"
    )
    officer.set_password(PASSWORD)
    officer.save()

    submitted = submit_referral(
        referrer, first_name="Maximiliana-Konstantinopolitanska", last_name="McExample"
    )
    people = SimpleNamespace(police=police, la=chair)
    support = refer_to_channel(people, submit_referral(referrer, first_name="Robin"))
    adopt(support, chair)
    consent(support, panel)
    plan(support, panel, owner=chair, provider=provider)
    meeting = channel.panel_meeting_create(
        panel=route.channel_panel, user=chair, meets_on=timezone.localdate()
    )
    channel.agenda_add(meeting=meeting, referral=support, purpose="review", user=chair)
    channel_task = CaseTask.objects.filter(referral=support, is_open=True).first()
    complaint = linked_investigation(submitted, officer)

    draft = referral_services.referral_create_draft(user=referrer)
    referral_services.attachment_add(
        user=referrer,
        referral=draft,
        uploaded_file=SimpleUploadedFile("notes-of-the-meeting.txt", b"Notes of a meeting"),
    )
    draft_url = f"/referrals/{draft.public_id}/"
    case_url = f"/cases/{submitted.public_id}/"
    task = open_task(submitted, "police_acknowledge")
    return SimpleNamespace(
        pages={
            referrer: [
                "/",
                "/referrals/",
                "/referrals/start/",
                *(f"{draft_url}{slug}/" for slug in SECTIONS),
                f"{draft_url}supporting-documents/",
                f"{draft_url}check-your-answers/",
                f"{draft_url}declaration/",
                f"/referrals/{submitted.public_id}/confirmation/",
                f"/referrals/{submitted.public_id}/",
                "/complaints/practitioner/",
                "/account/",
            ],
            police: ["/", "/tasks/", f"/tasks/{task.pk}/", case_url, "/account/"],
            chair: [
                "/tasks/",
                "/channel/",
                f"/channel/meetings/{meeting.pk}/",
                "/channel/meetings/new/",
                f"/channel/tasks/{channel_task.pk}/",
                f"/cases/{support.public_id}/",
            ],
            panel: ["/", "/channel/", "/tasks/"],
            adviser: ["/", "/queue/", "/tasks/", case_url],
            provider: ["/", "/channel/interventions/"],
            officer: [
                "/",
                "/compliance/",
                f"/compliance/complaints/{complaint.reference}/",
                "/compliance/audit/",
                "/compliance/figures/",
                "/compliance/approvals/",
                "/compliance/your-access/",
            ],
        },
        public=[
            "/sign-in/",
            "/password-reset/",
            "/complaints/",
            "/complaints/new/",
            "/accessibility/",
            "/privacy/",
            "/cookies/",
        ],
    )


@pytest.mark.parametrize("width", [375, 320])
def test_every_main_page_reflows(page, axe, sign_in, world, width):
    page.set_viewport_size({"width": width, "height": 800})
    problems = []

    def visit(url):
        response = page.goto(url)
        assert response.ok, f"{url} answered {response.status}"
        found = page.evaluate(OVERFLOW)
        if found:
            problems.append(f"{url} at {width}px: " + "; ".join(found))
        axe()

    for url in world.public:
        visit(url)
    for user, urls in world.pages.items():
        page.context.clear_cookies()
        sign_in(user)
        for url in urls:
            visit(url)
    assert problems == [], "Pages wider than the window:\n" + "\n".join(problems)
