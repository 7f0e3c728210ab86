"""Sign-in and account pages, at the root (LOGIN_URL is "login")."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/code/", views.second_factor, name="second_factor"),
    path("sign-in/set-up/", views.second_factor_set_up, name="second_factor_set_up"),
    path("sign-in/backup-codes/", views.backup_codes, name="backup_codes"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("account/backup-codes/", views.backup_codes_new, name="backup_codes_new"),
    path("account/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.password_reset_complete_page,
        name="password_reset_complete",
    ),
    path("healthz", views.healthz, name="healthz"),
]
