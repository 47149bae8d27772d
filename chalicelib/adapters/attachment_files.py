"""Attachment files (证据材料) in S3: presigned POSTs in, one streamed check, a conditional
server-side copy to the stored key, presigned GETs out.

The bucket is `HEWEI_ATTACHMENTS_BUCKET`; boto3 reads `AWS_ENDPOINT_URL`, so in
the local stack every URL handed out points at the embedded AWS.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from botocore.exceptions import ClientError

from ..config import attachments_bucket
from ..domain.attachments import LEADING_BYTES, Observed
from ..domain.errors import UploadChanged
from .attachments import content_disposition
from .s3 import S3Bucket

CHUNK_BYTES = 1024 * 1024
"""The object is hashed as it streams in, this much at a time: never held whole."""
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
CHANGED = MISSING | {"PreconditionFailed", "412"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3AttachmentFiles(S3Bucket):
    def __init__(self, bucket: str | None = None):
        super().__init__(bucket or attachments_bucket())

    def upload_form(self, key: str, content_type: str, size_bytes: int, seconds: int) -> dict[str, Any]:
        """A presigned POST whose policy pins the key, the Content-Type and the exact size (S3
        refuses any other upload with it). Signing is local: no call to S3."""
        post = self.client.generate_presigned_post(
            self.bucket, key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size_bytes, size_bytes]],
            ExpiresIn=seconds)
        return {"url": post["url"], "fields": post["fields"]}

    def inspect(self, key: str, declared_size: int) -> Observed:
        """One GetObject, streamed through SHA-256; an object of another size than declared is
        not read at all."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in MISSING:
                return Observed(exists=False)
            raise
        body, etag, content_type = response["Body"], response.get("ETag"), response.get("ContentType")
        if int(response["ContentLength"]) != declared_size:
            body.close()
            return Observed(True, int(response["ContentLength"]), None, b"", content_type, etag)
        digest, leading, size = hashlib.sha256(), b"", 0
        for chunk in body.iter_chunks(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
            if len(leading) < LEADING_BYTES:
                leading += chunk[:LEADING_BYTES - len(leading)]
        return Observed(True, size, digest.hexdigest(), leading, content_type, etag)

    def copy(self, source_key: str, target_key: str, etag: str, sha256: str) -> None:
        """CopyObject on S3's side, conditioned on the ETag of what was checked, with S3 computing
        the copy's SHA-256: an ETag is an MD5, which two files can share, so a copy whose SHA-256
        is not the one checked is deleted again (UploadChanged)."""
        try:
            answer = self.client.copy_object(
                Bucket=self.bucket, Key=target_key, CopySourceIfMatch=etag, ChecksumAlgorithm="SHA256",
                CopySource={"Bucket": self.bucket, "Key": source_key}, MetadataDirective="COPY")
        except ClientError as exc:
            if _code(exc) in CHANGED:
                raise UploadChanged(source_key) from exc
            raise
        copied = (answer.get("CopyObjectResult") or {}).get("ChecksumSHA256")
        if copied is None or base64.b64decode(copied).hex() != sha256.lower():
            self.delete(target_key)
            raise UploadChanged(source_key)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, filename: str, content_type: str, seconds: int) -> str:
        """A presigned GET that answers with the file's type and a Content-Disposition naming it."""
        return self.client.generate_presigned_url("get_object", ExpiresIn=seconds, Params={
            "Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition(filename)})
