"""Reads of case content, and break-glass access to a case by the Standards and Compliance Unit.

Events are appended through `compliance.audit.audit_record`; the complaint process itself is
in workflows/complaint/.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from accounts.roles import UNIT_HEAD_GROUP, UNIT_HEAD_PERMISSION, Role
from config.errors import ApplicationError, PermissionDenied, Problems
from config.forms import LONG_TEXT_MAX
from regions.models import Team

from .audit import audit_record
from .models import (
    AuditEvent,
    BreakGlassGrant,
    Complaint,
    ComplaintStatus,
    Decision,
    RefusedAccess,
)
from .selectors import (
    SELF_APPROVAL_REFUSED,
    break_glass_active,
    break_glass_request_lapses_at,
    break_glass_requests_open,
    is_compliance_officer,
)

# --- Reads of case content and break-glass access -------------------------------------------

UNIT_NAME = "Standards and Compliance Unit"
UNIT_ROLE = Role.COMPLIANCE.value
VIEW_CASE = "referrals.view_referral"
BREAK_GLASS_MAX_MINUTES = 8 * 60


def _break_glass_default_minutes() -> int:
    return settings.BREAK_GLASS_MINUTES


def _primary_role(user) -> str:
    """The user's role for the record: the first of their roles in the order of Role."""
    if user is None or not user.is_authenticated:
        return ""
    return next((role.value for role in Role if user.has_role(role)), "")


@transaction.atomic
def audit_exported(*, user, filters: dict[str, str], via: str = "") -> AuditEvent:
    """Record that an officer of the unit took a copy of the trail, and with which filters,
    before the first row goes out (the export then carries its own event)."""
    if not is_compliance_officer(user):
        raise PermissionDenied()
    detail: dict[str, Any] = {"filters": filters}
    if via:
        detail["via"] = via
    return audit_record(
        actor=user, action="audit.exported", role=UNIT_ROLE, team=UNIT_NAME, detail=detail
    )


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


# --- A second officer decides -----------------------------------------------------------------


def second_officer_check(
    *, requester, user, action: str, obj: models.Model, case_reference: str, detail: dict
) -> None:
    """Only an officer of the unit other than the requester may decide a request.

    The requester's own attempt is refused and recorded (`action`), in its own transaction so
    the refusal stays in the trail whatever the caller does next.
    """
    if not is_compliance_officer(user):
        raise PermissionDenied("Only an officer of the Standards and Compliance Unit can decide.")
    if requester.pk != user.pk:
        return
    with transaction.atomic():
        audit_record(
            actor=user,
            action=action,
            obj=obj,
            case_reference=case_reference,
            role=UNIT_ROLE,
            team=UNIT_NAME,
            detail=detail,
        )
    raise PermissionDenied(
        "You cannot approve or refuse your own request: another officer of the unit must."
    )


def decision_check(approve: bool | None, reason: str) -> str:
    """Approve or refuse, and why: both are required. The reason, stripped."""
    problems = Problems()
    problems.check(approve is not None, "approve", "Select whether you approve the request")
    reason = problems.required(reason, "reason", "Give the reason for your decision")
    problems.limit(reason, "reason", "The reason", LONG_TEXT_MAX)
    problems.raise_any()
    return reason


# --- The unit's head ------------------------------------------------------------------------


@transaction.atomic
def unit_head_appoint(*, user, actor=None) -> None:
    """Make an officer of the unit its head: a member of UNIT_HEAD_GROUP (accounts.roles),
    whose permission opens the report of every break-glass request and case link.

    The group and permission come from migration compliance/0006_unit_head_group; they are
    made here too if missing, so this works on a database that was flushed.
    """
    if not is_compliance_officer(user):
        raise ApplicationError("The head of the unit must be an officer of the unit.")
    codename = UNIT_HEAD_PERMISSION.split(".")[1]
    permission, _ = Permission.objects.get_or_create(
        codename=codename,
        content_type=ContentType.objects.get_for_model(BreakGlassGrant),
        defaults={"name": "Review every break-glass grant and case link of the unit"},
    )
    group, _ = Group.objects.get_or_create(name=UNIT_HEAD_GROUP)
    group.permissions.add(permission)
    if user.groups.filter(pk=group.pk).exists():
        return  # already the head
    user.groups.add(group)
    audit_record(
        actor=actor,
        action="unit.head_appointed",
        obj=user,
        role=UNIT_ROLE if actor is not None else "",
        team=UNIT_NAME,
        detail={"head": user.email},
    )


# --- Break-glass: request, decide, end ------------------------------------------------------


def _grant_detail(grant: BreakGlassGrant, **more) -> dict[str, Any]:
    return {
        "break_glass": True,
        "grant": str(grant.public_id),
        "complaint": grant.complaint.reference,
        "requester": grant.user.email,
        "minutes": grant.minutes,
        **more,
    }


def _grant_audit(grant: BreakGlassGrant, action: str, *, actor, reason: str = "", **more):
    return audit_record(
        actor=actor,
        action=action,
        obj=grant.referral,
        case_reference=grant.referral.reference or "",
        reason=reason,
        role=UNIT_ROLE if actor is not None else "",
        team=UNIT_NAME,
        detail=_grant_detail(grant, **more),
    )


