from celery import shared_task

from . import webhook_services


@shared_task
def webhook_deliver(delivery_id: int) -> bool:
    return webhook_services.webhook_deliver(delivery_id=delivery_id)


@shared_task
def webhooks_resend_pending() -> int:
    return webhook_services.webhooks_resend_pending()
