"""ASGI entry point (request bodies capped before Django reads them)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web process: its database connections get the statement timeout (config/settings.py).
os.environ.setdefault("COMMONPURSE_WEB_PROCESS", "1")
django_application = get_asgi_application()

from config.middleware import asgi_body_limit  # noqa: E402

application = asgi_body_limit(django_application)
