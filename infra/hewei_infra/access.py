"""What each Lambda function of the app may touch: the least-privilege map.

One entry per Chalice handler (`api_handler` is the function behind every
HTTP route). The stack builds one IAM role per function from its entry and
nothing else, and refuses to synthesize an app that has a function without an
entry: a new handler gets no permission by accident, and none by default.

Granularity:
- tables, by the suffix of their name (`cases` for `hewei-dev-cases`):
  READ  = GetItem, BatchGetItem, Query, Scan on the table, and Query on its indexes;
  WRITE = READ + PutItem, UpdateItem (transactions need the same per-item
  actions). Only the retention sweep deletes items (a case's attachment records, §16): `deletes`
  names the tables a role may DeleteItem on; no other role may.
- `sends`: queues (by role, `callbacks-dlq` for a dead-letter queue) the
  function publishes to: GetQueueUrl, SendMessage (SendMessageBatch too).
- the queue a function consumes comes from its `@app.on_sqs_message`:
  ReceiveMessage, DeleteMessage, GetQueueAttributes, GetQueueUrl (workers
  delete the messages that succeeded themselves, see chalicelib/workers.py).
- `sms`: the function that sends SMS. On an sns stage, sns:Publish to phone
  numbers (the one statement with Resource "*"), and a Deny of sns:Publish on
  every SNS ARN (topics, platform endpoints), so that "*" can only mean a
  phone number; on a mainland stage (aliyun,
  tencent), GetSecretValue on the provider's credentials secret only, the
  HEWEI_SMS_* settings and the SMS layer, and no SNS at all.
- `secret_key`: gets HEWEI_SECRET_KEY (partner secrets, pseudonyms, callback
  signatures); `staff_tokens`: gets the staff-token settings.
- `exports`: the ledger exports bucket, objects under its key prefix only:
  READ = GetObject (the API presigns download links, which act with its
  rights), WRITE = PutObject and AbortMultipartUpload (the exports worker);
  either gets HEWEI_EXPORTS_BUCKET.
- `attachments`: the attachments bucket (证据材料), objects under its two
  prefixes only: uploads/ PutObject (the presigned POSTs act with the
  function's rights), GetObject (the check reads it; the copy's source) and
  DeleteObject; files/ PutObject (the copy's target), GetObject (the
  presigned download links) and DeleteObject (a copy a concurrent check
  rejected); ListBucket on the bucket, so that a missing upload is S3's 404,
  not a 403 (keys are ids, nothing personal). Gets HEWEI_ATTACHMENTS_BUCKET.

When a handler starts using another table or queue, change its entry here:
`tests/infra` fails for a function without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

READ = "read"
WRITE = "write"

TABLE_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan")
TABLE_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem")
TABLE_DELETE_ACTIONS = ("dynamodb:DeleteItem",)
INDEX_ACTIONS = ("dynamodb:Query",)
KMS_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
KMS_WRITE_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
QUEUE_SEND_ACTIONS = ("sqs:GetQueueUrl", "sqs:SendMessage")
QUEUE_CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")
SMS_ACTIONS = ("sns:Publish",)
SMS_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)
EXPORT_READ_ACTIONS = ("s3:GetObject",)
EXPORT_WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
"""PutObject covers the parts of a multipart upload (create, upload part, complete)."""
ATTACHMENT_UPLOAD_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")
ATTACHMENT_STORED_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")
ATTACHMENT_BUCKET_ACTIONS = ("s3:ListBucket",)
SMS_STATEMENT_SID = "SmsToPhoneNumbers"
"""The one statement allowed `Resource: "*"`: SNS `Publish(PhoneNumber=...)` has
no resource ARN to name (a phone number is not an AWS resource)."""
SMS_DENY_STATEMENT_SID = "NoPublishToTopics"
"""Its counterpart: Publish denied on every SNS resource ARN (`arn:<partition>:sns:*:*:*`, topics and
platform endpoints), which a direct Publish to a phone number does not name; an explicit Deny wins."""
SNS_ANY_ARN = "arn:${AWS::Partition}:sns:*:*:*"


@dataclass(frozen=True)
class FunctionAccess:
    tables: Mapping[str, str] = field(default_factory=dict)
    sends: tuple[str, ...] = ()
    sms: bool = False
    secret_key: bool = False
    staff_tokens: bool = False
    timeout_seconds: int = 30
    memory_mb: int = 256
    exports: str | None = None
    """READ or WRITE on the objects of the ledger exports bucket."""
    attachments: bool = False
    """The attachments bucket's two prefixes (see the module's docstring)."""
    deletes: tuple[str, ...] = ()
    """Tables (written to as well) whose items the function may delete: the retention sweep's."""
    report_batch_item_failures: bool = False
    """True only for an SQS handler that returns `{"batchItemFailures": [...]}`.
    Ours raise on a failed record and delete the good ones themselves
    (chalicelib/workers.py), so none does."""


_ALL_TABLES_WRITE = {t: WRITE for t in ("regions", "orgs", "mediators", "partners", "calendar", "cases", "case-items",
                                         "keys", "daily-stats", "rank-stats", "patrol", "exports")}
_STATS_WRITE = {"daily-stats": WRITE, "rank-stats": WRITE}
"""Every function that writes a case adds to the statistics rows in the same transaction."""

