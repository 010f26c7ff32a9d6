"""Settings for the test suite: production settings (DEBUG off) with a test-only secret key.

The key is set in the environment before the settings load, so subprocesses the tests start
(manage.py, a Celery worker) inherit it; a real DJANGO_SECRET_KEY in the environment wins.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "not-for-production-" * 3)
os.environ.setdefault(
    "COMMONPURSE_RECEIPT_KEY", "test-only-receipt-key-" + "not-for-production-" * 3
)

from .settings import *  # noqa: E402, F403
