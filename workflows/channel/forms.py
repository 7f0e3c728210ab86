"""Forms for the Channel pages: they parse and present answers, nothing more.

The rules (what must be answered, who may decide, parental consent for under-18s, a provider
must be registered...) live in services.py, which every page and the API call: a missing
answer parses as ""/None and the service reports every problem at once, which the page puts
back on its fields. A form refuses only what it cannot parse: an answer that is not one of
its choices, a date that is not real (or in the future where that cannot be), a number that
is not one.
"""

import re

from django import forms

from config.forms import ServiceForm, date_field, radios, text, textarea, yes_no
from regions.models import Team

from ..engine.models import Rating
from .models import AgendaItem, ChannelDecision, Consent, Intervention, PanelReview


class MeetingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.meets_on:%-d %B %Y}" + (f", {obj.location}" if obj.location else "")


def meeting_field(meetings):
    return MeetingChoiceField(
        queryset=meetings,
        required=False,
        label="Panel meeting (optional)",
        help_text="The meeting at which the panel discussed this",
        empty_label="Not recorded against a meeting",
    )


class UserChoiceField(forms.ModelChoiceField):
    """People are chosen by email address: integer ids stay out of pages."""

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="email", **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.organisation})" if obj.organisation else obj.full_name


# --- Panel meetings -------------------------------------------------------------------------


