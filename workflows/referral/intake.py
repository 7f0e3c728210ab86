"""Submitting a referral starts its process: one transaction from draft to first tasks.

The referral's own checks and records are in referrals/services.py; this module adds the
process start and the receipt, so that once the referrer sees "submitted" the referral, its
routing, its first tasks and its receipt are all committed together, or none of them is.
"""

from django.db import transaction

from api.events import webhook_events_record
from api.models import WebhookEvent
from config.errors import ApplicationError
from referrals.models import Referral
from referrals.services import (
    referral_draft_from_document,
    referral_receipt,
    referral_submission_record,
)

from ..engine.writes import writes_together
from .flows import ReferralFlow
from .models import ReferralProcess


def referral_process_start(*, referral: Referral, actor) -> ReferralProcess:
    """Start the referral flow for a referral that has just been submitted and routed."""
    if ReferralProcess.objects.filter(referral=referral).exists():
        raise ApplicationError("This referral has already been started.")
    return ReferralFlow.start.run(referral=referral, actor=actor)


def referral_submit(*, user, referral: Referral, declaration_confirmed: bool) -> Referral:
    """Submit a complete draft: reference, routing, audit, process start and receipt.

    Its audit events (submitted, routed, each task opened) are appended together at the
    end, just before commit, and the receipt and the new tasks' notices are queued together,
    in one statement (workflows/engine/writes.py). A client's referral also writes its
    webhook events (api/events.py); a person's costs no query for them.
    """
    with transaction.atomic(), writes_together() as writes:
        submitted, _route, submitted_event = referral_submission_record(
            user=user, referral=referral, declaration_confirmed=declaration_confirmed
        )
        writes.events.append(submitted_event)
        referral_process_start(referral=submitted, actor=user)
        writes.notices.append(referral_receipt(user=user, referral=submitted))
        # Routed by now: the client's webhooks hear the status its referrer would see.
        webhook_events_record(
            referral=submitted, event_type=WebhookEvent.REFERRAL_SUBMITTED, by=user
        )
    return submitted


def referral_submit_document(
    *,
    user,
    sections: dict[str, dict],
    local_authority: str | None = None,
    declaration_confirmed: bool,
    attachments: list | tuple = (),
) -> Referral:
    """A whole referral in one go (the API): checked by the journey's forms, then submitted
    exactly as the journey's final page submits a draft, all in one transaction."""
    with transaction.atomic():
        draft = referral_draft_from_document(
            user=user,
            sections=sections,
            local_authority=local_authority,
            declaration_confirmed=declaration_confirmed,
            attachments=attachments,
        )
        return referral_submit(
            user=user, referral=draft, declaration_confirmed=declaration_confirmed
        )
