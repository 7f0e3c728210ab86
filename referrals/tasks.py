"""Scheduled work on referrals. Each task is thin: it calls a service."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .services import uploads_expire


@shared_task(ignore_result=True)
def uploads_expire_unused() -> int:
    """Delete supporting documents sent through the API that no referral named in time."""
    return uploads_expire(older_than=timedelta(hours=settings.UPLOAD_RETENTION_HOURS))
