"""Break-glass: an investigating officer asks, with a recorded reason and for a limited time,
to see the case a complaint they work on is linked to; a second officer decides (approvals.py);
the investigator sees their requests, withdraws one, or ends access early."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import ApplicationError
from config.forms import posted, refused
from referrals.models import Referral
from workflows.complaint.views.unit import can_break_glass

from ..forms import BreakGlassForm
from ..models import BreakGlassGrant, ComplaintStatus
from ..selectors import break_glass_grants_of, break_glass_request_lapses_at
from ..services import break_glass_end, break_glass_request, break_glass_withdraw
from .common import unit_required

GET_POST = require_http_methods(["GET", "POST"])


@unit_required
@GET_POST
def break_glass(request: HttpRequest, public_id) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.exclude(reference=None), public_id=public_id)
    complaint = next(
        (
            c
            for c in referral.complaints.select_related("review").exclude(
                status=ComplaintStatus.CLOSED
            )
            if can_break_glass(c, request.user)
        ),
        None,
    )
    if complaint is None:
        raise Http404  # not a case this officer is investigating: say nothing about it
    form = BreakGlassForm(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            break_glass_request(
                user=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                minutes=form.cleaned_data["minutes"],
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            messages.success(
                request,
                f"You have asked to see case {referral.reference}. Another officer of the unit "
                "must approve it: you can open the case from this page once they have.",
            )
            return redirect("compliance:my_access")
    return render(
        request,
        "compliance/break_glass.html",
        {"referral": referral, "complaint": complaint, "form": form},
        status=status,
    )


@unit_required
@require_GET
def my_access(request: HttpRequest) -> HttpResponse:
    """The officer's own requests and grants: what awaits approval, what is open, what was."""
    grants = break_glass_grants_of(request.user)
    return render(
        request,
        "compliance/my_access.html",
        {"grants": [(grant, break_glass_request_lapses_at(grant)) for grant in grants]},
    )


def _own_grant(request: HttpRequest, grant_id) -> BreakGlassGrant:
    return get_object_or_404(
        BreakGlassGrant.objects.select_related("referral", "complaint", "user"),
        public_id=grant_id,
        user=request.user,
    )


@unit_required
@require_POST
def break_glass_finish(request: HttpRequest, grant_id) -> HttpResponse:
    grant = _own_grant(request, grant_id)
    try:
        break_glass_end(grant=grant, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Your access to {grant.referral.reference} has ended")
    return redirect("compliance:my_access")


@unit_required
@require_POST
def break_glass_cancel(request: HttpRequest, grant_id) -> HttpResponse:
    grant = _own_grant(request, grant_id)
    try:
        break_glass_withdraw(grant=grant, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Your request to see {grant.referral.reference} is withdrawn")
    return redirect("compliance:my_access")
