"""A real S3-protocol server for the storage tests: moto in server mode, started here.

Heavy (CI's PostgreSQL pass sets COMMONPURSE_HEAVY_TESTS=1, so `.ci/run` needs nothing extra):
the session starts `python -m moto.server` on 127.0.0.1 (port COMMONPURSE_MOTO_PORT, default
8175), makes a public and a private bucket, and stops it at the end. Objects in the private
bucket are written with the private ACL: moto refuses an unsigned GET of them, as S3 does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"
MOTO_PORT = int(os.environ.get("COMMONPURSE_MOTO_PORT", "8175"))
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REGION = "eu-west-2"


@dataclass
class S3Server:
    endpoint: str
    public: str
    private: str

    @property
    def storage_url(self) -> str:
        """DJANGO_STORAGE_URL for this server, credentials in the URL (README's format)."""
        return (
            f"s3://testing:testing@{self.public}?private={self.private}"
            f"&endpoint={self.endpoint}&region={REGION}"
        )

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
        return [row["Key"] for row in listing.get("Contents", [])]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    if not HEAVY:
        pytest.skip("heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI's PostgreSQL pass does)")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    endpoint = f"http://127.0.0.1:{MOTO_PORT}"
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(MOTO_PORT)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )
    try:
        server = S3Server(
            endpoint=endpoint,
            public=f"cp-public-{uuid.uuid4().hex[:8]}",
            private=f"cp-private-{uuid.uuid4().hex[:8]}",
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                client = server.client()
                for bucket in (server.public, server.private):
                    client.create_bucket(
                        Bucket=bucket,
                        CreateBucketConfiguration={"LocationConstraint": REGION},
                    )
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def s3_storages(s3_server, settings):
    """This test's uploads go to the moto buckets, configured as production would be."""
    from config.storage_env import from_url

    choice = from_url(s3_server.storage_url)
    settings.STORAGES = {**settings.STORAGES, "default": choice.default, "private": choice.private}
    return s3_server
