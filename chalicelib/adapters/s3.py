"""What the adapters over S3 share: a bucket and its client, built at first use."""

from __future__ import annotations

import boto3
from botocore.config import Config


class S3Bucket:
    """A bucket and an S3 client that signs with SigV4 (presigned URLs need it), built at first use:
    after moto starts, in tests, and never at import time."""

    def __init__(self, bucket: str):
        self.bucket = bucket
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = boto3.client("s3", config=Config(signature_version="s3v4"))
        return self._client
