"""URLs of the Channel pages and the providers' pages, included at the site root.

A Channel task is worked on the engine's task page; `/channel/tasks/<task>/` is its address
in the panel's pages, open only to those who may work it.
"""

from django.urls import path

from . import views

app_name = "channel"

urlpatterns = [
    path("channel/", views.panel_home, name="home"),
    path("channel/meetings/new/", views.meeting_create, name="meeting_create"),
    path("channel/meetings/<id:meeting_pk>/", views.meeting_detail, name="meeting"),
    path("channel/tasks/<id:task_pk>/", views.channel_task, name="task"),
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
        "channel/interventions/<id:intervention_pk>/sessions/new/",
        views.session_record,
        name="session",
    ),
]
