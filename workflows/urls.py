"""URLs of the referral pages, included at the site root.

The Channel pages and the deadline pages (pausing a task's clock, asking the referrer) are
in workflows/channel_urls.py; some of them are sub-paths of the pages here.
"""

from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_pk>/", views.task_page, name="task"),
    path("tasks/<int:task_pk>/claim/", views.task_claim, name="claim"),
    path("tasks/<int:task_pk>/unclaim/", views.task_unclaim, name="unclaim"),
    path("queue/", views.queue, name="queue"),
    path("queue/assign/", views.queue_assign, name="assign"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/deconfliction/", views.case_deconfliction, name="deconfliction"),
    path("cases/<uuid:public_id>/notes/new/", views.case_note, name="note"),
    path(
        "cases/<uuid:public_id>/initial-discussion/",
        views.case_initial_discussion,
        name="initial_discussion",
    ),
    path(
        "cases/<uuid:public_id>/home-visit-risk-assessment/",
        views.case_home_visit_assessment,
        name="home_visit_assessment",
    ),
    path("cases/<uuid:public_id>/home-visit/", views.case_home_visit, name="home_visit"),
    path("cases/<uuid:public_id>/transfer/", views.case_transfer, name="transfer"),
    path(
        "cases/<uuid:public_id>/possible-duplicates/<int:duplicate_pk>/",
        views.case_duplicate,
        name="duplicate",
    ),
]