_SWEEP = FunctionAccess(
    # due-date index, cases and their items (letters, events, notifications to release),
    # the directory for addressees, routing of stranded cases (orgs, mediators' load), the
    # working calendar for the deadlines it sets (re-dispatch, resume) and its coverage metric.
    # every case write also adds to the statistics rows (daily-stats) in its transaction.
    # the patrol reports' schedules, their reports and the orgs owing them (report_missing, §13).
    tables={"cases": WRITE, "case-items": WRITE, "mediators": WRITE, "orgs": READ, "calendar": READ,
            **_STATS_WRITE, "patrol": WRITE},
    sends=("routing", "notify", "callbacks", "sweeps"),
    timeout_seconds=240,  # < the 5-minute rate; the sweep keeps 30 s in reserve and continues via `sweeps`
    memory_mb=512,
)

FUNCTIONS: dict[str, FunctionAccess] = {
    # Every HTTP route: directory admin, the working calendar, intake, reads, case actions, tokens,
    # on-demand sweep, ledgers (export jobs queued, their links presigned), attachments (POSTs and
    # links presigned, uploads checked and copied).
    "api_handler": FunctionAccess(
        tables=_ALL_TABLES_WRITE,
        sends=("routing", "notify", "callbacks", "sweeps", "exports"),
        exports=READ,
        attachments=True,
        deletes=("case-items",),  # the on-demand retention sweep deletes attachment records (§16)
        secret_key=True,
        staff_tokens=True,
        timeout_seconds=29,  # API Gateway's integration limit
        # more memory = more CPU: the cold import is CPU-bound, and so are a 2,000-row ledger import
        # (bench/ledger_import.py) and a 5,000-row xlsx ledger in the answer (5 s of CPU, bench/ledger.py);
        # 1,769 MB is one whole vCPU
        memory_mb=1769,
    ),
    # Routing queue → dispatch: the case, its timeline and notifications, orgs by scope,
    # mediators by org and their open-case counters, the working calendar for the deadlines.
    "route_cases": FunctionAccess(
        tables={"cases": WRITE, "case-items": WRITE, "mediators": WRITE, "orgs": READ, "calendar": READ,
                **_STATS_WRITE},
        sends=("notify", "callbacks"),
        timeout_seconds=30,
    ),
    # Notify queue → claim the stored notifications (a digest's in one BatchGetItem), keep the
    # frequency limits in the send ledgers (keys: `SMS#<keyed hash of the phone>`, hence the master
    # key), send, settle; a held one goes back on the notify queue with a delay.
    "send_notifications": FunctionAccess(
        tables={"case-items": WRITE, "keys": WRITE},
        sends=("notify",),
        sms=True,
        secret_key=True,
        timeout_seconds=30,
    ),
    # Callbacks queue → partner look-up, signed POST, delivery record, retry or park.
    "deliver_callbacks": FunctionAccess(
        tables={"partners": READ, "case-items": WRITE},
        sends=("callbacks", "callbacks-dlq"),
        secret_key=True,
        timeout_seconds=30,  # one message per invocation: a POST of at most 10 s (webhooks.CALLBACK_DEADLINE_SECONDS)
    ),
    "supervision_sweep": _SWEEP,
    # every sweep continues here, the retention sweep's too (§16: it deletes attachments and their records)
    "continue_sweeps": replace(_SWEEP, attachments=True, deletes=("case-items",)),
    # Daily return-visit sweep: the visit index, cases and their events and notifications, the
    # statistics rows its case writes touch, org heads and mediators as addressees; it
    # continues through `sweeps` when it runs out of time.
    "return_visit_sweep": FunctionAccess(
        tables={"cases": WRITE, "case-items": WRITE, "orgs": READ, "mediators": READ, **_STATS_WRITE},
        sends=("notify", "sweeps"),
        timeout_seconds=240,
        memory_mb=512,
    ),
}

FUNCTIONS["retention_sweep"] = FunctionAccess(
    # Nightly retention sweep (§16): the retention index and the SMS purge index, cases and their
    # items (events and SMS rewritten, attachment records deleted), the statistics rows its case
    # writes touch (their difference is empty: it changes nothing they count), the attachment
    # files deleted; it continues through `sweeps` when it runs out of time.
    tables={"cases": WRITE, "case-items": WRITE, "orgs": READ, "mediators": READ, **_STATS_WRITE},
    deletes=("case-items",),
    attachments=True,
    sends=("notify", "sweeps"),
    timeout_seconds=240,
    memory_mb=512,
)

FUNCTIONS["write_exports"] = FunctionAccess(
    # Exports queue → the job, the cases of its range (district index), the names of their orgs and
    # mediators, the file into the exports bucket, the job marked ready or failed.
    tables={"exports": WRITE, "cases": READ, "orgs": READ, "mediators": READ},
    exports=WRITE,
    timeout_seconds=600,  # 100,000 rows at most (domain.ledger.MAX_ROWS): about 120 s of CPU as xlsx (bench/ledger.py)
    memory_mb=2048,  # CPU-bound (parsing pages, rendering, zipping): over one vCPU
)

VISIBILITY_TIMEOUT_FACTOR = 6
"""SQS visibility timeout = 6 × the consuming function's timeout (AWS's advice for Lambda event sources)."""
