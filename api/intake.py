"""Referrals from organisations' systems: the whole referral in one request, and its status.

The document's sections are the journey's pages and their fields are the pages' fields: the
serializers below are made from the page forms and only parse JSON types (text, dates, lists);
whether an answer is required, well formed, free of protective markings and routable is decided
by the forms and services the pages use (`referral_submit_document`). A referrer signed in to
the pages may use it too.

A retried request carrying the same `Idempotency-Key` (and the same body) gets the referral the
first one made, marked `Idempotent-Replayed: true`; the same key with a different body is
refused (422). Keys are the caller's own: two clients may use the same key.
"""

import hashlib
import json
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import APIException, UnsupportedMediaType, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings

from config.forms import GovukDateField
from referrals.forms import SECTIONS, AttachmentForm
from referrals.models import Referral, ReferralStatus
from referrals.permissions import is_referrer
from referrals.selectors import referrals_for_referrer
from referrals.services import DOCUMENT_SECTIONS, upload_add
from workflows.referral.intake import referral_submit_document

from .models import IdempotentRequest, Scope
from .serializers import MyReferralSerializer
from .views import form_errors, invalid_answers

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_REUSED = (
    "This Idempotency-Key was used for a different request. Use a new key for a new referral."
)


def _field_for(form_field: forms.Field) -> serializers.Field:
    """The JSON type of a page's field; its rules stay in the page's form."""
    common = {"required": False, "help_text": str(form_field.label or "")}
    if isinstance(form_field, GovukDateField):
        return serializers.DateField(allow_null=True, **common)
    if isinstance(form_field, forms.MultipleChoiceField):
        return serializers.MultipleChoiceField(choices=form_field.choices, **common)
    if isinstance(form_field, forms.ChoiceField):
        choices = [(value, label) for value, label in form_field.choices if value != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=True, **common)
    if isinstance(form_field, forms.IntegerField):
        return serializers.IntegerField(allow_null=True, **common)
    if isinstance(form_field, forms.EmailField):
        return serializers.EmailField(allow_blank=True, **common)
    if isinstance(form_field, forms.BooleanField):
        return serializers.BooleanField(**common)
    return serializers.CharField(allow_blank=True, trim_whitespace=False, **common)


def _section_serializer(name: str, slug: str) -> type[serializers.Serializer]:
    section = SECTIONS[slug]
    fields = {
        field: _field_for(form_field)
        for field, form_field in section.form_class.base_fields.items()
    }
    class_name = "".join(part.title() for part in name.split("_")) + "Section"
    return type(class_name, (serializers.Serializer,), {**fields, "__doc__": section.title})


ReferralDocumentSerializer = type(
    "ReferralDocumentSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "A whole referral: each section is a page of the web journey, with its fields.",
        **{
            name: _section_serializer(name, slug)(required=False, help_text=SECTIONS[slug].title)
            for name, slug in DOCUMENT_SECTIONS.items()
        },
        "local_authority": serializers.CharField(
            required=False,
            allow_blank=True,
            help_text="The ONS code of the person's local authority, like E09000007. Needed "
            "only when the postcode is not known to the service.",
        ),
        "attachments": serializers.ListField(
            child=serializers.UUIDField(),
            required=False,
            max_length=10,
            help_text="Supporting documents: the ids of files sent first to /api/v1/uploads/.",
        ),
        "declaration_confirmed": serializers.BooleanField(
            required=False,
            default=False,
            help_text="The referrer confirms that the information is correct to the best of "
            "their knowledge, and that they have a legitimate reason to share it.",
        ),
    },
)


EXAMPLE_DOCUMENT = {
    "person": {
        "first_name": "Testy",
        "last_name": "McExample",
        "date_of_birth": "2011-03-27",
        "gender": "male",
    },
    "address": {"address_line_1": "1 Example Street", "town": "London", "postcode": "NW1 2DB"},
    "circumstances": {"school_or_employer": "Example Academy", "person_aware": "no"},
    "about_you": {
        "referrer_name": "Sam Safeguarding",
        "referrer_role": "Designated safeguarding lead",
        "referrer_organisation": "Example Academy",
        "referrer_sector": "education",
        "referrer_email": "dsl@example-academy.example.sch.uk",
        "referrer_phone": "01632 960 001",
    },
    "concern": {
        "concern_type": "extreme_right_wing",
        "narrative": "Shared violent extremist material with classmates.",
        "seen_or_heard": "A teacher saw the videos on the pupil's phone in class.",
        "seen_on": "2026-11-30",
    },
    "risk_and_needs": {"immediate_risk": "no"},
    "declaration_confirmed": True,
}


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


