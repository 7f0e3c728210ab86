"""The one exception type for business-rule failures, carrying one or several field errors.

A service checks everything it can and raises every problem together (`Problems`), so a page
shows them all in the GOV.UK error summary and the API answers 400 with the same messages.
Bad input is never a 500.
"""

from collections.abc import Iterable
from http import HTTPStatus

# The one answer to an object that is missing or outside the user's reach (pages and API).
NOT_FOUND = "Not found."

# Every 4xx from the API is an RFC 9457 problem document (api/exceptions.py), including the
# answers Django gives before any API view runs (config/views.py, config/middleware.py).
PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "/api/problems/"


def problem_document(
    status: int, *, detail: str, code: str, errors: dict[str, list[str]] | None = None
) -> dict:
    """One problem document; `type` names the kind of problem (its code) under /api/problems/."""
    body = {
        "type": f"{PROBLEM_BASE}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


class ApplicationError(Exception):
    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        code: str = "invalid",
        errors: Iterable[tuple[str | None, str]] | None = None,
    ):
        self.errors: list[tuple[str | None, str]] = list(errors or [])
        if message:
            self.errors.insert(0, (field, message))
        if not self.errors:
            raise ValueError("An ApplicationError needs at least one message")
        self.field, self.message = self.errors[0]
        self.code = code
        super().__init__(self.message)

    def by_field(self) -> dict[str, list[str]]:
        """Messages grouped by field; errors about the whole request under `non_field_errors`."""
        grouped: dict[str, list[str]] = {}
        for field, message in self.errors:
            grouped.setdefault(field or "non_field_errors", []).append(message)
        return grouped


class PermissionDenied(ApplicationError):
    """The user may not do this to this object. Views answer 404 where existence is secret."""

    def __init__(self, message: str = "You do not have permission to do that."):
        super().__init__(message, code="permission_denied")


class Problems:
    """Collects a service's findings, so that all of them are raised at once.

    problems = Problems()
    rationale = problems.required(rationale, "rationale", "Give the rationale")
    problems.check(outcome in Outcome.values, "outcome", "Select the outcome")
    problems.raise_any()
    """

    def __init__(self) -> None:
        self.errors: list[tuple[str | None, str]] = []

    def add(self, field: str | None, message: str) -> None:
        self.errors.append((field, message))

    def check(self, ok: bool, field: str | None, message: str) -> bool:
        if not ok:
            self.add(field, message)
        return ok

    def required(self, value, field: str, message: str):
        """The value, stripped if text; records `message` when it is missing or blank."""
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, message)
            return value.strip() if isinstance(value, str) else value
        return value.strip() if isinstance(value, str) else value

    def limit(self, value: str, field: str, label: str, limit: int) -> str:
        if value and len(value) > limit:
            self.add(field, f"{label} must be {limit:,} characters or fewer")
        return value

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise ApplicationError(errors=self.errors)
