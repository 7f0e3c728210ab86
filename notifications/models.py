import uuid

from django.db import models


class Notification(models.Model):
    """An email in the outbox.

    Written in the same transaction as the change that causes it, so it exists if and only if
    the change committed; delivered afterwards by Celery, and re-sent by a periodic job if the
    broker was down. `dedupe_key` makes queueing the same notice twice a no-op.

    Each recipient is sent to at most once: the send is claimed ("sending", committed) before
    the provider is called and recorded in its own transaction after it answers, so a send
    whose outcome is unknown (the worker died in between) is never repeated blindly: it waits
    in "check" until the provider's records or a person say whether it went.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        CHECK = "check", "Check before resending"
        FAILED = "failed", "Failed: not sent"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=50, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(default=list)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    case_reference = models.CharField(max_length=32, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    delivered_to = models.JSONField(
        default=list, help_text="Recipients already sent to: a retry never sends to them again"
    )
    sending_to = models.CharField(
        max_length=254, blank=True, help_text="The recipient whose send is claimed or in doubt"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="A failed send is tried again from this time"
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)} ({self.status})"

    def reference_for(self, address: str) -> str:
        """The provider's reference for one recipient's copy: the key that finds it later."""
        return f"{self.public_id}-{self.to.index(address)}"
