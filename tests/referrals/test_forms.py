"""Page validation: every required answer, dates, postcodes and protective markings.

Each bad answer gets a clear, specific message and leaves the draft exactly as it was.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from config.forms import GovukDateField
from referrals import services
from referrals.models import Referral
from regions.models import LocalAuthority
from regions.selectors import route_local_authority
from regions.services import postcodes_load
from tests.factories import EmptyDraftReferralFactory

from .pages import valid_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(referrer):
    return EmptyDraftReferralFactory(created_by=referrer)


def _errors(referrer, draft, section, data) -> dict[str, list[str]]:
    before = model_to_dict(Referral.objects.get(pk=draft.pk))
    with pytest.raises(services.InvalidForm) as caught:
        services.referral_update_section(user=referrer, referral=draft, section=section, data=data)
    assert model_to_dict(Referral.objects.get(pk=draft.pk)) == before, "nothing is saved"
    return {field: list(errors) for field, errors in caught.value.form.errors.items()}


REQUIRED = [
    ("person", "first_name", "Enter the person's first name"),
    ("person", "last_name", "Enter the person's last name"),
    ("person", "gender", "Select the person's gender"),
    ("address", "address_line_1", "Enter the first line of the person's address"),
    ("address", "town", "Enter the town or city"),
    ("address", "postcode", "Enter the person's postcode"),
    ("circumstances", "person_aware", "Select whether the person knows about this referral"),
    ("about-you", "referrer_name", "Enter your full name"),
    ("about-you", "referrer_role", "Enter your role"),
    ("about-you", "referrer_organisation", "Enter the name of your organisation"),
    ("about-you", "referrer_sector", "Select the sector you work in"),
    ("about-you", "referrer_email", "Enter your email address"),
    ("about-you", "referrer_phone", "Enter a telephone number"),
    ("concern", "concern_type", "Select the type of concern"),
    ("concern", "narrative", "Describe your concern"),
    ("concern", "seen_or_heard", "Enter what you or others have seen or heard"),
    ("concern", "seen_on", "Enter the date it was seen or heard"),
    ("risk-and-needs", "immediate_risk", "Select yes if there is an immediate risk of harm"),
]


@pytest.mark.parametrize(("section", "field", "message"), REQUIRED)
def test_every_required_answer_has_its_own_message(referrer, draft, section, field, message):
    data = {k: v for k, v in valid_pages()[section].items() if not k.startswith(field)}
    assert _errors(referrer, draft, section, data) == {field: [message]}


def test_date_of_birth_or_approximate_age_is_required(referrer, draft):
    data = {k: v for k, v in valid_pages()["person"].items() if not k.startswith("date_of_birth")}
    assert _errors(referrer, draft, "person", data) == {
        "date_of_birth": ["Enter the person's date of birth or their approximate age"]
    }
    services.referral_update_section(
        user=referrer, referral=draft, section="person", data={**data, "approximate_age": "15"}
    )
    draft.refresh_from_db()
    assert draft.approximate_age == 15 and draft.date_of_birth is None


def test_conditional_answers_are_required_when_revealed(referrer, draft):
    concern = {**valid_pages()["concern"], "concern_type": "other"}
    assert _errors(referrer, draft, "concern", concern) == {
        "concern_type_other": ["Describe the type of concern"]
    }
    risk = {**valid_pages()["risk-and-needs"], "immediate_risk": "yes"}
    assert _errors(referrer, draft, "risk-and-needs", risk) == {
        "immediate_risk_details": ["Describe the immediate risk"]
    }


def _dob(day, month, year) -> dict:
    person = {k: v for k, v in valid_pages()["person"].items() if not k.startswith("date_of_birth")}
    return {
        **person,
        "date_of_birth-day": day,
        "date_of_birth-month": month,
        "date_of_birth-year": year,
    }


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "2010", "Date of birth must be a real date"),
        ("12", "13", "2010", "Date of birth must be a real date"),
        ("x", "3", "2010", "Date of birth must be a real date"),
        ("", "3", "2010", "Date of birth must include a day"),
        ("4", "", "", "Date of birth must include a month and year"),
        ("4", "3", "10", "Year must include 4 numbers"),
        ("4", "3", "1850", "Date of birth must be after 1900"),
    ],
)
def test_bad_dates_of_birth(referrer, draft, day, month, year, message):
    assert _errors(referrer, draft, "person", _dob(day, month, year)) == {
        "date_of_birth": [message]
    }


def test_dates_in_the_future_are_refused(referrer, draft):
    tomorrow = timezone.localdate() + timedelta(days=1)
    errors = _errors(
        referrer, draft, "person", _dob(str(tomorrow.day), str(tomorrow.month), str(tomorrow.year))
    )
    assert errors == {"date_of_birth": ["Date of birth must be today or in the past"]}
    concern = {
        **valid_pages()["concern"],
        "seen_on-day": str(tomorrow.day),
        "seen_on-month": str(tomorrow.month),
        "seen_on-year": str(tomorrow.year),
    }
    assert _errors(referrer, draft, "concern", concern) == {
        "seen_on": ["The date it was seen or heard must be today or in the past"]
    }


def test_date_field_accepts_a_real_date():
    field = GovukDateField(noun="Date", required=True)
    assert str(field.clean(["29", "2", "2024"])) == "2024-02-29"


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("not a postcode", "Enter a real postcode, like SW1A 2AA"),
        ("SW1A", "Enter a real postcode, like SW1A 2AA"),
        ("EH1 1YZ", "This service covers England and Wales only"),
        ("BT1 5GS", "This service covers England and Wales only"),
    ],
)
def test_bad_and_out_of_scope_postcodes(referrer, draft, postcode, message):
    data = {**valid_pages()["address"], "postcode": postcode}
    errors = _errors(referrer, draft, "address", data)
    assert list(errors) == ["postcode"] and errors["postcode"][0].startswith(message)


def test_known_postcode_is_normalised_and_mapped_to_its_local_authority(referrer, draft):
    services.referral_update_section(
        user=referrer, referral=draft, section="address", data=valid_pages()["address"]
    )
    draft.refresh_from_db()
    assert draft.postcode == "NW1 2DB"
    assert draft.local_authority.name == "Camden"


def test_unknown_postcode_asks_for_the_local_authority_never_guesses(referrer_client, draft):
    data = {**valid_pages()["address"], "postcode": "NW1 9ZZ"}
    response = referrer_client.post(
        reverse("referrals:section", args=[draft.public_id, "address"]), data
    )
    draft.refresh_from_db()
    assert draft.postcode == "NW1 9ZZ" and draft.local_authority is None
    la_page = reverse("referrals:section", args=[draft.public_id, "local-authority"])
    assert response["Location"] == la_page

    page = referrer_client.get(la_page)
    assert b"We could not match the postcode NW1 9ZZ" in page.content
    response = referrer_client.post(la_page, {})
    assert b"Select the local authority where the person lives" in response.content
    response = referrer_client.post(la_page, {"local_authority": "999999"})
    assert b"Select the local authority where the person lives" in response.content

    from regions.models import LocalAuthority

    camden = LocalAuthority.objects.get(code="E09000007")
    response = referrer_client.post(la_page, {"local_authority": str(camden.pk)})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.local_authority == camden


def test_abolished_local_authorities_are_not_offered(referrer, draft):
    from regions.models import LocalAuthority

    abolished = LocalAuthority.objects.filter(successor__isnull=False).first()
    draft.postcode = "NW1 9ZZ"
    draft.save()
    errors = _errors(referrer, draft, "local-authority", {"local_authority": str(abolished.pk)})
    assert errors == {"local_authority": ["Select the local authority where the person lives"]}


def test_local_authority_cannot_override_a_known_postcode(referrer, draft):
    services.referral_update_section(
        user=referrer, referral=draft, section="address", data=valid_pages()["address"]
    )
    from regions.models import LocalAuthority

    other = LocalAuthority.objects.get(code="E08000003")
    errors = _errors(referrer, draft, "local-authority", {"local_authority": str(other.pk)})
    assert list(errors) == ["local_authority"]


@pytest.mark.parametrize(
    ("phone", "ok"),
    [("020 7946 0000", True), ("+44 808 157 0192", True), ("12345", False), ("call me", False)],
)
def test_telephone_numbers(referrer, draft, phone, ok):
    data = {**valid_pages()["about-you"], "referrer_phone": phone}
    if ok:
        services.referral_update_section(
            user=referrer, referral=draft, section="about-you", data=data
        )
    else:
        assert list(_errors(referrer, draft, "about-you", data)) == ["referrer_phone"]


def test_invalid_email_address(referrer, draft):
    data = {**valid_pages()["about-you"], "referrer_email": "not-an-email"}
    assert _errors(referrer, draft, "about-you", data) == {
        "referrer_email": ["Enter an email address in the correct format, like name@example.com"]
    }


@pytest.mark.parametrize(
    "marking",
    [
        "SECRET",
        "TOP SECRET",
        "UK SECRET",
        "TOP-SECRET",
        "Secret",
        "ＳＥＣＲＥＴ",
        "SEC\u200bRET",
        "S E C R E T",
    ],
)
def test_text_with_a_secret_marking_is_refused(referrer, draft, marking):
    concern = {**valid_pages()["concern"], "narrative": f"{marking}\nIntelligence report 4"}
    errors = _errors(referrer, draft, "concern", concern)
    assert list(errors) == ["narrative"]
    assert "classified above OFFICIAL-SENSITIVE" in errors["narrative"][0]
    assert "SECRET or TOP SECRET" in errors["narrative"][0]
    assert "appropriate secure channel" in errors["narrative"][0]


@pytest.mark.parametrize(
    "text", ["He said it was a secret", "They met secretly", "SECRETARY of state", "OFFICIAL"]
)
def test_ordinary_uses_of_the_word_secret_are_accepted(referrer, draft, text):
    concern = {**valid_pages()["concern"], "narrative": text}
    services.referral_update_section(user=referrer, referral=draft, section="concern", data=concern)
    draft.refresh_from_db()
    assert draft.narrative == text


def test_every_page_saves_when_valid(referrer, draft):
    for section, data in valid_pages().items():
        services.referral_update_section(user=referrer, referral=draft, section=section, data=data)
    draft.refresh_from_db()
    assert draft.first_name == "Jordan"
    assert draft.needs_neurodiversity and not draft.needs_mental_health
    assert draft.immediate_risk is False
    from referrals.selectors import sections_incomplete

    assert sections_incomplete(draft) == []


def test_view_shows_error_summary_and_inline_errors(referrer_client, draft):
    url = reverse("referrals:section", args=[draft.public_id, "person"])
    response = referrer_client.post(url, _dob("31", "2", "2010"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: About the person" in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_date_of_birth-day">Date of birth must be a real date</a>' in html
    assert 'id="id_date_of_birth-error" class="govuk-error-message"' in html
    assert 'value="31"' in html, "answers are shown again so they can be corrected"


def test_a_real_postcode_from_the_directory_routes_without_asking(referrer_client, draft):
    postcodes_load(postcodes=["LS1 1UR"])  # Leeds, not one of the fixtures' postcodes
    data = {**valid_pages()["address"], "town": "Leeds", "postcode": "ls11ur"}

    response = referrer_client.post(
        reverse("referrals:section", args=[draft.public_id, "address"]), data
    )

    draft.refresh_from_db()
    assert draft.postcode == "LS1 1UR"
    assert (draft.local_authority.code, draft.local_authority.name) == ("E08000035", "Leeds")
    assert response["Location"] == reverse(
        "referrals:section", args=[draft.public_id, "circumstances"]
    )
    assert route_local_authority(draft.local_authority).region.name == "North East"


def test_the_local_authority_list_is_a_plain_select_without_javascript(referrer_client, draft):
    draft.postcode = "NW1 9ZZ"
    draft.save(update_fields=["postcode"])
    la_page = reverse("referrals:section", args=[draft.public_id, "local-authority"])

    html = referrer_client.get(la_page).content.decode()

    select = re.search(
        r'<select class="govuk-select app-autocomplete"[^>]*>(.*?)</select>', html, re.S
    )
    assert select and 'name="local_authority"' in select.group(0)
    assert select.group(1).count("<option") == 318 + 1  # and "Choose a local authority"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert '<script src="/static/accessible-autocomplete/accessible-autocomplete.min.js">' in html
    for asset in ("accessible-autocomplete/accessible-autocomplete.min.js", "app/autocomplete.js"):
        assert finders.find(asset), asset

    cardiff = LocalAuthority.objects.get(code="W06000015")
    response = referrer_client.post(la_page, {"local_authority": str(cardiff.pk)})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.local_authority == cardiff
