"""The forms are the one definition of what an answer may be: every free-text field has a length
limit, and no limit is longer than the database column it is stored in, so an overlong answer
is a form error on the page and a 400 in the API, never a database error.

Two walks: every registered step's form (built on a real task, as its page and the API build
it), against the model fields of the same name in its process's models; and every model
column people write through a form, against the form field that feeds it.
"""

import pytest
from django import forms
from django.apps import apps
from django.db import models

from accounts.roles import Role
from compliance import forms as compliance_forms
from config.forms import LONG_TEXT_MAX
from referrals import forms as referral_forms
from tests.cases import InSupportFactory, make_user
from tests.compliance.factories import InvestigatingComplaintFactory
from workflows.channel import forms as channel_forms
from workflows.complaint import forms as complaint_forms
from workflows.engine import forms as engine_forms
from workflows.engine.registry import _steps
from workflows.referral import forms as referral_step_forms
from workflows.referral import views as case_views


def _text_fields(form: forms.Form) -> dict[str, forms.CharField]:
    return {
        name: field
        for name, field in form.fields.items()
        if isinstance(field, forms.CharField) and not isinstance(field.widget, forms.HiddenInput)
    }


def _columns(*app_labels: str) -> dict[str, int]:
    """The shortest CharField column of each name in these apps' models."""
    columns: dict[str, int] = {}
    for model in apps.get_models():
        if model._meta.app_label not in app_labels:
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField) and field.max_length:
                columns[field.name] = min(
                    columns.get(field.name, field.max_length), field.max_length
                )
    return columns


@pytest.fixture
def step_forms(people):
    """Every registered step's form, built on a real task of its process."""
    case_task = InSupportFactory(people=people).case_tasks.select_related("task").first().task
    officer = make_user("officer@unit.example", Role.COMPLIANCE)
    complaint = InvestigatingComplaintFactory(investigator=officer)
    complaint_task = complaint.process.task_set.filter(flow_task__isnull=False).first()
    built = {}
    for (flow, name), step in _steps.items():
        task, app = (
            (complaint_task, "compliance") if "complaint" in flow else (case_task, "workflows")
        )
        built[f"{flow}.{name}"] = (step.form(task, None, officer), app)
    return built


def test_every_step_form_text_field_fits_its_column(step_forms):
    compared = set()
    for step, (form, app) in step_forms.items():
        columns = _columns(app)
        renamed = {form_name: service for service, form_name in form.service_fields.items()}
        for name, field in _text_fields(form).items():
            assert field.max_length, f"{step}: {name} has no length limit"
            assert field.max_length <= LONG_TEXT_MAX, f"{step}: {name}"
            column = columns.get(renamed.get(name, name))
            if column is not None:
                assert field.max_length <= column, (
                    f"{step}: {name} takes {field.max_length} characters; its column {column}"
                )
                compared.add(name)
    # The walk is not vacuous: the answers the API once let through to the database are in it.
    assert {"signposted_to", "handover_to"} <= compared


# Each column people fill in through a form, and the form field that feeds it.
FED_BY = {
    **{
        ("referrals.Referral", name): (section.form_class, name)
        for section in referral_forms.SECTIONS.values()
        for name in section.form_class.base_fields
    },
    ("referrals.Attachment", "description"): (referral_forms.AttachmentForm, "description"),
    ("referrals.Upload", "description"): (referral_forms.AttachmentForm, "description"),
    ("workflows.ClockPause", "waiting_on"): (engine_forms.PauseForm, "waiting_on"),
    ("workflows.PanelMeeting", "location"): (channel_forms.MeetingForm, "location"),
    ("workflows.Deconfliction", "trigger"): (
        referral_step_forms.DeconflictionRecordForm,
        "trigger",
    ),
    ("workflows.BelowThresholdOutcome", "signposted_to"): (
        referral_step_forms.BelowThresholdForm,
        "signposted_to",
    ),
    ("workflows.OutcomeDecision", "handover_to"): (referral_step_forms.OutcomeForm, "handover_to"),
    ("workflows.Consent", "parent_name"): (channel_forms.ConsentForm, "parent_name"),
    ("compliance.Complaint", "organisation"): (complaint_forms.ComplaintForm, "organisation"),
    ("compliance.Complaint", "referral_reference"): (
        complaint_forms.ComplaintForm,
        "referral_reference",
    ),
    ("compliance.Complaint", "complainant_name"): (complaint_forms.ComplaintForm, "name"),
    ("compliance.Complaint", "complainant_phone"): (complaint_forms.ComplaintForm, "phone"),
    ("compliance.Complaint", "complainant_email"): (complaint_forms.ComplaintForm, "email"),
    ("compliance.Complaint", "consent_note"): (complaint_forms.ConsentForm, "note"),
    ("compliance.OrganisationContact", "organisation"): (complaint_forms.RaiseForm, "organisation"),
    ("compliance.OrganisationContact", "contact"): (complaint_forms.RaiseForm, "contact"),
    ("compliance.BreakGlassGrant", "reason"): (compliance_forms.BreakGlassForm, "reason"),
}


def _postcode_as_stored() -> str:
    """The address page takes a postcode spaced out to its full length and stores it
    normalised ("EC1A 1BB")."""
    form = referral_forms.AddressForm(
        {"address_line_1": "1 Example Street", "town": "London", "postcode": " e c 1 a   1 b b    "}
    )
    assert form.is_valid(), form.errors
    return form.cleaned_data["postcode"]


# Columns whose form field takes a looser spelling and stores it normalised.
NORMALISED = {("referrals.Referral", "postcode"): _postcode_as_stored}

# Records the service writes itself, never from an answer.
SYSTEM_MODELS = {"compliance.AuditEvent", "compliance.AuditCheckpoint", "compliance.RefusedAccess"}
# Columns the service fills itself, never from an answer.
SYSTEM_COLUMNS = {
    "reference",
    "flow_class",
    "stage",
    "sha256",
    "content_type",
    "original_name",  # the uploaded file's name, shortened by the service
    "revoked_because",
    "subject",
    "named_reference",  # the case reference the complainant gave, copied from the complaint
}


def test_every_column_people_write_is_fed_by_a_field_that_fits_it():
    fed = {
        key: form_class.base_fields[name]
        for key, (form_class, name) in FED_BY.items()
        if name in form_class.base_fields
    }
    for model in apps.get_models():
        if model._meta.app_label not in ("referrals", "workflows", "compliance"):
            continue
        for field in model._meta.get_fields():
            if not (isinstance(field, models.CharField) and field.max_length) or field.choices:
                continue
            if field.name in SYSTEM_COLUMNS or model._meta.label in SYSTEM_MODELS:
                continue
            key = (model._meta.label, field.name)
            assert key in fed, f"{key} is written from no known form field"
            if key in NORMALISED:
                assert len(NORMALISED[key]()) <= field.max_length, key
                continue
            assert fed[key].max_length <= field.max_length, (
                f"{key}: the form takes {fed[key].max_length}, the column {field.max_length}"
            )


def test_case_action_forms_are_bounded(people):
    """The case page's actions (notes, transfer, home visits...) bound every text answer too."""
    referral = InSupportFactory(people=people)
    for name, action in case_views.CASE_ACTIONS.items():
        for field_name, field in _text_fields(action.form(None, referral)).items():
            assert field.max_length and field.max_length <= LONG_TEXT_MAX, (name, field_name)
