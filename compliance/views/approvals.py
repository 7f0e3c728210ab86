"""The two-person rule's pages: the queue of requests awaiting a second officer, the decision
on each (approve or refuse, with a reason), and the report the unit's head reviews.

The services decide and record everything (compliance.services for break-glass,
workflows.complaint.services for case links); these pages show and hand over.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import ApplicationError
from config.forms import posted, refused
from workflows.complaint.services import complaint_case_link_decide

from .. import selectors
from ..forms import DecisionForm
from ..models import BreakGlassGrant, CaseLinkRequest
from ..services import break_glass_decide
from .common import unit_required

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
REPORTS = [("break-glass", "Break-glass access"), ("case-links", "Links to another case")]


@unit_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return render(
        request, "compliance/approvals/queue.html", {"awaiting": selectors.approvals_awaiting()}
    )


def _decide(
    request: HttpRequest,
    item,
    *,
    kind: str,
    decide: Callable[..., object],
    lapses_at=None,
) -> HttpResponse:
    """The decision page of one request: the requester sees it, another officer decides."""
    own = item.requester.pk == request.user.pk
    form = DecisionForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            decided = decide(item, request.user, **form.service_kwargs())
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            verdict = "approved" if decided.status == "approved" else "refused"
            messages.success(request, f"Request {verdict}: {item.requester.full_name} is told")
            return redirect("compliance:approvals")
    return render(
        request,
        "compliance/approvals/decide.html",
        {"item": item, "kind": kind, "own": own, "form": form, "lapses_at": lapses_at},
        status=status,
    )


@unit_required
@GET_POST
def break_glass_decision(request: HttpRequest, grant_id) -> HttpResponse:
    grant = get_object_or_404(
        BreakGlassGrant.objects.select_related("user", "referral", "complaint", "decided_by"),
        public_id=grant_id,
    )
    grant.requester = grant.user
    return _decide(
        request,
        grant,
        kind="break-glass",
        decide=lambda item, user, approve, reason: break_glass_decide(
            grant=item, user=user, approve=approve, reason=reason
        ),
        lapses_at=selectors.break_glass_request_lapses_at(grant),
    )


@unit_required
@GET_POST
def case_link_decision(request: HttpRequest, link_request_id) -> HttpResponse:
    link = get_object_or_404(
        CaseLinkRequest.objects.select_related(
            "requested_by", "referral", "complaint", "decided_by"
        ),
        public_id=link_request_id,
    )
    link.requester = link.requested_by
    return _decide(
        request,
        link,
        kind="case-link",
        decide=lambda item, user, approve, reason: complaint_case_link_decide(
            link=item, user=user, approve=approve, reason=reason
        ),
    )


@unit_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """For the unit's head: every request, who asked, who decided, when, for how long, and
    what was read under each grant. A fixed number of queries a page."""
    if not selectors.is_unit_head(request.user):
        raise Forbidden
    show = request.GET.get("show", "break-glass")
    if show not in dict(REPORTS):
        show = "break-glass"
    rows = selectors.break_glass_report() if show == "break-glass" else selectors.case_link_report()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    reads = selectors.break_glass_reads(list(page.object_list)) if show == "break-glass" else {}
    return render(
        request,
        "compliance/approvals/report.html",
        {
            "show": show,
            "reports": REPORTS,
            "page": page,
            "rows": [(item, reads.get(str(item.public_id), [])) for item in page.object_list],
        },
    )
