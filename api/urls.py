from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import intake, views

app_name = "api"

router = DefaultRouter()
router.register("referrals", intake.ReferralViewSet, basename="referral")
router.register("my-referrals", views.MyReferralViewSet, basename="my-referral")
router.register("cases", views.CaseViewSet, basename="case")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("v1/", include(router.urls)),
    # Both refuse anyone not signed in (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]): the schema
    # answers 403, the docs page sends a person to sign in. The split view serves Swagger UI's
    # start-up script from its own URL (?script), so the page needs no inline script.
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
]
