"""Shapes of the API's requests and responses. Validation of business rules is in services;
the answers that complete a task are parsed by the task step's own form."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from referrals.models import Referral
from referrals.selectors import referral_plain_status
from workflows.engine.models import CaseTask
from workflows.referral.forms import AssignForm


class MyReferralSerializer(serializers.ModelSerializer):
    """What a referrer sees of their own referral: a plain status, never case work."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = ["id", "reference", "status", "created_at", "submitted_at"]

    def get_status(self, referral) -> str:
        return referral_plain_status(referral).label


class CaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    local_authority = serializers.CharField(source="local_authority.name", default=None)
    region = serializers.CharField(source="region.name", default=None)
    outcome = serializers.CharField(source="process.outcome", default="")
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


class CaseDetailSerializer(CaseSerializer):
    class Meta(CaseSerializer.Meta):
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
        ]


class TaskSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="task_id", read_only=True)
    case = serializers.UUIDField(source="referral.public_id", read_only=True)
    case_reference = serializers.CharField(source="referral.reference", read_only=True)
    title = serializers.SerializerMethodField()
    team = serializers.CharField(source="team.name", read_only=True)
    owner = serializers.EmailField(source="task.owner.email", default=None, read_only=True)
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
