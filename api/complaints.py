"""Making a complaint through the API: open to anyone, like the public complaint form.

The same form parses the answers, the same service judges them and sends the same receipt,
and the same hourly limit per network address applies (compliance/throttle.py), so a
complaint sent here is exactly one sent on the page. The answer is the complaint's public
reference, nothing more.
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance import throttle
from compliance.models import ComplaintCategory
from config.errors import problem_document
from workflows.complaint.forms import ComplaintForm
from workflows.complaint.intake import ComplaintLimitReached, complaint_submit_counted

from .views import form_errors, invalid_answers

_NO_REPLY = "Enter an email address or a postal address so that we can reply"
# The page's field for automated form-fillers has no place in a JSON body.
_NOT_TAKEN = {"leave_blank"}


class ComplaintRequestSerializer(serializers.Serializer):
    """The complaint form's answers. Only their shape is described here: what is needed
    (an email or a postal address to reply to, consent either way...) is the service's."""

    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    organisation = serializers.CharField(required=False, help_text="Who it is about")
    referral_reference = serializers.CharField(required=False, help_text="e.g. PRV-2026-000123")
    what_happened = serializers.CharField()
    outcome_sought = serializers.CharField(help_text="What the complainant would like to happen")
    name = serializers.CharField()
    email = serializers.EmailField(required=False, help_text="Or a postal address")
    phone = serializers.CharField(required=False)
    address = serializers.CharField(required=False, help_text="Or an email address")
    consent_to_raise = serializers.BooleanField(
        help_text="Whether the unit may raise the complaint with the organisation concerned"
    )


class ComplaintReceivedSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The complaint's public reference")


def _limit_message() -> str:
    return (
        "Several complaints have been sent from this internet connection in the last hour, so "
        "we cannot take another one from it just now. Try again in an hour, or email your "
        f"complaint to {settings.COMPLAINTS_UNIT_EMAIL}."
    )


class ComplaintCreate(APIView):
    """No sign-in, and no session: a complaint from here is always a member of the public's."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="complaints_create",
        summary="Make a complaint to the Standards and Compliance Unit",
        description="Open to anyone, without signing in. A receipt with the reference is "
        "sent to the email address given. Complaints from one network address are limited "
        "per hour (429 once the limit is reached).",
        request=ComplaintRequestSerializer,
        responses={
            201: ComplaintReceivedSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,  # a Problem (api/schema.py)
                description="Answers missing or unreadable, by field",
                examples=[
                    OpenApiExample(
                        "No way to reply",
                        value=problem_document(
                            400, detail=_NO_REPLY, code="invalid", errors={"email": [_NO_REPLY]}
                        ),
                    )
                ],
            ),
            429: OpenApiResponse(description="The hour's limit is reached"),
        },
        examples=[
            OpenApiExample(
                "A complaint",
                value={
                    "category": "referral_or_decision",
                    "organisation": "Example Academy",
                    "referral_reference": "PRV-2026-000123",
                    "what_happened": "My son was referred without anyone speaking to us.",
                    "outcome_sought": "An explanation.",
                    "name": "Robin Example",
                    "email": "robin@example.com",
                    "consent_to_raise": True,
                },
                request_only=True,
            ),
            OpenApiExample("Received", value={"reference": "CMP-2026-000042"}, response_only=True),
        ],
    )
    def post(self, request: Request, format=None) -> Response:
        if throttle.complaint_limit_reached(request):
            raise Throttled(detail=_limit_message())
        payload = request.data if isinstance(request.data, dict) else {}
        blank = ComplaintForm()
        unknown = sorted(set(payload) - (blank.json_fields() - _NOT_TAKEN))
        if unknown:
            return invalid_answers(
                {name: ["A complaint does not take this answer"] for name in unknown}
            )
        form = ComplaintForm(blank.data_from_json(payload))
        if not form.is_valid():
            return invalid_answers(form_errors(form))
        try:  # ApplicationError: a 400 with the service's messages, as on the page
            complaint = complaint_submit_counted(request=request, **form.service_kwargs())
        except ComplaintLimitReached:
            raise Throttled(detail=_limit_message()) from None
        return Response(ComplaintReceivedSerializer(complaint).data, status=status.HTTP_201_CREATED)
