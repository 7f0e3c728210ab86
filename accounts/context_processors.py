"""What the signed-in user's roles and teams put in the navigation and on the home page."""

from django.http import HttpRequest
from django.urls import reverse
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


# Pages for anyone, signed in or not: they look public, with no staff marking, and the
# service name in their header leads to the public start page rather than to signing in.
PUBLIC_PAGES = {
    "compliance:complaint_start",
    "compliance:complaint_public",
    "compliance:complaint_sent",
    "referrals:start",
    "accessibility",
    "privacy",
    "cookies",
}
COMPLAINT_PAGES = {
    "compliance:complaint_start",
    "compliance:complaint_public",
    "compliance:complaint_sent",
}


def page_audience(request: HttpRequest) -> dict:
    """`staff_page`: whether the page shows the OFFICIAL-SENSITIVE classification banner,
    which is for the pages of people signed in to work on cases, never for a public page or
    one shown to someone not (or not yet fully) signed in. `service_url`: where the header's
    service name leads."""
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match else ""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated) and not getattr(
        request, "second_factor_pending", False
    )
    public = name in PUBLIC_PAGES
    if name in COMPLAINT_PAGES or (public and not signed_in):
        service_url = reverse("compliance:complaint_start")
    else:
        service_url = "/"
    return {"staff_page": signed_in and not public, "service_url": service_url}
