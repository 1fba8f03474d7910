"""Django's sign-in pages under the accounts: namespace, without password reset when no mail
server is configured.

A reset link that can never arrive would only leave people waiting, so those pages then answer 404.
Django's views redirect to names outside any namespace, so each says where its next page is.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views
from django.urls import path, reverse_lazy

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        views.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path(
        "password_change/done/",
        views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
if settings.KEYSTROKE_PASSWORD_RESET:
    urlpatterns += [
        path(
            "password_reset/",
            views.PasswordResetView.as_view(
                success_url=reverse_lazy("accounts:password_reset_done")
            ),
            name="password_reset",
        ),
        path(
            "password_reset/done/",
            views.PasswordResetDoneView.as_view(),
            name="password_reset_done",
        ),
        path(
            "reset/<uidb64>/<token>/",
            views.PasswordResetConfirmView.as_view(
                success_url=reverse_lazy("accounts:password_reset_complete")
            ),
            name="password_reset_confirm",
        ),
        path(
            "reset/done/",
            views.PasswordResetCompleteView.as_view(),
            name="password_reset_complete",
        ),
    ]
