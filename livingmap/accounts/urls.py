"""Pages of the accounts app: /account/…, claiming and editing under /assets/…, /moderation/…,
/officers/…."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account_home, name="account_home"),
    path("account/sign-up/", views.signup, name="account_signup"),
    path("account/sign-up/check-your-email/", views.signup_done, name="account_signup_done"),
    path(
        "account/sign-up/send-the-link-again/",
        views.resend_confirmation,
        name="account_resend_confirmation",
    ),
    path(
        "account/sign-up/send-the-link-again/sent/",
        views.resend_confirmation_done,
        name="account_resend_confirmation_done",
    ),
    path("account/confirm-email/<str:token>/", views.verify_email, name="account_verify"),
    path("account/sign-in/", views.login_view, name="account_login"),
    path("account/sign-out/", views.logout_view, name="account_logout"),
    path("account/two-factor/", views.two_factor, name="account_two_factor"),
    path("account/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("account/my-data/", views.my_data, name="account_my_data"),
    path("account/my-data/download/", views.my_data_download, name="account_my_data_download"),
    path("account/my-data/erase/", views.my_data_erase, name="account_erase"),
    path("account/gifts-and-skills/add/", views.personal_add, name="personal_add"),
    path("account/gifts-and-skills/<int:pk>/", views.personal_view, name="personal_view"),
    path(
        "account/gifts-and-skills/<int:pk>/consent/",
        views.personal_consent,
        name="personal_consent",
    ),
    path("connectors/gifts-and-skills/", views.personal_list, name="personal_list"),
    path("assets/add/", views.asset_add, name="asset_add"),
    path("assets/suggest/", views.asset_suggest_new, name="asset_suggest_new"),
    path("assets/suggest/sent/", views.asset_suggest_done, name="asset_suggest_new_done"),
    path("assets/<uuid:uuid>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<uuid:uuid>/claim/", views.asset_claim, name="asset_claim"),
    path("assets/<uuid:uuid>/suggest/", views.asset_suggest, name="asset_suggest"),
    path("assets/<uuid:uuid>/suggest/sent/", views.asset_suggest_done, name="asset_suggest_done"),
    path("assets/<uuid:uuid>/history/", views.asset_history, name="asset_history"),
    path("assets/<uuid:uuid>/history/<int:pk>/revert/", views.asset_revert, name="asset_revert"),
    path("assets/<uuid:uuid>/still-correct/", views.asset_verify, name="asset_verify"),
    path("still-correct/<str:token>/", views.still_correct, name="still_correct"),
    path("moderation/", views.moderation_queue, name="moderation_queue"),
    path(
        "moderation/suggestions/<int:pk>/",
        views.moderation_suggestion,
        name="moderation_suggestion",
    ),
    path("moderation/claims/<int:pk>/", views.moderation_claim, name="moderation_claim"),
    path("officers/freshness/", views.officer_freshness, name="officer_freshness"),
    path("officers/background-jobs/", views.officer_jobs, name="officer_jobs"),
]
