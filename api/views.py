"""The JSON API: the same services as the pages, behind the same permission checks.

Cases and tasks are addressed by public identifiers; anything the user may not see is a 404,
so existence is not disclosed. Business-rule failures are 400s with field errors (see
api/exceptions.py).
"""

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referrals_for_referrer
from workflows import services
from workflows.models import CaseTask

from . import serializers as s
from .selectors import cases_for_user, open_tasks_for_user

STAGES = {
    "police_acknowledge": (s.AcknowledgeSerializer, services.task_acknowledge),
    "la_acknowledge": (s.AcknowledgeSerializer, services.task_acknowledge),
    "police_deconfliction": (s.DeconflictionSerializer, services.police_deconfliction_complete),
    "police_gateway_checks": (s.GatewayChecksSerializer, services.police_gateway_checks_complete),
    "police_information_gathering": (
        s.InformationGatheringSerializer,
        services.police_information_gathering_complete,
    ),
    "la_initial_discussion": (
        s.InitialDiscussionSerializer,
        services.la_initial_discussion_complete,
    ),
    "la_safeguarding_checks": (s.SafeguardingSerializer, services.la_safeguarding_checks_complete),
    "threshold_decision": (s.ThresholdSerializer, services.threshold_decide),
    "assurance_review": (s.AssuranceSerializer, services.assurance_review_decide),
    "below_threshold_outcome": (
        s.BelowThresholdSerializer,
        services.below_threshold_outcome_complete,
    ),
    "risk_assessment": (s.RiskAssessmentSerializer, services.risk_assessment_complete),
    "outcome_decision": (s.OutcomeSerializer, services.outcome_decide),
}


def _record_read(request, referral: Referral, what: str) -> None:
    from compliance.services import case_read_record

    case_read_record(user=request.user, referral=referral, what=what, via="api")


class MyReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A referrer's own referrals and their plain-language status."""

    serializer_class = s.MyReferralSerializer
    lookup_field = "public_id"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Referral.objects.none()
        return referrals_for_referrer(self.request.user).exclude(status=ReferralStatus.DRAFT)


class CaseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ReferralStatus.choices)
    local_authority = filters.CharFilter(field_name="local_authority__code")
    reference = filters.CharFilter()

    class Meta:
        model = Referral
        fields = ["status", "local_authority", "reference"]


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases the user's teams work, or a break-glass grant opens. Every read is audited."""

    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    filterset_class = CaseFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        return cases_for_user(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer

    def retrieve(self, request, *args, **kwargs):
        referral = self.get_object()
        _record_read(request, referral, "api case detail")
        return Response(self.get_serializer(referral).data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        from compliance.services import audit_record

        audit_record(
            actor=request.user,
            action="case.list_read",
            detail={"via": "api", "count": len(response.data.get("results", []))},
        )
        return response


_TASK_ID = extend_schema(
    parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)]
)


@extend_schema_view(
    retrieve=_TASK_ID, claim=_TASK_ID, unclaim=_TASK_ID, assign=_TASK_ID, complete=_TASK_ID
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open tasks of the user's teams; claim, release, assign and complete them."""

    serializer_class = s.TaskSerializer
    lookup_value_converter = "int"  # a CaseTask's primary key is its Viewflow task's id

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseTask.objects.none()
        return open_tasks_for_user(self.request.user)

    def _task(self, pk):
        if self.action == "unclaim" or self.action == "assign":
            # Advisers steer tasks that are not their own team's.
            case_task = get_object_or_404(
                CaseTask.objects.select_related("task", "referral"), task_id=pk, is_open=True
            )
            return case_task.task
        return self.get_object().task

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = self._task(pk)
        services.task_claim(task=task, user=request.user)
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        task = self._task(pk)
        services.task_unclaim(task=task, user=request.user)
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(request=s.AssignSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        task = self._task(pk)
        body = s.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = User.objects.filter(email=body.validated_data["assignee"].lower()).first()
        if assignee is None:
            return Response(
                {"assignee": ["No user has that email address"]}, status=status.HTTP_400_BAD_REQUEST
            )
        services.tasks_assign(
            tasks=[task], assignee=assignee, user=request.user, reason=body.validated_data["reason"]
        )
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Complete the task; the body is the stage's fields (see each stage's service)."""
        task = self._task(pk)
        stage = task.flow_task.name
        if stage not in STAGES:
            return Response(
                {"non_field_errors": [f"'{stage}' is completed on its page"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        serializer_class, service = STAGES[stage]
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        service(task=task, user=request.user, **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
