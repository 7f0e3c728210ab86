"""GOV.UK components shared by every page of the service."""

from django import template

register = template.Library()


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def govuk_pagination(context, page, label: str = "Pagination") -> dict:
    """GOV.UK pagination for a Django Page, keeping the rest of the query string.

    The numbers shown are elided around the current page, so a list of a million rows costs
    the same as a list of a hundred.
    """
    numbers = []
    if page.paginator.num_pages > 1:
        numbers = list(page.paginator.get_elided_page_range(page.number, on_each_side=2))
    return {
        "request": context.get("request"),
        "page": page,
        "label": label,
        "numbers": numbers,
        "ellipsis": page.paginator.ELLIPSIS,
    }


@register.inclusion_tag("includes/keyset_pagination.html", takes_context=True)
def govuk_keyset_pagination(context, page, noun: str = "events", label: str = "Pagination") -> dict:
    """Newer and older links for a config.pagination.KeysetPage, keeping the query string."""
    return {"request": context.get("request"), "page": page, "noun": noun, "label": label}
