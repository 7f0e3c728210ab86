from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.referral_list, name="list"),
    path("start/", views.start, name="start"),
    path("new/", views.create, name="create"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/continue/", views.resume, name="resume"),
    path("<uuid:public_id>/supporting-documents/", views.attachments, name="attachments"),
    path(
        "<uuid:public_id>/supporting-documents/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<uuid:public_id>/supporting-documents/<uuid:attachment_id>/remove/",
        views.attachment_remove,
        name="attachment_remove",
    ),
    path("<uuid:public_id>/check-your-answers/", views.check_answers, name="check"),
    path("<uuid:public_id>/declaration/", views.declaration, name="declaration"),
    path("<uuid:public_id>/confirmation/", views.confirmation, name="confirmation"),
    path(
        "<uuid:public_id>/questions/<uuid:request_id>/",
        views.information_answer,
        name="answer",
    ),
    path("<uuid:public_id>/<slug:slug>/", views.section, name="section"),
]
