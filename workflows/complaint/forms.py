"""Forms for the complaint pages: they parse and present answers, nothing more.

A form refuses only what cannot be read: an email address in the wrong format, an answer that
is not one of the choices, a date that is not real, text that is too long. Every rule, down to
which answers are needed (who may act, an email or postal address to reply to, consent before
raising a complaint with an organisation, a second officer for a review...), lives in
services.py; the page puts all of the service's problems back on their fields at once.
"""

from django import forms

from compliance.models import ComplaintCategory, ComplaintReview, Finding
from compliance.selectors import compliance_officers
from config.forms import YES_NO, ServiceForm, date_field, radios, text, textarea, yes


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.email})"


def officer_field(label: str, *, invalid: str, hint: str = "") -> OfficerChoiceField:
    """An officer of the unit, or None when none is chosen (the service judges that)."""
    return OfficerChoiceField(
        label=label,
        queryset=compliance_officers(),
        required=False,
        empty_label="Select an officer",
        help_text=hint,
        error_messages={"invalid_choice": invalid},
    )


# --- Making a complaint -----------------------------------------------------------------------


class ComplaintForm(ServiceForm):
    """Shared by the public form and the practitioner form."""

    category = radios(
        "What is your complaint about?",
        ComplaintCategory.choices,
        invalid="Select what your complaint is about",
    )
    organisation = text(
        "Which organisation is your complaint about? (optional)",
        hint="For example, the name of a school, council, NHS trust or police force",
    )
    referral_reference = text(
        "Referral reference, if you know it (optional)",
        hint="For example, PRV-2026-000123",
        max_length=40,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    what_happened = textarea(
        "What happened?",
        hint="Include dates, places and who was involved, if you know them",
        rows=8,
    )
    outcome_sought = textarea("What would you like to happen?")
    name = text(
        "Full name",
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        max_length=254,
        help_text="We will send your reference and our reply here",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
        widget=forms.EmailInput(
            attrs={
                "autocomplete": "email",
                "spellcheck": "false",
                "class": "govuk-!-width-two-thirds",
            }
        ),
    )
    phone = text(
        "Phone number (optional)",
        max_length=40,
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "class": "govuk-input--width-20"}
        ),
    )
    address = textarea(
        "Postal address",
        hint="Only needed if you do not have an email address",
        rows=4,
    )
    consent_to_raise = radios(
        "Can we raise your complaint with the organisation concerned?",
        YES_NO,
        invalid="Select whether we may raise your complaint with the organisation concerned",
        hint=(
            "To investigate, we may need to contact the organisation your complaint is about. "
            "We will not contact them without your permission. You can change your mind later."
        ),
    )
    # A field people never see: automated form-fillers complete it, people leave it empty.
    leave_blank = forms.CharField(required=False, label="Leave this field empty")

    @property
    def is_automated(self) -> bool:
        return bool((self.data.get("leave_blank") or "").strip())

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "organisation": data["organisation"],
            "referral_reference": data["referral_reference"],
            "what_happened": data["what_happened"],
            "outcome_sought": data["outcome_sought"],
            "name": data["name"],
            "email": data["email"],
            "phone": data["phone"],
            "address": data["address"],
            "consent_to_raise": yes(data["consent_to_raise"]),
        }


# --- The unit's steps -------------------------------------------------------------------------


class TriageForm(ServiceForm):
    in_scope = radios(
        "Is the complaint in scope?",
        YES_NO,
        invalid="Select whether the complaint is in scope",
        hint="About how the Prevent duty or Prevent training was applied",
    )
    rationale = textarea("Reason for your decision")
    investigator = officer_field(
        "If in scope, who will investigate?",
        invalid="Select the investigating officer",
        hint="Leave as yourself to investigate it yourself",
    )
    signposting = textarea(
        "If out of scope, where can the complainant take it instead?",
        hint="For example, the organisation's own complaints procedure, or the ICO",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["investigator"].initial = user.pk

    def service_kwargs(self) -> dict:
        return {
            "in_scope": yes(self.cleaned_data["in_scope"]),
            "rationale": self.cleaned_data["rationale"],
            "signposting": self.cleaned_data["signposting"],
            "investigator": self.cleaned_data["investigator"],
        }


class CaseLinkForm(ServiceForm):
    referral_reference = text(
        "Referral reference",
        hint="For example, PRV-2026-000123",
        max_length=40,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )
    reason = textarea(
        "If this is not the case the complainant named, why is the complaint about it?",
        hint="Another officer of the unit must approve a link to any other case, and sees this",
        rows=3,
    )


class ConsentForm(ServiceForm):
    given = radios(
        "Does the complainant consent to the complaint being raised with the organisation?",
        YES_NO,
        invalid="Select whether the complainant consents",
    )
    note = text(
        "When and how did they tell you?",
        max_length=300,
        hint="For example, by phone on 3 March 2026",
    )

    def service_kwargs(self) -> dict:
        return {"given": yes(self.cleaned_data["given"]), "note": self.cleaned_data["note"]}


class RaiseForm(ServiceForm):
    organisation = text("Organisation")
    contact = text("Who did you raise it with, and how?", max_length=300)
    summary = textarea("What did you raise with them?")


class InvestigationForm(ServiceForm):
    summary = textarea(
        "What did the investigation find?",
        hint="The evidence you considered and what it showed",
        rows=8,
    )


class FindingForm(ServiceForm):
    finding = radios(
        "Finding", Finding.choices, invalid="Select upheld, partly upheld or not upheld"
    )
    rationale = textarea("Rationale", rows=8)


class ResponseForm(ServiceForm):
    letter = textarea(
        "Response letter",
        hint="Sent to the complainant by email, or to be posted if they gave no email address",
        rows=16,
    )


class ReviewRequestForm(ServiceForm):
    requested = radios(
        "Has the complainant asked for a review?",
        [("yes", "Yes, they have asked for a review"), ("no", "No, close the complaint")],
        invalid="Select whether the complainant asked for a review",
    )
    # Whether the date may be in the future is the service's rule; this only reads the date.
    requested_on = date_field(
        "If yes, when did they ask?", "Date of the request", allow_future=True
    )
    reason = textarea("If yes, why do they want a review?")
    reviewer = officer_field(
        "If yes, who will review it?",
        invalid="Select the reviewing officer",
        hint="A second officer, who was not involved in the investigation",
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "requested": yes(data["requested"]),
            "requested_on": data["requested_on"],
            "reason": data["reason"],
            "reviewer": data["reviewer"],
        }


class ReviewForm(ServiceForm):
    outcome = radios(
        "Does the finding stand?",
        ComplaintReview.Outcome.choices,
        invalid="Select whether the finding stands",
    )
    new_finding = forms.ChoiceField(
        label="If changed, what is the new finding?",
        choices=Finding.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    rationale = textarea("Rationale")
    letter = textarea("Review response letter", rows=12)


class ReassignForm(ServiceForm):
    investigator = officer_field(
        "New investigating officer", invalid="Select the investigating officer"
    )
