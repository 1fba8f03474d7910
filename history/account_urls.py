"""Django's sign-in pages, without password reset when no mail server is configured.

A reset link that can never arrive would only leave people waiting, so those pages then answer 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import urls as auth_urls

urlpatterns = [
    pattern
    for pattern in auth_urls.urlpatterns
    if settings.KEYSTROKE_PASSWORD_RESET
    or not (getattr(pattern, "name", "") or "").startswith("password_reset")
]
