"""The outbox: queue an email with the change that causes it, deliver each copy exactly once.

A notification moves through these states (`Notification.Status`):

* pending: waiting to be sent, either new or waiting out the back-off after a failed try;
* sending: one recipient's send is claimed, in its own committed transaction, before the
  provider is called; it is marked sent in another transaction as soon as the provider answers;
* sent: every recipient has had their copy;
* check: a send whose outcome is unknown (the worker died between the provider's answer and
  the mark, or the provider never answered). It is never re-sent blindly: the provider's own
  records (GOV.UK Notify, by the copy's reference) or a person (the admin actions) settle it;
* failed: the provider refused it outright, or it kept failing for NOTIFICATION_RETRY_HOURS.

Failed and to-check notifications, and an outbox whose oldest due email has waited too long,
are reported by `notifications_alert` (a beat job and `manage.py notifications_check`).
"""

import logging
import random
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection, mail_admins
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from compliance.audit import audit_record
from config.publish import publish

from .backends import NotifyError
from .models import Notification

DELIVER_TASK = "notifications.tasks.notification_deliver"
logger = logging.getLogger(__name__)
Status = Notification.Status
ERROR_MAX_LENGTH = 2000
RESEND_BATCH = 1000
CHECK_BATCH = 100


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
        transaction.on_commit(lambda: notification_enqueue(notification_id=notification.pk))
    return notification


def notification_enqueue(*, notification_id: int) -> bool:
    """Hand the delivery to Celery; a broker outage never reaches the caller.

    Runs after the change has committed (often inside a web request). A publish that fails
    leaves the row pending for the resend job, and never makes the request wait
    (config.publish).
    """
    return publish(DELIVER_TASK, notification_id)


def _retry_delay(attempts: int) -> timedelta:
    """Exponential back-off with jitter: up to base × 2^(n-1), capped, never under half of it."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS,
        settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    # Jitter spreads retries out; it protects nothing, so no secure generator is needed.
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311  # nosec B311


def _locked(notification_id: int) -> Notification | None:
    return Notification.objects.select_for_update().filter(pk=notification_id).first()


def _claim(notification_id: int) -> tuple[Notification, str] | None:
    """Claim the next recipient's send and commit the claim before anything is sent."""
    now = timezone.now()
    with transaction.atomic():
        notification = _locked(notification_id)
        if notification is None or notification.status != Status.PENDING:
            return None
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return None  # still backing off; the resend job queues it when it is due
        remaining = [a for a in notification.to if a not in notification.delivered_to]
        if not remaining:
            _mark_all_sent(notification, now)
            return None
        address = remaining[0]
        notification.status = Status.SENDING
        notification.sending_to = address
        notification.claimed_at = now
        notification.attempts += 1
        notification.first_attempt_at = notification.first_attempt_at or now
        notification.save(
            update_fields=["status", "sending_to", "claimed_at", "attempts", "first_attempt_at"]
        )
    return notification, address


def _mark_all_sent(notification: Notification, now) -> None:
    notification.status = Status.SENT
    notification.sent_at = now
    notification.sending_to = ""
    notification.claimed_at = None
    notification.next_attempt_at = None
    notification.last_error = ""
    notification.save(
        update_fields=[
            "status",
            "sent_at",
            "sending_to",
            "claimed_at",
            "next_attempt_at",
            "last_error",
        ]
    )


def _record_sent(notification_id: int, address: str) -> Notification | None:
    """The provider accepted this recipient's copy: record it, whatever state the row is in."""
    now = timezone.now()
    with transaction.atomic():
        notification = _locked(notification_id)
        if notification is None:
            return None
        if address not in notification.delivered_to:
            notification.delivered_to.append(address)
        if notification.sending_to == address:
            notification.sending_to = ""
            notification.claimed_at = None
        if all(a in notification.delivered_to for a in notification.to):
            _mark_all_sent(notification, now)
            notification.save(update_fields=["delivered_to"])
            return notification
        if notification.status in {Status.SENDING, Status.CHECK} and not notification.sending_to:
            notification.status = Status.PENDING  # the next recipient is due now
            notification.next_attempt_at = None
        notification.save(
            update_fields=["delivered_to", "sending_to", "claimed_at", "status", "next_attempt_at"]
        )
    return notification


def _outcome_unknown(exc: Exception) -> bool:
    """Whether the provider may have accepted the email although the send raised."""
    if isinstance(exc, NotifyError):
        return exc.outcome_unknown
    return isinstance(exc, TimeoutError)


def _refused_outright(exc: Exception) -> bool:
    """Notify's 4xx answers (other than "too many requests") will not change on a retry."""
    return (
        isinstance(exc, NotifyError)
        and exc.status is not None
        and 400 <= exc.status < 500
        and (exc.status != 429)
    )


