"""Reads for the Standards and Compliance Unit: break-glass checks, complaints, figures and the
audit explorer. Each function fixes its own joins, so a page's query count does not grow with
the number of rows it shows.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Max, Min, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.roles import UNIT_HEAD_PERMISSION, Role

from .audit import READ_ACTIONS
from .models import (
    AuditCheckpoint,
    AuditEvent,
    BreakGlassGrant,
    CaseLinkRequest,
    Complaint,
    ComplaintCategory,
    Decision,
    Finding,
)

# The audit action recorded when someone tries to decide their own request.
SELF_APPROVAL_REFUSED = "break_glass.self_approval_refused"


def is_compliance_officer(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.has_role(Role.COMPLIANCE)
    )


def is_unit_head(user) -> bool:
    """The head of the unit: an officer of it holding the review permission (accounts.roles)."""
    return is_compliance_officer(user) and user.has_perm(UNIT_HEAD_PERMISSION)


# --- Break-glass ----------------------------------------------------------------------------


def break_glass_live_grants(user) -> QuerySet[BreakGlassGrant]:
    """The user's grants that a second officer approved and that are neither ended nor past
    their time: the only grants that give sight of a case."""
    return BreakGlassGrant.objects.filter(
        user=user,
        status=Decision.APPROVED,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def break_glass_active(*, user, referral) -> BreakGlassGrant | None:
    """The user's approved, unexpired, unrevoked break-glass grant on this case, if any.

    Checks expiry itself: a grant whose guardian permission the periodic job has not yet
    removed gives no access once its time is up; a request not yet approved gives none.
    """
    if not is_compliance_officer(user) or referral is None or referral.pk is None:
        return None
    return (
        break_glass_live_grants(user)
        .filter(referral=referral)
        .select_related("complaint")
        .order_by("-expires_at")
        .first()
    )


def break_glass_request_lapses_at(grant: BreakGlassGrant) -> datetime:
    """When a request nobody has decided stops being open to a decision."""
    return grant.requested_at + timedelta(hours=settings.BREAK_GLASS_REQUEST_HOURS)


def break_glass_requests_open() -> QuerySet[BreakGlassGrant]:
    """Requests still awaiting a second officer, and not yet lapsed."""
    cutoff = timezone.now() - timedelta(hours=settings.BREAK_GLASS_REQUEST_HOURS)
    return BreakGlassGrant.objects.filter(status=Decision.REQUESTED, requested_at__gt=cutoff)


def break_glass_grants_for_complaint(complaint: Complaint) -> list[BreakGlassGrant]:
    return list(
        complaint.break_glass_grants.select_related("user", "referral", "decided_by").order_by(
            "-requested_at"
        )
    )


def break_glass_grants_of(user) -> list[BreakGlassGrant]:
    """An officer's own requests and grants, newest first: what they asked for and its fate."""
    return list(
        BreakGlassGrant.objects.filter(user=user)
        .select_related("referral", "complaint", "decided_by")
        .order_by("-requested_at")[:100]
    )


# --- Requests awaiting a second officer -------------------------------------------------------


@dataclass
class AwaitingApproval:
    break_glass: list[BreakGlassGrant]
    case_links: list[CaseLinkRequest]

    def __len__(self) -> int:
        return len(self.break_glass) + len(self.case_links)


def approvals_awaiting() -> AwaitingApproval:
    """Every request a second officer of the unit may decide now, oldest first (two queries)."""
    return AwaitingApproval(
        break_glass=list(
            break_glass_requests_open()
            .select_related("user", "referral", "complaint")
            .order_by("requested_at")
        ),
        case_links=list(
            CaseLinkRequest.objects.filter(status=Decision.REQUESTED)
            .select_related("requested_by", "referral", "complaint")
            .order_by("requested_at")
        ),
    )


def case_link_requests_for_complaint(complaint: Complaint) -> list[CaseLinkRequest]:
    return list(
        complaint.case_link_requests.select_related(
            "referral", "requested_by", "decided_by"
        ).order_by("-requested_at")
    )


# --- The head's report ------------------------------------------------------------------------


