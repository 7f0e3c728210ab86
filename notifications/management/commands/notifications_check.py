"""`manage.py notifications_check`: the outbox alert on demand, for cron or a monitoring probe.

Prints the counts, logs an error and emails the administrators when something needs a person
(as the beat job does), and exits with status 1 then, so a monitoring system can act on it.
"""

from django.core.management.base import BaseCommand

from notifications.services import notifications_alert


class Command(BaseCommand):
    help = "Report failed and to-check notifications and a stuck outbox; exit 1 if any."

    def handle(self, *args, **options) -> None:
        problems = notifications_alert()
        self.stdout.write(
            f"failed: {problems['failed']}, to check: {problems['check']}, "
            f"oldest due waited: {problems['oldest_pending_seconds']}s"
        )
        if problems["alerted"]:
            raise SystemExit(1)
