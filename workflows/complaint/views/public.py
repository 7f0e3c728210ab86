"""Making a complaint: a public form (no sign-in) and a form for signed-in practitioners.

The public pages carry the GOV.UK "Exit this page" button. Complaints sent from one address
are limited per hour, and a field hidden from people catches automated form-fillers; neither
stops a real person, who is always told how else to reach the unit.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from compliance import throttle
from config.errors import ApplicationError
from config.forms import posted, refused

from ..forms import ComplaintForm
from ..intake import ComplaintLimitReached, complaint_submit_counted

logger = logging.getLogger(__name__)
SESSION_KEY = "complaint_sent_reference"


def _unit_contact() -> dict:
    return {
        "unit_email": settings.COMPLAINTS_UNIT_EMAIL or "prevent-complaints@example.gov.uk",
    }


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/public/start.html", _unit_contact())


def _make_complaint(request: HttpRequest, *, practitioner: bool) -> HttpResponse:
    initial = {}
    if practitioner:
        initial = {"name": request.user.full_name, "email": request.user.email}
        initial["phone"] = request.user.phone
    form = ComplaintForm(posted(request), initial=initial)
    context = {"form": form, "practitioner": practitioner, **_unit_contact()}
    status = 200
    if request.method == "POST":
        if form.is_automated:
            # Most likely a form-filling program. Nothing is kept, and a person who somehow
            # got here is told how else to reach the unit.
            logger.info("Complaint form: hidden field filled; nothing recorded")
            throttle.complaint_sent_count(request)
            return render(request, "compliance/public/not_sent.html", context, status=400)
        if not practitioner and throttle.complaint_limit_reached(request):
            context["limited"] = True
            return render(request, "compliance/public/form.html", context, status=429)
        if form.is_valid():
            try:
                complaint = complaint_submit_counted(
                    request=request,
                    submitted_by=request.user if practitioner else None,
                    **form.service_kwargs(),
                )
            except ComplaintLimitReached:
                context["limited"] = True
                return render(request, "compliance/public/form.html", context, status=429)
            except ApplicationError as exc:
                status = refused(form, exc)
            else:
                request.session[SESSION_KEY] = complaint.reference
                return redirect("compliance:complaint_sent")
    return render(request, "compliance/public/form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def complaint_public(request: HttpRequest) -> HttpResponse:
    return _make_complaint(request, practitioner=False)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_practitioner(request: HttpRequest) -> HttpResponse:
    return _make_complaint(request, practitioner=True)


@require_GET
def complaint_sent(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_KEY)
    if not reference:
        return redirect("compliance:complaint_start")
    return render(
        request, "compliance/public/sent.html", {"reference": reference, **_unit_contact()}
    )
