"""Settings, read from environment variables only, with safe defaults for one machine.

The embedded default (no variables set) is SQLite in the project folder, Celery tasks run
inline, local-memory cache and email printed to the console. Production sets DATABASE_URL,
REDIS_URL, EMAIL_URL, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and leaves DJANGO_DEBUG unset.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .storage_env import StorageConfigError, storage_choice

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The fallback key is only good for a laptop (DJANGO_DEBUG=1, as `make run` sets). Without
# DEBUG the site refuses to start on it: sessions, password resets and signed links would be
# forgeable by anyone who has read this file. Tests use config.settings_test.
DEVELOPMENT_SECRET_KEY = "django-insecure-local-only-common-purse-development-key"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
if not DEBUG and (not SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set (or is the development key) and DJANGO_DEBUG is off. "
        "Set DJANGO_SECRET_KEY to a long random value in production, or DJANGO_DEBUG=1 on a "
        "laptop."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.admin_apps.SecureAdminConfig",  # django.contrib.admin behind allauth and 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "accounts",
    "audit",
    "outbox",
    "notifications",
    "retention",
    "communities",
    "proposals",
    "voting",
    "funds",
    "prospects",
    "home",
    "privacy",
    "demo",
]

MIDDLEWARE = [
    "config.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.StatementTimeoutMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.request_scope.RequestScopeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "communities.middleware.MfaPromptMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "communities.context_processors.nav",
            ],
            # {% url %} remembering what it reversed (config/template_urls.py).
            "builtins": ["config.template_urls"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# A persistent connection that died (a database restart) is noticed at the next request and
# replaced, instead of failing that request: the site recovers by itself (config.api.server_error
# answers 503 to the requests caught mid-restart).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait for the lock instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

# Web requests on PostgreSQL run with a statement timeout shorter than gunicorn's 30 s worker
# timeout, so no request holds a database core past its own life; a cancelled statement
# answers 503 (config.middleware.StatementTimeoutMiddleware). Only web processes set it
# (config/wsgi.py and asgi.py mark them before the settings load): Celery workers, management
# commands and migrations run unlimited, under their own time limits. 0 turns it off.
DB_STATEMENT_TIMEOUT_MS = env.int("DJANGO_DB_STATEMENT_TIMEOUT_MS", default=20_000)
WEB_PROCESS = os.environ.get("COMMONPURSE_WEB_PROCESS") == "1"
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and WEB_PROCESS
    and DB_STATEMENT_TIMEOUT_MS > 0
):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        _options.get("options", "") + f" -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}"
    ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Fails soft: with Redis down, rate limits and access-code attempts fall back to a
    # per-process memory cache instead of answering 500 (config/cache.py); short timeouts.
    CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Common Purse <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
WHITENOISE_AUTOREFRESH = DEBUG
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Private files on disk (embedded default): beside MEDIA_ROOT, never under it.
PRIVATE_MEDIA_ROOT = env.str("DJANGO_PRIVATE_MEDIA_ROOT", default="") or None
# Uploads: the local disk by default; with DJANGO_STORAGE_URL or AWS_STORAGE_BUCKET_NAME, a public
# and a private S3-compatible bucket (format and options: config/storage_env.py, README).
try:
    STORAGE_CHOICE = storage_choice(os.environ)
except StorageConfigError as exc:
    raise ImproperlyConfigured(f"Storage settings: {exc}") from exc
# Static files stay with the code (whitenoise, hashed names from a manifest in production):
# `collectstatic` runs at install or start, so a web machine needs only code and environment.
STORAGES = {
    "default": STORAGE_CHOICE.default,
    "private": STORAGE_CHOICE.private,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("DJANGO_MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads above this are streamed to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Any request body over this is refused with 413 before it is read (config.middleware):
# the largest legitimate one is a 10 MB photo with its form.
MAX_REQUEST_BODY_BYTES = env.int("DJANGO_MAX_REQUEST_BODY_BYTES", default=12 * 1024 * 1024)

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the username; verification is mandatory before acting.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Common Purse] "
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Sign-up asks for the name shown publicly (accounts.forms.SignupForm).
# and every form a visitor sees says things plainly (accounts.forms).
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
    "reset_password": "accounts.forms.ResetPasswordForm",
    "reset_password_from_key": "accounts.forms.ResetPasswordKeyForm",
}
# Behind a reverse proxy, how many proxies append to X-Forwarded-For: rate limits per IP
# must see the client's address, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # "key" is the (account, IP) pair (accounts.adapter): nobody can lock the owner out.
    "login_failed": "10/m/ip,60/h/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Common Purse"
# One 30-second step either side (RFC 6238 section 5.2): old phones drift, and a code typed as
# the step turns over is still good (a demo or test code computed just before it, too).
MFA_TOTP_TOLERANCE = 1
# Setting up TOTP counts as passing a second factor in that session (accounts/forms.py).
MFA_FORMS = {"activate_totp": "accounts.forms.ActivateTOTPForm"}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Personal API tokens first (accounts.authentication), then the site's session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ["config.api.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["config.api.StrictFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["config.api.AnonThrottle", "config.api.UserThrottle"],
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
}
# Per-user and per-address API rates (read per request, so tests and load runs can raise them).
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="60/min"),
    "user": env.str("API_THROTTLE_USER", default="240/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Common Purse API",
    "DESCRIPTION": (
        "Public reads of neighbourhoods, proposals, votes and results, grants and spend; "
        "signed-in actions (residents, grantees, trustees, finance officers, funder auditors) "
        "with a personal API token (`Authorization: Bearer cp_...`, made on your account page). "
        'Every error is `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Ids in addresses are integers (config.api.ApiIdConverter: 1 to 18 digits), so generated
    # clients take a number, as they do for the same ids in bodies, not a string.
    "PATH_CONVERTER_OVERRIDES": {
        "api_id": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema_refuse_unknown_fields",
    ],
    "ENUM_NAME_OVERRIDES": {
        "NeighbourhoodStatus": "communities.models.Neighbourhood.Status",
        "ProposalStatus": "proposals.models.Proposal.Status",
        "RoundStatus": "voting.models.VoteRound.Status",
        "FundStatus": "funds.models.Fund.Status",
        "GrantStatus": "funds.models.Grant.Status",
        "GrantTrancheStatus": "funds.models.GrantTranche.Status",
        "ClaimStatus": "funds.models.Claim.Status",
    },
}

# Celery: with no REDIS_URL, tasks run inline in the web process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_ACKS_LATE = True
# Nothing on a request path waits on the broker: work is queued in the outbox table and handed
# over after commit without retries (outbox/services.py); these bound each attempt to ~0.5 s.
CELERY_BROKER_CONNECTION_TIMEOUT = 0.5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # workers wait for the broker, requests don't
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 0,  # a publish tries once; the outbox sweep resends
    "interval_start": 0,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 2,
    "socket_keepalive": True,
    "health_check_interval": 25,
}
CELERY_TASK_PUBLISH_RETRY = False
if REDIS_URL.startswith("redis://"):
    # kombu's Redis transport, reusing its publishing client (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 0.5
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_REDIS_BACKEND_HEALTH_CHECK_INTERVAL = 25
CELERY_TIMEZONE = TIME_ZONE
# Every periodic task is listed here, in one place.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "outbox.tasks.outbox_sweep_task",
        "schedule": 60.0,
    },
    "vote-rounds-open-and-close": {
        "task": "voting.tasks.rounds_advance_task",
        "schedule": 60.0,
    },
    "notices-voting-closes-tomorrow": {
        "task": "notifications.tasks.closing_reminders_task",
        "schedule": crontab(minute=5),
    },
    "notices-daily-digest": {
        "task": "notifications.tasks.digests_send_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "voter-visits-sweep": {
        "task": "voting.tasks.voter_visits_sweep_task",
        "schedule": crontab(minute="*/10"),
    },
    "memberships-expire": {
        "task": "communities.tasks.memberships_expire_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "retention-delete-in-person-data": {
        "task": "retention.tasks.retention_sweep_task",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Security: on by default outside DEBUG so check --deploy is clean in production.
SESSION_COOKIE_SECURE = not DEBUG and env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one plain statement (every signed-in request reads its
# session; the ORM's query building cost more CPU than the read: accounts/sessions.py).
SESSION_ENGINE = "accounts.sessions"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent on every response (config.middleware.SecurityHeadersMiddleware). No inline script
# anywhere: scripts are files under static/. Images may be data: URIs (the TOTP QR code).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Public photos come from the image bucket (or its CDN) when object storage is on.
        " ".join(["img-src 'self' data:", *STORAGE_CHOICE.media_origins]),
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}

# Domain settings (per-neighbourhood values override these defaults).
COMMONPURSE = {
    "PARTNERSHIP_MIN_MEMBERS": 8,
    "PARTNERSHIP_MIN_RESIDENT_SHARE": 51,
    "MEMBERSHIP_VALID_DAYS": env.int("COMMONPURSE_MEMBERSHIP_VALID_DAYS", default=730),
    "ACCESS_CODE_VALID_DAYS": 90,
}

# Absolute links in emails, e.g. https://commonpurse.example.org (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Receipt key (issue 9 point 6): keys the ballots' receipt hashes and the in-person identity keys,
# apart from SECRET_KEY, so rotating one does not break the other. COMMONPURSE_RECEIPT_OLD_KEYS
# (comma separated) are still tried for lookups, so this key can be rotated too. The fallback is
# for a laptop only: refused outside DEBUG like the fallback SECRET_KEY (here, and by
# voting.checks for a key that is too short).
RECEIPT_KEY_DEVELOPMENT_DEFAULT = "insecure-local-only-common-purse-receipt-key"
RECEIPT_KEY = env.str("COMMONPURSE_RECEIPT_KEY", default="") or RECEIPT_KEY_DEVELOPMENT_DEFAULT
RECEIPT_OLD_KEYS = [k for k in env.list("COMMONPURSE_RECEIPT_OLD_KEYS", default=[]) if k]
if not DEBUG and RECEIPT_KEY == RECEIPT_KEY_DEVELOPMENT_DEFAULT:
    raise ImproperlyConfigured(
        "COMMONPURSE_RECEIPT_KEY is not set and DJANGO_DEBUG is off. Set it to a long random "
        "value in production (it keeps receipt codes and in-person identity keys secret), or "
        "DJANGO_DEBUG=1 on a laptop."
    )

# 360Giving open data: grant identifiers are "360G-<prefix>-..."; use the prefix 360Giving
# registers for the publisher (often its org-id, e.g. GB-CHC-1234567).
THREESIXTYGIVING_PREFIX = env.str("THREESIXTYGIVING_PREFIX", default="commonpurse")

# Text messages (issue 16): optional, one provider chosen by the environment. "console" (the
# embedded default) prints texts to the log; "notify" sends through GOV.UK Notify's Python client
# with a template whose only placeholder is ((body)); "http" POSTs JSON to SMS_HTTP_URL with a
# bearer token. Inbound texts (STOP) come to /sms/inbound/<provider>/, authenticated by a shared
# secret (docs/notifications.md).
SMS_PROVIDER = env.str("COMMONPURSE_SMS_PROVIDER", default="console")
NOTIFY_API_KEY = env.str("NOTIFY_API_KEY", default="")
NOTIFY_TEMPLATE_ID = env.str("NOTIFY_TEMPLATE_ID", default="")
NOTIFY_BASE_URL = env.str("NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk")
NOTIFY_INBOUND_TOKEN = env.str("NOTIFY_INBOUND_TOKEN", default="")
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env.str("SMS_HTTP_TOKEN", default="")
SMS_HTTP_INBOUND_SECRET = env.str("SMS_HTTP_INBOUND_SECRET", default="")
# Seconds a provider call may take; a slow provider fails the outbox row, which is retried.
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=5.0)

# Retention (RULINGS): in-person names, addresses and identity keys, and phone numbers, are
# deleted this many days after a round is certified (retention/, nightly).
RETENTION_DAYS = env.int("COMMONPURSE_RETENTION_DAYS", default=90)
