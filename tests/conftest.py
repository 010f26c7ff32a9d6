"""Shared fixtures. Celery runs tasks inline in tests unless a test starts a real worker."""

from __future__ import annotations

import time

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client

from config.celery import app as celery_app


def _record_authentication(client, user, method: str, **extra) -> None:
    """Write an allauth authentication record into the client's session."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.account.internal.userkit import user_id_to_str

    session = client.session
    records = list(session.get(AUTHENTICATION_METHODS_SESSION_KEY) or [])
    records.append({"method": method, "at": time.time(), **extra})
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()


_original_force_login = Client.force_login


def _force_login_as_allauth_would(self, user, backend=None):
    """force_login, recording the authentication methods allauth's login would record.

    Production mirrors this: allauth's login always runs the MFA stage for a user who owns an
    authenticator, so every signed-in session of such a user has passed a second factor. A
    test of a password-only session uses the `password_only_login` fixture instead.
    """
    from allauth.mfa.models import Authenticator

    _original_force_login(self, user, backend)
    _record_authentication(self, user, "password", email=user.email)
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        _record_authentication(self, user, "mfa", id=totp.pk, type=totp.type)


@pytest.fixture(autouse=True, scope="session")
def _force_login_passes_mfa():
    # Not the `monkeypatch` fixture: a test calling monkeypatch.undo() would undo this too.
    Client.force_login = _force_login_as_allauth_would
    yield
    Client.force_login = _original_force_login


@pytest.fixture
def password_only_login():
    """password_only_login(client, user): a session that passed the password and nothing
    else, whether or not the user owns an authenticator (what Django's admin login gave)."""

    def _login(client, user) -> None:
        _original_force_login(client, user)
        _record_authentication(client, user, "password", email=user.email)

    return _login


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    # Rate-limit history and used TOTP codes live in the cache, keyed by user ids that
    # later tests reuse: start each test with an empty cache.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing is not under test: full-strength PBKDF2 costs ~0.3 s per factory-made user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests speak plain HTTP to the test client and do not run collectstatic.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db):
    """make_user(email=..., verified=True) -> a user with the demo password."""
    from django.contrib.auth import get_user_model

    counter = {"n": 0}

    def _make(email: str | None = None, *, verified: bool = True, **extra):
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.org"
        user = get_user_model().objects.create_user(email=email, password="pw-Secret-123", **extra)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return _make
