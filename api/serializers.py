"""Shapes of the API's requests and responses. Validation of business rules is in services."""

from rest_framework import serializers

from referrals.models import Referral
from referrals.selectors import referral_plain_status
from workflows.models import CaseTask, GatewayCheck, Rating


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


class AssignSerializer(serializers.Serializer):
    assignee = serializers.EmailField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- Completing each stage: fields map one-to-one onto the stage's service keywords --------


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeconflictionSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class GatewayCheckSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=GatewayCheck.Result.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class GatewayChecksSerializer(serializers.Serializer):
    checks = serializers.DictField(child=GatewayCheckSerializer())

    def validate_checks(self, value):
        return {name: (c["result"], c["summary"]) for name, c in value.items()}


class InformationGatheringSerializer(serializers.Serializer):
    summary = serializers.CharField(allow_blank=True)
    sources = serializers.CharField(required=False, allow_blank=True, default="")
    referrer_contact = serializers.CharField(required=False, allow_blank=True, default="")


class InitialDiscussionSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False, allow_null=True, default=None)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(required=False, default=False)


class SafeguardingSerializer(serializers.Serializer):
    social_care = serializers.CharField(allow_blank=True)
    education = serializers.CharField(allow_blank=True)
    health = serializers.CharField(allow_blank=True)
    domestic_abuse_result = serializers.CharField(allow_blank=True)
    domestic_abuse_notes = serializers.CharField(allow_blank=True)
    mash_notified_on = serializers.DateField(required=False, allow_null=True, default=None)
    mash_response = serializers.CharField(required=False, allow_blank=True, default="")


class ThresholdSerializer(serializers.Serializer):
    ideological_element = serializers.BooleanField(allow_null=True)
    ideology = serializers.CharField(required=False, allow_blank=True, default="")
    terrorism_risk = serializers.BooleanField(allow_null=True)
    rationale = serializers.CharField(allow_blank=True)


class AssuranceSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(allow_null=True)
    reasons = serializers.CharField(required=False, allow_blank=True, default="")


class BelowThresholdSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    signposted_to = serializers.CharField(required=False, allow_blank=True, default="")
    letter = serializers.CharField(allow_blank=True)


class RiskAssessmentSerializer(serializers.Serializer):
    engagement_rating = serializers.ChoiceField(choices=Rating.choices)
    engagement_evidence = serializers.CharField(allow_blank=True)
    intent_rating = serializers.ChoiceField(choices=Rating.choices)
    intent_evidence = serializers.CharField(allow_blank=True)
    capability_rating = serializers.ChoiceField(choices=Rating.choices)
    capability_evidence = serializers.CharField(allow_blank=True)
    overall_risk = serializers.ChoiceField(choices=Rating.choices)
    summary = serializers.CharField(allow_blank=True)


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    rationale = serializers.CharField(allow_blank=True)
    handover_to = serializers.CharField(required=False, allow_blank=True, default="")
    handover_notes = serializers.CharField(required=False, allow_blank=True, default="")
