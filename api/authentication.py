"""How the API knows who is calling: an organisation's system by bearer token, a person by the
session they signed in to the pages with (and its second factor)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.settings import api_settings

from accounts.permissions import SecondFactorVerified

from .models import ApiToken
from .services import api_scope_refused, api_token_check, api_token_refused, api_token_used

INVALID_TOKEN = "The token is not valid: it may have expired or been revoked."  # noqa: S105  # nosec B105


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer prv_...`. `request.auth` is then the ApiToken; each use is audited."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, raw = header.partition(" ")
        if keyword != self.keyword:
            return None
        token = api_token_check(raw.strip())
        if token is None:
            api_token_refused(raw=raw.strip(), method=request.method, path=request.path)
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        api_token_used(token=token, method=request.method, path=request.path)
        return token.client.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def client_token(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


class ClientScopes(permissions.BasePermission):
    """A token reaches only the endpoints that name one of its client's scopes.

    A view lists what it accepts in `client_scopes` ({action: scope}, or one scope for all);
    a view that names none is for people only, so a token is refused there whatever else it
    holds. Requests made with a session are left to the other permissions.
    """

    message = "This client's token does not have the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        token = client_token(request)
        if token is None:
            return True
        wanted = getattr(view, "client_scopes", None)
        if isinstance(wanted, dict):
            wanted = wanted.get(getattr(view, "action", None))
        if wanted and wanted in token.client.scopes:
            return True
        api_scope_refused(token=token, scope=wanted or "", method=request.method, path=request.path)
        return False


class SecondFactorOrToken(SecondFactorVerified):
    """People must have used their second factor; a client's token is its own proof."""

    def has_permission(self, request, view) -> bool:
        return client_token(request) is not None or super().has_permission(request, view)


class _RateFromSettings:
    """The rate read from the settings on each request (DRF reads them once, at import), so
    a deployment's and a test's own rates apply."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class ClientRateThrottle(_RateFromSettings, throttling.SimpleRateThrottle):
    """Requests per API client (all its tokens together), on the shared cache."""

    scope = "client"

    def get_cache_key(self, request, view):
        token = client_token(request)
        return (
            None
            if token is None
            else self.cache_format
            % {
                "scope": self.scope,
                "ident": token.client.public_id,
            }
        )


class PersonRateThrottle(_RateFromSettings, throttling.UserRateThrottle):
    """Requests per signed-in person (and per address for anonymous requests)."""

    def get_cache_key(self, request, view):
        return None if client_token(request) is not None else super().get_cache_key(request, view)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes a client's token (drf-spectacular finds it by its target)."""

    target_class = ApiTokenAuthentication
    name = "clientToken"

    def get_security_definition(self, auto_schema) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "prv_<key id>_<secret>",
            "description": "An API client's token, issued to an organisation's system.",
        }
