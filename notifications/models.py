import uuid

from django.db import models


class Notification(models.Model):
    """An email in the outbox.

    Written in the same transaction as the change that causes it, so it exists if and only if
    the change committed; delivered afterwards by Celery, and re-sent by a periodic job if the
    broker was down. `dedupe_key` makes queueing the same notice twice a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed, will retry"
        ABANDONED = "abandoned", "Gave up"

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
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {', '.join(self.to)} ({self.status})"
