"""Every 4xx from the API is an RFC 9457 problem document (`application/problem+json`).

    {"type": "/api/problems/invalid", "title": "Bad Request", "status": 400,
     "detail": "Enter the person's first name", "code": "invalid",
     "errors": {"person.first_name": ["Enter the person's first name"]}}

Business-rule failures (`ApplicationError`) are 400s with the messages the web pages show, by
field (`section.field` for nested documents, `non_field_errors` for the whole request).
Anything not found – missing, or outside the caller's reach – is the one 404 answer
(`config.errors.NOT_FOUND`), so the answer never tells which ids exist.
"""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import (
    NOT_FOUND,
    PROBLEM_CONTENT_TYPE,
    ApplicationError,
    PermissionDenied,
    problem_document,
)


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as `section.field` -> messages."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for key, value in errors.items():
            name = "non_field_errors" if key in ("non_field_errors", "__all__") else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(errors, list) and errors and all(isinstance(e, str) for e in errors):
        return {prefix or "non_field_errors": [str(e) for e in errors]}
    if isinstance(errors, list):
        flat = {}
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}[{index}]"))
        return flat
    return {prefix or "non_field_errors": [str(errors)]}


def problem(
    status_code: int,
    *,
    detail: str,
    code: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict | None = None,
) -> Response:
    """A problem document as the API view's response (config.errors.problem_document)."""
    body = problem_document(status_code, detail=detail, code=code, errors=errors)
    response = Response(body, status=status_code, headers=headers)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def exception_handler(exc, context):
    if isinstance(exc, PermissionDenied | Http404 | exceptions.NotFound):
        return problem(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND, code="not_found")
    if isinstance(exc, ApplicationError):
        return problem(
            status.HTTP_400_BAD_REQUEST, detail=exc.message, code=exc.code, errors=exc.by_field()
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: config.views answers it
    headers = {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.values()))[0]
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
        return problem(
            response.status_code, detail=first, code=code, errors=errors, headers=headers
        )
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    return problem(response.status_code, detail=str(detail), code=str(code), headers=headers)
