from celery import shared_task

from .services import audit_checkpoint_record


@shared_task
def audit_verify_checkpoint() -> dict:
    checkpoint = audit_checkpoint_record()
    return {"ok": checkpoint.ok, "checked": checkpoint.events_checked}


@shared_task
def break_glass_revoke_expired() -> int:
    """Remove the case permission of every break-glass grant whose time is up."""
    from .services import break_glass_revoke_expired as revoke

    return revoke()


@shared_task
def complaints_mark_overdue() -> int:
    """Mark complaints past their acknowledgement or response date and tell the unit."""
    from .complaint_services import complaints_mark_overdue as mark

    return mark()