def _record_failure(notification_id: int, address: str, exc: Exception) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
    with transaction.atomic():
        notification = _locked(notification_id)
        if notification is None or notification.status != Status.SENDING:
            return
        if notification.sending_to != address:
            return
        notification.last_error = error
        if _outcome_unknown(exc):
            # Keep the claim: whether the copy went is a question for the provider or a person.
            notification.status = Status.CHECK
            logger.warning(
                "Notification %s: outcome of a send unknown (%s)", notification.pk, error
            )
        else:
            notification.sending_to = ""
            notification.claimed_at = None
            window = timedelta(hours=settings.NOTIFICATION_RETRY_HOURS)
            if _refused_outright(exc) or now - notification.first_attempt_at >= window:
                notification.status = Status.FAILED
                logger.error("Notification %s failed for good: %s", notification.pk, error)
            else:
                notification.status = Status.PENDING
                notification.next_attempt_at = now + _retry_delay(notification.attempts)
        notification.save(
            update_fields=["status", "sending_to", "claimed_at", "next_attempt_at", "last_error"]
        )


def _send_copy(notification: Notification, address: str) -> None:
    EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        # GOV.UK Notify keeps it with the email: the key that finds this copy again.
        headers={"X-Notify-Reference": notification.reference_for(address)},
    ).send(fail_silently=False)


def notification_deliver(*, notification_id: int) -> bool:
    """Send every recipient's copy that has not gone yet; True once the notification is sent.

    One message per recipient, each claimed and committed before the provider is called and
    recorded as soon as it answers: recipients do not see each other's addresses, a retry never
    sends anyone a second copy, and a crash in between leaves a claim that is checked, not
    repeated. A redelivered task, or the resend job queueing the same row, finds nothing to do.
    """
    sent = False
    while (claim := _claim(notification_id)) is not None:
        notification, address = claim
        try:
            _send_copy(notification, address)
        except Exception as exc:  # any transport failure: recorded, retried or checked later
            _record_failure(notification_id, address, exc)
            return False
        recorded = _record_sent(notification_id, address)
        sent = recorded is not None and recorded.status == Status.SENT
    return sent


def _provider_has(reference: str) -> bool | None:
    """Ask the email provider whether it accepted this copy; None when it cannot tell."""
    connection = get_connection()
    lookup = getattr(connection, "sent_with_reference", None)
    if lookup is None:
        return None  # SMTP and the development backends keep no record to ask
    try:
        return lookup(reference)
    except NotifyError as exc:
        logger.warning("Could not ask the provider about %s: %s", reference, exc)
        return None


def _send_again(notification: Notification, *, error: str = "") -> None:
    notification.status = Status.PENDING
    notification.sending_to = ""
    notification.claimed_at = None
    notification.next_attempt_at = None
    if error:
        notification.last_error = error
    notification.save(
        update_fields=["status", "sending_to", "claimed_at", "next_attempt_at", "last_error"]
    )


def notification_check_with_provider(*, notification_id: int) -> str:
    """Settle a send in doubt from the provider's records: sent, or safe to send again.

    Returns the notification's status afterwards ("check" when the provider cannot tell). A
    claim younger than NOTIFICATION_SENDING_TIMEOUT is left alone: a request that timed out
    here may still be in progress at the provider, and asking too early would miss it.
    """
    notification = Notification.objects.filter(pk=notification_id, status=Status.CHECK).first()
    if notification is None or not notification.sending_to:
        return notification.status if notification else ""
    settled_after = timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
    if notification.claimed_at and timezone.now() - notification.claimed_at < settled_after:
        return Status.CHECK
    address = notification.sending_to
    accepted = _provider_has(notification.reference_for(address))
    if accepted is None:
        return Status.CHECK
    if accepted:
        recorded = _record_sent(notification_id, address)
        logger.info("Notification %s: the provider had accepted it", notification_id)
        return recorded.status if recorded else ""
    with transaction.atomic():
        locked = _locked(notification_id)
        if locked and locked.status == Status.CHECK and locked.sending_to == address:
            _send_again(locked, error="The provider has no record of it: sending again")
        return locked.status if locked else ""


