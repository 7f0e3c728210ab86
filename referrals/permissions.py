"""Who may do what with a referral. Services and selectors ask these; views only decorate."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from accounts.grants import object_granted
from accounts.roles import Role
from compliance.selectors import break_glass_active, is_compliance_officer

from .models import Referral

# Granted per referral by the workflow to the teams working it (django-guardian).
VIEW_REFERRAL = "referrals.view_referral"


def is_referrer(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.REFERRER))


def is_author(user, referral: Referral) -> bool:
    return bool(user and user.is_authenticated and referral.created_by_id == user.pk)


def can_edit_draft(user, referral: Referral) -> bool:
    return is_referrer(user) and is_author(user, referral)


def can_view_case(user, referral: Referral) -> bool:
    """Staff the workflow has granted the case to, or an investigator under a live grant.

    A compliance investigator's guardian permission only mirrors a break-glass grant; the
    grant's own expiry decides, so access ends on time even before the periodic job removes
    the permission.
    """
    if not (user and user.is_authenticated and user.is_active):
        return False
    if not object_granted(user, VIEW_REFERRAL, referral):
        return False
    if is_compliance_officer(user):
        return break_glass_active(user=user, referral=referral) is not None
    return True


def can_read_attachments(user, referral: Referral) -> bool:
    """The referrer who made the referral, or staff who may see the case."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return is_author(user, referral) or can_view_case(user, referral)


def referrer_required(view):
    """Signed-in users with the referrer role only: others are sent to sign in, or refused."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_referrer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
