"""Taking a complaint starts its process, in one transaction."""

from django.db import transaction
from django.http import HttpRequest

from compliance import throttle
from compliance.models import Complaint

from .flows import ComplaintFlow
from .services import complaint_record


@transaction.atomic
def complaint_submit(
    *,
    category: str,
    what_happened: str,
    outcome_sought: str,
    name: str,
    email: str = "",
    phone: str = "",
    address: str = "",
    referral_reference: str = "",
    organisation: str = "",
    consent_to_raise: bool | None,
    submitted_by=None,
) -> Complaint:
    """Record the complaint, its reference and receipt, and start the complaint flow."""
    complaint = complaint_record(
        category=category,
        what_happened=what_happened,
        outcome_sought=outcome_sought,
        name=name,
        email=email,
        phone=phone,
        address=address,
        referral_reference=referral_reference,
        organisation=organisation,
        consent_to_raise=consent_to_raise,
        submitted_by=submitted_by,
    )
    ComplaintFlow.start.run(complaint=complaint)
    return complaint


class ComplaintLimitReached(Exception):
    """The sender's address has used up its complaints for the hour."""


def complaint_submit_counted(*, request: HttpRequest, submitted_by=None, **answers) -> Complaint:
    """Take a complaint from the complaint form or the API, counted against the sender's
    address unless a signed-in practitioner sends it.

    The count is the cache's atomic increment, taken before the complaint commits: complaints
    sent together from one address (to different web processes) cannot all see room under the
    limit, so exactly the limit are kept; one over it is rolled back (ComplaintLimitReached)
    and nothing is sent. A complaint the rules refuse is never counted.
    """
    with transaction.atomic():
        complaint = complaint_submit(**answers, submitted_by=submitted_by)
        if submitted_by is None and not throttle.complaint_admitted(request):
            raise ComplaintLimitReached
    return complaint
