"""The outbox: queue an email with the change that causes it, deliver it after commit."""

import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .models import Notification

DELIVER_TASK = "notifications.tasks.notification_deliver"
logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def notification_queue(
    *,
    kind: str,
    dedupe_key: str,
    to: Iterable[str],
    subject: str,
    body: str,
    case_reference: str = "",
) -> Notification | None:
    """Record an email and schedule its delivery once the surrounding transaction commits.

    Returns None when there is nobody to send to. Queueing the same `dedupe_key` twice returns
    the existing record and sends nothing new.
    """
    recipients = sorted({address for address in to if address})
    if not recipients:
        return None
    notification, created = Notification.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "kind": kind,
            "to": recipients,
            "subject": subject,
            "body": body,
            "case_reference": case_reference,
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _enqueue(notification_id: int) -> None:
    """Hand the delivery to Celery; if the broker is down the record waits for the resend job."""
    try:
        # By name, as the worker knows it: the task module calls these services.
        current_app.tasks[DELIVER_TASK].delay(notification_id)
    except Exception:  # broker outage: the periodic resend picks it up later
        logger.warning("Broker unavailable; notification %s left pending", notification_id)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one notification, at most once: the row is locked and re-checked before sending."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status in {
            Notification.Status.SENT,
            Notification.Status.ABANDONED,
        }:
            return False
        notification.attempts += 1
        # One message per recipient, remembering each success: recipients do not see each
        # other's addresses, and a retry after a partial failure never sends anyone a second copy.
        for address in [a for a in notification.to if a not in notification.delivered_to]:
            try:
                EmailMessage(
                    subject=notification.subject,
                    body=notification.body,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[address],
                ).send(fail_silently=False)
            except Exception as exc:  # any transport failure: record it and retry later
                notification.status = (
                    Notification.Status.ABANDONED
                    if notification.attempts >= MAX_ATTEMPTS
                    else Notification.Status.FAILED
                )
                notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                notification.save(
                    update_fields=["status", "attempts", "last_error", "delivered_to"]
                )
                return False
            notification.delivered_to.append(address)
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(
            update_fields=["status", "attempts", "sent_at", "last_error", "delivered_to"]
        )
        return True


def notifications_resend_pending(*, older_than_seconds: int = 60) -> int:
    """Queue delivery again for anything not sent (broker was down, or sending failed)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            status__in=[Notification.Status.PENDING, Notification.Status.FAILED],
            created_at__lte=cutoff,
        ).values_list("pk", flat=True)[:1000]
    )
    for notification_id in ids:
        _enqueue(notification_id)
    return len(ids)


def notifications_queue_many(items: Iterable[dict]) -> list[Notification]:
    """Record several emails at once, as `notification_queue` records one: one SELECT for the
    keys already queued and one INSERT for the rest, instead of a get-or-create each.

    Each item has `notification_queue`'s keyword arguments. Items with nobody to send to,
    and keys already queued, are skipped. Returns the notifications created.
    """
    wanted: dict[str, Notification] = {}
    for item in items:
        recipients = sorted({address for address in item["to"] if address})
        if recipients and item["dedupe_key"] not in wanted:
            wanted[item["dedupe_key"]] = Notification(
                kind=item["kind"],
                dedupe_key=item["dedupe_key"],
                to=recipients,
                subject=item["subject"],
                body=item["body"],
                case_reference=item.get("case_reference", ""),
            )
    if not wanted:
        return []
    queued = set(
        Notification.objects.filter(dedupe_key__in=list(wanted)).values_list(
            "dedupe_key", flat=True
        )
    )
    created = Notification.objects.bulk_create(
        [notification for key, notification in wanted.items() if key not in queued]
    )
    ids = [notification.pk for notification in created]
    if ids:
        transaction.on_commit(lambda: [_enqueue(notification_id) for notification_id in ids])
    return created
