"""The audit explorer, "who has seen this case", the CSV export, the chain's verification
status, and the yearly complaint figures.

Every list is a fixed number of queries whatever its length; the export streams rows straight
from a database cursor, so its memory use does not grow with the number of events.
"""

import logging

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.pagination import keyset_page

from .. import selectors
from ..audit import audit_record
from ..export import audit_csv_response
from ..filters import AuditEventFilter
from ..services import UNIT_NAME, audit_exported
from ..tasks import audit_verify_checkpoint
from .common import unit_required

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


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


@unit_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    events = AuditEventFilter(request.GET, queryset=selectors.audit_events())
    if not events.is_valid():
        return redirect(f"{reverse('compliance:audit')}?{request.GET.urlencode()}")
    audit_exported(user=request.user, filters=events.applied)
    return audit_csv_response(events.qs)


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
