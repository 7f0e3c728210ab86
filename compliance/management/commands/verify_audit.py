from django.core.management.base import BaseCommand, CommandError

from compliance.audit import audit_verify


class Command(BaseCommand):
    help = "Walk the audit hash chain from the first event and report the first broken link."

    def handle(self, *args, **options):
        result = audit_verify()
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN after {result.checked} good events. {result.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.checked} events verified.")
        )
