"""Every refused request for a case object (or the audit trail) is recorded, whichever page
or endpoint refused it.

A case page, task page, document, Channel page, meeting, intervention, complaint page or API
endpoint refuses in many ways: `Http404` from a lookup narrowed to what the user may see,
`PermissionDenied`, the API's handler turning a refusal into 404, a form's 403. All of them end
as a 403 or 404 response to a URL that names the object, so the rule is kept here, once: the
response's status and the URL's parameters say who was refused what. `CASE_OBJECT_PARAMETERS`
declares which URL parameters name a case object (tests/compliance/test_refused_access.py
fails if a URL takes a parameter declared in neither table, so a new page cannot be missed).
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from config.task_ids import task_pk

from .services import access_refused

logger = logging.getLogger(__name__)

REFUSED = (403, 404)

# URL parameter -> the kind of case object it names.
CASE_OBJECT_PARAMETERS = {
    "public_id": "referral",
    "attachment_id": "attachment",
    "request_id": "information_request",
    "duplicate_pk": "possible_duplicate",
    "task_pk": "task",
    "meeting_pk": "channel_meeting",
    "intervention_pk": "intervention",
    "reference": "complaint",
    "grant_id": "break_glass_grant",
    "link_request_id": "case_link_request",
}
# The API's router names a task `pk` (its cases and referrals go by `public_id`).
API_OBJECT_PARAMETERS = {"pk": "task"}
# URLs that name no object yet guard one: the audit trail itself, on its pages and the API.
AUDIT_TRAIL_URLS = (
    "compliance:audit",
    "compliance:audit_export",
    "compliance:case_readers",
    "api:audit-event-list",
    "api:audit-event-export",
)
GUARDED_URLS = dict.fromkeys(AUDIT_TRAIL_URLS, ("audit_trail", "events"))
# URL parameters that name no object of their own: a page of an object named beside them.
# The password-reset link's parts name an account, never a case object.
NOT_OBJECT_PARAMETERS = {"slug", "step", "format", "path", "uidb64", "token", "postcode"}


def _object_key(name: str, value, match) -> str:
    """The object's key as the pages name it: an API task id is turned back into the task's
    number, so a refusal on the page and on the API count as the same task."""
    if name == "pk" and "api" in match.namespaces:
        pk = task_pk(str(value))
        return str(pk) if pk is not None else str(value)
    return str(value)


def refused_object(request: HttpRequest) -> tuple[str, str, dict[str, str]] | None:
    """The case object a request asked for: (kind, key, every object the URL names), or None.

    The most specific object (the URL's last) is the one counted: a document of a case is
    counted as that document, with the case beside it.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or "admin" in match.namespaces:
        return None
    if match.view_name in GUARDED_URLS:
        kind, key = GUARDED_URLS[match.view_name]
        return kind, key, {kind: key}
    declared = dict(CASE_OBJECT_PARAMETERS)
    if "api" in match.namespaces:
        declared.update(API_OBJECT_PARAMETERS)
    objects = {
        declared[name]: _object_key(name, value, match)
        for name, value in match.kwargs.items()
        if name in declared
    }
    if not objects:
        return None
    kind = next(reversed(objects))
    return kind, objects[kind], objects


class RefusedAccessMiddleware:
    """Record `access.refused` for a signed-in user's 403 or 404 on a case object's URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in REFUSED:
            self._record(request, response.status_code)
        return response

    def _record(self, request: HttpRequest, status: int) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        target = refused_object(request)
        if target is None:
            return
        kind, key, objects = target
        try:
            access_refused(
                user=user,
                kind=kind,
                key=key,
                method=request.method or "",
                path=request.path,
                status=status,
                objects=objects,
            )
        except Exception:  # the refusal still goes out; the failure to record it is logged
            logger.exception("Could not record a refused request for %s %s", kind, key)
