"""Pages of a list that only grows (the audit trail), by keyset: each page is found from the
ids at its edges, never by counting every row or skipping past millions with OFFSET.

A page is asked for as the rows just older than an id (`?before=`) or just newer than one
(`?after=`); the first page is the newest. Three queries whatever the list's length: the page
itself (one row more than it shows, to know whether there is an older page), whether anything
is newer than it, and a count that stops at COUNT_LIMIT ("more than 1,000 events").
"""

from dataclasses import dataclass

from django.db.models import QuerySet

COUNT_LIMIT = 1000
_MAX_ID_DIGITS = 18  # a bigint: longer is not an id of ours


@dataclass
class KeysetPage:
    object_list: list
    newer: int | None  # the id to ask `after` for the page before this one, if any
    older: int | None  # the id to ask `before` for the page after this one, if any
    total: int  # the matching rows, counted up to COUNT_LIMIT + 1

    @property
    def more_than_limit(self) -> bool:
        return self.total > COUNT_LIMIT

    @property
    def has_other_pages(self) -> bool:
        return self.newer is not None or self.older is not None


def _cursor(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= _MAX_ID_DIGITS else None


def keyset_page(queryset: QuerySet, *, before=None, after=None, size: int = 50) -> KeysetPage:
    """A page of `queryset`, newest (highest id) first, from the query's `before`/`after`."""
    before, after = _cursor(before), _cursor(after)
    if after is not None and before is None:
        rows = list(queryset.filter(pk__gt=after).order_by("pk")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = bool(rows) and queryset.filter(pk__lt=rows[-1].pk).exists()
    else:
        newest_first = queryset.order_by("-pk")
        if before is not None:
            newest_first = newest_first.filter(pk__lt=before)
        rows = list(newest_first[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = (
            before is not None and bool(rows) and queryset.filter(pk__gt=rows[0].pk).exists()
        )
    total = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return KeysetPage(
        object_list=rows,
        newer=rows[0].pk if has_newer else None,
        older=rows[-1].pk if has_older else None,
        total=total,
    )
