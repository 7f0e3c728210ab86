from django.core.management.base import BaseCommand

from regions.services import regions_load


class Command(BaseCommand):
    help = "Load or refresh CT regions, police force areas, local authorities and their teams."

    def handle(self, *args, **options):
        counts = regions_load()
        self.stdout.write(
            self.style.SUCCESS(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        )
