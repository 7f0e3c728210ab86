"""The site's answers to a missing page and to a request that cannot be read.

Under `/api/` they are JSON, as every other API answer is; elsewhere the GOV.UK pages. A missing
object and one outside the user's reach get the same answer (`NOT_FOUND`), so a 404 never tells
which ids exist.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from .errors import NOT_FOUND
from .middleware import bad_request, is_api


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)


UNREADABLE_MESSAGE = (
    "What was sent could not be read: it may be too large or badly formed. Check it and try again."
)


def request_not_readable(request: HttpRequest, exception=None) -> HttpResponse:
    """Django's 400 (a body too large, a malformed upload, a suspicious request)."""
    return bad_request(request, UNREADABLE_MESSAGE)
