"""Which storages to use, read from the environment: no Django import, so settings can use it.

The embedded default keeps files on the local disk (public images under DJANGO_MEDIA_ROOT,
private files in a folder beside it that no URL serves). With object storage configured, public
images go to one S3-compatible bucket and private files (claim receipts, photo originals before
re-encoding, exports) to another, through django-storages. Configure it with either

    DJANGO_STORAGE_URL=s3://PUBLIC_BUCKET?private=PRIVATE_BUCKET&endpoint=URL&region=NAME

(optional query parameters: ``expire`` seconds a signed link to a private file lives, default
60; ``domain`` a CDN host name serving the public bucket; ``acl`` the canned ACL for public
images, default ``public-read``, ``none`` to rely on a bucket policy; ``addressing`` ``path`` or
``virtual``; credentials may be given as ``s3://KEY:SECRET@PUBLIC_BUCKET?...``, URL-encoded, or
left to the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables or the machine's role), or the
usual variables AWS_STORAGE_BUCKET_NAME, AWS_PRIVATE_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL,
AWS_S3_REGION_NAME, AWS_S3_CUSTOM_DOMAIN, AWS_DEFAULT_ACL, AWS_QUERYSTRING_EXPIRE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

PUBLIC_S3 = "config.storage_s3.PublicS3Storage"
PRIVATE_S3 = "config.storage_s3.PrivateS3Storage"
PRIVATE_DISK = "config.storage.PrivateFileSystemStorage"
DEFAULT_SIGNED_URL_SECONDS = 60
KNOWN_URL_OPTIONS = {"private", "endpoint", "region", "expire", "domain", "acl", "addressing"}


class StorageConfigError(ValueError):
    """The storage variables do not make sense; the message says what to change."""


@dataclass
class StorageChoice:
    """The STORAGES entries for uploads and the origins public images are served from."""

    default: dict
    private: dict
    media_origins: list[str] = field(default_factory=list)
    object_storage: bool = False


def _disk() -> StorageChoice:
    return StorageChoice(
        default={"BACKEND": "django.core.files.storage.FileSystemStorage"},
        private={"BACKEND": PRIVATE_DISK},
    )


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise StorageConfigError(f"{name} must be a whole number of seconds, 1 or more.")
    return number


def _origins(*, public: str, endpoint: str, region: str, domain: str, style: str) -> list[str]:
    """Where browsers fetch public images from (the CSP img-src must allow it)."""
    if domain:
        return [f"https://{domain}"]
    if endpoint:
        parts = urlsplit(endpoint)
        if style == "virtual":
            return [f"{parts.scheme}://{public}.{parts.netloc}"]
        return [f"{parts.scheme}://{parts.netloc}"]
    hosts = [f"https://{public}.s3.amazonaws.com"]
    if region:
        hosts += [
            f"https://{public}.s3.{region}.amazonaws.com",
            f"https://s3.{region}.amazonaws.com",
        ]
    return hosts


def _s3(
    *,
    public: str,
    private: str,
    endpoint: str = "",
    region: str = "",
    expire: int = DEFAULT_SIGNED_URL_SECONDS,
    domain: str = "",
    acl: str = "public-read",
    addressing: str = "",
    access_key: str = "",
    secret_key: str = "",
) -> StorageChoice:
    if not public:
        raise StorageConfigError("Name the public bucket for images.")
    if not private:
        raise StorageConfigError(
            "Name a private bucket too (private= in DJANGO_STORAGE_URL, or "
            "AWS_PRIVATE_STORAGE_BUCKET_NAME): receipts must never go to the public bucket."
        )
    if public == private:
        raise StorageConfigError(
            "The public and private buckets must differ: receipts must never be public."
        )
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise StorageConfigError("The S3 endpoint must be an http:// or https:// address.")
    if addressing not in ("", "path", "virtual"):
        raise StorageConfigError("addressing must be path or virtual.")
    # A self-hosted server (MinIO, Ceph, moto) usually answers on one host name: path style.
    style = addressing or ("path" if endpoint else "")
    common: dict = {"signature_version": "s3v4", "file_overwrite": False}
    for key, value in (
        ("endpoint_url", endpoint),
        ("region_name", region),
        ("addressing_style", style),
        ("access_key", access_key),
        ("secret_key", secret_key),
    ):
        if value:
            common[key] = value
    public_options = {
        **common,
        "bucket_name": public,
        "querystring_auth": False,
        "default_acl": None if acl == "none" else acl,
    }
    if domain:
        public_options["custom_domain"] = domain
    private_options = {
        **common,
        "bucket_name": private,
        "querystring_auth": True,
        "querystring_expire": expire,
        "default_acl": "private",
    }
    return StorageChoice(
        default={"BACKEND": PUBLIC_S3, "OPTIONS": public_options},
        private={"BACKEND": PRIVATE_S3, "OPTIONS": private_options},
        media_origins=_origins(
            public=public, endpoint=endpoint, region=region, domain=domain, style=style
        ),
        object_storage=True,
    )


def from_url(url: str) -> StorageChoice:
    """Parse DJANGO_STORAGE_URL (format in the module docstring)."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageConfigError(
            "DJANGO_STORAGE_URL must start with s3:// (e.g. "
            "s3://public-bucket?private=private-bucket&endpoint=https://s3.example.org)."
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - KNOWN_URL_OPTIONS)
    if unknown:
        raise StorageConfigError(
            f"DJANGO_STORAGE_URL has unknown options: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(KNOWN_URL_OPTIONS))})."
        )
    return _s3(
        public=parts.hostname or "",
        private=query.get("private", ""),
        endpoint=query.get("endpoint", ""),
        region=query.get("region", ""),
        expire=_positive_int(query.get("expire", str(DEFAULT_SIGNED_URL_SECONDS)), "expire"),
        domain=query.get("domain", ""),
        acl=query.get("acl", "public-read"),
        addressing=query.get("addressing", ""),
        access_key=unquote(parts.username or ""),
        secret_key=unquote(parts.password or ""),
    )


def storage_choice(environ: Mapping[str, str]) -> StorageChoice:
    """The storages the environment asks for; the local disk when it asks for none."""
    url = environ.get("DJANGO_STORAGE_URL", "").strip()
    if url:
        return from_url(url)
    public = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not public:
        return _disk()
    return _s3(
        public=public,
        private=environ.get("AWS_PRIVATE_STORAGE_BUCKET_NAME", "").strip(),
        endpoint=environ.get("AWS_S3_ENDPOINT_URL", "").strip(),
        region=environ.get("AWS_S3_REGION_NAME", "").strip(),
        expire=_positive_int(
            environ.get("AWS_QUERYSTRING_EXPIRE", str(DEFAULT_SIGNED_URL_SECONDS)),
            "AWS_QUERYSTRING_EXPIRE",
        ),
        domain=environ.get("AWS_S3_CUSTOM_DOMAIN", "").strip(),
        acl=environ.get("AWS_DEFAULT_ACL", "public-read").strip() or "public-read",
        addressing=environ.get("AWS_S3_ADDRESSING_STYLE", "").strip(),
    )
