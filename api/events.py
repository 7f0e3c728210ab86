"""Webhook events, written to the outbox in the transaction that changes a referral's status.

Only a referral an API client submitted has anyone to tell, and only that client's own
endpoints hear of it. What they hear is the plain status a referrer may know
(`referral_plain_status`), never police, panel or case detail. The rows for all of the
client's endpoints are one INSERT, handed to the delivery task once the change commits; a
broker that is down leaves them pending for the beat job (api/webhook_services.py).

This module sits below the task engine (tests/architecture): the engine and the intake call
it where they record a status, as they queue a notice.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from config.publish import publish
from referrals.models import Referral
from referrals.selectors import referral_plain_status

from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent, is_client_account

DELIVER_TASK = "api.tasks.webhook_deliver"


def webhook_payload(*, delivery_id: uuid.UUID, event_type: str, referral: Referral) -> dict:
    """The body an endpoint receives: the event and the referral's plain status, nothing else."""
    return {
        "id": str(delivery_id),
        "type": event_type,
        "created_at": timezone.now().isoformat(),
        "referral": {
            "id": str(referral.public_id),
            "reference": referral.reference,
            "status": referral_plain_status(referral).label,
        },
    }


def webhook_deliveries_enqueue(ids: list[int]) -> None:
    for pk in ids:
        publish(DELIVER_TASK, pk)


def webhook_events_record(
    *, referral: Referral, event_type: WebhookEvent, by=None
) -> list[WebhookDelivery]:
    """Write the event for every active endpoint of the client that made the referral and
    subscribed to it, in one INSERT; delivered after commit.

    `by`, when the caller has the referral's submitter at hand, spares a person's referral
    even the endpoints query (`is_client_account`); otherwise that one indexed query is all a
    person's referral costs.
    """
    if by is not None and not is_client_account(by):
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            client__user_id=referral.created_by_id,
            client__revoked_at__isnull=True,
            is_active=True,
        ).only("pk", "event_types")
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return []
    rows = []
    for endpoint in endpoints:
        delivery_id = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                public_id=delivery_id,
                endpoint=endpoint,
                event_type=event_type,
                referral_public_id=referral.public_id,
                payload=webhook_payload(
                    delivery_id=delivery_id, event_type=event_type, referral=referral
                ),
            )
        )
    written = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in written]
    transaction.on_commit(lambda: webhook_deliveries_enqueue(ids))
    return written
