"""Forms for the referral journey: one per page, validation only.

Each page form knows which referral fields it shows (`initial_for`) and which it writes
(`model_changes`); what happens to those changes is decided in `services.py`. The same form
is used to tell whether a page of a draft is complete, so a page's rules live in one place.
"""

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from config.forms import GovukDateField, radios, text, textarea
from regions.selectors import RoutingError, current_local_authorities, normalise_postcode

from .models import Awareness, ConcernType, Gender, Referral, Sector

PHONE_CHARS = set("0123456789 +()-")


class SectionForm(forms.Form):
    """A page of the journey. Subclasses list the referral fields they show in `fields_shown`."""

    fields_shown: tuple[str, ...] = ()

    @classmethod
    def initial_for(cls, referral: Referral) -> dict:
        return {name: getattr(referral, name) for name in cls.fields_shown}

    def model_changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields_shown}


class PersonForm(SectionForm):
    fields_shown = (
        "first_name",
        "last_name",
        "aliases",
        "date_of_birth",
        "approximate_age",
        "gender",
    )
    no_autofill = {"autocomplete": "off", "spellcheck": "false"}

    first_name = text(
        "First name",
        required="Enter the person's first name",
        widget=forms.TextInput(attrs=no_autofill),
        max_length=100,
    )
    last_name = text(
        "Last name",
        required="Enter the person's last name",
        widget=forms.TextInput(attrs=no_autofill),
        max_length=100,
    )
    aliases = textarea(
        "Other names they are known by (optional)",
        hint="For example, a nickname or a previous name. Put each name on a new line.",
        rows=3,
    )
    date_of_birth = GovukDateField(
        noun="Date of birth",
        label="Date of birth",
        required=False,
        help_text="For example, 27 3 2010. Leave this blank if you do not know it.",
    )
    approximate_age = forms.IntegerField(
        label="Approximate age, if you do not know their date of birth",
        required=False,
        min_value=0,
        max_value=120,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "class": "govuk-input--width-3", "spellcheck": "false"}
        ),
        help_text="In years",
        error_messages={
            "invalid": "Approximate age must be a whole number, like 15",
            "min_value": "Approximate age must be 0 or more",
            "max_value": "Approximate age must be 120 or less",
        },
    )
    gender = radios("Gender", Gender.choices, "Select the person's gender")

    def clean(self):
        cleaned = super().clean()
        dob = cleaned.get("date_of_birth")
        if (
            not dob
            and cleaned.get("approximate_age") is None
            and "date_of_birth" not in self.errors
            and "approximate_age" not in self.errors
        ):
            self.add_error(
                "date_of_birth", "Enter the person's date of birth or their approximate age"
            )
        if dob and (timezone.localdate().year - dob.year) > 120:
            self.add_error("date_of_birth", "Date of birth must be within the last 120 years")
        return cleaned


class AddressForm(SectionForm):
    fields_shown = ("address_line_1", "address_line_2", "town", "postcode")
    no_autofill = {"autocomplete": "off"}

    address_line_1 = text(
        "Address line 1",
        required="Enter the first line of the person's address",
        widget=forms.TextInput(attrs=no_autofill),
    )
    address_line_2 = text("Address line 2 (optional)", widget=forms.TextInput(attrs=no_autofill))
    town = text(
        "Town or city",
        required="Enter the town or city",
        widget=forms.TextInput(attrs={**no_autofill, "class": "govuk-!-width-two-thirds"}),
        max_length=100,
    )
    postcode = text(
        "Postcode",
        required="Enter the person's postcode",
        widget=forms.TextInput(
            attrs={**no_autofill, "class": "govuk-input--width-10", "spellcheck": "false"}
        ),
        max_length=20,
    )

    def clean_postcode(self):
        try:
            return normalise_postcode(self.cleaned_data["postcode"])
        except RoutingError as exc:
            raise forms.ValidationError(exc.message, code="invalid") from exc


class LocalAuthorityForm(SectionForm):
    fields_shown = ("local_authority",)

    local_authority = forms.ModelChoiceField(
        label="Which local authority area does the person live in?",
        queryset=current_local_authorities(),
        empty_label="Choose a local authority",
        # Enhanced into an autocomplete by static/app/autocomplete.js; a plain select without it.
        widget=forms.Select(attrs={"class": "app-autocomplete"}),
        help_text="We could not find the postcode you gave. Choose the council area where the "
        "person lives.",
        error_messages={
            "required": "Select the local authority where the person lives",
            "invalid_choice": "Select the local authority where the person lives",
        },
    )


