"""Private storage for receipts and exports: through Django's storage API, never a public URL.

Backend-agnostic: STORAGES["private"] (config.storage), which is a folder on disk by default
and a private S3-compatible bucket when DJANGO_STORAGE_URL or AWS_* variables say so. Pages hand
files out through a view that checks permission (and logs funder-auditor reads), then calls
config.storage.private_file_response (a stream from disk, or a redirect to a signed URL).
"""

from __future__ import annotations

from django.core.files.storage import Storage

from config.storage import (
    PrivateFileSystemStorage,
    private_file_response,
    private_file_save,
    private_storage,
)

__all__ = [
    "PrivateFileSystemStorage",
    "export_save",
    "export_storage",
    "private_file_response",
    "receipt_storage",
]


def receipt_storage() -> Storage:
    """The storage for receipts and exports: STORAGES["private"] (lazy, so settings decide)."""
    return private_storage()


def export_save(name: str, chunks) -> str:
    """Write an export file to private storage (any backend); returns the stored name. Hand it
    out with private_file_response after checking the reader may see it."""
    return private_file_save(name, chunks)


def export_storage() -> Storage:
    """Where background exports (funds.models.ExportJob) keep their files: the same private
    storage as receipts, so switching it to object storage moves the exports too. Files are
    handed out only through a permission-checked view."""
    return private_storage()
