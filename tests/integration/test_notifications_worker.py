"""The outbox through Redis and a real worker: exactly once, and nothing lost in an outage."""

import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import transaction

from notifications.models import Notification
from notifications.services import notification_queue, notifications_resend_pending
from notifications.tasks import notification_deliver
from referrals.models import Referral, ReferralStatus
from tests.factories import DraftReferralFactory, ReferrerFactory, postcodes_load

from .conftest import worker_env

pytestmark = pytest.mark.integration
# Nothing listens here: publishing to it fails the way a broker outage does.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.2)


def messages_in(mail_dir, text: str = "") -> int:
    """Messages the worker wrote (the file backend writes one file per connection)."""
    return sum(
        path.read_text().count("\nSubject: ")
        for path in mail_dir.iterdir()
        if not text or text in path.read_text()
    )


@pytest.mark.django_db(transaction=True)
def test_notifications_are_delivered_exactly_once(celery_worker, celery_mail_dir):
    before = messages_in(celery_mail_dir, "exactly-once check")
    with transaction.atomic():
        notices = [
            notification_queue(
                kind="check",
                dedupe_key=f"exactly-once-{i}",
                to=[f"person{i}@example.gov.uk"],
                subject=f"exactly-once check {i}",
                body="Hello",
            )
            for i in range(5)
        ]
        # queueing the same notice again inside the same change is a no-op
        notification_queue(
            kind="check",
            dedupe_key="exactly-once-0",
            to=["x@example.gov.uk"],
            subject="exactly-once check 0",
            body="Hello",
        )
    sent = Notification.objects.filter(pk__in=[n.pk for n in notices], status="sent")
    wait_until(lambda: sent.count() == 5)

    # A redelivered message and the periodic resend both find nothing left to send.
    notification_deliver.delay(notices[0].pk)
    assert notifications_resend_pending(older_than_seconds=0) == 0
    time.sleep(2)
    assert messages_in(celery_mail_dir, "exactly-once check") - before == 5
    assert set(
        Notification.objects.filter(pk__in=[n.pk for n in notices]).values_list(
            "attempts", flat=True
        )
    ) == {1}


@pytest.mark.django_db(transaction=True)
def test_broker_outage_at_submission_loses_nothing(regions_loaded, celery_worker, celery_mail_dir):
    postcodes_load()
    referrer = ReferrerFactory()
    draft = DraftReferralFactory(created_by=referrer)
    script = (
        "import django; django.setup();"
        "from accounts.models import User; from referrals.models import Referral;"
        "from workflows.referral.intake import referral_submit;"
        f"r = Referral.objects.get(pk={draft.pk});"
        f"referral_submit(user=User.objects.get(pk={referrer.pk}), referral=r,"
        " declaration_confirmed=True)"
    )
    submitted = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=worker_env(DEAD_BROKER),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert submitted.returncode == 0, submitted.stderr[-2000:]

    referral = Referral.objects.get(pk=draft.pk)
    assert referral.status == ReferralStatus.IN_PROGRESS and referral.reference
    receipt = Notification.objects.get(kind="referral_receipt", case_reference=referral.reference)
    assert receipt.status == Notification.Status.PENDING  # the broker was down: it waited

    assert notifications_resend_pending(older_than_seconds=0) >= 1  # the broker is back
    wait_until(lambda: Notification.objects.get(pk=receipt.pk).status == "sent")
    assert messages_in(celery_mail_dir, referral.reference) >= 1
    assert messages_in(celery_mail_dir, f"Prevent referral received: {referral.reference}") == 1
