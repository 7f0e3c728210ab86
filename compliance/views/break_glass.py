"""Break-glass: an investigating officer opens, for a limited time and with a recorded reason,
the case a complaint they work on is linked to; and sees and ends their own grants."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.errors import ApplicationError
from config.forms import posted, refused
from referrals.models import Referral
from workflows.complaint.views.unit import can_break_glass

from ..forms import BreakGlassForm
from ..models import BreakGlassGrant, ComplaintStatus
from ..services import break_glass_end, break_glass_open
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
            grant = break_glass_open(
                user=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                minutes=form.cleaned_data["minutes"],
            )
        except ApplicationError as exc:
            status = refused(form, exc)
        else:
            until = timezone.localtime(grant.expires_at)
            messages.success(
                request,
                f"You can see case {referral.reference} until {until:%-I:%M%p}".replace(
                    "AM", "am"
                ).replace("PM", "pm")
                + ". Every page you open is recorded.",
            )
            return redirect(f"/cases/{referral.public_id}/")
    return render(
        request,
        "compliance/break_glass.html",
        {"referral": referral, "complaint": complaint, "form": form},
        status=status,
    )


@unit_required
@require_GET
def my_access(request: HttpRequest) -> HttpResponse:
    """The officer's own break-glass grants: what is open now, and what has been."""
    now = timezone.now()
    grants = (
        BreakGlassGrant.objects.filter(user=request.user)
        .select_related("referral", "complaint")
        .order_by("-opened_at")[:100]
    )
    return render(
        request,
        "compliance/my_access.html",
        {
            "grants": [
                (grant, grant.revoked_at is None and grant.expires_at > now) for grant in grants
            ]
        },
    )


@unit_required
@require_POST
def break_glass_finish(request: HttpRequest, grant_id) -> HttpResponse:
    grant = get_object_or_404(
        BreakGlassGrant.objects.select_related("referral", "complaint", "user"),
        public_id=grant_id,
        user=request.user,
    )
    try:
        break_glass_end(grant=grant, user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Your access to {grant.referral.reference} has ended")
    return redirect("compliance:my_access")
