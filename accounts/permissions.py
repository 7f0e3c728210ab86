"""The API's side of the second factor: the pages are guarded by SecondFactorMiddleware, the
API (whose views answer JSON, not redirects) by this permission, on every view by default."""

from rest_framework.permissions import BasePermission

from .selectors import second_factor_step


class SecondFactorVerified(BasePermission):
    """Refuses (403) a signed-in user whose session still owes its second factor."""

    message = "Sign in with your second factor before using the API."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return True  # IsAuthenticated, before this, decides about anonymous requests
        return second_factor_step(user) is None
