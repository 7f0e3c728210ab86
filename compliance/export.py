"""The audit trail as CSV, one file shape for the explorer's export and the API's.

Rows are streamed straight from a database cursor, oldest first, so memory use does not grow
with the number of events; a cell a spreadsheet would run as a formula is quoted.
"""

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .models import AuditEvent

EXPORT_COLUMNS = [
    ("id", "Event"),
    ("sequence", "Place in the chain"),
    ("occurred_at", "When (UTC)"),
    ("actor_email", "Person acting"),
    ("actor_role", "Role"),
    ("team", "Team"),
    ("action", "Action"),
    ("case_reference", "Case or complaint reference"),
    ("object_type", "Object type"),
    ("object_id", "Object"),
    ("reason", "Reason"),
    ("detail", "Detail"),
    ("refused_access__count", "Times refused in the hour"),
    ("hash", "Hash"),
]
EXPORT_BATCH = 500
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = json.dumps(value, sort_keys=True)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_START) else value


def audit_csv_lines(queryset: QuerySet[AuditEvent]) -> Iterator[str]:
    """The header, then the events in batches of lines, in the queryset's order."""
    writer = csv.writer(_Echo())
    yield writer.writerow([label for _, label in EXPORT_COLUMNS])
    rows = queryset.values_list(*[name for name, _ in EXPORT_COLUMNS]).iterator(chunk_size=2000)
    batch = []
    for row in rows:
        batch.append(writer.writerow([_cell(value) for value in row]))
        if len(batch) >= EXPORT_BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def audit_csv_response(queryset: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """The events, oldest first, as a CSV download that no cache keeps."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        audit_csv_lines(queryset.order_by("pk")), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response
