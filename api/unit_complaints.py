"""The Standards and Compliance Unit's complaints, with each one's open steps.

The steps are worked through `POST /api/v1/tasks/{id}/complete/` (the stage registry: the same
form and service as the step's page); this list is how the unit finds their ids. Officers of
the unit only, by the rule the complaint pages use.
"""

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.settings import api_settings

from compliance.models import Complaint, ComplaintStatus
from workflows.complaint.selectors import complaints_open_steps

from .audit import ComplianceOfficer
from .serializers import TaskIdField


class OpenStepSerializer(serializers.Serializer):
    id = TaskIdField(source="pk", help_text="The task id to complete the step with")
    stage = serializers.CharField(source="flow_task.name")
    title = serializers.SerializerMethodField()
    owner = serializers.EmailField(source="owner.email", default=None, allow_null=True)

    def get_title(self, task) -> str:
        return str(task.flow_task.task_title or task.flow_task.name)


class UnitComplaintSerializer(serializers.ModelSerializer):
    investigator = serializers.EmailField(
        source="investigator.email", default=None, allow_null=True
    )
    open_steps = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "status",
            "category",
            "received_at",
            "acknowledge_by",
            "respond_by",
            "respond_overdue",
            "investigator",
            "open_steps",
        ]

    def get_open_steps(self, complaint) -> list[dict]:
        steps = self.context.get("open_steps", {}).get(complaint.pk, [])
        return OpenStepSerializer(steps, many=True).data


class UnitComplaintFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ComplaintStatus.choices)

    class Meta:
        model = Complaint
        fields = ["status"]


@extend_schema_view(
    list=extend_schema(
        summary="The unit's complaints and their open steps",
        examples=[
            OpenApiExample(
                "A complaint to triage",
                value={
                    "reference": "CMP-2026-000042",
                    "status": "received",
                    "category": "referral_handling",
                    "received_at": "2026-12-01T09:30:00Z",
                    "acknowledge_by": "2026-12-04",
                    "respond_by": "2027-01-12",
                    "respond_overdue": False,
                    "investigator": None,
                    "open_steps": [
                        {
                            "id": "tsk_4svxzb6uptnfk",
                            "stage": "triage",
                            "title": "Triage",
                            "owner": None,
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
)
class UnitComplaintViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = UnitComplaintSerializer
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, ComplianceOfficer]
    filterset_class = UnitComplaintFilter
    cursor_ordering = "-pk"  # newest first

    def get_queryset(self) -> QuerySet[Complaint]:
        return Complaint.objects.select_related("investigator", "process")

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        context["open_steps"] = complaints_open_steps(page) if page else {}
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page
