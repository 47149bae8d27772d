"""Ledger exports (台账导出): the job records in DynamoDB and the files in S3."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import BinaryIO, Callable, TypeVar

from pynamodb.exceptions import UpdateError

from ..config import exports_bucket
from ..domain.ledger import ExportJob, ExportStatus, LedgerFormat, LedgerScope
from .attachments import content_disposition
from .s3 import S3Bucket
from .clock import from_storage, to_storage
from .models import ExportJobModel, is_condition_failure

T = TypeVar("T")


def _job_from_model(model: ExportJobModel) -> ExportJob:
    scope = LedgerScope(model.region, dt.date.fromisoformat(model.date_from), dt.date.fromisoformat(model.date_to))
    return ExportJob(model.export_id, model.requested_by, scope, LedgerFormat(model.ledger_format), int(model.rows),
                     from_storage(model.created_at), ExportStatus(model.status), from_storage(model.finished_at))


class ExportJobStore:
    """One item per export; DynamoDB removes it after `expires_at` (TTL)."""

    def create(self, job: ExportJob) -> None:
        ExportJobModel(job.export_id, requested_by=job.requested_by, region=job.scope.region,
                       date_from=job.scope.first.isoformat(), date_to=job.scope.last.isoformat(),
                       ledger_format=job.ledger_format.value, status=job.status.value, rows=job.rows,
                       created_at=to_storage(job.created_at), expires_at=job.expires_at,
                       ).save(condition=ExportJobModel.export_id.does_not_exist())

    def get(self, export_id: str) -> ExportJob | None:
        try:
            return _job_from_model(ExportJobModel.get(export_id, consistent_read=True))
        except ExportJobModel.DoesNotExist:
            return None

    def finish(self, export_id: str, status: ExportStatus, at: dt.datetime, rows: int | None = None) -> bool:
        """Mark the job ready (with the rows written) or failed; a job already ready stays as it
        is (False), and so does one that no longer exists."""
        actions = [ExportJobModel.status.set(status.value), ExportJobModel.finished_at.set(to_storage(at))]
        if rows is not None:
            actions.append(ExportJobModel.rows.set(rows))
        condition = ExportJobModel.export_id.exists() & (ExportJobModel.status != ExportStatus.READY.value)
        try:
            ExportJobModel(export_id).update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True


class S3ExportFiles(S3Bucket):
    """Export files in the exports bucket. Uploads go through a temporary file (Lambda's /tmp) and
    `upload_fileobj`, which splits a large file into a multipart upload."""

    def __init__(self, bucket: str | None = None):
        super().__init__(bucket or exports_bucket())

    def upload(self, key: str, write: Callable[[BinaryIO], T], media_type: str, filename: str) -> T:
        """Let `write` fill a temporary file, then put it at `key` (replacing what is there);
        returns what `write` returned."""
        with tempfile.TemporaryFile() as scratch:
            result = write(scratch)
            scratch.seek(0)
            self.client.upload_fileobj(scratch, self.bucket, key, ExtraArgs={
                "ContentType": media_type, "ContentDisposition": content_disposition(filename)})
        return result

    def download_url(self, key: str, seconds: int) -> str:
        """A presigned GET of the file, valid `seconds`."""
        return self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                  ExpiresIn=seconds)