def notifications_mark_stale_sends(*, now=None) -> int:
    """Claims older than NOTIFICATION_SENDING_TIMEOUT belong to a worker that died: check them.

    The timeout is longer than a task may run (CELERY_TASK_TIME_LIMIT), so a live send is never
    taken for a dead one.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATION_SENDING_TIMEOUT)
    stale = Notification.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
    count = stale.update(
        status=Status.CHECK,
        last_error="The send was interrupted: it may or may not have gone",
    )
    if count:
        logger.warning("%s notification send(s) interrupted; checking before resending", count)
    return count


def notifications_resend_pending(*, older_than_seconds: int = 60) -> int:
    """The periodic job: settle interrupted sends, then queue every due notification, oldest first.

    New notifications are left alone for `older_than_seconds` (their own task is on its way);
    failed tries wait for their back-off to end. Returns how many were queued.
    """
    now = timezone.now()
    notifications_mark_stale_sends(now=now)
    for notification_id in (
        Notification.objects.filter(status=Status.CHECK)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:CHECK_BATCH]
    ):
        notification_check_with_provider(notification_id=notification_id)
    ids = list(
        Notification.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=Status.PENDING,
            created_at__lte=now - timedelta(seconds=older_than_seconds),
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )
    for notification_id in ids:
        notification_enqueue(notification_id=notification_id)
    return len(ids)


def notification_resolve(*, notification: Notification, user, delivered: bool) -> Notification:
    """A person settles a send in doubt: it arrived (record it) or it did not (send again)."""
    with transaction.atomic():
        locked = _locked(notification.pk)
        if locked is None or locked.status != Status.CHECK:
            return notification
        if delivered and locked.sending_to:
            _record_sent(locked.pk, locked.sending_to)
        else:
            _send_again(locked, error="Checked by an administrator: sending again")
            transaction.on_commit(lambda: notification_enqueue(notification_id=locked.pk))
        audit_record(
            actor=user,
            action="notification.resolved",
            obj=locked,
            case_reference=locked.case_reference,
            detail={"delivered": delivered, "kind": locked.kind},
        )
    notification.refresh_from_db()
    return notification


def notification_retry(*, notification: Notification, user) -> Notification:
    """An administrator tries a failed notification again, with a new retry window."""
    if notification.status != Status.FAILED:
        return notification
    with transaction.atomic():
        locked = _locked(notification.pk)
        locked.first_attempt_at = None
        locked.save(update_fields=["first_attempt_at"])
        _send_again(locked)
        audit_record(
            actor=user,
            action="notification.retried",
            obj=locked,
            case_reference=locked.case_reference,
            detail={"kind": locked.kind},
        )
        transaction.on_commit(lambda: notification_enqueue(notification_id=locked.pk))
    notification.refresh_from_db()
    return notification


def notifications_problems(*, now=None) -> dict:
    """What an administrator must know: failed and to-check counts, the outbox's oldest wait."""
    now = now or timezone.now()
    oldest = (
        Notification.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=Status.PENDING,
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    waited = int((now - oldest).total_seconds()) if oldest else 0
    return {
        "failed": Notification.objects.filter(status=Status.FAILED).count(),
        "check": Notification.objects.filter(status=Status.CHECK).count(),
        "oldest_pending_seconds": waited,
        "outbox_stuck": waited > settings.OUTBOX_ALERT_AFTER_SECONDS,
    }


def notifications_alert() -> dict:
    """Log an error and email the administrators when the outbox needs a person.

    The same alert is emailed at most once an hour (counted in the shared cache), and logged
    every time, so a monitoring system reading the logs sees it even if email is what broke.
    """
    problems = notifications_problems()
    lines = []
    if problems["failed"]:
        lines.append(f"{problems['failed']} notification(s) failed and were not sent.")
    if problems["check"]:
        lines.append(
            f"{problems['check']} notification(s) need checking before they are sent again."
        )
    if problems["outbox_stuck"]:
        lines.append(
            f"The oldest email waiting to be sent has waited {problems['oldest_pending_seconds']}"
            " seconds: is the Celery broker or worker down?"
        )
    problems["alerted"] = bool(lines)
    if not lines:
        return problems
    message = " ".join(lines)
    logger.error("Outbox alert: %s", message)
    key = "notifications-alert:" + ":".join(
        str(problems[k]) for k in ("failed", "check", "outbox_stuck")
    )
    try:
        first_time = cache.add(key, 1, timeout=60 * 60)
    except Exception:  # a cache that is down must not silence the alert
        first_time = True
    if first_time:
        body = (
            f"{message}\n\nSee the notifications page of the administration site "
            "(filter by status) to retry failed ones and settle those to check."
        )
        try:
            mail_admins("Notifications need attention", body, fail_silently=False)
        except Exception:
            logger.exception("Could not email the administrators about the outbox")
    return problems


def notifications_queue_many(items: Iterable[dict]) -> list[Notification]:
    """Record several emails at once, as `notification_queue` records one, in one INSERT.

    Each item has `notification_queue`'s keyword arguments. Items with nobody to send to are
    skipped. A key already queued keeps its row as it was: the INSERT's conflict clause on the
    unique `dedupe_key` rewrites only the key with itself, so the row (and its delivery state)
    is unchanged, and its id comes back with the new ones. Every id returned is handed to the
    delivery task after commit; one already pending, sending or sent is left alone there
    (`_claim` takes only a pending row that is due). Returns the notifications queued.
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
    queued = Notification.objects.bulk_create(
        list(wanted.values()),
        update_conflicts=True,
        unique_fields=["dedupe_key"],
        update_fields=["dedupe_key"],
    )
    ids = [notification.pk for notification in queued]
    transaction.on_commit(lambda: [notification_enqueue(notification_id=pk) for pk in ids])
    return queued
