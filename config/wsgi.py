"""WSGI entry point: `gunicorn config.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A web process: its database connections get the statement timeout (config/settings.py).
os.environ.setdefault("COMMONPURSE_WEB_PROCESS", "1")
application = get_wsgi_application()
