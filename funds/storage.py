"""Private storage for receipts: through Django's storage API, never served from a public URL.

A deployment can name its own backend as STORAGES["private"] (a later issue moves receipts to
S3 with signed URLs); otherwise files live on disk beside MEDIA_ROOT, outside it, so the
MEDIA_URL route can never serve them. Pages hand receipts out through a view that checks
permission and logs funder-auditor reads.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """A file-system storage with no URL: asking for one is a programming error.

    Its folder is read from settings on every use (PRIVATE_MEDIA_ROOT, else "private" beside
    MEDIA_ROOT), so a test that moves MEDIA_ROOT moves the receipts with it.
    """

    @property
    def base_location(self):
        return str(
            getattr(settings, "PRIVATE_MEDIA_ROOT", None)
            or Path(settings.MEDIA_ROOT).parent / "private"
        )

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a checked view.")


def receipt_storage():
    """The storage for receipts: STORAGES["private"] when configured, else private disk."""
    if "private" in getattr(settings, "STORAGES", {}):
        return storages["private"]
    return PrivateFileSystemStorage()


def export_storage():
    """Where background exports (funds.models.ExportJob) keep their files: the same private
    storage as receipts (STORAGES["private"] when configured), so switching that alias to S3
    moves the exports too. Files are handed out only through a permission-checked view."""
    return receipt_storage()
