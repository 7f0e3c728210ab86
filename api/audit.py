"""The audit trail for the Standards and Compliance Unit: the explorer's events and its CSV.

The same filters as the web explorer (compliance/filters.py), the same officers
(`is_compliance_officer`), the same CSV file and the same `audit.exported` event for every
export. Anyone else is refused (403, as the web explorer answers), and the refusal is
recorded like any refused request for a case object (compliance/middleware.py).
"""

from django.http import HttpResponseBase
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from compliance.export import audit_csv_response
from compliance.filters import AuditEventFilter, GovukDateFilter
from compliance.models import AuditEvent
from compliance.selectors import audit_events, is_compliance_officer
from compliance.services import audit_exported


class ComplianceOfficer(BasePermission):
    """Officers of the Standards and Compliance Unit: the web explorer's rule."""

    message = "Only officers of the Standards and Compliance Unit may read the audit trail."

    def has_permission(self, request, view) -> bool:
        return is_compliance_officer(request.user)


class AuditEventSerializer(serializers.ModelSerializer):
    """One event, with the CSV export's columns."""

    times_refused = serializers.IntegerField(
        source="refused_access.count",
        default=None,
        read_only=True,
        allow_null=True,
        help_text="For `access.refused`: how many times in that hour",
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "sequence",
            "occurred_at",
            "actor_email",
            "actor_role",
            "team",
            "action",
            "case_reference",
            "object_type",
            "object_id",
            "reason",
            "detail",
            "times_refused",
            "hash",
        ]
        read_only_fields = fields


_EVENT = {
    "id": 1042,
    "sequence": 1041,
    "occurred_at": "2026-04-01T09:30:00Z",
    "actor_email": "ada.example@camden.example.gov.uk",
    "actor_role": "la_prevent_officer",
    "team": "Camden Prevent team",
    "action": "case.read",
    "case_reference": "PRV-2026-000123",
    "object_type": "referral",
    "object_id": "3f2a9c1e-1111-4c2b-9d7e-000000000000",
    "reason": "",
    "detail": {"via": "api", "what": "api case detail"},
    "times_refused": None,
    "hash": "9b1d…",
}
# The explorer's filters, for the export (a list view has them from its filterset).
_FILTERS = [
    OpenApiParameter(name, OpenApiTypes.DATE, description="An ISO date, e.g. 2026-04-01")
    if isinstance(field, GovukDateFilter)
    else OpenApiParameter(name, OpenApiTypes.STR, description=str(field.extra["help_text"]))
    for name, field in AuditEventFilter.base_filters.items()
]
_REFUSED = OpenApiResponse(description="Not an officer of the Standards and Compliance Unit")
_INVALID = OpenApiResponse(description="A filter that cannot be read, e.g. a date that is not real")


class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [*GenericAPIView.permission_classes, ComplianceOfficer]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    cursor_ordering = "-pk"  # newest first, as in the explorer

    def get_queryset(self):
        return audit_events()

    @extend_schema(
        summary="The audit trail, newest first, filtered as in the audit explorer",
        description="Dates are ISO dates (`2026-04-01`); `action` without a dot matches "
        "every action of that kind (`break_glass`).",
        responses={200: AuditEventSerializer(many=True), 400: _INVALID, 403: _REFUSED},
        examples=[OpenApiExample("An event", value=_EVENT, response_only=True)],
    )
    def list(self, request: Request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class AuditEventExport(GenericAPIView):
    """The filtered trail as the web export's CSV, streamed, oldest first."""

    permission_classes = [*GenericAPIView.permission_classes, ComplianceOfficer]
    filterset_class = AuditEventFilter
    pagination_class = None

    def get_queryset(self):
        return audit_events()

    @extend_schema(
        operation_id="audit_events_export",
        summary="The audit trail as CSV, filtered as in the audit explorer",
        parameters=_FILTERS,
        description="The same file as the audit explorer's export. Every export is itself "
        "recorded (`audit.exported`, with its filters) before its first row is sent.",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY,
                examples=[
                    OpenApiExample(
                        "The first lines",
                        value="Event,Place in the chain,When (UTC),Person acting,Role,Team,"
                        "Action,Case or complaint reference,Object type,Object,Reason,Detail,"
                        "Times refused in the hour,Hash\r\n1042,1041,2026-04-01T09:30:00+00:00,"
                        "ada.example@camden.example.gov.uk,la_prevent_officer,"
                        "Camden Prevent team,case.read,PRV-2026-000123,referral,…\r\n",
                    )
                ],
            ),
            400: _INVALID,
            403: _REFUSED,
        },
    )
    def get(self, request: Request, *args, **kwargs) -> HttpResponseBase:
        events = AuditEventFilter(request.query_params, queryset=self.get_queryset())
        if not events.is_valid():
            raise translate_validation(events.errors)
        audit_exported(user=request.user, filters=events.applied, via="api")
        return audit_csv_response(events.qs)
