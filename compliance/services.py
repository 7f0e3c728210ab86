"""Reads of case content, and break-glass access to a case by the Standards and Compliance Unit.

Events are appended through `compliance.audit.audit_record`; the complaint process itself is
in workflows/complaint/.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.roles import Role
from config.errors import ApplicationError, PermissionDenied
from regions.models import Team

from .audit import audit_record
from .models import AuditEvent, BreakGlassGrant, Complaint, ComplaintStatus
from .selectors import break_glass_active, is_compliance_officer

# --- Reads of case content and break-glass access -------------------------------------------

UNIT_NAME = "Standards and Compliance Unit"
VIEW_CASE = "referrals.view_referral"
BREAK_GLASS_MAX_MINUTES = 8 * 60


def _break_glass_default_minutes() -> int:
    return settings.BREAK_GLASS_MINUTES


def _primary_role(user) -> str:
    """The user's role for the record: the first of their roles in the order of Role."""
    if user is None or not user.is_authenticated:
        return ""
    return next((role.value for role in Role if user.has_role(role)), "")


def _access_teams(user, referral) -> str:
    """The user's teams that the workflow has given sight of this case (one query)."""
    names = (
        Team.objects.filter(
            memberships__user=user,
            group__groupobjectpermission__content_type=ContentType.objects.get_for_model(referral),
            group__groupobjectpermission__object_pk=str(referral.pk),
            group__groupobjectpermission__permission__codename="view_referral",
        )
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return ", ".join(names)[:200]


def case_read_record(
    *,
    user,
    referral,
    what: str,
    via: str = "web",
    role: str = "",
    action: str = "case.read",
    obj: models.Model | None = None,
) -> AuditEvent:
    """Record that `user` read case content (`what`: "case page", "attachment"...).

    A read made through an active break-glass grant is flagged, with the grant and the reason
    given for it, so the unit's own access stands out in the trail. `obj` names the record
    read when it is not the case itself (a document).
    """
    grant = break_glass_active(user=user, referral=referral)
    detail: dict[str, Any] = {"what": what, "via": via}
    if obj is not None:
        detail["referral"] = str(referral.public_id)
    reason = ""
    if grant is not None:
        detail.update(
            break_glass=True, grant=str(grant.public_id), complaint=grant.complaint.reference
        )
        role = role or "standards_compliance"
        team, reason = UNIT_NAME, grant.reason
    else:
        role = role or _primary_role(user)
        team = _access_teams(user, referral) if user is not None and user.is_authenticated else ""
    return audit_record(
        actor=user,
        action=action,
        obj=obj if obj is not None else referral,
        case_reference=referral.reference or "",
        reason=reason,
        detail=detail,
        role=role,
        team=team,
    )


def _investigated_complaint(user, referral):
    """The open complaint linked to this case that the user investigates or reviews."""
    linked = Complaint.objects.filter(linked_referral=referral).exclude(
        status=ComplaintStatus.CLOSED
    )
    return (
        linked.filter(investigator=user).order_by("received_at").first()
        or linked.filter(status=ComplaintStatus.UNDER_REVIEW, review__reviewer=user)
        .order_by("received_at")
        .first()
    )


def break_glass_open(*, user, referral, reason: str, minutes: int | None = None):
    """Give a compliance investigator time-limited, read-only sight of a case.

    Only the investigating (or reviewing) officer of an open complaint linked to the case may
    do this, and only with a reason; the grant and every read under it are flagged in the
    audit trail.
    """
    if not is_compliance_officer(user):
        raise PermissionDenied("Only the Standards and Compliance Unit can open a case this way.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Enter why you need to see this case", field="reason")
    minutes = _break_glass_default_minutes() if minutes is None else minutes
    if not 1 <= minutes <= BREAK_GLASS_MAX_MINUTES:
        raise ApplicationError(
            f"Access can last from 1 minute to {BREAK_GLASS_MAX_MINUTES // 60} hours",
            field="minutes",
        )
    with transaction.atomic():
        complaint = _investigated_complaint(user, referral)
        if complaint is None:
            raise PermissionDenied(
                "You can only open a case linked to an open complaint you are investigating."
            )
        now = timezone.now()
        grant = BreakGlassGrant.objects.create(
            user=user,
            referral=referral,
            complaint=complaint,
            reason=reason,
            opened_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        assign_perm(VIEW_CASE, user, referral)
        audit_record(
            actor=user,
            action="break_glass.opened",
            obj=referral,
            case_reference=referral.reference or "",
            reason=reason,
            role="standards_compliance",
            team=UNIT_NAME,
            detail={
                "break_glass": True,
                "grant": str(grant.public_id),
                "complaint": complaint.reference,
                "minutes": minutes,
                "expires_at": grant.expires_at,
            },
        )
    return grant


def break_glass_revoke(grant, *, because: str, actor=None) -> bool:
    """End one grant and, unless another live grant covers the case, its guardian permission."""

    now = timezone.now()
    if not BreakGlassGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_because=because
    ):
        return False  # already revoked by someone else
    still_open = (
        BreakGlassGrant.objects.filter(
            user_id=grant.user_id,
            referral_id=grant.referral_id,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .exclude(pk=grant.pk)
        .exists()
    )
    if not still_open:
        remove_perm(VIEW_CASE, grant.user, grant.referral)
    audit_record(
        actor=actor,
        action="break_glass.ended",
        obj=grant.referral,
        case_reference=grant.referral.reference or "",
        role="standards_compliance" if actor is not None else "",
        team=UNIT_NAME,
        detail={
            "break_glass": True,
            "grant": str(grant.public_id),
            "complaint": grant.complaint.reference,
            "because": because,
            "holder": grant.user.email,
        },
    )
    return True


@transaction.atomic
def break_glass_end(*, grant, user) -> None:
    """The investigator has finished with the case before their time ran out."""
    if grant.user_id != user.pk:
        raise PermissionDenied()
    if grant.revoked_at is not None or grant.expires_at <= timezone.now():
        raise ApplicationError("This access has already ended.")
    break_glass_revoke(grant, because="ended by the investigator", actor=user)


def break_glass_revoke_expired() -> int:
    """Remove the guardian permission of every grant whose time is up. Idempotent."""

    expired = BreakGlassGrant.objects.filter(
        revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).select_related("user", "referral", "complaint")
    revoked = 0
    for grant in expired:
        with transaction.atomic():
            revoked += break_glass_revoke(grant, because="expired")
    return revoked


def break_glass_revoke_for_complaint(*, complaint, actor=None) -> int:
    """A complaint has closed: nobody keeps sight of its case on its account."""
    revoked = 0
    for grant in complaint.break_glass_grants.filter(revoked_at__isnull=True).select_related(
        "user", "referral", "complaint"
    ):
        revoked += break_glass_revoke(grant, because="complaint closed", actor=actor)
    return revoked