class CircumstancesForm(SectionForm):
    fields_shown = ("school_or_employer", "languages", "communication_needs", "person_aware")

    school_or_employer = text("School, college or employer (optional)")
    languages = text("Languages they speak (optional)", hint="For example, English and Urdu")
    communication_needs = textarea(
        "Communication needs (optional)",
        hint="For example, if they need an interpreter, use British Sign Language or have "
        "difficulty reading",
        rows=3,
    )
    person_aware = radios(
        "Does the person know you are making this referral?",
        Awareness.choices,
        "Select whether the person knows about this referral",
    )


class ReferrerForm(SectionForm):
    fields_shown = (
        "referrer_name",
        "referrer_role",
        "referrer_organisation",
        "referrer_sector",
        "referrer_email",
        "referrer_phone",
    )

    referrer_name = text(
        "Full name",
        required="Enter your full name",
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )
    referrer_role = text(
        "Your role",
        required="Enter your role",
        hint="For example, designated safeguarding lead",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    referrer_organisation = text(
        "Organisation",
        required="Enter the name of your organisation",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    referrer_sector = radios(
        "Which sector do you work in?", Sector.choices, "Select the sector you work in"
    )
    referrer_email = forms.EmailField(
        label="Email address",
        max_length=254,  # the column's length (Django's form field would take 320)
        help_text="We will only use this to contact you about this referral",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
            "max_length": "Email address must be 254 characters or fewer",
        },
    )
    referrer_phone = text(
        "Telephone number",
        required="Enter a telephone number",
        hint="For international numbers include the country code",
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "class": "govuk-input--width-20", "type": "tel"}
        ),
        max_length=40,
    )

    def clean_referrer_phone(self):
        value = self.cleaned_data["referrer_phone"].strip()
        digits = sum(ch.isdigit() for ch in value)
        if not set(value) <= PHONE_CHARS or not 10 <= digits <= 15:
            raise forms.ValidationError(
                "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192",
                code="invalid",
            )
        return value


class ConcernForm(SectionForm):
    fields_shown = (
        "concern_type",
        "concern_type_other",
        "narrative",
        "seen_or_heard",
        "seen_on",
        "online_activity",
        "associates",
    )

    concern_type = radios(
        "What type of concern is it?",
        ConcernType.choices,
        "Select the type of concern",
        hint="Choose the one that fits best. The police and local authority will review it.",
    )
    concern_type_other = text(
        "If you chose ‘Other’, describe the type of concern", noun="The type of concern"
    )
    narrative = textarea(
        "Describe your concern",
        required="Describe your concern",
        hint="Say what worries you about this person and why you think they may be at risk "
        "of being drawn into terrorism",
        rows=8,
    )
    seen_or_heard = textarea(
        "What have you or others seen or heard?",
        required="Enter what you or others have seen or heard",
        hint="Include who saw or heard it and where",
    )
    seen_on = GovukDateField(
        noun="The date it was seen or heard",
        label="When was this seen or heard?",
        help_text="If it happened more than once, give the most recent date. For example, 27 3 "
        "2026",
        error_messages={"required": "Enter the date it was seen or heard"},
    )
    online_activity = textarea(
        "Online activity (optional)",
        hint="For example, websites, social media accounts or material they have shared",
    )
    associates = textarea(
        "People they associate with (optional)",
        hint="Anyone who may be influencing them, if you know",
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("concern_type") == ConcernType.OTHER
            and not cleaned.get("concern_type_other", "").strip()
        ):
            self.add_error("concern_type_other", "Describe the type of concern")
        if cleaned.get("concern_type") not in (None, ConcernType.OTHER):
            cleaned["concern_type_other"] = ""
        return cleaned


