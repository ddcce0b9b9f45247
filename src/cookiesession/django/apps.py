"""``INSTALLED_APPS = [..., "cookiesession.django"]``: check ``COOKIESESSION`` at start-up."""

from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings


class CookieSessionConfig(AppConfig):  # type: ignore[misc]  # Django has no type hints
    name = "cookiesession.django"
    label = "cookiesession"
    verbose_name = "cookiesession"

    def ready(self) -> None:
        # A wrong COOKIESESSION stops every manage.py command and the server at
        # start-up (ImproperlyConfigured naming the setting), not the first request.
        if settings.SESSION_ENGINE == "cookiesession.django":
            from ._config import session_factory

            session_factory()