class MeetingForm(ServiceForm):
    panel = forms.ModelChoiceField(
        queryset=None,
        label="Panel",
        empty_label=None,
        error_messages={"required": "Select the panel", "invalid_choice": "Select the panel"},
    )
    meets_on = date_field("Date of the meeting", "Date of the meeting", allow_future=True)
    location = text("Where the panel meets (optional)")

    def __init__(self, *args, panels: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["panel"].queryset = Team.objects.filter(pk__in=[p.pk for p in panels])
        if len(panels) == 1:
            self.fields["panel"].widget = forms.HiddenInput()
            self.fields["panel"].initial = panels[0].pk


class AgendaItemForm(ServiceForm):
    referral = forms.ModelChoiceField(
        queryset=None,
        to_field_name="public_id",
        label="Case",
        empty_label="Select a case",
        required=False,
        error_messages={"invalid_choice": "Select the case to add to the agenda"},
    )
    purpose = radios(
        "Why is the case on the agenda?",
        AgendaItem.Purpose.choices,
        invalid="Select why the case is on the agenda",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = candidates
        self.fields["referral"].label_from_instance = lambda r: f"{r.reference}: {r.person_name}"


# --- Decisions ------------------------------------------------------------------------------


class AdoptionForm(ServiceForm):
    adopt = yes_no(
        "Does the panel adopt the case?",
        hint="Only the panel's chair, from the local authority, can record this decision.",
        invalid="Select whether the panel adopts the case",
    )
    rationale = textarea("The panel's rationale")
    meeting = meeting_field(None)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


OUTCOME_CHOICES = [
    (ChannelDecision.Result.POLICE_LED.value, "Police-led partnership"),
    (ChannelDecision.Result.CLOSED.value, "Close the case"),
]


class OutcomeForm(ServiceForm):
    result = radios(
        "What happens next?", OUTCOME_CHOICES, invalid="Select police-led partnership or closure"
    )
    rationale = textarea("Rationale for the decision")


class ConsentForm(ServiceForm):
    """The person's consent; for an under-18 also a parent's or guardian's (the service
    requires both)."""

    person_given = yes_no("Does the person consent?", invalid="Select whether the person consents")
    person_on = date_field("Date the person gave or refused consent", "Date of consent")
    person_how = radios(
        "How was the person's answer obtained?",
        Consent.HowObtained.choices,
        invalid="Select how consent was obtained",
    )
    parent_name = text("Parent's or guardian's full name")
    parent_given = yes_no(
        "Does the parent or guardian consent?",
        invalid="The person is under 18: select whether a parent or guardian consents",
    )
    parent_on = date_field("Date the parent or guardian gave or refused consent", "Date of consent")
    parent_how = radios(
        "How was the parent's or guardian's answer obtained?",
        Consent.HowObtained.choices,
        invalid="Select how consent was obtained",
    )
    PARENT_FIELDS = ("parent_name", "parent_given", "parent_on", "parent_how")

    def __init__(self, *args, under_18: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.under_18 = under_18
        if not under_18:
            for name in self.PARENT_FIELDS:
                del self.fields[name]


class ConsentWithdrawForm(ServiceForm):
    given_by = radios(
        "Whose consent has been withdrawn?",
        Consent.GivenBy.choices,
        invalid="Select whose consent has been withdrawn",
    )
    withdrawn_on = date_field("Date consent was withdrawn", "Date of withdrawal")
    reason = textarea("Why was consent withdrawn?")

    def __init__(self, *args, under_18: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not under_18:
            self.fields["given_by"].widget = forms.HiddenInput()
            self.fields["given_by"].initial = Consent.GivenBy.PERSON


class PanelReviewForm(ServiceForm):
    progress = textarea("Progress since the last review")
    risk = radios("Current risk", Rating.choices, invalid="Select the current risk level")
    recommendation = radios(
        "Recommendation",
        PanelReview.Recommendation.choices,
        hint="Only the panel's chair, from the local authority, can decide that a case exits.",
        invalid="Select whether support continues or the case exits",
    )
    rationale = textarea("Rationale")
    meeting = meeting_field(None)

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings


class PostExitReviewForm(ServiceForm):
    assessment = textarea("The review's assessment")
    concern = yes_no(
        "Does the review raise a concern?",
        hint="A concern re-opens the case for a panel review.",
        invalid="Select whether the review raises a concern",
    )


# --- Support plan and interventions ---------------------------------------------------------


class InterventionForm(ServiceForm):
    """One intervention. In the plan builder a wholly empty row is ignored (`is_blank`); a row
    with any answer is handed to the service, which says what else it needs."""

    kind = forms.ChoiceField(
        label="Kind of intervention",
        choices=[("", "Select a kind"), *Intervention.Kind.choices],
        required=False,
        error_messages={"invalid_choice": "Select the kind of intervention"},
    )
    description = textarea("Description", rows=3)
    owner = UserChoiceField(
        None,
        label="Owner",
        help_text="The panel member or local-authority officer responsible for it",
        empty_label="Select an owner",
        required=False,
        error_messages={"invalid_choice": "Select who owns this intervention"},
    )
    provider = UserChoiceField(
        None,
        label="Intervention provider (optional)",
        help_text="Only when the intervention is commissioned from a provider",
        required=False,
        empty_label="Not commissioned",
        error_messages={"invalid_choice": "Select a registered intervention provider"},
    )

    def __init__(self, *args, owners, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["provider"].queryset = providers

    def is_blank(self) -> bool:
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.fields)

    def as_service_item(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "description": data["description"],
            "owner": data["owner"],
            "provider": data.get("provider"),
        }


class SessionForm(ServiceForm):
    held_on = date_field("Date of the session", "Date of the session")
    duration_minutes = forms.IntegerField(
        label="How long did it last?",
        help_text="In minutes",
        required=False,
        min_value=1,
        max_value=24 * 60,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "govuk-input--width-4"}),
        error_messages={
            "invalid": "Enter the length of the session as a number of minutes, like 60",
            "min_value": "Enter how long the session lasted, in minutes",
            "max_value": "A session cannot last longer than a day",
        },
    )
    attended = yes_no("Did the person attend?", invalid="Select whether the person attended")
    notes = textarea("What happened in the session")


# How the support plan service names a problem of its Nth intervention.
PLAN_ITEM_FIELD = re.compile(r"^intervention-(?P<number>\d+)-(?P<name>\w+)$")


class SupportPlanForm(ServiceForm):
    """A summary and up to three interventions; rows left wholly empty are ignored.

    The rows' answers are parsed here; what is missing from a row, or from the plan, is the
    service's to say. Its problems with the Nth intervention handed over go on the Nth filled
    row, and every error of a row is also listed in the error summary (`extra_errors`) as
    "Intervention N: ...", N being the row's number on the page.
    """

    ROWS = 3
    summary = textarea("Summary of the support plan")

    def __init__(self, data=None, *, owners, providers, **kwargs):
        super().__init__(data, **kwargs)
        self.rows = [
            InterventionForm(data, prefix=f"intervention-{n}", owners=owners, providers=providers)
            for n in range(1, self.ROWS + 1)
        ]
        # Errors of the rows, for the error summary: {"text": ..., "href": ...}.
        self.extra_errors: list[dict] = []

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        self.extra_errors = []
        for row in self.filled_rows():
            row.is_valid()  # every row, so every error shows
            for field in row:
                for error in field.errors:
                    self._row_error(row, field.name, error)

    def _row_error(self, row: InterventionForm, name: str, message: str) -> None:
        number = self.rows.index(row) + 1
        self.extra_errors.append(
            {
                "text": f"Intervention {number}: {message}",
                "href": f"#{row[name].auto_id}",
                # The API's name for it (its rows are the list it was sent).
                "field": f"intervention-{number}-{name}",
                "message": message,
            }
        )

    def filled_rows(self) -> list[InterventionForm]:
        return [row for row in self.rows if not row.is_blank()]

    def is_valid(self) -> bool:
        return super().is_valid() and not self.extra_errors

    def service_kwargs(self) -> dict:
        return {
            "summary": self.cleaned_data["summary"],
            "interventions": [row.as_service_item() for row in self.filled_rows()],
        }

    def service_kwargs_so_far(self) -> None:
        """A row that cannot be read has no item to check: its own errors come first."""
        return None

    def add_service_error(self, exc) -> None:
        filled = self.filled_rows()
        for field, message in exc.errors:
            item = PLAN_ITEM_FIELD.match(field or "")
            if field == "summary":
                self.add_error("summary", message)
            elif item and 0 < int(item["number"]) <= len(filled):
                row, name = filled[int(item["number"]) - 1], item["name"]
                if name in row.fields:
                    row.add_error(name, message)
                    self._row_error(row, name, message)
                else:
                    self.extra_errors.append({"text": message})
            elif field == "interventions":
                self.extra_errors.append(
                    {
                        "text": message,
                        "href": f"#{self.rows[0]['kind'].auto_id}",
                        "field": "interventions",
                    }
                )
            else:
                self.extra_errors.append({"text": message})

    def json_fields(self) -> set[str]:
        return {"summary", "interventions"}

    def data_from_json(self, payload: dict) -> dict:
        """The API sends `interventions` as a list; the page has numbered rows."""
        data = super().data_from_json({"summary": payload.get("summary", "")})
        items = payload.get("interventions") or []
        if not isinstance(items, list) or len(items) > self.ROWS:
            items = items[: self.ROWS] if isinstance(items, list) else []
        for row, item in zip(self.rows, items, strict=False):
            if isinstance(item, dict):
                data.update(row.data_from_json(item))
        return data
