"""Shapes of the API's requests and responses. Validation of business rules is in services;
the answers that complete a task are parsed by the task step's own form."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config import task_ids as ids
from referrals.models import Referral
from referrals.selectors import referral_plain_status
from workflows.engine.models import CaseTask
from workflows.referral.forms import AssignForm
from workflows.referral.models import (
    CaseNote,
    Deconfliction,
    Disclosure,
    GatewayCheck,
    HomeVisit,
    HomeVisitRiskAssessment,
    OutcomeDecision,
    RiskAssessment,
)


class MyReferralSerializer(serializers.ModelSerializer):
    """What a referrer sees of their own referral: a plain status, never case work."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "reference", "status", "created_at", "submitted_at"]
        read_only_fields = fields

    def get_status(self, referral) -> str:
        return referral_plain_status(referral).label


class CaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    # Null until the referral is routed to an authority (and so to a region).
    local_authority = serializers.CharField(
        source="local_authority.name", default=None, allow_null=True, read_only=True
    )
    region = serializers.CharField(
        source="region.name", default=None, allow_null=True, read_only=True
    )
    outcome = serializers.CharField(source="process.outcome", default="", read_only=True)
    person_name = serializers.CharField(read_only=True)
    is_under_18 = serializers.BooleanField(read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "reference",
            "status",
            "marking",
            "submitted_at",
            "closed_at",
            "local_authority",
            "region",
            "outcome",
            "person_name",
            "is_under_18",
        ]
        read_only_fields = fields


class DisclosureSerializer(serializers.ModelSerializer):
    """Police information shared with the case's partners: what, with whom, on what basis."""

    shared_by = serializers.CharField(source="shared_by.full_name", read_only=True)
    shared_by_team = serializers.CharField(source="shared_by_team.name", read_only=True)
    stage = serializers.CharField(
        read_only=True, help_text="The step it was shared at; empty when shared on its own"
    )

    class Meta:
        model = Disclosure
        fields = ["stage", "text", "audience", "basis", "shared_by", "shared_by_team", "shared_at"]
        read_only_fields = fields


class _RecordSerializer(serializers.ModelSerializer):
    """A police record, read-only, with who recorded it by name."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


class DeconflictionSerializer(_RecordSerializer):
    recorded_by = serializers.CharField(source="recorded_by.full_name")

    class Meta:
        model = Deconfliction
        fields = ["outcome", "trigger", "notes", "recorded_by", "recorded_at"]


class GatewayCheckSerializer(_RecordSerializer):
    check = serializers.CharField(source="check_name")
    recorded_by = serializers.CharField(source="recorded_by.full_name")

    class Meta:
        model = GatewayCheck
        fields = ["check", "result", "summary", "recorded_by", "recorded_at"]


class PoliceNoteSerializer(_RecordSerializer):
    author = serializers.CharField(source="author.full_name")
    team = serializers.CharField(source="team.name")

    class Meta:
        model = CaseNote
        fields = ["kind", "text", "author", "team", "created_at"]


class RiskAssessmentSerializer(_RecordSerializer):
    assessed_by = serializers.CharField(source="assessed_by.full_name")

    class Meta:
        model = RiskAssessment
        fields = [
            "engagement_rating",
            "engagement_evidence",
            "intent_rating",
            "intent_evidence",
            "capability_rating",
            "capability_evidence",
            "overall_risk",
            "summary",
            "assessed_by",
            "assessed_at",
        ]


class HomeVisitAssessmentSerializer(_RecordSerializer):
    assessed_by = serializers.CharField(source="assessed_by.full_name")

    class Meta:
        model = HomeVisitRiskAssessment
        fields = ["risks_identified", "controls", "visit_safe", "assessed_by", "assessed_at"]


class HomeVisitSerializer(_RecordSerializer):
    recorded_by = serializers.CharField(source="recorded_by.full_name")

    class Meta:
        model = HomeVisit
        fields = ["visited_on", "notes", "recorded_by"]


class OutcomeDecisionSerializer(_RecordSerializer):
    decided_by = serializers.CharField(source="decided_by.full_name")

    class Meta:
        model = OutcomeDecision
        fields = [
            "outcome",
            "rationale",
            "handover_to",
            "handover_notes",
            "decided_by",
            "decided_at",
        ]


class PoliceRecordsSerializer(serializers.Serializer):
    """The police branch's own records (workflows.referral.selectors.PoliceRecords)."""

    deconflictions = DeconflictionSerializer(many=True, read_only=True)
    gateway_checks = GatewayCheckSerializer(many=True, read_only=True)
    notes = PoliceNoteSerializer(many=True, read_only=True)
    risk_assessments = RiskAssessmentSerializer(many=True, read_only=True)
    home_visit_assessments = HomeVisitAssessmentSerializer(many=True, read_only=True)
    home_visits = HomeVisitSerializer(many=True, read_only=True)
    outcome_decisions = OutcomeDecisionSerializer(many=True, read_only=True)

    class Meta:
        ref_name = "PoliceRecords"


