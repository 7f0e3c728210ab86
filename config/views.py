"""The site's answers to a missing page and to a request that cannot be read; and the pages
every footer links to (accessibility statement, privacy notice, cookies), open to everyone.

Under `/api/` they are JSON, as every other API answer is; elsewhere the GOV.UK pages. A missing
object and one outside the user's reach get the same answer (`NOT_FOUND`), so a 404 never tells
which ids exist.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.http import require_GET

from .errors import NOT_FOUND, PROBLEM_CONTENT_TYPE, problem_document
from .middleware import bad_request, is_api


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if is_api(request):
        return JsonResponse(
            problem_document(404, detail=NOT_FOUND, code="not_found"),
            status=404,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    return defaults.page_not_found(request, exception)


UNREADABLE_MESSAGE = (
    "What was sent could not be read: it may be too large or badly formed. Check it and try again."
)


def request_not_readable(request: HttpRequest, exception=None) -> HttpResponse:
    """Django's 400 (a body too large, a malformed upload, a suspicious request)."""
    return bad_request(request, UNREADABLE_MESSAGE)


logger = logging.getLogger(__name__)
SERVER_ERROR_MESSAGE = "Sorry, there is a problem with the service."
UNAVAILABLE_MESSAGE = "The service is unavailable for a moment. Try again in a minute."
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500. When the database could not be reached (restarting, failing over, out of
    connections) the answer is a 503 with Retry-After instead: nothing was half-written, since
    the request's transaction never committed, and trying again is the right thing to do.
    Rendered without the request's context, as Django's own 500 is: nothing here may need the
    database."""
    failure = sys.exc_info()[1]
    unavailable = isinstance(failure, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if is_api(request):
        detail = (
            UNAVAILABLE_MESSAGE if unavailable else "Sorry, there is a problem with the service."
        )
        response = JsonResponse({"detail": detail}, status=status)
    else:
        template = loader.get_template("503.html" if unavailable else "500.html")
        response = HttpResponse(template.render(), status=status)
    if unavailable:
        logger.warning("Database unavailable: %s: %s", type(failure).__name__, failure)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _public_page(template: str):
    @require_GET
    def view(request: HttpRequest) -> HttpResponse:
        return render(
            request,
            template,
            {
                "support_email": settings.SUPPORT_EMAIL,
                "session_hours": settings.SESSION_COOKIE_AGE // 3600,
                "idle_minutes": settings.SESSION_IDLE_TIMEOUT,
            },
        )

    return view


accessibility = _public_page("pages/accessibility.html")
privacy = _public_page("pages/privacy.html")
cookies = _public_page("pages/cookies.html")