def break_glass_request(
    *, user, referral, reason: str, minutes: int | None = None
) -> BreakGlassGrant:
    """Ask for time-limited, read-only sight of a case: a second officer must approve it.

    Only the investigating (or reviewing) officer of an open complaint linked to the case may
    ask, with a reason and for how long; the request gives no access until it is approved.
    """
    if not is_compliance_officer(user):
        raise PermissionDenied("Only the Standards and Compliance Unit can open a case this way.")
    problems = Problems()
    reason = problems.required(reason or "", "reason", "Enter why you need to see this case")
    problems.limit(reason, "reason", "Your reason", LONG_TEXT_MAX)
    minutes = _break_glass_default_minutes() if minutes is None else minutes
    problems.check(
        1 <= minutes <= BREAK_GLASS_MAX_MINUTES,
        "minutes",
        f"Access can last from 1 minute to {BREAK_GLASS_MAX_MINUTES // 60} hours",
    )
    problems.raise_any()
    with transaction.atomic():
        complaint = _investigated_complaint(user, referral)
        if complaint is None:
            raise PermissionDenied(
                "You can only open a case linked to an open complaint you are investigating."
            )
        if break_glass_requests_open().filter(user=user, referral=referral).exists():
            raise ApplicationError(
                "You have already asked to see this case. Another officer of the unit will "
                "approve or refuse it."
            )
        grant = BreakGlassGrant.objects.create(
            user=user,
            referral=referral,
            complaint=complaint,
            reason=reason,
            minutes=minutes,
            requested_at=timezone.now(),
        )
        _grant_audit(
            grant,
            "break_glass.requested",
            actor=user,
            reason=reason,
            lapses_at=break_glass_request_lapses_at(grant),
        )
    return grant


def break_glass_decide(
    *, grant: BreakGlassGrant, user, approve: bool | None, reason: str
) -> BreakGlassGrant:
    """A second officer of the unit approves (access starts now, for the minutes asked) or
    refuses a break-glass request, with a reason. Never the requester."""
    second_officer_check(
        requester=grant.user,
        user=user,
        action=SELF_APPROVAL_REFUSED,
        obj=grant.referral,
        case_reference=grant.referral.reference or "",
        detail=_grant_detail(grant),
    )
    reason = decision_check(approve, reason)
    with transaction.atomic():
        grant = (
            BreakGlassGrant.objects.select_for_update()
            .select_related("user", "referral", "complaint")
            .get(pk=grant.pk)
        )
        now = timezone.now()
        if grant.status != Decision.REQUESTED:
            raise ApplicationError(
                f"This request has already been decided: {grant.get_status_display().lower()}."
            )
        if break_glass_request_lapses_at(grant) <= now:
            raise ApplicationError(
                "This request was not decided in time and has lapsed. The investigator can ask "
                "again."
            )
        if approve and _investigated_complaint(grant.user, grant.referral) is None:
            raise ApplicationError(
                "The requester no longer investigates an open complaint linked to this case, "
                "so the request cannot be approved.",
                field="approve",
            )
        grant.decided_by, grant.decided_at, grant.decision_reason = user, now, reason
        if approve:
            grant.status = Decision.APPROVED
            grant.opened_at = now
            grant.expires_at = now + timedelta(minutes=grant.minutes)
            grant.save()
            assign_perm(VIEW_CASE, grant.user, grant.referral)
            _grant_audit(
                grant,
                "break_glass.approved",
                actor=user,
                reason=reason,
                request_reason=grant.reason,
                expires_at=grant.expires_at,
            )
        else:
            grant.status = Decision.REFUSED
            grant.save()
            _grant_audit(
                grant, "break_glass.refused", actor=user, reason=reason, request_reason=grant.reason
            )
    return grant


def _request_close(grant: BreakGlassGrant, *, status: str, because: str, actor=None) -> bool:
    """End a request nobody has decided (withdrawn, lapsed, its complaint moved on)."""
    if not BreakGlassGrant.objects.filter(pk=grant.pk, status=Decision.REQUESTED).update(
        status=status, decided_at=timezone.now(), decision_reason=because
    ):
        return False  # decided meanwhile
    action = "break_glass.request_lapsed" if status == Decision.LAPSED else "break_glass.withdrawn"
    _grant_audit(grant, action, actor=actor, because=because)
    return True


@transaction.atomic
def break_glass_withdraw(*, grant: BreakGlassGrant, user) -> None:
    """The requester no longer needs the access they asked for."""
    if grant.user_id != user.pk:
        raise PermissionDenied()
    if not _request_close(
        grant, status=Decision.WITHDRAWN, because="withdrawn by the investigator", actor=user
    ):
        raise ApplicationError("This request has already been decided.")


