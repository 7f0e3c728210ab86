"""Every API list is paged by cursor: each page is found from the key at its edge, never by
counting the rows or skipping past them with OFFSET, so a page costs the same few queries
however long the list grows, and rows added meanwhile never shift a page.

A view names the key its list is ordered by (`cursor_ordering`): unique, indexed and never
changed once written (an id, an official code), so a cursor always points at one place.
"""

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Pages of 50 by default (`page_size` up to 200), with `next` and `previous` links."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", self.ordering)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)
