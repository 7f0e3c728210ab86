"""Bad input is refused at the door: a request carrying control characters never reaches a view.

A NUL byte cannot be stored in a PostgreSQL text column (the database raises, and the user
would see a 500), and no other control character belongs in an address or an answer. So a
request is answered 400 – the GOV.UK "there is a problem" page, or JSON under `/api/` – when:

* its path holds any control character (U+0000–U+001F or U+007F);
* its query string, or a form body (URL-encoded or multipart, field names and values; files
  are left to the upload checks), holds a control character other than tab, CR and LF;
* a JSON body holds such a character, or half of a UTF-16 surrogate pair (`"\\ud800"`), in
  any key or string.

Everything else is for the forms to judge.
"""

import json
import re
from collections.abc import Callable, Iterable, Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .errors import PROBLEM_CONTENT_TYPE, problem_document

PATH_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")
BAD_REQUEST_MESSAGE = (
    "The address or the answers sent contain characters that cannot be accepted, such as "
    "invisible control characters. Remove them and try again."
)


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request: HttpRequest, message: str = BAD_REQUEST_MESSAGE) -> HttpResponse:
    """The one answer to input that cannot be read: JSON for the API, a GOV.UK page otherwise."""
    if is_api(request):
        return JsonResponse(
            problem_document(400, detail=message, code="bad_request"),
            status=400,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    return render(request, "400.html", {"message": message}, status=400)


def _strings(value) -> Iterator[str]:
    """Every key and string inside a parsed JSON document."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _form_strings(query) -> Iterable[str]:
    for key, values in query.lists():
        yield key
        yield from (v for v in values if isinstance(v, str))


def _body_strings(request: HttpRequest) -> Iterable[str]:
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return ()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _form_strings(request.POST)
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return _strings(json.loads(request.body or b"null"))
        except (ValueError, UnicodeDecodeError):
            return ()  # unreadable JSON: the API's own parser answers 400
    return ()


class RefuseControlCharactersMiddleware:
    """Answers 400 to a request whose path, query string or body carries control characters."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if PATH_CONTROL_RE.search(request.path_info) or PATH_CONTROL_RE.search(request.path):
            return bad_request(request)
        for text in (*_form_strings(request.GET), *_body_strings(request)):
            if TEXT_CONTROL_RE.search(text):
                return bad_request(request)
        return self.get_response(request)
