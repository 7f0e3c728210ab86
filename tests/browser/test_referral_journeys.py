"""A referrer's journeys through the service in a real browser, each page scanned with axe."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.models import Attachment, Referral, ReferralStatus
from regions.models import LocalAuthority
from tests.factories import ReferrerFactory, SubmittedReferralFactory
from tests.referrals import files

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("postcodes")]


def _continue(page):
    page.get_by_role("button", name="Save and continue").click()


def _fill_date(page, day, month, year):
    page.get_by_label("Day").fill(str(day))
    page.get_by_label("Month").fill(str(month))
    page.get_by_label("Year").fill(str(year))


def test_referrer_submits_a_referral_with_an_attachment(page, axe, sign_in):
    referrer = ReferrerFactory(full_name="Sam Safeguarding", organisation="Example Academy")
    sign_in(referrer)
    axe()
    page.get_by_role("link", name="Make a referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a Prevent referral")
    expect(page.locator(".govuk-warning-text")).to_contain_text(
        "If someone is in immediate danger, call 999"
    )
    axe()
    page.get_by_role("button", name="Start now").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("About the person")
    axe()
    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Example")
    _fill_date(page, 1, 9, timezone.localdate().year - 15)
    page.get_by_label("Male", exact=True).check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Where the person lives")
    axe()
    page.get_by_label("Address line 1").fill("1 Example Road")
    page.get_by_label("Town or city").fill("London")
    page.get_by_label("Postcode").fill("nw1 2db")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("The person's circumstances")
    axe()
    page.get_by_label("No", exact=True).check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.get_by_label("Full name")).to_have_value("Sam Safeguarding")
    axe()
    page.get_by_label("Education", exact=True).check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("The concern")
    axe()
    page.get_by_label("Other", exact=True).check()
    _continue(page)
    expect(page.locator(".govuk-error-summary")).to_contain_text("Describe the type of concern")
    axe()
    page.get_by_label("Extreme right-wing").check()
    page.get_by_label("Describe your concern").fill("Talks about a coming 'race war'.")
    page.get_by_label("What have you or others seen or heard?").fill("Overheard in class.")
    seen = timezone.localdate() - timedelta(days=3)
    _fill_date(page, seen.day, seen.month, seen.year)
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Risk, needs and support")
    axe()
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Neurodiversity, for example autism or ADHD").check()
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Supporting documents")
    axe()
    page.get_by_label("Upload a file").set_input_files(
        files=[{"name": "notes.pdf", "mimeType": "application/pdf", "buffer": files.pdf()}]
    )
    page.get_by_label("Describe the file (optional)").fill("Notes of a conversation")
    page.get_by_role("button", name="Upload file").click()
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("notes.pdf has been uploaded")
    expect(page.locator(".govuk-summary-list")).to_contain_text("notes.pdf")
    axe()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your referral"
    )
    expect(page.locator("main")).to_contain_text("Camden")
    expect(page.locator("main")).to_contain_text("notes.pdf")
    axe()
    page.get_by_role("link", name=re.compile(r"^Change first name")).click()
    expect(page.get_by_label("First name")).to_have_value("Jordan")
    page.get_by_label("First name").fill("Jordan Lee")
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before sending your referral"
    )
    expect(page.locator("main")).to_contain_text("Jordan Lee")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration")
    axe()
    page.get_by_label(re.compile("^I confirm that the information")).check()
    page.get_by_role("button", name="Submit referral").click()

    referral = Referral.objects.get(created_by=referrer)
    assert referral.status != ReferralStatus.DRAFT
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_contain_text("Referral submitted")
    expect(panel).to_contain_text(referral.reference)
    axe()
    assert Attachment.objects.get(referral=referral).original_name == "notes.pdf"

    page.get_by_role("link", name="See your referrals").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    row = page.locator("tbody tr", has_text=referral.reference)
    expect(row).to_contain_text(re.compile("Submitted|Being assessed"))
    axe()
    row.get_by_role("link", name=re.compile("^View")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(referral.reference)
    axe()
    with page.expect_download() as download:
        page.get_by_role("link", name="notes.pdf").click()
    assert download.value.suggested_filename == "notes.pdf"


def test_referrer_sees_validation_errors_and_fixes_them(page, axe, sign_in):
    referrer = ReferrerFactory()
    sign_in(referrer, check=False)
    page.goto("/referrals/start/")
    page.get_by_role("button", name="Start now").click()

    _continue(page)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the person's first name")
    expect(summary).to_contain_text("Enter the person's date of birth or their approximate age")
    expect(page).to_have_title(re.compile("^Error: About the person"))
    expect(page.locator("#id_first_name-error")).to_contain_text("Enter the person's first name")
    axe()
    summary.get_by_role("link", name="Enter the person's first name").click()
    expect(page.get_by_label("First name")).to_be_focused()

    page.get_by_label("First name").fill("Jordan")
    page.get_by_label("Last name").fill("Example")
    _fill_date(page, 31, 2, 2010)
    page.get_by_label("Female", exact=True).check()
    _continue(page)
    expect(summary).to_contain_text("Date of birth must be a real date")
    expect(page.get_by_label("First name")).to_have_value("Jordan")
    axe()
    summary.get_by_role("link", name="Date of birth must be a real date").click()
    expect(page.get_by_label("Day")).to_be_focused()
    _fill_date(page, 28, 2, 2010)
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Where the person lives")
    page.get_by_label("Address line 1").fill("1 Example Road")
    page.get_by_label("Town or city").fill("Edinburgh")
    page.get_by_label("Postcode").fill("EH1 1YZ")
    _continue(page)
    expect(summary).to_contain_text("This service covers England and Wales only")
    axe()
    page.get_by_label("Postcode").fill("NW1 9ZZ")
    _continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Which local authority area does the person live in?"
    )
    axe()
    _continue(page)
    expect(summary).to_contain_text("Select the local authority where the person lives")
    axe()
    # The select is enhanced into GOV.UK's accessible autocomplete: type, then pick.
    local_authority = page.get_by_role(
        "combobox", name="Which local authority area does the person live in?"
    )
    expect(page.locator("select.app-autocomplete")).to_be_hidden()
    local_authority.fill("camd")
    expect(page.get_by_role("option")).to_have_text(["Camden"])
    axe()
    page.get_by_role("option", name="Camden").click()
    expect(local_authority).to_have_value("Camden")
    expect(page.locator("select.app-autocomplete")).to_have_value(
        str(LocalAuthority.objects.get(code="E09000007").pk)
    )
    _continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("The person's circumstances")

    referral = Referral.objects.get(created_by=referrer)
    assert referral.date_of_birth.isoformat() == "2010-02-28"
    assert referral.local_authority.name == "Camden"

    page.get_by_label("Not sure", exact=True).check()
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your draft has been saved")
    axe()
    page.get_by_role("link", name=re.compile("^Continue draft referral")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")


def test_referrer_cannot_see_another_organisations_referral(page, axe, sign_in):
    other = SubmittedReferralFactory(created_by=ReferrerFactory(organisation="Other School"))
    referrer = ReferrerFactory(organisation="Example Academy")
    sign_in(referrer, check=False)

    response = page.goto(f"/referrals/{other.public_id}/")
    assert response.status == 404
    response = page.goto(f"/referrals/{other.public_id}/check-your-answers/")
    assert response.status == 404

    page.goto("/referrals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    expect(page.locator("main")).not_to_contain_text(other.reference)
    expect(page.locator("main")).to_contain_text("You have not made any referrals yet")
    axe()


def test_referrer_answers_a_question_and_meets_upload_and_declaration_errors(page, axe, sign_in):
    from tests.factories import DraftReferralFactory, InformationRequestFactory

    referrer = ReferrerFactory()
    question = InformationRequestFactory(referral=SubmittedReferralFactory(created_by=referrer))
    draft = DraftReferralFactory(created_by=referrer)
    sign_in(referrer, check=False)

    page.goto("/referrals/")
    row = page.locator("tbody tr", has_text=question.referral.reference)
    expect(row).to_contain_text("Question for you")
    row.get_by_role("link", name=re.compile("^View")).click()
    expect(page.locator("main")).to_contain_text(question.question)
    axe()
    page.get_by_role("button", name="Send answer").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter your answer")
    axe()
    summary.get_by_role("link", name="Enter your answer").click()
    expect(page.get_by_label("Your answer")).to_be_focused()
    page.get_by_label("Your answer").fill("He has moved to another school.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your answer has been sent")
    expect(page.locator("main")).to_contain_text("He has moved to another school.")
    axe()

    page.goto(f"/referrals/{draft.public_id}/supporting-documents/")
    upload = page.get_by_label("Upload a file")
    upload.set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": files.exe()}]
    )
    page.get_by_role("button", name="Upload file").click()
    expect(summary).to_contain_text("The selected file must be a PDF, Word (DOCX), JPEG, PNG")
    axe()
    upload.set_input_files(
        files=[
            {"name": "brief.pdf", "mimeType": "application/pdf", "buffer": files.pdf("TOP SECRET")}
        ]
    )
    page.get_by_role("button", name="Upload file").click()
    expect(summary).to_contain_text("must not be uploaded here")
    expect(summary).to_contain_text("appropriate secure channel")
    assert not Attachment.objects.exists()

    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declaration")
    page.get_by_role("button", name="Submit referral").click()
    expect(summary).to_contain_text("Confirm that the information you have given is correct")
    axe()
    draft.refresh_from_db()
    assert draft.status == ReferralStatus.DRAFT
