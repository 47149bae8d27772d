"""One CloudFormation stack per stage: everything the code expects, and no more.

- Tables from `ALL_MODELS` (keys, GSIs/LSIs and projections read from the
  PynamoDB models), on demand, PITR, SSE with a customer-managed KMS key, TTL
  where `TTL_ATTRIBUTES` says, deletion protection in prod.
- The ledger exports bucket (S3-managed encryption, no public access, TLS
  only, objects expire after a day), reached only under its key prefix by
  the functions `access.FUNCTIONS` grants it to, named to them through
  HEWEI_EXPORTS_BUCKET.
- The attachments bucket (证据材料): private, S3-managed encryption, TLS only,
  the uploads prefix emptied after a day, stored files kept, CORS for
  browsers' form POSTs; the API reaches its two prefixes only, named to it
  through HEWEI_ATTACHMENTS_BUCKET.
- Queues from `chalicelib.config.QUEUE_SUFFIXES`, named as the code names
  them, each with a dead-letter queue (redrive after
  `bootstrap.DLQ_MAX_RECEIVE_COUNT` receives), visibility timeout 6× the
  consuming function's timeout.
- The Chalice app through `chalice.cdk.Chalice` (API Gateway, Lambda, the
  SQS event sources and the schedules from its decorators), with one IAM role
  per function built from `access.FUNCTIONS`; each SQS event source names its
  queue by `Fn::GetAtt`, so the mappings are created after the queues.
- In prod, SnapStart on the API function: SAM publishes a version at each
  deployment behind the `live` alias, and API Gateway and its invoke
  permission target the alias (a snapshot exists only for published versions).
- Secrets Manager secrets for the master key (and the staff-token key when
  no identity provider is configured), passed to the functions that need them
  through CloudFormation dynamic references.
- A mainland stage (`sms_provider` aliyun or tencent): a secret for the
  provider's credentials, filled by the operator, which send_notifications
  alone may read (its name in HEWEI_SMS_SECRET), and a second layer with the
  provider's SDK on that function only (`packaging.build_sms_layer`); it gets
  no sns:Publish. An sns stage keeps SNS, with neither.
- Alarms on every DLQ's depth, each function's errors and throttles, API 5xx,
  and the working calendar's coverage (under 45 days of holiday data ahead);
  stage-wide API throttling and a usage plan for partners' API keys.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import (
    aws_apigateway as apigateway,
    aws_cloudwatch as cloudwatch,
    aws_dynamodb as dynamodb,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_secretsmanager as secretsmanager,
    aws_sns as sns,
    aws_s3 as s3,
    aws_sqs as sqs,
)
from chalice import Chalice as ChaliceApp
from chalice.app import SQSEventConfig, ScheduledEventConfig
from chalice.cdk import Chalice
from constructs import Construct

from . import access
from .config import StageConfig
from .config import SMS_CREDENTIAL_KEYS
from .packaging import (LAMBDA_PYTHON, PACKAGE_CONFIG, SMS_LAYER_REQUIREMENTS, build_sms_layer, exclusive_packaging,
                        layer_top_level, precompile_package)
from .schema import TableSpec, table_spec

PROJECT_ROOT = Path(__file__).resolve().parents[2]
API_FUNCTION = "api_handler"
API_STAGE = PACKAGE_CONFIG["api_gateway_stage"]
API_ALIAS = "live"
"""The alias SAM's `AutoPublishAlias` keeps on the API function's latest published version (SnapStart)."""
_SUB_QUEUE_ARN = re.compile(r"^arn:\$\{AWS::Partition\}:sqs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(?P<name>[\w-]+)$")


CALENDAR_COVERAGE_DAYS = 45
"""The calendar-coverage alarm fires when the working calendar has data for fewer days ahead than
this: the next year's schedule is published in November or December, six weeks leave time to set it."""


GATEWAY_PROBLEMS: dict[str, int | None] = {
    "MISSING_AUTHENTICATION_TOKEN": 404,  # what API Gateway answers for a path no route has
    "THROTTLED": 429,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}
"""API Gateway's own refusals, answered as problem+json (§2); None keeps the gateway's status."""


def gateway_problem_template(status: int | None) -> str:
    """VTL body; `$context.error.messageString` is already a quoted JSON string."""
    status_field = f'"status": {status}, ' if status else ""
    return ('{"type": "https://hewei.example/problems/gateway", "title": $context.error.messageString, '
            + status_field + '"detail": $context.error.messageString}')


def logical_id(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]+", part) if p)


@dataclass
class QueuePair:
    role: str
    queue: sqs.CfnQueue
    dlq: sqs.CfnQueue


@dataclass
class FunctionInfo:
    name: str
    """Chalice's name: `api_handler` or the handler's."""
    logical_id: str
    """The `AWS::Serverless::Function` in the template `chalice package` makes."""
    access: access.FunctionAccess
    consumes: str | None = None
    """The queue role it is subscribed to, for an `on_sqs_message` handler."""
    schedule: str | None = None


