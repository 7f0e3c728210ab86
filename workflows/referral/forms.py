"""Forms for the referral pages: they parse and present answers, and state no rule.

A form refuses only what it cannot parse: an answer that is not one of the choices, a date
that is not real, text that is too long. Whether an answer is needed, and every other rule,
is the service's (workflows/referral/services.py), which every page and the API call and which
reports all its problems at once. A form's `cleaned_data` (through `service_kwargs`) map onto
the service's keyword arguments, and each of the service's errors is put back on the field it
names (`add_service_error`), so the error summary lists them all.
"""

from django import forms

from config.errors import ApplicationError
from config.forms import (
    ServiceForm,
    add_service_error,
    date_field,
    radios,
    text,
    textarea,
    yes_no,
)
from referrals.models import ConcernType

from ..engine.models import Rating
from .models import (
    BelowThresholdOutcome,
    CaseNote,
    Deconfliction,
    Disclosure,
    GatewayCheck,
    OutcomeDecision,
    SafeguardingChecks,
)
from .selectors import QueueFilters

# --- Task pages ------------------------------------------------------------------------------


class AcknowledgeForm(ServiceForm):
    note = textarea("Notes (optional)", hint="Anything the team should know straight away")


class DeconflictionForm(ServiceForm):
    outcome = radios(
        "What was the outcome of the deconfliction check?",
        Deconfliction.Outcome.choices,
        invalid="Select the outcome of the deconfliction check",
    )
    notes = textarea("Notes (optional)")


class DeconflictionRecordForm(DeconflictionForm):
    """Deconfliction repeated because new information arrived."""

    trigger = text(
        "What new information prompted this check?",
        hint="For example, a second report from the school",
    )
    field_order = ["trigger", "outcome", "notes"]


class GatewayChecksForm(ServiceForm):
    """One result per check, and what was found or why it was not done."""

    CHECKS = list(GatewayCheck.Check)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for check in self.CHECKS:
            self.fields[f"{check.value}_result"] = radios(
                check.label,
                GatewayCheck.Result.choices,
                invalid=f"Select a result for {check.label}",
            )
            self.fields[f"{check.value}_summary"] = textarea(
                f"{check.label}: what was found, or why the check was not done",
                hint="Needed if a trace was found or the check was not done",
                rows=3,
            )

    def rows(self):
        return [(self[f"{c.value}_result"], self[f"{c.value}_summary"]) for c in self.CHECKS]

    def service_kwargs(self) -> dict:
        return {
            "checks": {
                c.value: (
                    self.cleaned_data.get(f"{c.value}_result") or "",
                    self.cleaned_data.get(f"{c.value}_summary") or "",
                )
                for c in self.CHECKS
            }
        }

    def add_service_error(self, exc: ApplicationError) -> None:
        """A check's error goes on its result when none was chosen, else on its summary."""
        others = []
        for field, message in exc.errors:
            if field in GatewayCheck.Check.values:
                chosen = self.cleaned_data.get(f"{field}_result") if self.is_bound else None
                self.add_error(f"{field}_summary" if chosen else f"{field}_result", message)
            else:
                others.append((field, message))
        if others:
            add_service_error(self, ApplicationError(errors=others, code=exc.code))


SHARE_HINT = (
    "Partners see this, never the police records themselves. Give what they need to safeguard "
    "and support the person, not intelligence or details of a live investigation. If nothing "
    "can be shared, write “Nothing to share”."
)


def sharing_fields(label: str):
    """The sharing summary a police step records as a disclosure: text, audience, basis."""
    return {
        "share_summary": textarea(label, hint=SHARE_HINT, rows=4, noun="What can be shared"),
        "share_with": radios(
            "Who can see it?",
            Disclosure.Audience.choices,
            invalid="Select who the police information can be shared with",
        ),
        "share_basis": radios(
            "Lawful basis for sharing",
            Disclosure.Basis.choices,
            invalid="Select the lawful basis for sharing the information",
        ),
    }


class SharingForm(ServiceForm):
    """A police step's answers, then what of them the police share with partners."""

    SHARING = ("share_summary", "share_with", "share_basis")
    share_label = "What can be shared with the local authority and panel?"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(sharing_fields(self.share_label))

    def sharing(self):
        return [self[name] for name in self.SHARING]

    def own_fields(self):
        return [field for field in self if field.name not in self.SHARING]


class InformationGatheringForm(SharingForm):
    summary = textarea(
        "What information has been gathered?",
        hint="Police only: include what police systems and partners hold about the person",
    )
    sources = textarea("Sources consulted (optional)", rows=3)
    referrer_contact = textarea("Contact with the referrer (optional)", rows=3)


