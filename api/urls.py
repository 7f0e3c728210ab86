from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import audit, complaints, intake, reference, unit_complaints, views, webhooks

app_name = "api"

router = DefaultRouter()
router.register("referrals", intake.ReferralViewSet, basename="referral")
router.register("my-referrals", views.MyReferralViewSet, basename="my-referral")
router.register("cases", views.CaseViewSet, basename="case")
router.register("tasks", views.TaskViewSet, basename="task")
# Reference data, the audit trail, complaints (api/reference.py, api/audit.py, api/complaints.py)
router.register("regions", reference.RegionViewSet, basename="region")
router.register("police-force-areas", reference.PoliceForceAreaViewSet, basename="police-force")
router.register("local-authorities", reference.LocalAuthorityViewSet, basename="local-authority")
router.register("postcodes", reference.PostcodeViewSet, basename="postcode")
router.register("audit-events", audit.AuditEventViewSet, basename="audit-event")
router.register("unit-complaints", unit_complaints.UnitComplaintViewSet, basename="unit-complaint")
# An organisation's system's webhooks for its own referrals (api/webhooks.py)
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    path(
        "v1/audit-events/export.csv",
        audit.AuditEventExport.as_view(),
        name="audit-event-export",
    ),
    path("v1/complaints/", complaints.ComplaintCreate.as_view(), name="complaint-create"),
    path("v1/uploads/", intake.UploadCreate.as_view(), name="upload-create"),
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
