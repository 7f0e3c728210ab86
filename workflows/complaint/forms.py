"""Forms for the complaint pages: shape and presence of answers only.

The rules (who may act, consent before raising a complaint with an organisation, a second
officer for a review...) live in services.py; a form points at every missing answer at once,
with the same words the service would use.
"""

from django import forms

from compliance.models import ComplaintCategory, ComplaintReview, Finding
from compliance.selectors import compliance_officers
from config.forms import YES_NO, ServiceForm, date_field, radios, text, textarea, yes


class OfficerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.email})"


def officer_field(label: str, required: str, *, hint: str = "") -> OfficerChoiceField:
    return OfficerChoiceField(
        label=label,
        queryset=compliance_officers(),
        empty_label="Select an officer",
        help_text=hint,
        error_messages={"required": required, "invalid_choice": required},
    )


# --- Making a complaint -----------------------------------------------------------------------


class ComplaintForm(ServiceForm):
    """Shared by the public form and the practitioner form."""

    category = radios(
        "What is your complaint about?",
        ComplaintCategory.choices,
        "Select what your complaint is about",
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
        "Enter what happened",
        hint="Include dates, places and who was involved, if you know them",
        rows=8,
    )
    outcome_sought = textarea(
        "What would you like to happen?", "Enter what you would like to happen"
    )
    name = text(
        "Full name",
        "Enter your full name",
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
        "Select whether we may raise your complaint with the organisation concerned",
        hint=(
            "To investigate, we may need to contact the organisation your complaint is about. "
            "We will not contact them without your permission. You can change your mind later."
        ),
    )
    # A field people never see: automated form-fillers complete it, people leave it empty.
    leave_blank = forms.CharField(required=False, label="Leave this field empty")

    def clean(self):
        data = super().clean()
        no_address = not data.get("email") and not (data.get("address") or "").strip()
        if no_address and "email" not in self.errors:
            self.add_error(
                "email", "Enter an email address or a postal address so that we can reply"
            )
        return data

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
        "Select whether the complaint is in scope",
        hint="About how the Prevent duty or Prevent training was applied",
    )
    rationale = textarea("Reason for your decision", "Give the reason for your decision")
    investigator = officer_field(
        "If in scope, who will investigate?",
        "Select the investigating officer",
        hint="Leave as yourself to investigate it yourself",
    )
    signposting = textarea(
        "If out of scope, where can the complainant take it instead?",
        hint="For example, the organisation's own complaints procedure, or the ICO",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigator"].required = False
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
        "Enter the referral reference",
        hint="For example, PRV-2026-000123",
        max_length=40,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false"}),
    )


class ConsentForm(ServiceForm):
    given = radios(
        "Does the complainant consent to the complaint being raised with the organisation?",
        YES_NO,
        "Select whether the complainant consents",
    )
    note = text(
        "When and how did they tell you?",
        "Say when and how the complainant told you",
        max_length=300,
        hint="For example, by phone on 3 March 2026",
    )

    def service_kwargs(self) -> dict:
        return {"given": yes(self.cleaned_data["given"]), "note": self.cleaned_data["note"]}


class RaiseForm(ServiceForm):
    organisation = text("Organisation", "Enter the organisation")
    contact = text(
        "Who did you raise it with, and how?",
        "Enter who you raised it with, and how",
        max_length=300,
    )
    summary = textarea("What did you raise with them?", "Enter what you raised with them")


class InvestigationForm(ServiceForm):
    summary = textarea(
        "What did the investigation find?",
        "Summarise what the investigation found",
        hint="The evidence you considered and what it showed",
        rows=8,
    )


class FindingForm(ServiceForm):
    finding = radios("Finding", Finding.choices, "Select upheld, partly upheld or not upheld")
    rationale = textarea("Rationale", "Give the rationale for the finding", rows=8)


class ResponseForm(ServiceForm):
    letter = textarea(
        "Response letter",
        "Enter the response letter",
        hint="Sent to the complainant by email, or to be posted if they gave no email address",
        rows=16,
    )


class ReviewRequestForm(ServiceForm):
    requested = radios(
        "Has the complainant asked for a review?",
        [("yes", "Yes, they have asked for a review"), ("no", "No, close the complaint")],
        "Select whether the complainant asked for a review",
    )
    requested_on = date_field("If yes, when did they ask?", "Date of the request", None)
    reason = textarea("If yes, why do they want a review?")
    reviewer = officer_field(
        "If yes, who will review it?",
        "Select the reviewing officer",
        hint="A second officer, who was not involved in the investigation",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].required = False

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
        "Select whether the finding stands",
    )
    new_finding = forms.ChoiceField(
        label="If changed, what is the new finding?",
        choices=Finding.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    rationale = textarea("Rationale", "Give the rationale for the review's decision")
    letter = textarea("Review response letter", "Enter the review response letter", rows=12)


class ReassignForm(ServiceForm):
    investigator = officer_field("New investigating officer", "Select the investigating officer")
