"""URLs of the case pages and of every task's page, included at the site root.

A task's page, claiming, and its clock are the engine's views; the Channel pages are in
workflows/channel/urls.py.
"""

from django.urls import path

from ..engine import views as engine_views
from . import views

app_name = "workflows"

urlpatterns = [
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<id:task_pk>/", engine_views.task_page, name="task"),
    path("tasks/<id:task_pk>/claim/", engine_views.task_claim, name="claim"),
    path("tasks/<id:task_pk>/unclaim/", engine_views.task_unclaim, name="unclaim"),
    path("tasks/<id:task_pk>/pause/", engine_views.task_pause, name="pause"),
    path("tasks/<id:task_pk>/resume/", engine_views.task_resume, name="resume"),
    path("queue/", views.queue, name="queue"),
    path("queue/assign/", views.queue_assign, name="assign"),
    path("cases/<uuid:public_id>/", views.case_detail, name="case"),
    path("cases/<uuid:public_id>/deconfliction/", views.case_deconfliction, name="deconfliction"),
    path("cases/<uuid:public_id>/share/", views.case_share, name="share"),
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
    path("cases/<uuid:public_id>/ask-referrer/", engine_views.ask_referrer, name="ask_referrer"),
    path(
        "cases/<uuid:public_id>/possible-duplicates/<id:duplicate_pk>/",
        views.case_duplicate,
        name="duplicate",
    ),
]