def break_glass_revoke(grant, *, because: str, actor=None) -> bool:
    """End one approved grant and, unless another live grant covers the case, its guardian
    permission. A request not yet decided is withdrawn instead."""

    if grant.status == Decision.REQUESTED:
        return _request_close(grant, status=Decision.WITHDRAWN, because=because, actor=actor)
    now = timezone.now()
    if not BreakGlassGrant.objects.filter(
        pk=grant.pk, status=Decision.APPROVED, revoked_at__isnull=True
    ).update(revoked_at=now, revoked_because=because):
        return False  # already revoked by someone else
    still_open = (
        BreakGlassGrant.objects.filter(
            user_id=grant.user_id,
            referral_id=grant.referral_id,
            status=Decision.APPROVED,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .exclude(pk=grant.pk)
        .exists()
    )
    if not still_open:
        remove_perm(VIEW_CASE, grant.user, grant.referral)
    _grant_audit(
        grant,
        "break_glass.ended",
        actor=actor,
        because=because,
        holder=grant.user.email,
        opened_at=grant.opened_at,
        ended_at=now,
    )
    return True


@transaction.atomic
def break_glass_end(*, grant, user) -> None:
    """The investigator has finished with the case before their time ran out."""
    if grant.user_id != user.pk:
        raise PermissionDenied()
    if not grant.is_live:
        raise ApplicationError("This access has already ended.")
    break_glass_revoke(grant, because="ended by the investigator", actor=user)


def break_glass_revoke_expired() -> int:
    """End every grant whose time is up and every request nobody decided in time. Idempotent."""

    now = timezone.now()
    expired = BreakGlassGrant.objects.filter(
        status=Decision.APPROVED, revoked_at__isnull=True, expires_at__lte=now
    ).select_related("user", "referral", "complaint")
    ended = 0
    for grant in expired:
        with transaction.atomic():
            ended += break_glass_revoke(grant, because="expired")
    lapsed = BreakGlassGrant.objects.filter(
        status=Decision.REQUESTED,
        requested_at__lte=now - timedelta(hours=settings.BREAK_GLASS_REQUEST_HOURS),
    ).select_related("user", "referral", "complaint")
    for grant in lapsed:
        with transaction.atomic():
            ended += _request_close(grant, status=Decision.LAPSED, because="not decided in time")
    return ended


def break_glass_revoke_for_complaint(*, complaint, actor=None) -> int:
    """A complaint has closed: nobody keeps, or is still asking for, sight of its case."""
    revoked = 0
    for grant in complaint.break_glass_grants.filter(
        Q(status=Decision.REQUESTED) | Q(status=Decision.APPROVED, revoked_at__isnull=True)
    ).select_related("user", "referral", "complaint"):
        revoked += break_glass_revoke(grant, because="complaint closed", actor=actor)
    return revoked


def break_glass_revoke_for_case(*, complaint, referral, because: str, actor=None) -> int:
    """End access and requests on a complaint's account to one case (it is linked elsewhere)."""
    revoked = 0
    for grant in (
        complaint.break_glass_grants.filter(referral=referral)
        .filter(Q(status=Decision.REQUESTED) | Q(status=Decision.APPROVED, revoked_at__isnull=True))
        .select_related("user", "referral", "complaint")
    ):
        revoked += break_glass_revoke(grant, because=because, actor=actor)
    return revoked


# --- Refused requests for case objects --------------------------------------------------------


def refusal_window(moment) -> datetime:
    """The hour (UTC) a refusal is counted in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def access_refused(
    *,
    user,
    kind: str,
    key: str,
    method: str,
    path: str,
    status: int,
    objects: dict[str, str] | None = None,
) -> RefusedAccess | None:
    """Record that `user` was refused (403/404) the case object `kind` `key`.

    One audit event `access.refused` per person, object and hour, written at the hour's first
    refusal; every later one in the hour only raises that window's count, so a crawler cannot
    flood the trail and still shows as what it is. Only signed-in people are recorded; an
    object that does not exist counts the same, since the id asked for is what matters.
    """
    if user is None or not user.is_authenticated:
        return None
    now = timezone.now()
    window = refusal_window(now)
    key, path = str(key)[:64], path[:300]
    same = RefusedAccess.objects.filter(
        user=user, object_kind=kind, object_key=key, window_start=window
    )
    seen = {"count": F("count") + 1, "last_seen": now, "last_status": status, "last_path": path}
    with transaction.atomic():
        if same.update(**seen):
            return same.first()
        try:
            with transaction.atomic():
                event = audit_record(
                    actor=user,
                    action="access.refused",
                    object_type=kind,
                    object_id=key,
                    role=_primary_role(user),
                    detail={
                        "kind": kind,
                        "key": key,
                        "method": method,
                        "path": path,
                        "status": status,
                        "objects": objects or {kind: key},
                        "window": window.isoformat(),
                    },
                )
                return RefusedAccess.objects.create(
                    user=user,
                    object_kind=kind,
                    object_key=key,
                    window_start=window,
                    first_seen=now,
                    last_seen=now,
                    last_status=status,
                    last_path=path,
                    audit_event=event,
                )
        except IntegrityError:  # a concurrent refusal opened the window first
            same.update(**seen)
            return same.first()
