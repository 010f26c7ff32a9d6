"""Issue 15: where files live is read from the environment (config.storage_env).

No variables: the local disk, exactly as before. DJANGO_STORAGE_URL or the AWS_* variables: a
public bucket for images and a separate private one for receipts, originals and exports;
anything that does not make sense is refused at start-up with a plain message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from config.storage import PrivateFileSystemStorage, private_file_response, private_storage
from config.storage_env import StorageConfigError, from_url, storage_choice

ROOT = Path(__file__).resolve().parents[2]


def test_no_variables_keep_the_local_disk():
    choice = storage_choice({})
    assert choice.default == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert choice.private == {"BACKEND": "config.storage.PrivateFileSystemStorage"}
    assert not choice.object_storage and choice.media_origins == []


@pytest.mark.skipif(
    bool(os.environ.get("DJANGO_STORAGE_URL") or os.environ.get("AWS_STORAGE_BUCKET_NAME")),
    reason="storage variables are set: this checks the embedded default",
)
def test_the_embedded_default_keeps_files_on_disk_private_ones_outside_media():
    assert isinstance(default_storage, FileSystemStorage)
    assert isinstance(private_storage(), PrivateFileSystemStorage)
    name = private_storage().save("exports/x.csv", ContentFile(b"a,b\r\n"))
    stored = Path(settings.MEDIA_ROOT).parent / "private" / name
    assert stored.read_bytes() == b"a,b\r\n"
    assert Path(settings.MEDIA_ROOT) not in stored.parents
    assert "img-src 'self' data:;" in settings.CONTENT_SECURITY_POLICY


def test_a_storage_url_names_a_public_and_a_private_bucket():
    choice = from_url(
        "s3://KEY:SE%2FCRET@cp-images?private=cp-private&endpoint=https://s3.example.org"
        "&region=eu-west-2&expire=30"
    )
    public, private = choice.default["OPTIONS"], choice.private["OPTIONS"]
    assert choice.default["BACKEND"] == "config.storage_s3.PublicS3Storage"
    assert choice.private["BACKEND"] == "config.storage_s3.PrivateS3Storage"
    assert (public["bucket_name"], private["bucket_name"]) == ("cp-images", "cp-private")
    # public images: plain URLs, readable by anyone; private files: signed, short-lived
    assert public["querystring_auth"] is False and public["default_acl"] == "public-read"
    assert private["querystring_auth"] is True and private["default_acl"] == "private"
    assert private["querystring_expire"] == 30
    for options in (public, private):
        assert options["endpoint_url"] == "https://s3.example.org"
        assert options["region_name"] == "eu-west-2"
        assert options["addressing_style"] == "path"
        assert (options["access_key"], options["secret_key"]) == ("KEY", "SE/CRET")
        assert options["file_overwrite"] is False
    assert choice.media_origins == ["https://s3.example.org"]


def test_signed_links_live_a_minute_unless_told_otherwise():
    choice = from_url("s3://a?private=b")
    assert choice.private["OPTIONS"]["querystring_expire"] == 60
    # no endpoint: AWS itself, credentials from the environment or the machine's role
    assert "endpoint_url" not in choice.private["OPTIONS"]
    assert "access_key" not in choice.private["OPTIONS"]


def test_the_usual_aws_variables_work_too():
    choice = storage_choice(
        {
            "AWS_STORAGE_BUCKET_NAME": "pub",
            "AWS_PRIVATE_STORAGE_BUCKET_NAME": "priv",
            "AWS_S3_ENDPOINT_URL": "http://minio.internal:9000",
            "AWS_S3_CUSTOM_DOMAIN": "media.example.org",
            "AWS_QUERYSTRING_EXPIRE": "45",
        }
    )
    assert choice.default["OPTIONS"]["bucket_name"] == "pub"
    assert choice.default["OPTIONS"]["custom_domain"] == "media.example.org"
    assert choice.private["OPTIONS"]["bucket_name"] == "priv"
    assert "custom_domain" not in choice.private["OPTIONS"]  # signed links go to the bucket
    assert choice.private["OPTIONS"]["querystring_expire"] == 45
    assert choice.media_origins == ["https://media.example.org"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DJANGO_STORAGE_URL": "s3://only-public"}, "private bucket"),
        ({"DJANGO_STORAGE_URL": "s3://same?private=same"}, "must differ"),
        ({"DJANGO_STORAGE_URL": "ftp://x?private=y"}, "must start with s3://"),
        ({"DJANGO_STORAGE_URL": "s3://a?private=b&expiry=5"}, "unknown options: expiry"),
        ({"DJANGO_STORAGE_URL": "s3://a?private=b&expire=0"}, "1 or more"),
        ({"DJANGO_STORAGE_URL": "s3://a?private=b&endpoint=s3.example.org"}, "http://"),
        ({"AWS_STORAGE_BUCKET_NAME": "pub"}, "AWS_PRIVATE_STORAGE_BUCKET_NAME"),
        (
            {"AWS_STORAGE_BUCKET_NAME": "a", "AWS_PRIVATE_STORAGE_BUCKET_NAME": "b"}
            | {"AWS_QUERYSTRING_EXPIRE": "soon"},
            "AWS_QUERYSTRING_EXPIRE",
        ),
    ],
)
def test_storage_variables_that_do_not_make_sense_are_refused(environ, message):
    with pytest.raises(StorageConfigError, match=message):
        storage_choice(environ)


def test_the_site_refuses_to_start_on_bad_storage_settings():
    env = {**os.environ, "DJANGO_STORAGE_URL": "s3://only-public"}
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "config.settings_test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: Storage settings: Name a private bucket too" in result.stderr


def test_an_export_is_written_to_private_storage_and_handed_out_as_an_attachment():
    from funds.exports.csvstream import csv_chunks
    from funds.storage import export_save, private_file_response

    name = export_save("exports/ledger.csv", csv_chunks([["entry", "pence"], [1, 500]]))
    assert name.startswith("exports/ledger")
    response = private_file_response(
        storage=private_storage(),
        name=name,
        content_type="text/csv",
        filename="ledger.csv",
        inline=False,
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ledger.csv"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"entry,pence\r\n1,500\r\n"


def test_a_missing_private_file_on_disk_is_reported_not_served():
    with pytest.raises(FileNotFoundError):
        private_file_response(
            storage=private_storage(),
            name="exports/never-written.csv",
            content_type="text/csv",
            filename="x.csv",
        )
