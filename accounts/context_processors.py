"""What the signed-in user's roles and teams put in the navigation and on the home page."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .roles import Role

TEAM_GROUP_PREFIX = "team:"  # groups that mirror a team's membership (regions.services)
PANEL_GROUP_PREFIX = f"{TEAM_GROUP_PREFIX}channel_panel:"


def _navigation(user) -> dict[str, bool]:
    if not (user and user.is_authenticated):
        return {}
    names = set(user.groups.values_list("name", flat=True))
    return {
        "referrer": Role.REFERRER.value in names,
        "tasks": any(name.startswith(TEAM_GROUP_PREFIX) for name in names),
        "adviser": Role.REGIONAL_ADVISER.value in names,
        "channel_panel": any(name.startswith(PANEL_GROUP_PREFIX) for name in names),
        "provider": Role.INTERVENTION_PROVIDER.value in names,
        "compliance": Role.COMPLIANCE.value in names,
    }


def navigation(request: HttpRequest) -> dict:
    """`nav`: one query for the user's groups, made only if a page shows the navigation.

    A session still owing its second factor gets none (`pending`): it may only finish signing
    in or sign out (accounts.middleware.SecondFactorMiddleware).
    """
    user = getattr(request, "user", None)
    if getattr(request, "second_factor_pending", None):
        return {"nav": {"pending": True}}
    return {"nav": SimpleLazyObject(lambda: _navigation(user))}