class IsReferrer(permissions.BasePermission):
    message = "Only referrers can make or follow referrals."

    def has_permission(self, request, view) -> bool:
        return is_referrer(request.user)


def _body_digest(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _replay(record: IdempotentRequest, digest: str) -> Response:
    if record.body_digest != digest or record.referral is None:
        raise IdempotencyKeyReused()
    response = Response(MyReferralSerializer(record.referral).data, status=status.HTTP_201_CREATED)
    response["Idempotent-Replayed"] = "true"
    return response


class ReferralViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals submitted by the caller (an organisation's system, or a signed-in referrer)."""

    serializer_class = MyReferralSerializer
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, IsReferrer]
    # A referral is a nested document, which only JSON can carry (a form body is a 415).
    parser_classes = [JSONParser]
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    client_scopes = {
        "create": Scope.REFERRALS_SUBMIT,
        "list": Scope.REFERRALS_READ_OWN,
        "retrieve": Scope.REFERRALS_READ_OWN,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Referral.objects.none()
        return referrals_for_referrer(self.request.user).exclude(status=ReferralStatus.DRAFT)

    @extend_schema(
        summary="Submit a referral",
        request=ReferralDocumentSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Any unique string of up to 255 characters (a UUID is best). A "
                "retry with the same key and body returns the first referral, not a new one.",
            )
        ],
        responses={
            201: MyReferralSerializer,
            400: OpenApiResponse(description="The referral has problems: nothing was saved."),
            422: OpenApiResponse(description="The Idempotency-Key was used for another body."),
        },
        examples=[OpenApiExample("A school's referral", value=EXAMPLE_DOCUMENT, request_only=True)],
    )
    def create(self, request, *args, **kwargs):
        document = ReferralDocumentSerializer(data=request.data)
        document.is_valid(raise_exception=True)
        data = dict(document.validated_data)
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > 255:
            raise ValidationError({"idempotency_key": ["Use a key of 255 characters or fewer."]})
        if not key:
            referral = self._submit(data)
            return Response(MyReferralSerializer(referral).data, status=status.HTTP_201_CREATED)
        digest = _body_digest(request.data)
        try:
            with transaction.atomic():
                record = (
                    IdempotentRequest.objects.select_for_update(of=("self",))
                    .select_related("referral")
                    .filter(user=request.user, key=key)
                    .first()
                )
                if record is not None:
                    return _replay(record, digest)
                record = IdempotentRequest.objects.create(
                    user=request.user, key=key, body_digest=digest
                )
                record.referral = self._submit(data)
                record.save(update_fields=["referral"])
        except IntegrityError:
            # The same key, at the same moment, from a request that has now committed.
            record = IdempotentRequest.objects.select_related("referral").get(
                user=request.user, key=key
            )
            return _replay(record, digest)
        return Response(MyReferralSerializer(record.referral).data, status=status.HTTP_201_CREATED)

    def initial(self, request, *args, **kwargs) -> None:
        """After the caller is known and allowed: a body that is not JSON is a 415, even when
        a middleware has already read a form body (DRF would then see no body at all)."""
        super().initial(request, *args, **kwargs)
        if self.action == "create" and not request.negotiator.select_parser(
            request, request.parsers
        ):
            raise UnsupportedMediaType(request.content_type)

    def _submit(self, data: dict) -> Referral:
        sections = {name: dict(data.get(name) or {}) for name in DOCUMENT_SECTIONS}
        return referral_submit_document(
            user=self.request.user,
            sections=sections,
            local_authority=data.get("local_authority") or None,
            declaration_confirmed=data.get("declaration_confirmed", False),
            attachments=[str(upload_id) for upload_id in data.get("attachments") or []],
        )


class UploadSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    expires_at = serializers.SerializerMethodField()

    def get_expires_at(self, upload) -> datetime:
        return upload.uploaded_at + timedelta(hours=settings.UPLOAD_RETENTION_HOURS)


class UploadRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, Word, an image or plain text, up to 10MB")
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class UploadCreate(GenericAPIView):
    """A supporting document, sent before the referral that names it in `attachments`."""

    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser]
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, IsReferrer]
    client_scopes = Scope.REFERRALS_SUBMIT

    @extend_schema(
        summary="Upload a supporting document",
        request={"multipart/form-data": UploadRequestSerializer},
        responses={
            201: UploadSerializer,
            400: OpenApiResponse(description="The file was refused, as the web form refuses it."),
        },
    )
    def post(self, request, format=None) -> Response:
        form = AttachmentForm(request.data, request.FILES)  # the web page's own form
        if not form.is_valid():
            return invalid_answers(form_errors(form))
        upload = upload_add(
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)
