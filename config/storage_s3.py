"""S3-compatible object storage (django-storages): public images and private files.

Imported only when DJANGO_STORAGE_URL or AWS_STORAGE_BUCKET_NAME asks for object storage, so
the embedded default never loads boto3. Options come from config.storage_env.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PublicS3Storage(S3Storage):
    """Display sizes of photos: plain URLs, readable by anyone (they are on public pages)."""


class PrivateS3Storage(S3Storage):
    """Receipts, photo originals and exports: no plain URL, only short-lived signed ones.

    Pages never link here directly: a view checks permission first, then redirects to
    signed_url() (config.storage.private_file_response).
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.querystring_auth:
            raise ValueError("Private files are only handed out through signed URLs.")
        return super().url(name, parameters=parameters, expire=expire, http_method=http_method)

    def signed_url(self, name: str, *, content_type: str, disposition: str) -> str:
        """A GET link that works for `querystring_expire` seconds (60 by default), with the
        content type and disposition fixed by the signature (the bucket's own are not
        trusted)."""
        return self.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": "private, no-store",
            },
        )
