"""Reads for the Standards and Compliance Unit: break-glass checks, complaints, figures and the
audit explorer. Each function fixes its own joins, so a page's query count does not grow with
the number of rows it shows.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, CharField, Count, F, Max, Min, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role

from .audit import READ_ACTIONS
from .models import (
    AuditCheckpoint,
    AuditEvent,
    BreakGlassGrant,
    Complaint,
    ComplaintCategory,
    Finding,
)


def is_compliance_officer(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.has_role(Role.COMPLIANCE)
    )


# --- Break-glass ----------------------------------------------------------------------------


def break_glass_live_grants(user) -> QuerySet[BreakGlassGrant]:
    """The user's grants that are neither revoked nor past their time."""
    return BreakGlassGrant.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def break_glass_active(*, user, referral) -> BreakGlassGrant | None:
    """The user's unexpired, unrevoked break-glass grant on this case, if any.

    Checks expiry itself: a grant whose guardian permission the periodic job has not yet
    removed gives no access once its time is up.
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


def break_glass_grants_for_complaint(complaint: Complaint) -> list[BreakGlassGrant]:
    return list(
        complaint.break_glass_grants.select_related("user", "referral").order_by("-opened_at")
    )


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
    """Every event, newest first. The explorer shows stored columns only: no joins needed."""
    return AuditEvent.objects.order_by("-pk")


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
