"""Demo complaints at different stages, made through the same services as the real pages.

Called by `manage.py demo_data` with the demo users. Never used in production. The people
named here are fictional.
"""

from django.db import transaction

from accounts.demo import _user as demo_user
from accounts.roles import Role
from compliance.models import Complaint, ComplaintCategory
from compliance.services import unit_head_appoint
from referrals.models import Referral, ReferralStatus

from . import services as cs
from .intake import complaint_submit

DEMO_EMAILS = ["robin.example@example.com", "morgan.sample@example.com", "kit.test@example.com"]


def _unit_head(users):
    """A second officer of the unit, who is also its head: break-glass and links to a case the
    complainant did not name need a second officer, and the head reviews them all."""
    head = demo_user(
        users,
        "compliance-head",
        "compliance.head@example.gov.uk",
        "Hayden Head",
        Role.COMPLIANCE,
        "Standards and Compliance Unit",
    )
    unit_head_appoint(user=head)
    return head


def build_cases(users) -> str:
    _unit_head(users)
    if Complaint.objects.filter(complainant_email__in=DEMO_EMAILS).exists():
        return "Demo complaints: already present, left as they are"
    officer = users.by_key["compliance"]
    practitioner = users.by_key.get("referrer-camden")
    referral = (
        Referral.objects.exclude(status=ReferralStatus.DRAFT)
        .exclude(reference=None)
        .order_by("submitted_at")
        .first()
    )
    with transaction.atomic():
        complaint_submit(
            category=ComplaintCategory.STAFF_CONDUCT,
            what_happened="The officer who visited us was dismissive and would not explain "
            "why my daughter had been referred.",
            outcome_sought="An explanation of what happened and an apology.",
            name="Robin Example",
            email=DEMO_EMAILS[0],
            organisation="Example Council",
            consent_to_raise=True,
        )

        investigating = complaint_submit(
            category=ComplaintCategory.REFERRAL_OR_DECISION,
            what_happened="Our referral was closed without anyone contacting the school.",
            outcome_sought="To know how the decision was made.",
            name=practitioner.full_name if practitioner else "Morgan Sample",
            email=DEMO_EMAILS[1],
            organisation="Camden Council Prevent team",
            referral_reference=referral.reference if referral is not None else "",
            consent_to_raise=True,
            submitted_by=practitioner,
        )
        cs.complaint_triage(
            complaint=investigating,
            user=officer,
            in_scope=True,
            rationale="About how a referral decision was made.",
        )
        linked = ""
        if referral is not None:
            investigating.refresh_from_db()
            cs.complaint_case_link(
                complaint=investigating, user=officer, referral_reference=referral.reference
            )
            linked = f", linked to {referral.reference}"

        out_of_scope = complaint_submit(
            category=ComplaintCategory.OTHER,
            what_happened="My neighbour's car alarm keeps going off at night.",
            outcome_sought="For it to stop.",
            name="Kit Test",
            email=DEMO_EMAILS[2],
            consent_to_raise=False,
        )
        cs.complaint_triage(
            complaint=out_of_scope,
            user=officer,
            in_scope=False,
            rationale="Not about the Prevent duty or Prevent training.",
            signposting="Your local council's environmental health team.",
        )
    return (
        "Demo complaints: 3 (one to triage, one being investigated"
        f"{linked}, one out of scope and closed); compliance.head@example.gov.uk is the unit's "
        "second officer and head"
    )
