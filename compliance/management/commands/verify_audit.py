from django.core.management.base import BaseCommand, CommandError

from compliance.audit import audit_verify


class Command(BaseCommand):
    help = (
        "Walk the audit hash chain from the first event (or, with --since-checkpoint, from the "
        "newest trusted checkpoint) and report the first broken link."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Verify only the events sealed after the newest checkpoint whose MAC verifies.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes to verify in (default: one per core for long chains on PostgreSQL).",
        )

    def handle(self, *args, **options):
        result = audit_verify(
            since_checkpoint=options["since_checkpoint"], workers=options["workers"]
        )
        if not result.ok:
            raise CommandError(
                f"Audit chain BROKEN after {result.checked} good events. {result.problem}"
            )
        since = " since the last checkpoint" if options["since_checkpoint"] else ""
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {result.checked} events verified{since}.")
        )
