"""URLs of the Channel pages, the providers' pages and the deadline pages.

Included at the site root: the deadline pages are sub-paths of `/tasks/<task>/` and
`/cases/<case>/`, whose own pages live in workflows/urls.py.
"""

from django.urls import path

from . import channel_views as views

app_name = "channel"

urlpatterns = [
    path("channel/", views.panel_home, name="home"),
    path("channel/meetings/new/", views.meeting_create, name="meeting_create"),
    path("channel/meetings/<int:meeting_pk>/", views.meeting_detail, name="meeting"),
    path("channel/tasks/<int:task_pk>/", views.channel_task, name="task"),
    path(
        "channel/cases/<uuid:public_id>/withdraw-consent/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path(
        "channel/cases/<uuid:public_id>/interventions/new/",
        views.intervention_add,
        name="intervention_add",
    ),
    path("channel/interventions/", views.provider_interventions, name="interventions"),
    path(
        "channel/interventions/<int:intervention_pk>/sessions/new/",
        views.session_record,
        name="session",
    ),
    path("tasks/<int:task_pk>/pause/", views.task_pause, name="pause"),
    path("tasks/<int:task_pk>/resume/", views.task_resume, name="resume"),
    path("cases/<uuid:public_id>/ask-referrer/", views.ask_referrer, name="ask_referrer"),
]
