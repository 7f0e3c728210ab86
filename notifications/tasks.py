from celery import shared_task

from . import services


@shared_task
def notification_deliver(notification_id: int) -> bool:
    return services.notification_deliver(notification_id=notification_id)


@shared_task
def notifications_resend_pending() -> int:
    return services.notifications_resend_pending()


@shared_task
def notifications_alert() -> dict:
    return services.notifications_alert()