def break_glass_report() -> QuerySet[BreakGlassGrant]:
    """Every break-glass request, newest first, with who asked and who decided."""
    return BreakGlassGrant.objects.select_related(
        "user", "decided_by", "referral", "complaint"
    ).order_by("-requested_at", "-pk")


def break_glass_reads(grants: list[BreakGlassGrant]) -> dict[str, list[dict]]:
    """What was read under each grant (from the audit trail), by grant: one query.

    Each entry is one kind of read ("case page", "attachment"...), how many and when first and
    last. Attempts by the requester to approve their own request are counted alongside.
    """
    ids = [str(grant.public_id) for grant in grants]
    if not ids:
        return {}
    rows = (
        AuditEvent.objects.filter(
            action__in=[*READ_ACTIONS, SELF_APPROVAL_REFUSED], detail__grant__in=ids
        )
        .values("detail__grant", "action", "detail__what")
        .annotate(n=Count("pk"), first=Min("occurred_at"), last=Max("occurred_at"))
        .order_by("detail__grant", "first")
    )
    reads: dict[str, list[dict]] = {}
    for row in rows:
        what = (
            "tried to approve their own request"
            if row["action"] == SELF_APPROVAL_REFUSED
            else row["detail__what"] or row["action"]
        )
        reads.setdefault(row["detail__grant"], []).append(
            {"what": what, "times": row["n"], "first": row["first"], "last": row["last"]}
        )
    return reads


def case_link_report() -> QuerySet[CaseLinkRequest]:
    """Every request to link a complaint to a case other than the one its complainant named."""
    return CaseLinkRequest.objects.select_related(
        "requested_by", "decided_by", "referral", "complaint"
    ).order_by("-requested_at", "-pk")


# --- The unit ---------------------------------------------------------------------------------


def compliance_officers() -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.COMPLIANCE.value, is_active=True).order_by(
        "full_name"
    )


# --- Yearly figures -------------------------------------------------------------------------

OUT_OF_SCOPE, UNDECIDED = "out_of_scope", "undecided"
OUTCOME_COLUMNS = [
    *Finding.choices,
    (OUT_OF_SCOPE, "Out of scope"),
    (UNDECIDED, "Not yet decided"),
]


@dataclass
class YearlyFigures:
    year: int
    columns: list[tuple[str, str]]
    rows: list[dict] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    total: int = 0


def complaint_figures(year: int) -> YearlyFigures:
    """Complaints received in a calendar year, by category and outcome, in one query."""
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    counts = (
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        .annotate(
            outcome=Case(
                When(in_scope=False, then=Value(OUT_OF_SCOPE)),
                When(~Q(finding=""), then=F("finding")),
                default=Value(UNDECIDED),
                output_field=CharField(),
            )
        )
        .values("category", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table = {(row["category"], row["outcome"]): row["n"] for row in counts}
    figures = YearlyFigures(year=year, columns=OUTCOME_COLUMNS)
    for category, label in ComplaintCategory.choices:
        cells = [table.get((category, outcome), 0) for outcome, _ in OUTCOME_COLUMNS]
        figures.rows.append({"category": label, "cells": cells, "total": sum(cells)})
    for index, (outcome, _) in enumerate(OUTCOME_COLUMNS):
        figures.totals[outcome] = sum(row["cells"][index] for row in figures.rows)
    figures.total = sum(figures.totals.values())
    return figures


# --- Audit explorer -------------------------------------------------------------------------


def audit_events() -> QuerySet[AuditEvent]:
    """Every event, newest first, each refusal with its hour's count (one join, no more)."""
    return AuditEvent.objects.select_related("refused_access").order_by("-pk")


def audit_case_readers(case_reference: str) -> list[dict]:
    """Who has seen a case: one row per person and role, first and last read, break-glass."""
    return list(
        AuditEvent.objects.filter(
            case_reference=case_reference.strip().upper(), action__in=READ_ACTIONS
        )
        .values("actor_id", "actor_email", "actor_role")
        .annotate(
            first_read=Min("occurred_at"),
            last_read=Max("occurred_at"),
            reads=Count("pk"),
            break_glass_reads=Count("pk", filter=Q(detail__break_glass=True)),
        )
        .order_by("first_read", "actor_email")
    )


def audit_latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-verified_at", "-pk").first()
