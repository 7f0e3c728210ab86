"""URLs of the complaint forms (open to everyone) and the unit's pages. Included at the root."""

from django.urls import path

from .views import audit, complaints, public

app_name = "compliance"

urlpatterns = [
    # Anyone: making a complaint
    path("complaints/", public.start, name="complaint_start"),
    path("complaints/new/", public.complaint_public, name="complaint_public"),
    path("complaints/practitioner/", public.complaint_practitioner, name="complaint_practitioner"),
    path("complaints/sent/", public.complaint_sent, name="complaint_sent"),
    # The Standards and Compliance Unit
    path("compliance/", complaints.home, name="home"),
    path("compliance/complaints/<str:reference>/", complaints.complaint_detail, name="complaint"),
    path(
        "compliance/complaints/<str:reference>/<slug:step>/",
        complaints.complaint_step,
        name="complaint_step",
    ),
    path(
        "compliance/cases/<uuid:public_id>/break-glass/",
        complaints.break_glass,
        name="break_glass",
    ),
    path("compliance/your-access/", complaints.my_access, name="my_access"),
    path(
        "compliance/your-access/<uuid:grant_id>/end/",
        complaints.break_glass_finish,
        name="break_glass_end",
    ),
    path("compliance/audit/", audit.explorer, name="audit"),
    path("compliance/audit/export.csv", audit.export, name="audit_export"),
    path("compliance/audit/who-has-seen/", audit.case_readers, name="case_readers"),
    path("compliance/audit/verify/", audit.verify_now, name="audit_verify"),
    path("compliance/figures/", audit.figures, name="figures"),
]
