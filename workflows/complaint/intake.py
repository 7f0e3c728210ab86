"""Taking a complaint starts its process, in one transaction."""

from django.db import transaction

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