class CaseDetailSerializer(CaseSerializer):
    """A case as a partner reads it (the LA, the panel, the unit under break-glass): the
    referral and what the police shared with them, never police records.

    Reads `disclosures` from the serializer's context, as the view's selector gave them.
    """

    disclosures = serializers.SerializerMethodField(
        help_text="Police information shared with this reader (every disclosure, for the "
        "police, the region's advisers and break-glass readers)"
    )

    class Meta(CaseSerializer.Meta):
        ref_name = "CaseDetail"
        fields = CaseSerializer.Meta.fields + [
            "aliases",
            "date_of_birth",
            "approximate_age",
            "gender",
            "postcode",
            "school_or_employer",
            "concern_type",
            "narrative",
            "seen_or_heard",
            "seen_on",
            "online_activity",
            "associates",
            "immediate_risk",
            "immediate_risk_details",
            "other_safeguarding_concerns",
            "conversations_held",
            "other_agencies",
            "referrer_name",
            "referrer_organisation",
            "referrer_sector",
            "disclosures",
        ]
        read_only_fields = fields

    @extend_schema_field(DisclosureSerializer(many=True))
    def get_disclosures(self, referral) -> list:
        return DisclosureSerializer(self.context["disclosures"], many=True).data


class PoliceCaseDetailSerializer(CaseDetailSerializer):
    """A case as its CT police team and its region's advisers read it: also the police
    records (need to know). Reads `police` from the context."""

    police_records = serializers.SerializerMethodField()

    class Meta(CaseDetailSerializer.Meta):
        ref_name = "PoliceCaseDetail"
        fields = CaseDetailSerializer.Meta.fields + ["police_records"]
        read_only_fields = fields

    @extend_schema_field(PoliceRecordsSerializer)
    def get_police_records(self, referral) -> dict:
        return PoliceRecordsSerializer(self.context["police"]).data


@extend_schema_field(
    {"type": "string", "pattern": f"^{ids.PATTERN}$", "example": "tsk_4svxzb6uptnfk"}
)
class TaskIdField(serializers.Field):
    """A task's opaque API id (api/ids.py), never its database number."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: int) -> str:
        return ids.task_api_id(value)


class TaskSerializer(serializers.ModelSerializer):
    id = TaskIdField(source="task_id")
    case = serializers.UUIDField(source="referral.public_id", read_only=True)
    case_reference = serializers.CharField(source="referral.reference", read_only=True)
    title = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.name", read_only=True)
    owner = serializers.EmailField(
        source="task.owner.email", default=None, allow_null=True, read_only=True
    )
    status = serializers.CharField(source="task.status", read_only=True)

    class Meta:
        model = CaseTask
        fields = [
            "id",
            "stage",
            "title",
            "case",
            "case_reference",
            "team",
            "owner",
            "status",
            "due_on",
            "overdue",
            "created_at",
        ]
        read_only_fields = fields

    def get_title(self, case_task) -> str:
        return str(case_task.task.flow_task.task_title or case_task.stage)


class FormTextField(serializers.CharField):
    """Text checked by the page's own form field: the same length limit, the same refusal of
    classified markings, the same messages (the form is the one definition)."""

    def __init__(self, form_field: forms.CharField, **kwargs):
        self.form_field = form_field
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return self.form_field.clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class AssignSerializer(serializers.Serializer):
    assignee = serializers.EmailField()
    reason = FormTextField(
        AssignForm.base_fields["reason"], required=False, allow_blank=True, default=""
    )


class TaskCompletionSerializer(serializers.Serializer):
    """The answers of the task's step, by the field names of its page's form.

    Yes/no answers are booleans, dates ISO strings (`2026-03-27`), people their email
    address; a support plan sends `interventions` as a list of objects. The step's own form
    validates them, so the API and the page refuse the same things with the same messages.
    """

    class Meta:
        ref_name = "TaskCompletion"
