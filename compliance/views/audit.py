"""The audit explorer, "who has seen this case", the CSV export, the chain's verification
status, and the yearly complaint figures.

Every list is a fixed number of queries whatever its length; the export streams rows straight
from a database cursor, so its memory use does not grow with the number of events.
"""

import csv
import json
import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.pagination import keyset_page

from .. import selectors
from ..audit import audit_record
from ..filters import AuditEventFilter
from ..services import UNIT_NAME
from ..tasks import audit_verify_checkpoint
from .common import unit_required

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
EXPORT_COLUMNS = [
    ("id", "Event"),
    ("sequence", "Place in the chain"),
    ("occurred_at", "When (UTC)"),
    ("actor_email", "Person acting"),
    ("actor_role", "Role"),
    ("team", "Team"),
    ("action", "Action"),
    ("case_reference", "Case or complaint reference"),
    ("object_type", "Object type"),
    ("object_id", "Object"),
    ("reason", "Reason"),
    ("detail", "Detail"),
    ("refused_access__count", "Times refused in the hour"),
    ("hash", "Hash"),
]
EXPORT_BATCH = 500
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@unit_required
@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    events = AuditEventFilter(request.GET, queryset=selectors.audit_events())
    page = None
    if events.is_valid():
        page = keyset_page(
            events.qs,
            before=request.GET.get("before"),
            after=request.GET.get("after"),
            size=PAGE_SIZE,
        )
    query = request.GET.copy()
    for cursor in ("page", "before", "after"):
        query.pop(cursor, None)
    return render(
        request,
        "compliance/audit/explorer.html",
        {
            "filter": events,
            "form": events.form,
            "page": page,
            "query": query.urlencode(),
            "checkpoint": selectors.audit_latest_checkpoint(),
        },
    )


@unit_required
@require_GET
def case_readers(request: HttpRequest) -> HttpResponse:
    reference = (request.GET.get("case_reference") or "").strip().upper()
    readers = selectors.audit_case_readers(reference) if reference else None
    error = None
    if "case_reference" in request.GET and not reference:
        error = "Enter a case reference"
    return render(
        request,
        "compliance/audit/readers.html",
        {
            "reference": reference,
            "readers": readers,
            "error": error,
            "errors": [{"text": error, "href": "#case_reference"}] if error else [],
        },
    )


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_START) else value


def _csv_lines(queryset):
    writer = csv.writer(_Echo())
    yield writer.writerow([label for _, label in EXPORT_COLUMNS])
    rows = queryset.values_list(*[name for name, _ in EXPORT_COLUMNS]).iterator(chunk_size=2000)
    batch = []
    for row in rows:
        batch.append(writer.writerow([_cell(value) for value in row]))
        if len(batch) >= EXPORT_BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


@unit_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    events = AuditEventFilter(request.GET, queryset=selectors.audit_events())
    if not events.is_valid():
        return redirect(f"{reverse('compliance:audit')}?{request.GET.urlencode()}")
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="audit.exported",
            role="standards_compliance",
            team=UNIT_NAME,
            detail={"filters": events.applied},
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(events.qs.order_by("pk")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _queue_verification() -> None:
    try:
        audit_verify_checkpoint.delay()
    except Exception:  # broker outage: the periodic job will verify anyway
        logger.warning("Broker unavailable; audit verification not queued")


@unit_required
@require_POST
def verify_now(request: HttpRequest) -> HttpResponse:
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="audit.verification_requested",
            role="standards_compliance",
            team=UNIT_NAME,
        )
        transaction.on_commit(_queue_verification)
    messages.success(
        request, "Verification started. Refresh this page in a few minutes to see the result"
    )
    return redirect("compliance:audit")


@unit_required
@require_GET
def figures(request: HttpRequest) -> HttpResponse:
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), this_year)
    return render(
        request,
        "compliance/figures.html",
        {"figures": selectors.complaint_figures(year), "this_year": this_year},
    )
