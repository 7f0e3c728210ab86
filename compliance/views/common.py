"""What every unit page shares: only officers of the unit may see it."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import HttpRequest

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
