"""URLs of the complaint forms (open to everyone) and the unit's pages. Included at the root.

The complaint pages are the complaint process's (workflows/complaint/views/); the audit
explorer, break-glass access and the second officer's approvals are the unit's own.
"""

from django.urls import path

from workflows.complaint.views import public
from workflows.complaint.views import unit as complaints

from .views import approvals, audit, break_glass

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
        break_glass.break_glass,
        name="break_glass",
    ),
    path("compliance/your-access/", break_glass.my_access, name="my_access"),
    path(
        "compliance/your-access/<uuid:grant_id>/end/",
        break_glass.break_glass_finish,
        name="break_glass_end",
    ),
    path(
        "compliance/your-access/<uuid:grant_id>/withdraw/",
        break_glass.break_glass_cancel,
        name="break_glass_withdraw",
    ),
    # A second officer decides; the unit's head reviews.
    path("compliance/approvals/", approvals.queue, name="approvals"),
    path(
        "compliance/approvals/break-glass/<uuid:grant_id>/",
        approvals.break_glass_decision,
        name="break_glass_decision",
    ),
    path(
        "compliance/approvals/case-links/<uuid:link_request_id>/",
        approvals.case_link_decision,
        name="case_link_decision",
    ),
    path("compliance/approvals/report/", approvals.report, name="approvals_report"),
    path("compliance/audit/", audit.explorer, name="audit"),
    path("compliance/audit/export.csv", audit.export, name="audit_export"),
    path("compliance/audit/who-has-seen/", audit.case_readers, name="case_readers"),
    path("compliance/audit/verify/", audit.verify_now, name="audit_verify"),
    path("compliance/figures/", audit.figures, name="figures"),
]
