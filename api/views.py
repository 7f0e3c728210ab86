"""The JSON API: the same services as the pages, behind the same named permission rules.

A task of any process is completed through its step in the stage registry: the step's own
form parses the JSON answers and its service applies the rules, exactly as on its page.

Cases and tasks are addressed by public identifiers; anything the user may not see is a 404,
so existence is not disclosed. Business-rule failures are 400s with field errors (see
api/exceptions.py).
"""

from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from compliance.audit import audit_record
from compliance.selectors import break_glass_active
from compliance.services import case_read_record
from config import task_ids as ids
from config.errors import PermissionDenied
from referrals.models import Referral, ReferralStatus
from referrals.selectors import referrals_for_referrer
from workflows.engine import services
from workflows.engine.models import CaseTask
from workflows.engine.permissions import case_roles, is_task_region_adviser
from workflows.engine.registry import step_complete, step_for
from workflows.engine.selectors import task_for_user
from workflows.referral.selectors import CaseReader

from . import serializers as s
from .exceptions import problem
from .selectors import case_detail_records, cases_for_user, open_tasks_for_user, task_to_complete


def _record_read(request, referral: Referral, what: str) -> None:
    case_read_record(user=request.user, referral=referral, what=what, via="api")


def invalid_answers(errors: dict[str, list[str]]) -> Response:
    """A 400 problem document for answers that failed their checks; nothing was saved."""
    first = next(iter(errors.values()))[0]
    return problem(status.HTTP_400_BAD_REQUEST, detail=first, code="invalid", errors=errors)


def form_errors(form) -> dict[str, list[str]]:
    errors = {name: [str(e) for e in messages] for name, messages in form.errors.items()}
    if errors.get("__all__"):
        errors["non_field_errors"] = errors.pop("__all__")
    for extra in getattr(form, "extra_errors", []):
        name = extra.get("field", "non_field_errors")
        errors.setdefault(name, []).append(extra.get("message", extra["text"]))
    return errors


class MyReferralViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A referrer's own referrals and their plain-language status."""

    serializer_class = s.MyReferralSerializer
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    cursor_ordering = "-pk"  # newest first (api/pagination.py)

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


