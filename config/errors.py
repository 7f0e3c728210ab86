"""The one exception type for business-rule failures.

Web views turn it into the GOV.UK error summary and the API's exception handler into a 400,
so bad input never becomes a 500.
"""


class ApplicationError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(ApplicationError):
    """The user may not do this to this object. Views answer 404 where existence is secret."""

    def __init__(self, message: str = "You do not have permission to do that."):
        super().__init__(message, code="permission_denied")
