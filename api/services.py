"""API clients and their tokens: made, rotated, revoked and checked, every change audited.

A token is `prv_<key_id>_<secret>`: the key id finds the row, the secret is compared with the
stored digest in constant time. Rotation makes a new token and lets the old ones run on for an
overlap (seven days by default) so that a supplier can deploy the new one without an outage;
revocation ends a token, or a whole client and all its tokens, at once.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from compliance.audit import audit_record
from config.errors import ApplicationError, Problems

from .models import CLIENT_ACCOUNT_DOMAIN, ApiClient, ApiToken, Organisation, Scope

ROTATION_OVERLAP = timedelta(days=7)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_issue(client: ApiClient, *, lifetime_days: int | None = None) -> tuple[ApiToken, str]:
    days = lifetime_days or settings.API_TOKEN_LIFETIME_DAYS
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        client=client,
        key_id=key_id,
        secret_digest=_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, f"{ApiToken.PREFIX}{key_id}_{secret}"


def _token_detail(token: ApiToken) -> dict:
    return {"key_id": token.key_id, "expires_at": token.expires_at.isoformat()}


def api_client_create(
    *,
    organisation: Organisation,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    lifetime_days: int | None = None,
) -> tuple[ApiClient, str]:
    """A new client for the organisation's system, and its first token (shown only now).

    The client acts through an account of its own: a referrer with no usable password, so it
    can never sign in to the pages, and whose referrals are the client's own.
    """
    problems = Problems()
    name = problems.required(
        name, "name", "Enter a name for the client, like 'Safeguarding system'"
    )
    unknown = sorted(set(scopes) - set(Scope.values))
    problems.check(bool(scopes), "scopes", "Choose at least one scope")
    problems.check(not unknown, "scopes", f"Unknown scope: {', '.join(unknown)}")
    problems.check(
        not ApiClient.objects.filter(organisation=organisation, name=name).exists(),
        "name",
        f"{organisation.name} already has a client called '{name}'",
    )
    problems.raise_any()
    with transaction.atomic():
        user = User.objects.create_user(
            email=f"api-client-{secrets.token_hex(8)}@{CLIENT_ACCOUNT_DOMAIN}",
            password=None,
            full_name=f"{name} ({organisation.name})",
            organisation=organisation.name,
        )
        user.groups.add(Group.objects.get(name=Role.REFERRER.value))
        client = ApiClient.objects.create(
            organisation=organisation,
            name=name,
            scopes=sorted(set(scopes)),
            user=user,
            created_by=created_by,
        )
        token, raw = _token_issue(client, lifetime_days=lifetime_days)
        audit_record(
            actor=created_by,
            action="api_client.created",
            obj=client,
            detail={
                "organisation": organisation.name,
                "scopes": client.scopes,
                **_token_detail(token),
            },
        )
    return client, raw


def api_token_rotate(
    *, client: ApiClient, by: User | None = None, overlap: timedelta = ROTATION_OVERLAP
) -> str:
    """A new token for the client; its other tokens stop working after `overlap`."""
    if not client.is_active:
        raise ApplicationError("This client has been revoked", field="client")
    with transaction.atomic():
        ends = timezone.now() + overlap
        ApiToken.objects.filter(client=client, revoked_at__isnull=True, expires_at__gt=ends).update(
            expires_at=ends
        )
        token, raw = _token_issue(client)
        audit_record(
            actor=by,
            action="api_client.token_rotated",
            obj=client,
            detail={**_token_detail(token), "old_tokens_end": ends.isoformat()},
        )
    return raw


def api_token_revoke(*, token: ApiToken, by: User | None = None) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        audit_record(
            actor=by,
            action="api_client.token_revoked",
            obj=token.client,
            detail=_token_detail(token),
        )


def api_client_revoke(*, client: ApiClient, by: User | None = None) -> None:
    """End the client and every token it has; its account can no longer act."""
    with transaction.atomic():
        now = timezone.now()
        ApiClient.objects.filter(pk=client.pk).update(revoked_at=now)
        ApiToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)
        User.objects.filter(pk=client.user_id).update(is_active=False)
        audit_record(actor=by, action="api_client.revoked", obj=client)
    client.revoked_at = now


def api_token_check(raw: str) -> ApiToken | None:
    """The usable token `raw` is, or None (unknown, wrong secret, expired, revoked)."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    key_id, _, secret = raw[len(ApiToken.PREFIX) :].partition("_")
    if not key_id or not secret:
        return None
    token = (
        ApiToken.objects.select_related("client__organisation", "client__user")
        .filter(key_id=key_id)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_digest, _digest(secret)):
        return None
    return token if token.is_usable() else None


def api_token_used(*, token: ApiToken, method: str, path: str) -> None:
    """Every use of a token is in the audit trail; its last use is kept to the minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    audit_record(
        actor=token.client.user,
        action="api_client.request",
        obj=token.client,
        detail={"key_id": token.key_id, "method": method, "path": path},
    )


def api_token_refused(*, raw: str, method: str, path: str) -> None:
    """A bearer token that is not valid: recorded with its key id (never its secret) when it
    has the token's shape, so a leaked, expired or guessed token shows in the trail."""
    key_id = ""
    if raw.startswith(ApiToken.PREFIX):
        key_id = raw[len(ApiToken.PREFIX) :].partition("_")[0][:16]
    audit_record(
        action="api_client.token_refused",
        object_type="api.apitoken",
        object_id=key_id,
        detail={"key_id": key_id, "method": method, "path": path},
    )


def api_scope_refused(*, token: ApiToken, scope: str, method: str, path: str) -> None:
    """A client asked for what its scopes do not cover."""
    audit_record(
        actor=token.client.user,
        action="api_client.scope_refused",
        obj=token.client,
        detail={"key_id": token.key_id, "scope": scope, "method": method, "path": path},
    )
