"""ASGI entry point (request bodies capped before Django reads them)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from config.middleware import asgi_body_limit  # noqa: E402

application = asgi_body_limit(django_application)
