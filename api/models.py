"""Organisations whose own systems use the API, their clients, tokens and retried requests.

An organisation's system (a school's safeguarding system, a council's case system) reaches the
API as an `ApiClient` with bearer tokens, never with a person's password or session. Each client
acts through its own account (`ApiClient.user`, a referrer that cannot sign in to the pages), so
the services, rules and audit trail that serve a person serve the client unchanged: it sees its
own referrals and nothing else.

Tokens are shown once and stored as a SHA-256 digest of their secret part: a token is 32 random
bytes, so a plain digest cannot be reversed or guessed, and the lookup is by the token's public
`key_id`. The `prv_` prefix makes a leaked token recognisable to secret scanners.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    """What a client may do. A client holds a list of these; each endpoint asks for one."""

    REFERRALS_SUBMIT = "referrals:submit", "Submit referrals"
    REFERRALS_READ_OWN = "referrals:read-own", "Read the status of its own referrals"
    REFERENCE_READ = "reference:read", "Read reference data (regions, authorities, postcodes)"
    WEBHOOKS_MANAGE = "webhooks:manage", "Register webhooks for its own referrals' status"


# A client's own account is under this reserved domain (RFC 2606), which no mail reaches:
# `api_client_create` makes it so, and a status change looks for webhooks only then.
CLIENT_ACCOUNT_DOMAIN = "clients.invalid"


def is_client_account(user) -> bool:
    """Whether `user` may be an API client's account, without a query: only then is it worth
    looking up webhooks. A person's account never is."""
    return bool(getattr(user, "email", "")) and user.email.endswith(f"@{CLIENT_ACCOUNT_DOMAIN}")


class Organisation(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", "School"
        COLLEGE = "college", "College or university"
        COUNCIL = "council", "Council"
        NHS_TRUST = "nhs_trust", "NHS trust"
        POLICE_FORCE = "police_force", "Police force"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiClient(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="clients")
    name = models.CharField(max_length=200)
    scopes = models.JSONField(default=list)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_client_name")
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name}: {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiToken(models.Model):
    PREFIX = "prv_"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    key_id = models.CharField(max_length=16, unique=True)
    secret_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.PREFIX}{self.key_id}_…"

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.expires_at > at and self.client.is_active


class IdempotentRequest(models.Model):
    """A submission made under an `Idempotency-Key`: a retry with the same key and body is
    answered with the referral it made, never a second one.

    The row is written first, in the submission's transaction, so a second request with the
    same key waits on its unique index until the first commits (then replays its answer) or
    rolls back (then goes ahead itself).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    body_digest = models.CharField(max_length=64)
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"


class WebhookEvent(models.TextChoices):
    """What a client's endpoint may hear of its own referrals: only their plain status."""

    REFERRAL_SUBMITTED = "referral.submitted", "A referral was submitted"
    REFERRAL_STATUS_CHANGED = "referral.status_changed", "A referral's status changed"


class WebhookEndpoint(models.Model):
    """An HTTPS address of a client's system that hears about the client's own referrals.

    Its signing secret is never stored: it is derived from `secret_salt` with the service's
    WEBHOOK_SECRET_KEY (api/webhook_services.py), shown once at registration and recomputed to
    sign each delivery, so a copy of the database alone cannot forge a delivery.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret_salt = models.CharField(max_length=64)
    event_types = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "is_active"])]

    def __str__(self) -> str:
        return f"{self.url} ({self.client_id})"


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be delivered"
    SENDING = "sending", "Being delivered"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed: retries ended"


class WebhookDelivery(models.Model):
    """One event for one endpoint, in the outbox.

    Written in the transaction that changes the referral's status, so it exists if and only if
    the change committed; delivered by Celery after commit and re-queued by a beat job. A
    delivery is claimed ("sending", committed) before the endpoint is called. Delivery is at
    least once: a receiver drops a `Prevent-Webhook-Id` it has already seen.
    """

    Status = WebhookDeliveryStatus

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    referral_public_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The beat job's query: due pending rows, oldest first; stale claims.
            models.Index(fields=["status", "next_attempt_at", "created_at"]),
            models.Index(fields=["endpoint", "-id"]),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try at a delivery: when, and what the endpoint answered (or why it could not)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    attempted_at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"
