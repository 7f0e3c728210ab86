"""Scheduled work of the Standards and Compliance Unit. Each task is thin: it calls a service."""

from celery import shared_task

from workflows.complaint.services import complaints_mark_overdue as mark_complaints_overdue

from .audit import audit_checkpoint_record, audit_seal
from .services import break_glass_revoke_expired as revoke_expired_grants


@shared_task(ignore_result=True)
def audit_seal_pending() -> int:
    """Seal committed audit events into the chain (queued after each commit, and by beat)."""
    return audit_seal()


@shared_task
def audit_verify_checkpoint() -> dict:
    checkpoint = audit_checkpoint_record()
    return {"ok": checkpoint.ok, "checked": checkpoint.events_checked}


@shared_task
def break_glass_revoke_expired() -> int:
    """Remove the case permission of every break-glass grant whose time is up."""
    return revoke_expired_grants()


@shared_task
def complaints_mark_overdue() -> int:
    """Mark complaints past their acknowledgement or response date and tell the unit."""
    return mark_complaints_overdue()