class RiskForm(SectionForm):
    fields_shown = (
        "immediate_risk",
        "immediate_risk_details",
        "complex_needs",
        "other_safeguarding_concerns",
        "conversations_held",
        "other_agencies",
    )
    NEEDS = {
        "needs_special_educational": "Special educational needs",
        "needs_disability": "Disability",
        "needs_mental_health": "Mental health",
        "needs_neurodiversity": "Neurodiversity, for example autism or ADHD",
    }

    immediate_risk = radios(
        "Is there an immediate risk of harm to the person or to others?",
        [("yes", "Yes"), ("no", "No")],
        "Select yes if there is an immediate risk of harm",
    )
    immediate_risk_details = textarea(
        "If yes, describe the risk", rows=3, noun="The description of the risk"
    )
    complex_needs = forms.MultipleChoiceField(
        label="Does the person have any of these needs?",
        choices=list(NEEDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply. Leave blank if none apply or you do not know.",
    )
    other_safeguarding_concerns = textarea(
        "Other safeguarding concerns (optional)",
        hint="For example, neglect, exploitation, domestic abuse or substance misuse",
    )
    conversations_held = textarea(
        "Conversations already held (optional)",
        hint="Any conversations you or colleagues have had with the person or their parents "
        "or carers about this concern",
    )
    other_agencies = textarea(
        "Other agencies involved (optional)",
        hint="For example, children's social care, CAMHS, youth justice or probation",
    )

    @classmethod
    def initial_for(cls, referral: Referral) -> dict:
        initial = {
            name: getattr(referral, name)
            for name in cls.fields_shown
            if name not in {"immediate_risk", "complex_needs"}
        }
        risk = referral.immediate_risk
        initial["immediate_risk"] = None if risk is None else ("yes" if risk else "no")
        initial["complex_needs"] = [name for name in cls.NEEDS if getattr(referral, name)]
        return initial

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("immediate_risk") == "yes"
            and not cleaned.get("immediate_risk_details", "").strip()
        ):
            self.add_error("immediate_risk_details", "Describe the immediate risk")
        return cleaned

    def model_changes(self) -> dict:
        data = self.cleaned_data
        changes = {
            name: data[name]
            for name in self.fields_shown
            if name not in {"immediate_risk", "complex_needs"}
        }
        changes["immediate_risk"] = data["immediate_risk"] == "yes"
        if not changes["immediate_risk"]:
            changes["immediate_risk_details"] = ""
        changes.update({name: name in data["complex_needs"] for name in self.NEEDS})
        return changes


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="PDF, Word (DOCX), JPEG, PNG or plain text, up to 10MB",
        widget=forms.FileInput,
        error_messages={
            "required": "Select a file",
            "empty": "The selected file is empty",
            "missing": "Select a file",
            "invalid": "Select a file",
        },
    )
    description = text(
        "Describe the file (optional)",
        hint="For example, screenshot of social media post",
    )


class DeclarationForm(forms.Form):
    confirm = forms.BooleanField(
        label="I confirm that the information I have given is correct to the best of my "
        "knowledge, and that I have a legitimate reason to share it",
        error_messages={"required": "Confirm that the information you have given is correct"},
    )


class InformationAnswerForm(forms.Form):
    answer = textarea("Your answer", required="Enter your answer", rows=5)


@dataclass(frozen=True)
class Section:
    """A page of the journey that edits the referral."""

    slug: str
    title: str
    form_class: type[SectionForm]

    def is_complete(self, referral: Referral) -> bool:
        if self.slug == "local-authority":
            return referral.local_authority_id is not None
        form = self.form_class(
            data=bound_data(self.form_class, self.form_class.initial_for(referral))
        )
        return form.is_valid()


SECTIONS: dict[str, Section] = {
    s.slug: s
    for s in [
        Section("person", "About the person", PersonForm),
        Section("address", "Where the person lives", AddressForm),
        Section("local-authority", "Local authority", LocalAuthorityForm),
        Section("circumstances", "The person's circumstances", CircumstancesForm),
        Section("about-you", "About you", ReferrerForm),
        Section("concern", "The concern", ConcernForm),
        Section("risk-and-needs", "Risk, needs and support", RiskForm),
    ]
}


def bound_data(form_class: type[forms.Form], values: dict) -> dict:
    """What a browser would post to show `values` in `form_class` (used to re-check a draft)."""
    data: dict = {}
    for name, field in form_class.base_fields.items():
        value = values.get(name)
        if value is None or value == "" or value == []:
            continue
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            for suffix, part in zip(widget.widgets_names, widget.decompress(value), strict=True):
                data[f"{name}{suffix}"] = part
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif hasattr(value, "pk"):
            data[name] = str(value.pk)
        else:
            data[name] = str(value)
    return data
