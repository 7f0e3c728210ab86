"""What every unit page shares: who may see it, and how a service's refusal is shown."""

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest

from config.errors import ApplicationError, PermissionDenied

from ..selectors import is_compliance_officer


def unit_required(view):
    """Officers of the Standards and Compliance Unit only: others are refused (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not is_compliance_officer(request.user):
            raise Forbidden
        return view(request, *args, **kwargs)

    return wrapper


def posted(request: HttpRequest):
    """The submitted answers, even when empty (an empty POST must still show its errors)."""
    return request.POST if request.method == "POST" else None


def refused(form: forms.Form, exc: ApplicationError) -> int:
    """Put a service's refusal on the form; the status to answer with."""
    field = exc.field if exc.field in form.fields else None
    if field and isinstance(form.fields[field].widget, forms.HiddenInput):
        field = None
    form.add_error(field, exc.message)
    return 403 if isinstance(exc, PermissionDenied) else 200
