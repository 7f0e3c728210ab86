from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import views
from config.converters import converters_register

converters_register()  # before the `include`s below read the URL configurations that use them

handler400 = "config.views.request_not_readable"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("", include("accounts.urls")),
    # GOV.UK Frontend's stylesheet asks for its fonts and images under /assets/.
    path(
        "assets/<path:path>",
        RedirectView.as_view(
            url=f"{settings.STATIC_URL}govuk-frontend/dist/govuk/assets/%(path)s", permanent=True
        ),
        name="assets",
    ),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("cookies/", views.cookies, name="cookies"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("referrals/", include("referrals.urls")),
    path("", include("workflows.referral.urls")),
    path("", include("workflows.channel.urls")),
    path("", include("compliance.urls")),
]