class DisclosureForm(SharingForm):
    """Sharing police information with partners from the case page, between steps."""


class InitialDiscussionForm(ServiceForm):
    held_on = date_field(
        "When was the discussion held?", "The date of the discussion", allow_future=True
    )
    summary = textarea("Summary of the discussion")


class ConfirmDiscussionForm(ServiceForm):
    confirm = forms.BooleanField(
        label="I have read the record of the initial discussion and it does not need repeating",
        required=False,
    )


class SafeguardingForm(ServiceForm):
    social_care = textarea("Children's or adult social care", rows=3)
    education = textarea("Education", rows=3)
    health = textarea("Health", rows=3)
    domestic_abuse_result = radios(
        "What did the domestic-abuse check find?",
        SafeguardingChecks.DomesticAbuse.choices,
        hint="This check is mandatory",
        invalid="The domestic-abuse check is mandatory: select its result",
    )
    domestic_abuse_notes = textarea(
        "What was checked for domestic abuse, and what was found", rows=3
    )
    mash_notified_on = date_field(
        "When was the MASH notified?", "The date the MASH was notified", allow_future=True
    )
    mash_response = textarea("The MASH's response", rows=3)

    def __init__(self, *args, under_18: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.under_18 = under_18
        if not under_18:
            del self.fields["mash_notified_on"]
            del self.fields["mash_response"]


IDEOLOGY_CHOICES = [("", "Select the ideology"), *ConcernType.choices]


class ThresholdForm(ServiceForm):
    ideological_element = yes_no(
        "Is there an identifiable ideological element?",
        invalid="Answer whether there is an identifiable ideological element",
    )
    ideology = forms.ChoiceField(
        label="If yes, which ideology?",
        choices=IDEOLOGY_CHOICES,
        required=False,
        error_messages={"invalid_choice": "Select the ideology"},
    )
    terrorism_risk = yes_no(
        "Is there a terrorism risk?", invalid="Answer whether there is a terrorism risk"
    )
    rationale = textarea(
        "Why have you reached this decision?",
        hint="Say how the evidence meets or does not meet each part of the threshold. The "
        "local authority and panel see this decision and its rationale: keep police-only "
        "detail out of it",
    )


class AssuranceForm(ServiceForm):
    confirm = yes_no(
        "Do you confirm this decision to close the case below the threshold?",
        choices=[("yes", "Yes, confirm the closure"), ("no", "No, send it back")],
        invalid="Select whether to confirm the closure or send it back",
    )
    reasons = textarea(
        "Reasons (needed if you send it back)",
        hint="The decision maker will see these reasons",
    )


def outcome_letter_draft(referral) -> str:
    """A plain-language starting point for the letter to the referrer, to be edited."""
    name = referral.referrer_name or "colleague"
    return (
        f"Dear {name},\n\n"
        f"Thank you for your Prevent referral {referral.reference}, about "
        f"{referral.first_name}.\n\n"
        "We have looked carefully at the information you gave us and at what the police and "
        "the local authority know. We have decided that the concerns do not need support "
        "from Prevent at this time.\n\n"
        "[Say here whether no further action is needed or which service the person has been "
        "pointed to, and what that means for them.]\n\n"
        "This does not mean your concerns were wrong to raise. If anything changes, or you "
        "have new worries, please refer again or contact your local authority's Prevent team."
        "\n\nYours sincerely,\n\nThe Prevent team"
    )


class BelowThresholdForm(ServiceForm):
    outcome = radios(
        "What is the outcome?", BelowThresholdOutcome.Outcome.choices, invalid="Select the outcome"
    )
    signposted_to = text(
        "If signposting, which service?",
        hint="For example, the local early help service",
    )
    letter = textarea(
        "Letter to the referrer",
        hint="Written in plain language. It is sent to the referrer by email.",
        rows=14,
    )


FACTORS = (
    ("engagement", "Engagement with an ideology or cause"),
    ("intent", "Intent to cause harm"),
    ("capability", "Capability to cause harm"),
)


class RiskAssessmentForm(SharingForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sharing = {name: self.fields.pop(name) for name in self.SHARING}
        for factor, label in FACTORS:
            lower = f"{label[0].lower()}{label[1:]}"
            self.fields[f"{factor}_rating"] = radios(label, Rating.choices, invalid=f"Rate {lower}")
            self.fields[f"{factor}_evidence"] = textarea(
                f"Evidence for the rating of {lower}", rows=3
            )
        self.fields["overall_risk"] = radios(
            "Overall risk level", Rating.choices, invalid="Select the overall risk level"
        )
        self.fields["summary"] = textarea("Summary of the assessment")
        self.fields.update(sharing)

    def factors(self):
        return [(self[f"{f}_rating"], self[f"{f}_evidence"]) for f, _ in FACTORS]


class OutcomeForm(SharingForm):
    share_label = (
        "What can be shared with the local authority and panel? (needed if the case goes to "
        "Channel or a police-led partnership)"
    )
    outcome = radios(
        "What is the outcome?", OutcomeDecision.Outcome.choices, invalid="Select the outcome"
    )
    rationale = textarea("Why have you reached this outcome?")
    handover_to = text(
        "If escalating to Pursue, which team receives the case?",
        hint="For example, the regional CT unit's Pursue team",
    )
    handover_notes = textarea("If escalating to Pursue, the handover record", rows=4)


# --- Actions on the case ---------------------------------------------------------------------


class CaseNoteForm(ServiceForm):
    kind = radios(
        "What kind of note is it?", CaseNote.Kind.choices, invalid="Select the kind of note"
    )
    text = textarea("What do you want to record?")


class HomeVisitAssessmentForm(ServiceForm):
    risks_identified = textarea("What risks have been identified?")
    controls = textarea("What controls are in place?")
    visit_safe = yes_no(
        "Can the visit go ahead safely?", invalid="Answer whether the visit can go ahead safely"
    )


class HomeVisitForm(ServiceForm):
    visited_on = date_field(
        "When did the visit take place?", "The date of the visit", allow_future=True
    )
    notes = textarea("What happened on the visit?")


class LocalAuthorityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TransferForm(ServiceForm):
    to_local_authority = LocalAuthorityChoiceField(
        label="Which local authority is the case moving to?",
        queryset=None,
        required=False,
        empty_label="Select a local authority",
        error_messages={"invalid_choice": "Select the local authority the case is moving to"},
    )
    reason = textarea("Why is the case moving?")

    def __init__(self, *args, destinations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_local_authority"].queryset = destinations


class DuplicateForm(ServiceForm):
    same_person = yes_no(
        "Is this the same person?",
        choices=[("yes", "Yes, the same person"), ("no", "No, a different person")],
        invalid="Select whether this is the same person",
    )
    reason = textarea("Reason (optional)", rows=3)


# --- The adviser's queue ---------------------------------------------------------------------


RISK_CHOICES = [("", "Any risk level"), *Rating.choices]
SORT_CHOICES = [
    (key, key) for key in ("due", "-due", "created", "-created", "reference", "-reference")
]


class QueueFilterForm(forms.Form):
    """The queue's GET form. Anything not understood is ignored rather than refused."""

    stage = forms.ChoiceField(label="Stage", required=False)
    local_authority = forms.TypedChoiceField(
        label="Local authority", required=False, coerce=int, empty_value=None
    )
    risk_level = forms.ChoiceField(label="Risk level", choices=RISK_CHOICES, required=False)
    overdue = forms.BooleanField(label="Overdue only", required=False)
    possible_duplicate = forms.BooleanField(label="Possible duplicate to check", required=False)
    repeat_referral = forms.BooleanField(label="Repeat referral", required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args, stages, local_authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "Any stage"), *stages]
        self.fields["local_authority"].choices = [
            ("", "Any local authority"),
            *((la.pk, la.name) for la in local_authorities),
        ]

    def filters(self):
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name in self.cleaned_data
        }
        return QueueFilters(
            stage=data.get("stage") or "",
            local_authority_id=data.get("local_authority"),
            overdue=bool(data.get("overdue")),
            risk_level=data.get("risk_level") or "",
            possible_duplicate=bool(data.get("possible_duplicate")),
            repeat_referral=bool(data.get("repeat_referral")),
            sort=data.get("sort") or "due",
            page=data.get("page") or 1,
        )

    @property
    def any_filter(self) -> bool:
        return any(
            self.data.get(name)
            for name in (
                "stage",
                "local_authority",
                "risk_level",
                "overdue",
                "possible_duplicate",
                "repeat_referral",
            )
        )


class TaskIdsField(forms.Field):
    """The ids of the tasks ticked in the queue's table."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value):
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("Select at least one task") from exc


class AssignForm(ServiceForm):
    tasks = TaskIdsField(
        label="Tasks", error_messages={"required": "Select at least one task to assign"}
    )
    assignee = forms.TypedChoiceField(
        label="Assign the selected tasks to",
        coerce=int,
        error_messages={
            "required": "Select who to assign the tasks to",
            "invalid_choice": "Select who to assign the tasks to",
        },
    )
    reason = text(
        "Reason (optional)",
        hint="For example, covering for a colleague on leave",
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", "Select a person"),
            *((p.pk, f"{p.name} ({p.teams})") for p in people),
        ]
