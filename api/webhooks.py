"""Webhooks: an organisation's system registers HTTPS endpoints to hear about its own referrals.

Only an API client's token reaches these endpoints (scope `webhooks:manage`); a person has no
endpoints to manage. A client sees only its own endpoints: anyone else's are the one 404.
The rules (the address, the events, the signing secret) are in api/webhook_services.py.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.settings import api_settings

from .authentication import client_token
from .models import Scope, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import webhook_deliveries_for_endpoint, webhook_endpoints_for_client
from .webhook_services import webhook_endpoint_disable, webhook_endpoint_register


class IsApiClient(permissions.BasePermission):
    message = "Only an organisation's system, with its API client's token, manages webhooks."

    def has_permission(self, request, view) -> bool:
        return client_token(request) is not None


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        required=False,
        help_text="The events to hear of; all of them if left out.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "event_types", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"url": {"help_text": "An https:// address on the public internet"}}


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret: shown only in this answer. Keep it safe."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "response_code", "error", "duration_ms"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    referral_id = serializers.UUIDField(source="referral_public_id", read_only=True)
    tries = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_type",
            "referral_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_response_code",
            "last_error",
            "created_at",
            "delivered_at",
            "payload",
            "tries",
        ]


EXAMPLE_CREATED = {
    "id": "5b0e7a52-3c1e-4d7b-9a57-2f6f0c0d2a11",
    "url": "https://safeguarding.example-academy.example/prevent-hooks",
    "event_types": ["referral.status_changed", "referral.submitted"],
    "created_at": "2026-12-01T09:30:00Z",
    "secret": "whsec_…",  # nosec B105 - an example, not a secret
}


class WebhookEndpointViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The calling client's webhook endpoints, and what was delivered to each."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, IsApiClient]
    client_scopes = Scope.WEBHOOKS_MANAGE
    lookup_field = "public_id"
    lookup_value_converter = "uuid"
    cursor_ordering = "-pk"  # newest first (api/pagination.py)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no client
            return WebhookEndpoint.objects.none()
        return webhook_endpoints_for_client(client_token(self.request).client)

    @extend_schema(
        summary="Register a webhook endpoint",
        description="The answer holds the endpoint's signing secret, shown only this once.",
        responses={
            201: WebhookEndpointCreatedSerializer,
            400: OpenApiResponse(description="Not https://, a private address, or unknown events"),
        },
        examples=[OpenApiExample("Registered", value=EXAMPLE_CREATED, response_only=True)],
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhook_endpoint_register(
            client=client_token(request).client,
            url=serializer.validated_data["url"],
            event_types=serializer.validated_data.get("event_types"),
        )
        endpoint.secret = secret
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Delete a webhook endpoint: nothing more is delivered to it")
    def destroy(self, request, *args, **kwargs):
        webhook_endpoint_disable(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="What was delivered to an endpoint, newest first, with every try",
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer)
    def deliveries(self, request, *args, **kwargs):
        deliveries = webhook_deliveries_for_endpoint(self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