class PrecompiledChalice(Chalice):
    """`chalice.cdk.Chalice`, with bytecode added to the zips before they become assets."""

    def _package_app(self) -> None:
        with exclusive_packaging(PROJECT_ROOT):  # the layer cache is shared by every synth of the project
            super()._package_app()
            precompile_package(self._sam_package_dir, PROJECT_ROOT)


def app_functions(app: ChaliceApp) -> dict[str, tuple[str | None, str | None]]:
    """The Lambda functions Chalice makes of `app`: name → (queue name consumed, schedule)."""
    functions: dict[str, tuple[str | None, str | None]] = {}
    if app.routes:
        functions[API_FUNCTION] = (None, None)
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            if source.queue_arn:
                raise ValueError(f"{source.name}: name the queue, not its ARN (infra owns the queues)")
            functions[source.name] = (source.queue, None)
        elif isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            functions[source.name] = (None, expression if isinstance(expression, str) else expression.to_string())
        else:
            raise ValueError(f"{source.name}: {type(source).__name__} handlers have no infra yet")
    for function in app.pure_lambda_functions:
        functions[function.name] = (None, None)
    if app.websocket_handlers:
        raise ValueError("websocket handlers have no infra yet")
    return functions


class HeweiStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, description=f"Hewei dispute mediation service, stage {config.stage}",
                         **kwargs)
        building = f"{sys.version_info.major}.{sys.version_info.minor}"
        if building != LAMBDA_PYTHON:  # Chalice takes the runtime, and the wheels, from the packaging Python
            raise SystemExit(f"synthesize with Python {LAMBDA_PYTHON} (the functions' runtime), not {building}: "
                             "the project's .venv has it (make synth)")
        # Imported here, after config.prepare_environment(): names depend on the stage.
        import app as chalice_module
        from chalicelib.adapters import bootstrap
        from chalicelib.adapters.models import ALL_MODELS, TTL_ATTRIBUTES
        from chalicelib.config import QUEUE_SUFFIXES, queue_name

        self.config = config
        retain = cdk.RemovalPolicy.RETAIN if config.prod else cdk.RemovalPolicy.DESTROY
        self.retain = retain

        # ------------------------------------------------------------ functions
        declared = app_functions(chalice_module.app)
        missing = sorted(set(declared) - set(access.FUNCTIONS))
        if missing:
            raise ValueError(f"no least-privilege entry in infra/hewei_infra/access.py for {missing}")
        queue_roles = {queue_name(role): role for role in QUEUE_SUFFIXES}
        functions: dict[str, FunctionInfo] = {}
        for name, (queue, schedule) in declared.items():
            if queue is not None and queue not in queue_roles:
                raise ValueError(f"{name} consumes {queue!r}, which is not a queue of chalicelib.config")
            functions[name] = FunctionInfo(name, "", access.FUNCTIONS[name],
                                           consumes=queue_roles.get(queue) if queue else None, schedule=schedule)
        self.functions = functions

        # ------------------------------------------------------------- storage
        self.data_key = kms.Key(
            self, "DataKey", alias=f"alias/{config.stack_name}-data", enable_key_rotation=True,
            description=f"Hewei {config.stage}: encrypts the DynamoDB tables", removal_policy=retain,
        )
        self.tables: dict[str, tuple[TableSpec, dynamodb.CfnTable]] = {}
        for model in ALL_MODELS:
            spec = table_spec(model, config.prefix, TTL_ATTRIBUTES.get(model))
            self.tables[spec.suffix] = (spec, self._table(spec))
        for name, info in functions.items():
            unknown = set(info.access.tables) - set(self.tables)
            if unknown:
                raise ValueError(f"access.FUNCTIONS[{name!r}] names tables that do not exist: {sorted(unknown)}")

        self.queues: dict[str, QueuePair] = {}
        for role in QUEUE_SUFFIXES:
            timeouts = [i.access.timeout_seconds for i in functions.values() if i.consumes == role]
            visibility = (access.VISIBILITY_TIMEOUT_FACTOR * max(timeouts) if timeouts
                          else bootstrap.QUEUE_VISIBILITY_SECONDS.get(role, 60))
            self.queues[role] = self._queue_pair(role, queue_name(role), queue_name(f"{role}-dlq"), visibility,
                                                 bootstrap.DLQ_MAX_RECEIVE_COUNT)
        for name, info in functions.items():
            for target in info.access.sends:
                base, _, dlq = target.partition("-")
                if base not in self.queues or dlq not in ("", "dlq"):
                    raise ValueError(f"access.FUNCTIONS[{name!r}] sends to unknown queue {target!r}")

        self.exports_bucket = self._exports_bucket()
        self.attachments_bucket = self._attachments_bucket()

        # -------------------------------------------------------------- secrets
        self.secret_key = secretsmanager.Secret(
            self, "SecretKey", secret_name=f"hewei/{config.stage}/secret-key",
            description="HEWEI_SECRET_KEY: derives partner secrets and party pseudonyms. Never rotate it "
                        "automatically: every partner secret and pseudonym would change.",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=retain,
        )
        self.jwt_secret = None
        if not config.jwks_url:
            self.jwt_secret = secretsmanager.Secret(
                self, "JwtSecret", secret_name=f"hewei/{config.stage}/jwt-secret",
                description="HEWEI_JWT_SECRET: signs staff tokens (HS256) when no identity provider is configured.",
                generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64,
                                                                            exclude_punctuation=True),
                removal_policy=retain,
            )

        self.sms_secret = None
        if config.mainland_sms:
            keys = SMS_CREDENTIAL_KEYS[config.sms_provider]
            # CloudFormation creates a secret with a value: an empty skeleton of what to fill in. It is
            # written once; a stack update leaves the operator's value as long as this one is unchanged.
            self.sms_secret = secretsmanager.Secret(
                self, "SmsCredentials", secret_name=config.sms_secret_name,
                description=f"HEWEI_SMS_SECRET: the {config.sms_provider} SMS credentials of send_notifications, "
                            f"as JSON {{{', '.join(f'{k!r}: ...' for k in keys)}}}".replace("'", '"')
                            + " (put-secret-value after the first deployment)",
                secret_string_value=cdk.SecretValue.unsafe_plain_text(json.dumps({k: "" for k in keys})),
                removal_policy=retain,
            )

        # ------------------------------------------------------------ the app
        self.log_groups = {name: self._log_group(name) for name in functions}
        self.roles = {name: self._role(info) for name, info in functions.items()}
        placeholder_role = self.roles[next(iter(functions))]
        self.chalice = PrecompiledChalice(
            self, "Chalice", source_dir=str(PROJECT_ROOT),
            stage_config={
                **PACKAGE_CONFIG,
                # the signature every function that decides an SMS writes first in its text (【和为贵】)
                "environment_variables": {"HEWEI_STAGE": config.stage, "HEWEI_RESOURCE_PREFIX": config.prefix,
                                          **({"HEWEI_SMS_SIGN_NAME": config.sms_sign_name}
                                             if config.sms_sign_name else {})},
                "manage_iam_role": False,
                # Replaced per function below; Chalice wants one when it manages no role.
                "iam_role_arn": placeholder_role.attr_arn,
            },
        )
        self._check_package()
        self.sms_layer = self._sms_layer() if config.mainland_sms else None
        self._wire_functions()
        self._api()
        if config.api_snapstart and API_FUNCTION in self.functions:
            self._api_snapstart()
        self._alarms()
        self._outputs()

    # ----------------------------------------------------------------- tables

    def _table(self, spec: TableSpec) -> dynamodb.CfnTable:
        def keys(schema):
            return [dynamodb.CfnTable.KeySchemaProperty(attribute_name=k["AttributeName"], key_type=k["KeyType"])
                    for k in schema]

        def projection(raw):
            return dynamodb.CfnTable.ProjectionProperty(projection_type=raw["ProjectionType"],
                                                        non_key_attributes=raw.get("NonKeyAttributes"))

        table = dynamodb.CfnTable(
            self, logical_id("Table", spec.suffix),
            table_name=spec.table_name,
            billing_mode="PAY_PER_REQUEST",
            key_schema=keys(spec.key_schema),
            attribute_definitions=[
                dynamodb.CfnTable.AttributeDefinitionProperty(attribute_name=a["AttributeName"],
                                                              attribute_type=a["AttributeType"])
                for a in spec.attribute_definitions
            ],
            global_secondary_indexes=[
                dynamodb.CfnTable.GlobalSecondaryIndexProperty(index_name=i["IndexName"], key_schema=keys(i["KeySchema"]),
                                                               projection=projection(i["Projection"]))
                for i in spec.global_secondary_indexes
            ] or None,
            local_secondary_indexes=[
                dynamodb.CfnTable.LocalSecondaryIndexProperty(index_name=i["IndexName"], key_schema=keys(i["KeySchema"]),
                                                              projection=projection(i["Projection"]))
                for i in spec.local_secondary_indexes
            ] or None,
            point_in_time_recovery_specification=dynamodb.CfnTable.PointInTimeRecoverySpecificationProperty(
                point_in_time_recovery_enabled=True),
            sse_specification=dynamodb.CfnTable.SSESpecificationProperty(
                sse_enabled=True, sse_type="KMS", kms_master_key_id=self.data_key.key_arn),
            time_to_live_specification=dynamodb.CfnTable.TimeToLiveSpecificationProperty(
                attribute_name=spec.ttl_attribute, enabled=True) if spec.ttl_attribute else None,
            deletion_protection_enabled=self.config.prod,
        )
        table.apply_removal_policy(self.retain)
        return table

    # ----------------------------------------------------------------- queues

    def _queue_pair(self, role: str, name: str, dlq_name: str, visibility: int, max_receive: int) -> QueuePair:
        dlq = sqs.CfnQueue(
            self, logical_id("Queue", role, "dlq"), queue_name=dlq_name,
            message_retention_period=14 * 24 * 3600, sqs_managed_sse_enabled=True,
        )
        queue = sqs.CfnQueue(
            self, logical_id("Queue", role), queue_name=name,
            visibility_timeout=visibility, sqs_managed_sse_enabled=True,
            redrive_policy={"deadLetterTargetArn": dlq.attr_arn, "maxReceiveCount": max_receive},
        )
        for q in (dlq, queue):
            q.apply_removal_policy(self.retain)
        sqs.CfnQueuePolicy(  # TLS only, for every principal (the policy grants nothing)
            self, logical_id("Queue", role, "TlsOnly"), queues=[queue.ref, dlq.ref],
            policy_document={"Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sqs:*",
                "Resource": [queue.attr_arn, dlq.attr_arn], "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }]},
        )
        return QueuePair(role, queue, dlq)

    def _queue_arn(self, target: str) -> str:
        base, _, dlq = target.partition("-")
        pair = self.queues[base]
        return (pair.dlq if dlq else pair.queue).attr_arn

    # ---------------------------------------------------------------- exports

    def _exports_bucket(self) -> s3.Bucket:
        """Ledger export files (台账导出): private, encrypted, TLS only, gone after a day (the job
        records expire then too), incomplete multipart uploads aborted."""
        from chalicelib.domain.ledger import EXPORT_RETENTION

        retention = cdk.Duration.days(EXPORT_RETENTION.days)
        return s3.Bucket(
            self, "ExportsBucket",
            bucket_name=f"{self.config.stack_name}-exports-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",  # names are global
            encryption=s3.BucketEncryption.S3_MANAGED, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=False, removal_policy=self.retain,
            lifecycle_rules=[s3.LifecycleRule(id="expire-exports", expiration=retention,
                                              abort_incomplete_multipart_upload_after=retention)],
        )

    def _exports_objects_arn(self) -> str:
        from chalicelib.domain.ledger import EXPORT_KEY_PREFIX

        return cdk.Fn.join("", [self.exports_bucket.bucket_arn, f"/{EXPORT_KEY_PREFIX}*"])

    # ------------------------------------------------------------ attachments

    def _attachments_bucket(self) -> s3.Bucket:
        """Case attachments (证据材料): private, encrypted, TLS only. Presigned POSTs land under
        the uploads prefix, which expires after a day: a form used again after its file was
        checked and moved leaves nothing lasting. Stored files (files/) are kept."""
        from chalicelib.domain.attachments import UPLOAD_PREFIX

        a_day = cdk.Duration.days(1)
        return s3.Bucket(
            self, "AttachmentsBucket",
            bucket_name=f"{self.config.stack_name}-attachments-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",
            encryption=s3.BucketEncryption.S3_MANAGED, block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True, versioned=False, removal_policy=self.retain,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-uploads", prefix=UPLOAD_PREFIX, expiration=a_day),
                s3.LifecycleRule(id="abort-incomplete-multipart-uploads",
                                 abort_incomplete_multipart_upload_after=a_day),
            ],
            cors=[s3.CorsRule(allowed_methods=[s3.HttpMethods.POST], allowed_origins=list(self.config.upload_origins),
                              allowed_headers=["*"], max_age=3000)],
        )

    def _attachment_statements(self) -> list[dict]:
        from chalicelib.domain.attachments import STORED_PREFIX, UPLOAD_PREFIX

        arn = self.attachments_bucket.bucket_arn
        return [
            {"Sid": "AttachmentUploads", "Effect": "Allow", "Action": list(access.ATTACHMENT_UPLOAD_ACTIONS),
             "Resource": cdk.Fn.join("", [arn, f"/{UPLOAD_PREFIX}*"])},
            {"Sid": "AttachmentFiles", "Effect": "Allow", "Action": list(access.ATTACHMENT_STORED_ACTIONS),
             "Resource": cdk.Fn.join("", [arn, f"/{STORED_PREFIX}*"])},
            {"Sid": "AttachmentKeys", "Effect": "Allow", "Action": list(access.ATTACHMENT_BUCKET_ACTIONS),
             "Resource": arn},
        ]

    # ------------------------------------------------------------------ roles

    def function_name(self, name: str) -> str:
        """As `chalice deploy` would name it: `hewei-dev-route_cases`."""
        return f"{self.config.stack_name}-{name}"

    def _log_group(self, name: str) -> logs.CfnLogGroup:
        group = logs.CfnLogGroup(self, logical_id("Logs", name), log_group_name=f"/aws/lambda/{self.function_name(name)}",
                                 retention_in_days=self.config.log_retention_days)
        group.apply_removal_policy(self.retain)
        return group

    def _role(self, info: FunctionInfo) -> iam.CfnRole:
        grants = info.access
        statements: list[dict] = [{
            "Sid": "OwnLogs", "Effect": "Allow", "Action": list(access.LOG_ACTIONS),
            "Resource": self.log_groups[info.name].attr_arn,
        }]
        reads = sorted(grants.tables)
        writes = sorted(t for t, level in grants.tables.items() if level == access.WRITE)
        if reads:
            statements.append({"Sid": "ReadTables", "Effect": "Allow", "Action": list(access.TABLE_READ_ACTIONS),
                               "Resource": [self.tables[t][1].attr_arn for t in reads]})
            index_arns = [cdk.Fn.join("", [self.tables[t][1].attr_arn, f"/index/{index}"])
                          for t in reads for index in self.tables[t][0].index_names]
            if index_arns:
                statements.append({"Sid": "QueryIndexes", "Effect": "Allow", "Action": list(access.INDEX_ACTIONS),
                                   "Resource": index_arns})
            kms_actions = list(access.KMS_READ_ACTIONS) + (list(access.KMS_WRITE_ACTIONS) if writes else [])
            statements.append({
                "Sid": "TableKeyViaDynamoDB", "Effect": "Allow", "Action": kms_actions,
                "Resource": self.data_key.key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}"}},
            })
        if writes:
            statements.append({"Sid": "WriteTables", "Effect": "Allow", "Action": list(access.TABLE_WRITE_ACTIONS),
                               "Resource": [self.tables[t][1].attr_arn for t in writes]})
        if grants.deletes:
            statements.append({"Sid": "DeleteItems", "Effect": "Allow", "Action": list(access.TABLE_DELETE_ACTIONS),
                               "Resource": [self.tables[t][1].attr_arn for t in sorted(grants.deletes)]})
        if info.consumes:
            statements.append({"Sid": "ConsumeQueue", "Effect": "Allow", "Action": list(access.QUEUE_CONSUME_ACTIONS),
                               "Resource": self.queues[info.consumes].queue.attr_arn})
        if grants.sends:
            statements.append({"Sid": "SendToQueues", "Effect": "Allow", "Action": list(access.QUEUE_SEND_ACTIONS),
                               "Resource": [self._queue_arn(t) for t in grants.sends]})
        if grants.exports:
            actions = access.EXPORT_WRITE_ACTIONS if grants.exports == access.WRITE else access.EXPORT_READ_ACTIONS
            statements.append({"Sid": "ExportFiles", "Effect": "Allow", "Action": list(actions),
                               "Resource": self._exports_objects_arn()})
        if grants.attachments:
            statements.extend(self._attachment_statements())
        if grants.sms and self.sms_secret is not None:
            # A mainland provider's credentials: this secret only. It is encrypted with Secrets Manager's
            # AWS-managed key, which needs no kms:Decrypt in the role (the key's policy allows it through
            # Secrets Manager for the account's principals allowed to read the secret).
            statements.append({"Sid": "ReadSmsCredentials", "Effect": "Allow",
                               "Action": list(access.SMS_SECRET_ACTIONS), "Resource": self.sms_secret.secret_arn})
        elif grants.sms:
            # Publish(PhoneNumber=...) names no resource: IAM can only express it with "*".
            statements.append({"Sid": access.SMS_STATEMENT_SID, "Effect": "Allow",
                               "Action": list(access.SMS_ACTIONS), "Resource": "*"})
            statements.append({"Sid": access.SMS_DENY_STATEMENT_SID, "Effect": "Deny",
                               "Action": list(access.SMS_ACTIONS), "Resource": {"Fn::Sub": access.SNS_ANY_ARN}})
        return iam.CfnRole(
            self, logical_id("Role", info.name),
            description=f"Hewei {self.config.stage}: {info.name} only",
            assume_role_policy_document={"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            # Inline, so the role's permissions exist before the function (and its SQS mapping) is created.
            policies=[iam.CfnRole.PolicyProperty(policy_name="least-privilege", policy_document={
                "Version": "2012-10-17", "Statement": statements})],
        )

    # -------------------------------------------------------------- functions

    def _package_files(self) -> set[str]:
        """Top-level names in the function zip and the managed layer's site-packages."""
        package_dir = Path(self.chalice._sam_package_dir)  # noqa: SLF001
        names: set[str] = set()
        if (package_dir / "deployment.zip").exists():
            with zipfile.ZipFile(package_dir / "deployment.zip") as archive:
                names |= {entry.split("/")[0] for entry in archive.namelist()}
        if (package_dir / "layer-deployment.zip").exists():
            names |= layer_top_level(package_dir / "layer-deployment.zip")
        return names

    def _check_package(self) -> None:
        if self.config.jwks_url and "cryptography" not in self._package_files():
            # PyJWT verifies RS256/ES256 only with `cryptography`, which requirements.txt does not ship.
            raise ValueError("jwks_url needs `cryptography` in the Lambda package: add PyJWT[crypto] (pinned) "
                             "to requirements.txt, or deploy without jwks_url (HS256 staff tokens)")

    def _sms_layer(self) -> lambda_.LayerVersion:
        """The provider's SDK, in a layer of its own (send_notifications only, `_wire_functions`)."""
        provider = self.config.sms_provider
        package_dir = Path(self.chalice._sam_package_dir)  # noqa: SLF001
        main_layer = package_dir / "layer-deployment.zip"
        if not main_layer.exists():
            raise ValueError("the SMS layer is built beside Chalice's managed layer (automatic_layer)")
        output = package_dir / f"sms-layer-{provider}.zip"
        with exclusive_packaging(PROJECT_ROOT):
            build_sms_layer(provider, PROJECT_ROOT, main_layer, output)
        return lambda_.LayerVersion(
            self, "SmsLayer", layer_version_name=f"{self.config.stack_name}-sms-{provider}",
            description=f"The {provider} SMS SDK ({SMS_LAYER_REQUIREMENTS[provider]}), for send_notifications",
            code=lambda_.Code.from_asset(str(output)),
            compatible_runtimes=[lambda_.Runtime(f"python{LAMBDA_PYTHON}", lambda_.RuntimeFamily.PYTHON)],
            removal_policy=self.retain,
        )

    def _sms_variables(self) -> dict:
        """The HEWEI_SMS_* settings (chalicelib.config.sms_settings) of the function that sends SMS."""
        config = self.config
        variables: dict = {}
        if config.mainland_sms:
            variables.update(HEWEI_SMS_PROVIDER=config.sms_provider, HEWEI_SMS_SIGN_NAME=config.sms_sign_name,
                             HEWEI_SMS_SECRET=config.sms_secret_name)
            for key, value in (("HEWEI_SMS_REGION", config.sms_region), ("HEWEI_SMS_APP_ID", config.sms_app_id),
                               ("HEWEI_SMS_TEMPLATE_CODES", config.sms_template_codes)):
                if value:
                    variables[key] = value
        for key, value in (("HEWEI_SMS_PER_MINUTE", config.sms_per_minute), ("HEWEI_SMS_PER_HOUR", config.sms_per_hour)):
            if value is not None:
                variables[key] = str(value)
        return variables

    def _sam_resources(self) -> dict[str, dict]:
        """The template `chalice package` wrote (CfnInclude's typed view of SAM events does not deserialize)."""
        path = Path(self.chalice._sam_package_dir) / "sam.json"  # noqa: SLF001 - no public accessor
        return json.loads(path.read_text())["Resources"]

    def _wire_functions(self) -> None:
        """Give each generated function its role, name, timeout, memory, secrets and queue."""
        generated: dict[str, tuple[str, dict]] = {}
        managed_layers = []
        for logical, resource in self._sam_resources().items():
            if resource["Type"] == "AWS::Serverless::LayerVersion":  # automatic_layer: the dependencies
                self.chalice.get_resource(logical).add_property_override(
                    "LayerName", f"{self.config.stack_name}-dependencies")
                managed_layers.append(logical)
            if resource["Type"] == "AWS::Serverless::Function":
                handler = resource["Properties"]["Handler"]  # "app.app" for the API, "app.<name>" for the others
                name = API_FUNCTION if handler == "app.app" else handler.split(".", 1)[1]
                generated[name] = (logical, resource["Properties"])
        if set(generated) != set(self.functions):
            raise ValueError(f"chalice package made {sorted(generated)}, expected {sorted(self.functions)}")
        for name, info in self.functions.items():
            info.logical_id, properties = generated[name]
            function = self.chalice.get_resource(info.logical_id)
            grants = info.access
            function.add_property_override("FunctionName", self.function_name(name))
            function.add_property_override("Role", self.roles[name].attr_arn)
            function.add_property_override("Timeout", grants.timeout_seconds)
            function.add_property_override("MemorySize", grants.memory_mb)
            variables = {}
            if grants.exports:
                variables["HEWEI_EXPORTS_BUCKET"] = self.exports_bucket.bucket_name
            if grants.attachments:
                variables["HEWEI_ATTACHMENTS_BUCKET"] = self.attachments_bucket.bucket_name
            if grants.secret_key:
                variables["HEWEI_SECRET_KEY"] = self.secret_key.secret_value.unsafe_unwrap()
            if grants.staff_tokens:
                variables["HEWEI_JWT_ISSUER"] = self.config.issuer
                if self.config.jwks_url:
                    variables["HEWEI_JWKS_URL"] = self.config.jwks_url
                else:
                    variables["HEWEI_JWT_SECRET"] = self.jwt_secret.secret_value.unsafe_unwrap()
            if grants.sms:
                variables.update(self._sms_variables())
                if self.sms_layer is not None:  # after Chalice's managed layer: the main layer's packages come first
                    function.add_property_override(
                        "Layers", [*({"Ref": layer} for layer in managed_layers), self.sms_layer.layer_version_arn])
            for key, value in variables.items():
                function.add_property_override(f"Environment.Variables.{key}", value)
            function.add_resource_dependency(self.log_groups[name])  # the function never creates its own log group
            self._wire_events(function, info, properties.get("Events", {}))

    def _wire_events(self, function: cdk.CfnResource, info: FunctionInfo, events: dict) -> None:
        sqs_events = {k: v for k, v in events.items() if v["Type"] == "SQS"}
        if bool(sqs_events) != bool(info.consumes):
            raise ValueError(f"{info.name}: SQS events {list(sqs_events)} but consumes {info.consumes!r}")
        for event_name, event in sqs_events.items():
            queue = self.queues[info.consumes].queue
            declared = event["Properties"]["Queue"]
            match = _SUB_QUEUE_ARN.match(declared.get("Fn::Sub", "") if isinstance(declared, dict) else "")
            if not match or match.group("name") != queue.queue_name:
                raise ValueError(f"{info.name}: unexpected queue reference {declared!r}")
            # A reference, not a name: the event source mapping is created after the queue.
            function.add_property_override(f"Events.{event_name}.Properties.Queue", queue.attr_arn)
            if info.access.report_batch_item_failures:
                function.add_property_override(f"Events.{event_name}.Properties.FunctionResponseTypes",
                                               ["ReportBatchItemFailures"])

    # -------------------------------------------------------------------- API

    def _api(self) -> None:
        if API_FUNCTION not in self.functions:
            return
        config = self.config
        api = self.chalice.get_resource("RestAPI")
        self.api_name = config.stack_name
        api.add_property_override("Name", self.api_name)
        api.add_property_override("DefinitionBody.info.title", self.api_name)
        api.add_property_override("MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": config.api_rate_limit, "ThrottlingBurstLimit": config.api_burst_limit,
        }])
        plan = apigateway.CfnUsagePlan(
            self, "PartnerUsagePlan", usage_plan_name=f"{config.stack_name}-partners",
            description="Per-partner throttling and quota, for partners given an API key",
            # `RestAPI.Stage` is SAM's reference to the stage it generates: it also orders the two.
            api_stages=[apigateway.CfnUsagePlan.ApiStageProperty(api_id=api.ref, stage=cdk.Fn.ref("RestAPI.Stage"))],
            throttle=apigateway.CfnUsagePlan.ThrottleSettingsProperty(
                rate_limit=config.partner_rate_limit, burst_limit=config.partner_burst_limit),
            quota=apigateway.CfnUsagePlan.QuotaSettingsProperty(limit=config.partner_daily_quota, period="DAY"),
        )
        # CDK's own template check does not know SAM's generated-resource references.
        cdk.Validations.of(plan).acknowledge(cdk.Acknowledgment(
            id="CloudFormation-Validate::F1020", reason="RestAPI.Stage is resolved by the SAM transform"))
        self.usage_plan = plan
        # API Gateway's own refusals (no such route, throttled, too large) as problem+json too (§2).
        for response_type, status in GATEWAY_PROBLEMS.items():
            apigateway.CfnGatewayResponse(
                self, "Problem" + response_type.title().replace("_", ""), rest_api_id=api.ref,
                response_type=response_type, status_code=str(status) if status else None,
                response_parameters={"gatewayresponse.header.Content-Type": "'application/problem+json'"},
                response_templates={"application/json": gateway_problem_template(status)},
            )

    def _api_snapstart(self) -> None:
        """SnapStart on the API function. Lambda snapshots a version when it is published and
        restores from that snapshot at cold start, and only for published versions: SAM publishes
        one at each deployment whose code or configuration changed (`AutoPublishAliasAllProperties`)
        and points the alias at it; every gateway integration and the invoke permission name the
        alias instead of the function (which would be $LATEST, without a snapshot)."""
        logical = self.functions[API_FUNCTION].logical_id
        function = self.chalice.get_resource(logical)
        function.add_property_override("AutoPublishAlias", API_ALIAS)
        function.add_property_override("AutoPublishAliasAllProperties", True)
        function.add_property_override("SnapStart", {"ApplyOn": "PublishedVersions"})
        sam = self._sam_resources()
        latest = f"${{{logical}.Arn}}"
        # `Ref: <function>.Alias` is SAM's reference to the alias it generates (the alias's ARN);
        # through a variable, since cfn-lint reads `${<function>.Alias}` as a GetAtt it does not know.
        alias_uri = {"Fn::Sub": ["arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                                 "${ApiFunctionAlias}/invocations", {"ApiFunctionAlias": {"Ref": f"{logical}.Alias"}}]}
        paths: dict[str, dict] = {}
        for path, methods in sam["RestAPI"]["Properties"]["DefinitionBody"]["paths"].items():
            for method, operation in methods.items():
                uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
                if isinstance(uri, dict) and latest in str(uri.get("Fn::Sub", "")):
                    paths.setdefault(path, {})[method] = {"x-amazon-apigateway-integration": {"uri": alias_uri}}
        if not paths:
            raise ValueError(f"no gateway integration of {logical} found to point at its alias")
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("DefinitionBody.paths", paths)  # merged into the generated paths
        permissions = [k for k, r in sam.items() if r["Type"] == "AWS::Lambda::Permission"
                       and r["Properties"].get("FunctionName") == {"Ref": logical}
                       and r["Properties"].get("Principal") == "apigateway.amazonaws.com"]
        if not permissions:
            raise ValueError(f"no API Gateway invoke permission of {logical} found")
        for permission in permissions:
            self.chalice.get_resource(permission).add_property_override("FunctionName",
                                                                        {"Ref": f"{logical}.Alias"})

    # ----------------------------------------------------------------- alarms

    def _alarms(self) -> None:
        from chalicelib.adapters.metrics import NAMESPACE as METRICS_NAMESPACE, SERVICE as METRICS_SERVICE
        from chalicelib.services.calendar import COVERAGE_METRIC

        config = self.config
        topic = sns.CfnTopic(self, "AlarmTopic", topic_name=f"{config.stack_name}-alarms",
                             display_name=f"Hewei {config.stage} alarms")
        if config.alarm_email:
            sns.CfnSubscription(self, "AlarmEmail", topic_arn=topic.ref, protocol="email",
                                endpoint=config.alarm_email)
        self.alarm_topic = topic

        def alarm(logical: str, name: str, description: str, namespace: str, metric: str,
                  dimensions: dict[str, str], statistic: str, threshold: float, *, period: int = 300,
                  comparison: str = "GreaterThanOrEqualToThreshold",
                  missing_data: str = "notBreaching") -> cloudwatch.CfnAlarm:
            return cloudwatch.CfnAlarm(
                self, logical, alarm_name=f"{config.stack_name}-{name}", alarm_description=description,
                namespace=namespace, metric_name=metric,
                dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name=k, value=v) for k, v in dimensions.items()],
                statistic=statistic, period=period, evaluation_periods=1, threshold=threshold,
                comparison_operator=comparison, treat_missing_data=missing_data,
                alarm_actions=[topic.ref], ok_actions=[topic.ref],
            )

        for role, pair in self.queues.items():
            alarm(logical_id("Alarm", role, "DlqDepth"), f"{role}-dlq-depth",
                  f"Messages on the {role} dead-letter queue: handle, then redrive or delete them",
                  "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": pair.dlq.queue_name},
                  "Maximum", 1)
        for name in self.functions:
            dims = {"FunctionName": self.function_name(name)}
            alarm(logical_id("Alarm", name, "Errors"), f"{name}-errors",
                  f"{name} failed at least 3 times in 5 minutes", "AWS/Lambda", "Errors", dims, "Sum", 3)
            alarm(logical_id("Alarm", name, "Throttles"), f"{name}-throttles",
                  f"{name} was throttled", "AWS/Lambda", "Throttles", dims, "Sum", 1)
        # The supervision sweep records how many days ahead the working calendar has data (every 5 min);
        # an hour without the figure is a breach too: nobody can tell the calendar is current.
        alarm("AlarmCalendarCoverage", "calendar-coverage",
              f"The working calendar has holiday data for fewer than {CALENDAR_COVERAGE_DAYS} days ahead: "
              "PUT /v1/calendar/{next year} with the State Council's schedule (README, Working calendar)",
              METRICS_NAMESPACE, COVERAGE_METRIC, {"service": METRICS_SERVICE}, "Minimum", CALENDAR_COVERAGE_DAYS,
              period=3600, comparison="LessThanThreshold", missing_data="breaching")
        if API_FUNCTION in self.functions:
            alarm("AlarmApi5xx", "api-5xx", "The API answered 5xx at least 5 times in 5 minutes",
                  "AWS/ApiGateway", "5XXError", {"ApiName": self.api_name, "Stage": API_STAGE}, "Sum", 5)

    # ---------------------------------------------------------------- outputs

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "SecretKeyName", value=self.secret_key.secret_name)
        if self.jwt_secret is not None:
            cdk.CfnOutput(self, "JwtSecretName", value=self.jwt_secret.secret_name)
        if self.sms_secret is not None:
            cdk.CfnOutput(self, "SmsCredentialsSecretName", value=self.sms_secret.secret_name)
        cdk.CfnOutput(self, "StaffTokenIssuer", value=self.config.issuer)
        if API_FUNCTION in self.functions:
            cdk.CfnOutput(self, "PartnerUsagePlanId", value=self.usage_plan.ref)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.ref)