_CASE_DETAIL = PolymorphicProxySerializer(
    component_name="CaseDetailForReader",
    serializers=[s.CaseDetailSerializer, s.PoliceCaseDetailSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    retrieve=extend_schema(
        responses=_CASE_DETAIL,
        description="A case as this reader may see it (need to know). The case's CT police "
        "team and its region's advisers get `PoliceCaseDetail`, with `police_records` "
        "(deconfliction, gateway checks, police notes, risk assessments, home visits, "
        "outcome decisions) and every disclosure. Everyone else who may see the case (the "
        "LA's Prevent team, the Channel panel, the Standards and Compliance Unit under "
        "break-glass) gets `CaseDetail`: no `police_records`, and the disclosures, the "
        "police information shared with them.",
    )
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases the user's teams work, or a break-glass grant opens. Every read is audited."""

    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    filterset_class = CaseFilter
    cursor_ordering = "-pk"  # newest first (api/pagination.py)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Referral.objects.none()
        return cases_for_user(self.request.user)

    def get_serializer_class(self):
        return s.CaseDetailSerializer if self.action == "retrieve" else s.CaseSerializer

    def retrieve(self, request, *args, **kwargs):
        """The case with police records only for the police and advisers, as on its page."""
        referral = self.get_object()
        roles = case_roles(request.user, referral)
        grant = None if roles.staff else break_glass_active(user=request.user, referral=referral)
        reader = CaseReader.of(roles, break_glass=grant is not None)
        _record_read(request, referral, "api case detail")
        records = case_detail_records(referral, reader)
        serializer_class = (
            s.PoliceCaseDetailSerializer if reader.police_records else s.CaseDetailSerializer
        )
        context = {**self.get_serializer_context(), **records}
        return Response(serializer_class(referral, context=context).data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_record(
            actor=request.user,
            action="case.list_read",
            detail={"via": "api", "count": len(response.data.get("results", []))},
        )
        return response


_TASK_ID = extend_schema(
    parameters=[
        OpenApiParameter(
            "id",
            {"type": "string", "pattern": f"^{ids.PATTERN}$"},
            OpenApiParameter.PATH,
            description="The task's API id, as the task list gives it (tsk_...)",
        )
    ]
)


def _task_pk(api_id) -> int:
    """The task behind an API id; anything that is not one is the one 404."""
    pk = ids.task_pk(api_id)
    if pk is None:
        raise Http404
    return pk


class TaskFilter(filters.FilterSet):
    """`?owner=me`: the user's inbox (claimed by or assigned to them); `?owner=nobody`: the
    team queue's unclaimed tasks; `stage`: one step."""

    owner = filters.ChoiceFilter(
        choices=[("me", "Mine"), ("nobody", "Not claimed")], method="by_owner"
    )
    stage = filters.CharFilter()

    class Meta:
        model = CaseTask
        fields = ["owner", "stage"]

    def by_owner(self, queryset, name, value):
        if value == "me":
            return queryset.filter(task__owner=self.request.user)
        return queryset.filter(task__owner__isnull=True)


@extend_schema_view(
    retrieve=_TASK_ID, claim=_TASK_ID, unclaim=_TASK_ID, assign=_TASK_ID, complete=_TASK_ID
)
class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Open tasks of the user's teams; claim, release, assign and complete them."""

    serializer_class = s.TaskSerializer
    filterset_class = TaskFilter
    # Tasks are addressed by their opaque API id (api/ids.py); the router matches its shape,
    # so anything else is a 404 before any view runs.
    lookup_value_regex = ids.PATTERN
    cursor_ordering = "pk"  # oldest first (api/pagination.py)
    # The router also routes `.json` suffixes, whose `format` every action must accept.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseTask.objects.none()
        return open_tasks_for_user(self.request.user)

    def get_object(self):
        case_task = self.get_queryset().filter(pk=_task_pk(self.kwargs["pk"])).first()
        if case_task is None:
            raise Http404
        self.check_object_permissions(self.request, case_task)
        return case_task

    def _task(self, pk):
        if self.action == "unclaim" or self.action == "assign":
            # Advisers steer tasks that are not their own team's: an open task they may see.
            task = task_for_user(self.request.user, _task_pk(pk))
            if task is None or not task.case.is_open:
                raise Http404
            return task
        return self.get_object().task

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None, format=None):
        task = self._task(pk)
        services.task_claim(task=task, user=request.user)
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(request=None, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None, format=None):
        task = self._task(pk)
        services.task_unclaim(task=task, user=request.user)
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(request=s.AssignSerializer, responses=s.TaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        task = self._task(pk)
        if not is_task_region_adviser(request.user, task):
            raise PermissionDenied()  # refused before the body is read, as on the page
        body = s.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignee = User.objects.filter(email=body.validated_data["assignee"].lower()).first()
        if assignee is None:
            return invalid_answers({"assignee": ["No user has that email address"]})
        services.tasks_assign(
            tasks=[task], assignee=assignee, user=request.user, reason=body.validated_data["reason"]
        )
        return Response(s.TaskSerializer(CaseTask.objects.get(task_id=task.pk)).data)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={204: None},
        description=s.TaskCompletionSerializer.__doc__,
        examples=[
            OpenApiExample(
                "Deconfliction (referral process)",
                value={"outcome": "no_conflict", "notes": "No live investigation"},
                request_only=True,
            ),
            OpenApiExample(
                "Adoption decision (Channel)",
                value={"adopt": True, "rationale": "Meets the vulnerability criteria"},
                request_only=True,
            ),
            OpenApiExample(
                "Triage (complaint)",
                value={
                    "in_scope": False,
                    "rationale": "About a private employer",
                    "signposting": "The employer's own complaints procedure",
                },
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, format=None):
        """Complete a task of any process through its step: the body is the step's answers."""
        task = task_to_complete(request.user, _task_pk(pk))
        if task is None:
            raise Http404
        step = step_for(task)
        payload = request.data if isinstance(request.data, dict) else {}
        blank = step.form(task, None, request.user)
        unknown = sorted(set(payload) - blank.json_fields())
        if unknown:
            return invalid_answers(
                {name: ["This task does not take this answer"] for name in unknown}
            )
        form = step.form(task, blank.data_from_json(payload), request.user)
        if not step_complete(step, task, request.user, form):
            return invalid_answers(form_errors(form))
        return Response(status=status.HTTP_204_NO_CONTENT)
