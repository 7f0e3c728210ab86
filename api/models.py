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
