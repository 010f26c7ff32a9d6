"""Files through Django's storage API only: public uploads in STORAGES["default"], private files
(claim receipts, photo originals before re-encoding, exports) in STORAGES["private"].

Which backends those are comes from the environment (config.storage_env): the local disk by
default, S3-compatible buckets in production. Services and tasks read and write only through
these storages, never local paths, so any web process or worker can do any work. Private files
leave only through private_file_response(), after the caller has checked permission.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.functional import LazyObject, empty

PRIVATE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """A file-system storage with no URL: asking for one is a programming error.

    Its folder is read from settings on every use (PRIVATE_MEDIA_ROOT, else "private" beside
    MEDIA_ROOT, outside it, so the DEBUG-only MEDIA_URL route can never serve it), so a test
    that moves MEDIA_ROOT moves the private files with it.
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


class _PrivateStorage(LazyObject):
    """STORAGES["private"], resolved on first use (like django's default_storage), so model
    fields can name it before settings are read and tests that change STORAGES move it."""

    def _setup(self):
        if PRIVATE_ALIAS in settings.STORAGES:
            self._wrapped = storages[PRIVATE_ALIAS]
        else:  # a deployment's own STORAGES without the alias: private files stay on disk
            self._wrapped = PrivateFileSystemStorage()


_private_storage = _PrivateStorage()


def private_storage() -> Storage:
    """The storage for private files (a callable, so model fields and migrations name it)."""
    return _private_storage


@receiver(setting_changed)
def _storages_changed(*, setting: str, **kwargs) -> None:
    if setting in ("STORAGES", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT"):
        _private_storage._wrapped = empty


def object_storage_in_use() -> bool:
    return hasattr(private_storage(), "signed_url")


def private_file_save(name: str, chunks: Iterable[str | bytes]) -> str:
    """Write a generated file (an export: text or bytes chunks) to private storage, spooling
    to a temporary file past 8 MB rather than holding it in memory. Returns the stored name
    (the storage may add a suffix to keep an existing file)."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as buffer:
        for chunk in chunks:
            buffer.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        buffer.seek(0)
        return private_storage().save(name, File(buffer, name=name))


def private_file_response(
    *, storage: Storage, name: str, content_type: str, filename: str, inline: bool = True
) -> HttpResponse:
    """Hand out a private file the caller has already checked the reader may see.

    On object storage: a redirect to a signed URL that expires within a minute (the web
    process does not carry the bytes). On disk: the file streamed. Raises FileNotFoundError
    when a file on disk is missing.
    """
    disposition = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    signer = getattr(storage, "signed_url", None)
    if signer is not None:
        response: HttpResponse = HttpResponseRedirect(
            signer(name, content_type=content_type, disposition=disposition)
        )
    else:
        response = FileResponse(storage.open(name, "rb"), content_type=content_type)
        response["Content-Disposition"] = disposition
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response
