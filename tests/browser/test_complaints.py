"""A complaint in a real browser: a member of the public makes it; an investigator triages it,
links it to the case, asks for break-glass access, a second officer approves it, the
investigator opens the case and finds their own access in the audit explorer. Every page is
scanned with axe.
"""

import re

import pytest
from playwright.sync_api import expect

from compliance.models import AuditEvent, Complaint, ComplaintStatus
from tests.compliance.factories import ComplianceOfficerFactory, started_case, unit_head

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("regions_loaded")]
REASON = "To see when the family were first contacted about the referral."


def _heading(page):
    return page.get_by_role("heading", level=1)


def test_public_complaint_then_triage_break_glass_and_audit(page, axe, sign_in):
    case = started_case()
    officer = ComplianceOfficerFactory(
        full_name="Chris Compliance", email="chris.compliance@example.gov.uk"
    )
    second = unit_head(full_name="Sam Second", email="sam.second@example.gov.uk")

    # A member of the public, not signed in.
    page.goto("/complaints/")
    expect(_heading(page)).to_have_text("Complain about how Prevent was applied")
    expect(page.locator(".govuk-exit-this-page")).to_be_visible()
    axe()
    page.get_by_role("button", name="Start now").click()
    expect(_heading(page)).to_have_text("Make a complaint")
    axe()
    page.get_by_role("button", name="Send complaint").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what your complaint is about")
    expect(summary).to_contain_text("Enter what happened")
    axe()
    page.get_by_label("A referral, or a decision made about one").check()
    page.get_by_label("Which organisation is your complaint about? (optional)").fill(
        "Example Academy"
    )
    page.get_by_label("Referral reference, if you know it (optional)").fill(case.reference)
    page.get_by_label("What happened?").fill("My son was referred and nobody told us.")
    page.get_by_label("What would you like to happen?").fill("An explanation.")
    page.get_by_label("Full name").fill("Robin Example")
    page.get_by_label("Email address").fill("robin@example.com")
    page.get_by_role("group", name=re.compile("Can we raise your complaint")).get_by_label(
        "Yes"
    ).check()
    page.get_by_role("button", name="Send complaint").click()
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_contain_text("Complaint sent")
    complaint = Complaint.objects.get()
    expect(panel).to_contain_text(complaint.reference)
    axe()

    # The investigator triages it.
    sign_in(officer)
    page.get_by_role("link", name="Complaints", exact=True).first.click()
    expect(_heading(page)).to_have_text("Complaints")
    axe()
    page.get_by_role("link", name=complaint.reference).click()
    expect(_heading(page)).to_have_text(complaint.reference)
    axe()
    page.get_by_role("link", name="Acknowledge and triage").click()
    axe()
    page.get_by_role("group", name="Is the complaint in scope?").get_by_label("Yes").check()
    page.get_by_label("Reason for your decision").fill("About how a referral was handled.")
    page.get_by_role("button", name="Save and send to the complainant").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Complaint triaged")
    axe()

    page.get_by_role("link", name="Link the complaint to a case").click()
    expect(page.get_by_label("Referral reference")).to_have_value(case.reference)
    axe()
    page.get_by_role("button", name="Link the case").click()
    expect(page.get_by_test_id("linked-case")).to_have_text(case.reference)

    # Break-glass: refused without a reason, then asked for.
    page.get_by_role("link", name=f"Ask to open case {case.reference} (break-glass access)").click()
    expect(_heading(page)).to_have_text(f"Ask to open case {case.reference}")
    axe()
    page.get_by_role("button", name="Ask to open the case").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why you need to see this case"
    )
    axe()
    page.get_by_label("Why do you need to see this case?").fill(REASON)
    page.get_by_label("30 minutes").check()
    page.get_by_role("button", name="Ask to open the case").click()
    page.wait_for_url("**/compliance/your-access/")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Another officer of the unit must approve it"
    )
    expect(page.get_by_test_id("access")).to_contain_text("Awaiting approval")
    axe()

    # A second officer approves it from the queue.
    sign_in(second, check=False)
    page.goto("/compliance/approvals/")
    expect(_heading(page)).to_have_text("Requests awaiting approval")
    axe()
    page.get_by_role("link", name=f"Decide the request to see {case.reference}").click()
    expect(page.get_by_test_id("request")).to_contain_text(REASON)
    page.get_by_role("button", name="Record your decision").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select whether you approve the request"
    )
    axe()
    page.get_by_label("Approve", exact=True).check()
    page.get_by_label("Reason for your decision").fill("Linked to the complaint; reason is sound.")
    page.get_by_role("button", name="Record your decision").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Request approved")
    axe()
    # The second officer is also the unit's head, who reviews every request.
    page.goto("/compliance/approvals/report/")
    expect(page.get_by_test_id("report")).to_contain_text("Approved")
    expect(page.get_by_test_id("report")).to_contain_text("Chris Compliance")
    axe()

    # The investigator opens the case from their access page.
    sign_in(officer, check=False)
    page.goto("/compliance/your-access/")
    expect(page.get_by_test_id("access")).to_contain_text("Open now")
    page.get_by_test_id("access").get_by_role("link", name=case.reference).click()
    page.wait_for_url(f"**/cases/{case.public_id}/")
    expect(page.locator("main")).to_contain_text("break-glass access")
    axe()
    assert Complaint.objects.get().status == ComplaintStatus.INVESTIGATING

    # Their own access, in the audit explorer.
    page.get_by_role("link", name="Audit explorer").first.click()
    expect(_heading(page)).to_have_text("Audit explorer")
    axe()
    page.get_by_label("Case or complaint reference").fill(case.reference)
    page.get_by_label("Person acting").fill(officer.email)
    page.get_by_role("button", name="Apply filters").click()
    events = page.get_by_test_id("events")
    expect(events).to_contain_text("break_glass.requested")
    expect(events).to_contain_text("case.read")
    expect(events.locator(".govuk-tag", has_text="Break-glass")).to_have_count(2)
    expect(events).to_contain_text(REASON)
    axe()
    page.get_by_role("link", name=f"Who has seen {case.reference}").click()
    readers = page.get_by_test_id("readers")
    row = readers.locator("tr", has_text=officer.email)
    expect(row).to_contain_text("Break-glass")
    expect(row).to_contain_text("standards_compliance")
    axe()
    page.goto("/compliance/your-access/")
    expect(page.get_by_test_id("access")).to_contain_text("Open now")
    axe()
    page.get_by_role("button", name=f"End access to {case.reference}").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has ended")
    axe()
    page.get_by_role("link", name="Yearly figures").first.click()
    expect(page.get_by_test_id("figures")).to_contain_text("1 complaint, by category")
    axe()
    assert AuditEvent.objects.filter(
        actor=officer, action="case.read", case_reference=case.reference
    ).exists()
