"""The cloud stack (infra/) checked offline against what the code expects.

The CDK app is synthesized once per stage per session, in a subprocess with
no AWS credentials (as `make synth` does: table and queue names are fixed at
import, so a stage needs a fresh interpreter), and the templates are checked
with `aws_cdk.assertions` and cfn-lint.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk", reason="infra dependencies not installed (requirements-infra.txt)")

from aws_cdk.assertions import Match, Template  # noqa: E402

from chalicelib.adapters.bootstrap import DLQ_MAX_RECEIVE_COUNT  # noqa: E402
from chalicelib.adapters.models import ALL_MODELS, TTL_ATTRIBUTES  # noqa: E402
from chalicelib.config import QUEUE_SUFFIXES, resource_name  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

from hewei_infra import access  # noqa: E402


LOCAL_PREFIX = resource_name("")  # the test session's own prefix (conftest: hewei-local-)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus credentials, endpoints and the app's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HEWEI_", "CDK_"))}
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    env.update(extra)
    return env


def synthesize(stage: str, workdir: Path, **context) -> dict:
    outdir = workdir / "cdk.out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "app.py")],
        cwd=workdir,  # chalice.out/ goes here, not into the work tree
        env=clean_env(CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps({"stage": stage, **context}),
                      AWS_DEFAULT_REGION="us-east-1"),
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, f"synth failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    return {"path": outdir / f"hewei-{stage}.template.json",
            "json": json.loads((outdir / f"hewei-{stage}.template.json").read_text())}


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> dict:
    return synthesize("dev", tmp_path_factory.mktemp("synth-dev"))


PROD_SMS_CONTEXT = {"sms_provider": "aliyun", "sms_sign_name": "和为贵", "sms_region": "cn-hangzhou",
                    "sms_template_codes": json.dumps({"deadline_reminder": "SMS_100000001"}),
                    "sms_per_hour": "4"}
"""prod is synthesized as a mainland stage (Alibaba Cloud SMS) and dev as an sns stage: both kinds of
stage are checked with the two synths the module already makes."""


@pytest.fixture(scope="module")
def prod(tmp_path_factory) -> dict:
    return synthesize("prod", tmp_path_factory.mktemp("synth-prod"), **PROD_SMS_CONTEXT)


@pytest.fixture(scope="module")
def template(dev) -> Template:
    return Template.from_json(dev["json"])


def resources(tpl: dict, type_: str) -> dict[str, dict]:
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == type_}


def functions(tpl: dict) -> dict[str, dict]:
    """Chalice handler name → its AWS::Serverless::Function resource (with `_id`)."""
    found = {}
    for logical, resource in resources(tpl, "AWS::Serverless::Function").items():
        handler = resource["Properties"]["Handler"]
        found["api_handler" if handler == "app.app" else handler.split(".", 1)[1]] = {**resource, "_id": logical}
    return found


def getatt_id(value) -> str:
    assert isinstance(value, dict) and "Fn::GetAtt" in value, value
    return value["Fn::GetAtt"][0]


def by_name(tpl: dict, type_: str, name_key: str) -> dict[str, tuple[str, dict]]:
    return {r["Properties"][name_key]: (k, r) for k, r in resources(tpl, type_).items()}


# -------------------------------------------------------------------- tables


def expected_table(model) -> dict:
    """What the PynamoDB model declares, read from its attributes and indexes (not from _get_schema)."""
    def key_schema(attributes):
        keys = [(a.attr_name, "HASH") for a in attributes if a.is_hash_key]
        keys += [(a.attr_name, "RANGE") for a in attributes if a.is_range_key]
        return [{"AttributeName": n, "KeyType": t} for n, t in keys]

    attributes = {a.attr_name: a.attr_type for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key}
    indexes = []
    for index in model._indexes.values():
        index_attrs = list(index.Meta.attributes.values())
        attributes.update({a.attr_name: a.attr_type for a in index_attrs if a.is_hash_key or a.is_range_key})
        projection = {"ProjectionType": index.Meta.projection.projection_type}
        if index.Meta.projection.non_key_attributes:
            projection["NonKeyAttributes"] = sorted(index.Meta.projection.non_key_attributes)
        indexes.append({"IndexName": index.Meta.index_name, "KeySchema": key_schema(index_attrs),
                        "Projection": projection})
    return {
        "KeySchema": key_schema(model.get_attributes().values()),
        "AttributeDefinitions": sorted(({"AttributeName": n, "AttributeType": t} for n, t in attributes.items()),
                                       key=lambda a: a["AttributeName"]),
        "Indexes": sorted(indexes, key=lambda i: i["IndexName"]),
    }


def test_every_model_has_its_table_with_the_same_keys_and_indexes(dev):
    tables = by_name(dev["json"], "AWS::DynamoDB::Table", "TableName")
    assert len(tables) == len(ALL_MODELS)
    for model in ALL_MODELS:
        name = "hewei-dev-" + model.Meta.table_name[len(LOCAL_PREFIX):]
        assert name in tables, f"{model.__name__}: no table {name}"
        props = tables[name][1]["Properties"]
        want = expected_table(model)
        assert props["KeySchema"] == want["KeySchema"], model.__name__
        assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == want["AttributeDefinitions"]
        got = sorted(props.get("GlobalSecondaryIndexes", []) + props.get("LocalSecondaryIndexes", []),
                     key=lambda i: i["IndexName"])
        assert got == want["Indexes"], model.__name__


def test_tables_are_on_demand_recoverable_and_encrypted_with_our_key(dev, template):
    keys = resources(dev["json"], "AWS::KMS::Key")
    assert len(keys) == 1
    key_id = next(iter(keys))
    assert keys[key_id]["Properties"]["EnableKeyRotation"] is True
    template.all_resources_properties("AWS::DynamoDB::Table", {
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS",
                             "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}},
    })


def test_ttl_exactly_where_the_models_expire_records(dev):
    tables = by_name(dev["json"], "AWS::DynamoDB::Table", "TableName")
    for model in ALL_MODELS:
        props = tables["hewei-dev-" + model.Meta.table_name[len(LOCAL_PREFIX):]][1]["Properties"]
        if model in TTL_ATTRIBUTES:
            assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTES[model], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_prod_tables_are_protected_and_retained_dev_tables_are_not(dev, prod):
    for table in resources(prod["json"], "AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"
        assert table["Properties"]["TableName"].startswith("hewei-prod-")
    for table in resources(dev["json"], "AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] is False
    for secret in resources(prod["json"], "AWS::SecretsManager::Secret").values():
        assert secret["DeletionPolicy"] == "Retain"


# -------------------------------------------------------------------- queues


def test_every_queue_has_a_dead_letter_queue_and_a_visibility_above_its_consumer(dev):
    tpl = dev["json"]
    queues = by_name(tpl, "AWS::SQS::Queue", "QueueName")
    assert len(queues) == 2 * len(QUEUE_SUFFIXES)
    consumer_timeout = {}
    for fn in functions(tpl).values():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                consumer_timeout[getatt_id(event["Properties"]["Queue"])] = fn["Properties"]["Timeout"]
    for role, suffix in QUEUE_SUFFIXES.items():
        queue_id, queue = queues[f"hewei-dev-{suffix}"]
        dlq_id, dlq = queues[f"hewei-dev-{suffix}-dlq"]
        redrive = queue["Properties"]["RedrivePolicy"]
        assert getatt_id(redrive["deadLetterTargetArn"]) == dlq_id
        assert int(redrive["maxReceiveCount"]) == DLQ_MAX_RECEIVE_COUNT == 5
        assert "RedrivePolicy" not in dlq["Properties"]
        assert dlq["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
        if queue_id in consumer_timeout:
            assert queue["Properties"]["VisibilityTimeout"] >= 6 * consumer_timeout[queue_id], role
        for q in (queue, dlq):
            assert q["Properties"]["SqsManagedSseEnabled"] is True


def test_sqs_event_sources_reference_the_queues_so_they_are_created_after_them(dev):
    tpl = dev["json"]
    queue_ids = {k for k, r in resources(tpl, "AWS::SQS::Queue").items() if not r["Properties"]["QueueName"].endswith("-dlq")}
    subscribed = set()
    for name, fn in functions(tpl).items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            queue_id = getatt_id(event["Properties"]["Queue"])  # GetAtt: an implicit dependency
            assert queue_id in queue_ids
            subscribed.add(queue_id)
            # Ours raise on failure and delete the good messages themselves: no partial batch responses.
            wants = access.FUNCTIONS[name].report_batch_item_failures
            assert ("FunctionResponseTypes" in event["Properties"]) is wants
    assert subscribed, "no SQS event source at all"


def test_each_callback_is_an_invocation_of_its_own_well_within_the_functions_timeout(dev):
    """One message per invocation (issue 20): a slow partner never delays another's callback,
    and a timed-out invocation never re-sends a healthy partner's. The timeout leaves room for
    the 10 s deadline, the partner look-up, the delivery record and a retry's publish."""
    from chalicelib.adapters.webhooks import CALLBACK_DEADLINE_SECONDS

    fn = functions(dev["json"])["deliver_callbacks"]
    [event] = [e for e in fn["Properties"]["Events"].values() if e["Type"] == "SQS"]
    assert event["Properties"]["BatchSize"] == 1
    assert fn["Properties"]["Timeout"] == access.FUNCTIONS["deliver_callbacks"].timeout_seconds
    assert fn["Properties"]["Timeout"] >= 2 * CALLBACK_DEADLINE_SECONDS + 5


def test_schedules_come_from_the_app(dev):
    import app as chalice_module
    from chalice.app import ScheduledEventConfig

    fns = functions(dev["json"])
    for source in chalice_module.app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            events = fns[source.name]["Properties"]["Events"].values()
            expression = source.schedule_expression
            expression = expression if isinstance(expression, str) else expression.to_string()
            assert [e["Properties"]["Schedule"] for e in events if e["Type"] == "Schedule"] == [expression]


# --------------------------------------------------------------------- roles


def role_statements(tpl: dict) -> dict[str, list[dict]]:
    """Every IAM statement attached to a role or a user, by the resource that holds it."""
    found = {}
    for logical, resource in tpl["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            found[logical] = [s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
            assert not props.get("ManagedPolicyArns"), f"{logical}: managed policies are not reviewed here"
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found[logical] = props["PolicyDocument"]["Statement"]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_one_role_per_function(dev):
    fns = functions(dev["json"])
    role_ids = [getatt_id(fn["Properties"]["Role"]) for fn in fns.values()]
    assert len(set(role_ids)) == len(fns)
    assert set(role_ids) == set(resources(dev["json"], "AWS::IAM::Role"))


def test_every_function_of_the_app_is_deployed_with_a_declared_access_entry(dev):
    import app as chalice_module

    names = {source.name for source in chalice_module.app.event_sources} | {"api_handler"}
    assert names <= set(access.FUNCTIONS), f"declare least privilege in infra/hewei_infra/access.py: {names - set(access.FUNCTIONS)}"
    assert set(functions(dev["json"])) == names


def test_no_wildcard_action_or_resource_but_the_sms_statement(dev):
    allowed_star = []
    for holder, statements in role_statements(dev["json"]).items():
        for statement in statements:
            assert "NotAction" not in statement and "NotResource" not in statement, holder
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{holder}: wildcard action {action}"
            for resource in as_list(statement["Resource"]):
                if isinstance(resource, str) and "*" in resource:
                    assert resource == "*", f"{holder}: wildcard in {resource}"
                    allowed_star.append((holder, statement))
    assert len(allowed_star) == 1, "only the SMS statement may name Resource '*'"
    holder, statement = allowed_star[0]
    assert statement["Sid"] == access.SMS_STATEMENT_SID
    assert statement["Effect"] == "Allow" and as_list(statement["Action"]) == ["sns:Publish"]
    assert holder == getatt_id(functions(dev["json"])["send_notifications"]["Properties"]["Role"])


def _statement_matches(statement: dict, action: str, resource: str) -> bool:
    """IAM's matching of one statement, for the wildcard forms the stack writes (`*`, `?`); a resource
    named by another intrinsic (`Fn::GetAtt` of a table or queue) is no SNS ARN."""
    resources = [r if isinstance(r, str) else r["Fn::Sub"].replace("${AWS::Partition}", "aws")
                 for r in as_list(statement["Resource"]) if isinstance(r, str) or "Fn::Sub" in r]
    return action in as_list(statement["Action"]) and any(fnmatch.fnmatchcase(resource, r) for r in resources)


def _allowed(statements: list[dict], action: str, resource: str) -> bool:
    """An explicit Deny wins over any Allow; nothing allowed is denied."""
    if any(s["Effect"] == "Deny" and _statement_matches(s, action, resource) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _statement_matches(s, action, resource) for s in statements)


@pytest.mark.parametrize("resource, allowed", [
    ("*", True),  # Publish(PhoneNumber=...): the request names no resource
    ("arn:aws:sns:ap-southeast-1:123456789012:hewei-dev-alarms", False),
    ("arn:aws:sns:us-east-1:210987654321:somebody-elses-topic", False),
    ("arn:aws:sns:ap-southeast-1:123456789012:endpoint/GCM/app/0f1e2d3c", False),
])
def test_the_sms_role_may_publish_to_phone_numbers_only(dev, resource, allowed):
    notify_role = getatt_id(functions(dev["json"])["send_notifications"]["Properties"]["Role"])
    statements = role_statements(dev["json"])[notify_role]
    assert _allowed(statements, "sns:Publish", resource) is allowed
    denies = [s for holder in role_statements(dev["json"]).values() for s in holder if s["Effect"] == "Deny"]
    assert [s["Sid"] for s in denies] == [access.SMS_DENY_STATEMENT_SID]


def test_only_the_notification_sender_may_publish_to_sns(dev):
    notify_role = getatt_id(functions(dev["json"])["send_notifications"]["Properties"]["Role"])
    for holder, statements in role_statements(dev["json"]).items():
        actions = {a for s in statements for a in as_list(s["Action"])}
        assert ("sns:Publish" in actions) is (holder == notify_role), holder
        assert not {a for a in actions if a.startswith("sns:") and a != "sns:Publish"}, holder


def test_roles_reach_only_the_tables_and_queues_their_entry_names(dev):
    tpl = dev["json"]
    table_ids = {r["Properties"]["TableName"][len("hewei-dev-"):]: k
                 for k, r in resources(tpl, "AWS::DynamoDB::Table").items()}
    queue_ids = {r["Properties"]["QueueName"][len("hewei-dev-"):]: k for k, r in resources(tpl, "AWS::SQS::Queue").items()}
    statements = role_statements(tpl)
    for name, fn in functions(tpl).items():
        grants = access.FUNCTIONS[name]
        by_sid = {s["Sid"]: s for s in statements[getatt_id(fn["Properties"]["Role"])]}
        read = {getatt_id(r) for r in as_list(by_sid.get("ReadTables", {}).get("Resource", []))}
        write = {getatt_id(r) for r in as_list(by_sid.get("WriteTables", {}).get("Resource", []))}
        assert read == {table_ids[t] for t in grants.tables}, name
        assert write == {table_ids[t] for t, level in grants.tables.items() if level == access.WRITE}, name
        for sid in ("ReadTables", "WriteTables", "QueryIndexes"):
            for action in as_list(by_sid.get(sid, {}).get("Action", [])):
                assert action in access.TABLE_READ_ACTIONS + access.TABLE_WRITE_ACTIONS, (name, action)
        deletes = {getatt_id(r) for r in as_list(by_sid.get("DeleteItems", {}).get("Resource", []))}
        assert deletes == {table_ids[t] for t in grants.deletes} and deletes <= write, name
        assert as_list(by_sid.get("DeleteItems", {}).get("Action", [])) in ([], list(access.TABLE_DELETE_ACTIONS))
        sends = {getatt_id(r) for r in as_list(by_sid.get("SendToQueues", {}).get("Resource", []))}
        assert sends == {queue_ids[QUEUE_SUFFIXES[t.partition("-")[0]] + ("-dlq" if t.endswith("-dlq") else "")]
                         for t in grants.sends}, name
        events = [e for e in fn["Properties"].get("Events", {}).values() if e["Type"] == "SQS"]
        consumed = {getatt_id(r) for r in as_list(by_sid.get("ConsumeQueue", {}).get("Resource", []))}
        assert consumed == {getatt_id(e["Properties"]["Queue"]) for e in events}, name
        assert by_sid["OwnLogs"]["Resource"] == {"Fn::GetAtt": [fn["DependsOn"][0], "Arn"]}
        if "TableKeyViaDynamoDB" in by_sid:
            assert "kms:ViaService" in json.dumps(by_sid["TableKeyViaDynamoDB"]["Condition"])


CALENDAR_READERS = {"route_cases", "supervision_sweep", "continue_sweeps"}
"""The functions that compute deadlines outside the API (dispatch, re-dispatch, resume) read the calendar."""


def test_the_calendar_table_is_written_by_the_api_and_read_where_deadlines_are_computed(dev):
    tpl = dev["json"]
    (calendar_id,) = [k for k, r in resources(tpl, "AWS::DynamoDB::Table").items()
                      if r["Properties"]["TableName"] == "hewei-dev-calendar"]
    statements = role_statements(tpl)
    reach = {}
    for name, fn in functions(tpl).items():
        by_sid = {s["Sid"]: s for s in statements[getatt_id(fn["Properties"]["Role"])]}
        reads = calendar_id in {getatt_id(r) for r in as_list(by_sid.get("ReadTables", {}).get("Resource", []))}
        writes = calendar_id in {getatt_id(r) for r in as_list(by_sid.get("WriteTables", {}).get("Resource", []))}
        reach[name] = access.WRITE if writes else access.READ if reads else None
        if reads:
            assert "dynamodb:Scan" in by_sid["ReadTables"]["Action"], name  # the store reads every year at once
    assert reach == {name: access.WRITE if name == "api_handler" else access.READ if name in CALENDAR_READERS
                     else None for name in functions(tpl)}


def test_each_function_logs_to_its_own_group_with_retention(dev, template):
    for name, fn in functions(dev["json"]).items():
        group = dev["json"]["Resources"][fn["DependsOn"][0]]
        assert group["Type"] == "AWS::Logs::LogGroup"
        assert group["Properties"]["LogGroupName"] == f"/aws/lambda/{fn['Properties']['FunctionName']}"
        assert fn["Properties"]["FunctionName"] == f"hewei-dev-{name}"
    template.all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": Match.any_value()})


# ------------------------------------------------------------------- exports


def bucket_of(tpl: dict, logical_prefix: str) -> tuple[str, dict]:
    """The one bucket whose logical id starts with `logical_prefix` (ExportsBucket, AttachmentsBucket)."""
    (found,) = [(k, r) for k, r in resources(tpl, "AWS::S3::Bucket").items() if k.startswith(logical_prefix)]
    return found


def s3_statements_by_function(tpl: dict) -> dict[str, list[dict]]:
    statements = role_statements(tpl)
    return {name: [s for s in statements[getatt_id(fn["Properties"]["Role"])]
                   if any(a.startswith("s3:") for a in as_list(s["Action"]))] for name, fn in functions(tpl).items()}


def test_the_service_has_two_buckets_and_every_s3_right_names_one_of_them(dev):
    buckets = set(resources(dev["json"], "AWS::S3::Bucket"))
    assert buckets == {bucket_of(dev["json"], "ExportsBucket")[0], bucket_of(dev["json"], "AttachmentsBucket")[0]}
    for name, statements in s3_statements_by_function(dev["json"]).items():
        for statement in statements:
            named = json.dumps(statement["Resource"])
            assert statement["Resource"] != "*" and sum(b in named for b in buckets) == 1, name


def test_the_exports_bucket_is_private_encrypted_tls_only_and_expires_its_files(dev, prod):
    from chalicelib.domain.ledger import EXPORT_RETENTION

    bucket_id, bucket = bucket_of(dev["json"], "ExportsBucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert props["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"], rule["AbortIncompleteMultipartUpload"]) == (
        "Enabled", EXPORT_RETENTION.days, {"DaysAfterInitiation": EXPORT_RETENTION.days})
    assert "hewei-dev-exports-" in json.dumps(props["BucketName"])
    (policy,) = [p for p in resources(dev["json"], "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert bucket["DeletionPolicy"] == "Delete"
    assert bucket_of(prod["json"], "ExportsBucket")[1]["DeletionPolicy"] == "Retain"


def test_the_api_reads_export_files_the_worker_writes_them_and_no_other_function_reaches_them(dev):
    from chalicelib.domain.ledger import EXPORT_KEY_PREFIX

    tpl = dev["json"]
    bucket_id, _ = bucket_of(tpl, "ExportsBucket")
    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{EXPORT_KEY_PREFIX}*"]]}
    reach = {}
    for name, statements in s3_statements_by_function(tpl).items():
        on_exports = [s for s in statements if bucket_id in json.dumps(s["Resource"])]
        for statement in on_exports:
            assert statement["Resource"] == objects, name  # the objects under the prefix, nothing else
        reach[name] = sorted(a for s in on_exports for a in as_list(s["Action"]))
        variables = functions(tpl)[name]["Properties"]["Environment"]["Variables"]
        assert ("HEWEI_EXPORTS_BUCKET" in variables) is bool(reach[name]), name
        if reach[name]:
            assert variables["HEWEI_EXPORTS_BUCKET"] == {"Ref": bucket_id}
    assert {name: actions for name, actions in reach.items() if actions} == {
        "api_handler": ["s3:GetObject"], "write_exports": ["s3:AbortMultipartUpload", "s3:PutObject"]}


# --------------------------------------------------------------- attachments


def test_the_attachments_bucket_is_private_encrypted_tls_only_empties_uploads_and_keeps_files(dev, prod):
    from chalicelib.domain.attachments import UPLOAD_PREFIX

    bucket_id, bucket = bucket_of(dev["json"], "AttachmentsBucket")
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert props["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                       "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "hewei-dev-attachments-" in json.dumps(props["BucketName"])
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert {k: v for k, v in rules["expire-uploads"].items() if k != "Id"} == {
        "Status": "Enabled", "Prefix": UPLOAD_PREFIX, "ExpirationInDays": 1}
    assert {k: v for k, v in rules["abort-incomplete-multipart-uploads"].items() if k != "Id"} == {
        "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
    assert len(rules) == 2  # nothing expires the stored files
    (cors,) = props["CorsConfiguration"]["CorsRules"]
    assert (cors["AllowedMethods"], cors["AllowedOrigins"]) == (["POST"], ["*"])
    (policy,) = [p for p in resources(dev["json"], "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    assert bucket["DeletionPolicy"] == "Delete"
    assert bucket_of(prod["json"], "AttachmentsBucket")[1]["DeletionPolicy"] == "Retain"


def test_the_origins_browsers_upload_from_come_from_the_context():
    from hewei_infra.config import StageConfig

    assert StageConfig.from_context({"stage": "dev"}.get).upload_origins == ("*",)
    chosen = StageConfig.from_context({"stage": "prod", "upload_origins": "https://a.example, https://b.example"}.get)
    assert chosen.upload_origins == ("https://a.example", "https://b.example")


def test_only_the_api_and_the_retention_sweep_reach_the_attachments_and_only_under_its_two_prefixes(dev):
    from chalicelib.domain.attachments import STORED_PREFIX, UPLOAD_PREFIX

    tpl = dev["json"]
    bucket_id, _ = bucket_of(tpl, "AttachmentsBucket")
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    reach = {}
    for name, statements in s3_statements_by_function(tpl).items():
        on_attachments = {json.dumps(s["Resource"], sort_keys=True): sorted(as_list(s["Action"]))
                          for s in statements if bucket_id in json.dumps(s["Resource"])}
        reach[name] = on_attachments
        variables = functions(tpl)[name]["Properties"]["Environment"]["Variables"]
        assert ("HEWEI_ATTACHMENTS_BUCKET" in variables) is bool(on_attachments), name
        if on_attachments:
            assert variables["HEWEI_ATTACHMENTS_BUCKET"] == {"Ref": bucket_id}
    objects = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    rights = {
        json.dumps({"Fn::Join": ["", [arn, f"/{UPLOAD_PREFIX}*"]]}, sort_keys=True): objects,
        json.dumps({"Fn::Join": ["", [arn, f"/{STORED_PREFIX}*"]]}, sort_keys=True): objects,
        json.dumps(arn, sort_keys=True): ["s3:ListBucket"]}
    # the retention sweep (§16) deletes attachments, nightly and when a sweep continues
    assert {name: rights for name, rights in reach.items() if rights} == {
        "api_handler": rights, "retention_sweep": rights, "continue_sweeps": rights}


# ------------------------------------------------------------------- secrets


def test_secrets_reach_only_the_functions_that_use_them_by_reference(dev):
    for name, fn in functions(dev["json"]).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables["HEWEI_STAGE"] == "dev" and variables["HEWEI_RESOURCE_PREFIX"] == "hewei-dev-"
        grants = access.FUNCTIONS[name]
        assert ("HEWEI_SECRET_KEY" in variables) is grants.secret_key, name
        assert ("HEWEI_JWT_SECRET" in variables) is grants.staff_tokens, name
        for key in ("HEWEI_SECRET_KEY", "HEWEI_JWT_SECRET"):
            if key in variables:  # a dynamic reference resolved by CloudFormation, never a value in the template
                assert "{{resolve:secretsmanager:" in json.dumps(variables[key]), key


# ------------------------------------------------------------ alarms and API


def test_alarms_on_every_dlq_every_function_and_the_api(dev, template):
    tpl = dev["json"]
    alarms = list(resources(tpl, "AWS::CloudWatch::Alarm").values())

    def dims(alarm):
        return {d["Name"]: d["Value"] for d in alarm["Properties"].get("Dimensions", [])}

    dlq_alarms = {dims(a).get("QueueName") for a in alarms
                  if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"}
    assert dlq_alarms == {f"hewei-dev-{s}-dlq" for s in QUEUE_SUFFIXES.values()}
    for metric in ("Errors", "Throttles"):
        covered = {dims(a)["FunctionName"] for a in alarms if a["Properties"]["MetricName"] == metric}
        assert covered == {fn["Properties"]["FunctionName"] for fn in functions(tpl).values()}, metric
    api = [a for a in alarms if a["Properties"]["MetricName"] == "5XXError"]
    assert len(api) == 1 and dims(api[0]) == {"ApiName": "hewei-dev", "Stage": "api"}
    template.all_resources_properties("AWS::CloudWatch::Alarm", {"AlarmActions": [{"Ref": Match.any_value()}]})


def test_an_alarm_when_the_working_calendar_has_data_for_fewer_than_45_days(dev, template):
    tpl = dev["json"]
    alarms = by_name(tpl, "AWS::CloudWatch::Alarm", "AlarmName")
    _, alarm = alarms["hewei-dev-calendar-coverage"]
    (topic_id,) = resources(tpl, "AWS::SNS::Topic")
    properties = alarm["Properties"]
    assert {key: properties[key] for key in (
        "Namespace", "MetricName", "Dimensions", "Statistic", "Period", "EvaluationPeriods", "Threshold",
        "ComparisonOperator", "TreatMissingData", "AlarmActions", "OKActions")} == {
        "Namespace": "Hewei", "MetricName": "CalendarDaysCovered",
        "Dimensions": [{"Name": "service", "Value": "hewei"}],
        "Statistic": "Minimum", "Period": 3600, "EvaluationPeriods": 1, "Threshold": 45,
        "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "breaching",
        "AlarmActions": [{"Ref": topic_id}], "OKActions": [{"Ref": topic_id}]}
    assert "/v1/calendar/" in properties["AlarmDescription"]  # what to do about it
    others = [r["Properties"] for name, (_, r) in alarms.items() if name != "hewei-dev-calendar-coverage"]
    assert others and all(p["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and p["Period"] == 300
                          for p in others)


def test_api_is_throttled_and_has_a_usage_plan(dev, template):
    api = resources(dev["json"], "AWS::Serverless::Api")
    assert len(api) == 1
    api_id, api = next(iter(api.items()))
    assert api["Properties"]["Name"] == "hewei-dev"
    assert api["Properties"]["EndpointConfiguration"] == "REGIONAL"
    settings = api["Properties"]["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    template.has_resource_properties("AWS::ApiGateway::UsagePlan", {
        "ApiStages": [{"ApiId": {"Ref": api_id}, "Stage": {"Ref": f"{api_id}.Stage"}}],
        "Throttle": {"RateLimit": Match.any_value(), "BurstLimit": Match.any_value()},
    })


def test_the_console_is_routed_to_the_api_function_and_its_files_are_in_its_package(dev):
    """The console is served by the API's own function (`chalicelib/api/console.py`): its two
    routes are in the gateway's definition, and its files in the function's code package."""
    [api] = resources(dev["json"], "AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "get" in paths["/console"] and "get" in paths["/console/{name}"]
    names = set()
    for package in dev["path"].parent.parent.rglob("*.zip"):  # chalice.out/ and cdk.out/ of the synth
        with zipfile.ZipFile(package) as archive:
            names |= {name for name in archive.namelist() if name.startswith("chalicelib/console/")}
    assert {"chalicelib/console/index.html", "chalicelib/console/app.js", "chalicelib/console/style.css"} <= names


def test_the_gateways_own_errors_are_problem_json(dev):
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in resources(dev["json"], "AWS::ApiGateway::GatewayResponse").values()}
    assert {"MISSING_AUTHENTICATION_TOKEN", "THROTTLED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"  # an unknown path is 404
    for properties in responses.values():
        assert properties["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/problem+json'"
        body = properties["ResponseTemplates"]["application/json"].replace("$context.error.messageString", '"x"')
        assert json.loads(body)["type"].startswith("https://")


def zip_sizes(path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(path) as archive:
        return path.stat().st_size, sum(info.file_size for info in archive.infolist())


def test_the_packages_stay_within_their_budgets(dev, prod):
    """The main layer under 20 MB zipped and 60 MB unzipped (README, "What the Lambda layer leaves
    out": 19.5 MB before secretsmanager was kept); a function with all its layers far under Lambda's
    250 MB unzipped; the SMS layer under 10 MB zipped."""
    for synth in (dev, prod):
        outdir = synth["path"].parent
        [managed] = resources(synth["json"], "AWS::Serverless::LayerVersion").values()
        zipped, unzipped = zip_sizes(outdir / f"asset.{managed['Properties']['ContentUri']['Key'].removesuffix('.zip')}.zip")
        assert zipped < 20_000_000 and unzipped < 60_000_000, (zipped, unzipped)
        for sms_layer in resources(synth["json"], "AWS::Lambda::LayerVersion").values():
            sms_zipped, sms_unzipped = zip_sizes(outdir / f"asset.{sms_layer['Properties']['Content']['S3Key'].removesuffix('.zip')}.zip")
            assert sms_zipped < 10_000_000 and unzipped + sms_unzipped < 100_000_000, (sms_zipped, sms_unzipped)


def test_dependencies_are_a_managed_layer(dev):
    layers = resources(dev["json"], "AWS::Serverless::LayerVersion")
    assert len(layers) == 1
    layer_id = next(iter(layers))
    for fn in functions(dev["json"]).values():
        assert fn["Properties"]["Layers"] == [{"Ref": layer_id}]  # an sns stage: no SMS layer


# --------------------------------------------------------------- cfn-lint


RUNTIME_LIFECYCLE_CHECKS = ("W2531", "E2531", "E2533")
"""cfn-lint's Lambda runtime lifecycle rules compare AWS's deprecation dates with today's date:
a test of them would pass or fail by the calendar. The tests leave them out; `make synth`,
which runs on the day of a deployment, keeps them, so a runtime AWS is retiring stops a deploy."""


def test_cfn_lint_passes(dev, prod):
    lint = "import sys; from cfnlint.runner import main; sys.exit(main())"  # what the cfn-lint script runs
    result = subprocess.run([sys.executable, "-c", lint, "--ignore-checks", *RUNTIME_LIFECYCLE_CHECKS, "--",
                             str(dev["path"]), str(prod["path"])], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------- import of app


def test_importing_the_app_makes_no_aws_call():
    """No credentials, an endpoint nothing listens on, and any network use or API call is an error."""
    probe = textwrap.dedent("""
        import socket
        def refuse(*args, **kwargs):
            raise AssertionError(f"network use at import: {args!r}")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        import botocore.client
        def no_call(self, operation, params):
            raise AssertionError(f"AWS call at import: {operation}")
        botocore.client.BaseClient._make_api_call = no_call
        import app
        assert app.app.routes and app.app.event_sources
        print("ok", len(app.app.routes), len(app.app.event_sources))
    """)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=clean_env(AWS_ENDPOINT_URL="http://127.0.0.1:9", HEWEI_STAGE="dev", HEWEI_RESOURCE_PREFIX="hewei-dev-"),
    )
    assert result.returncode == 0 and result.stdout.startswith("ok"), result.stdout + result.stderr


def test_the_api_docs_are_routed_to_the_api_function_and_redoc_is_in_its_package(dev):
    """`/docs` (Redoc over `/openapi.json`) is served by the API's function like the console."""
    [api] = resources(dev["json"], "AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "get" in paths["/docs"] and "get" in paths["/docs/{name}"] and "get" in paths["/openapi.json"]
    names = set()
    for package in dev["path"].parent.parent.rglob("*.zip"):
        with zipfile.ZipFile(package) as archive:
            names |= set(archive.namelist())
    assert {"chalicelib/api_docs/redoc.standalone.js", "chalicelib/api/openapi_examples.json"} <= names


# ------------------------------------------------------------- one Python


def test_every_function_and_the_layer_run_the_projects_python(dev, prod):
    """The runtime Chalice writes follows the Python that packages: it must be LAMBDA_PYTHON, which
    is the Makefile's (tests/infra/test_python.py), so local, CI and Lambda run one version."""
    from hewei_infra.packaging import LAMBDA_PYTHON
    from tests.infra.test_python import makefile_python

    assert makefile_python() == LAMBDA_PYTHON
    for tpl in (dev["json"], prod["json"]):
        runtimes = {name: fn["Properties"]["Runtime"] for name, fn in functions(tpl).items()}
        assert set(access.FUNCTIONS) <= set(runtimes)
        assert set(runtimes.values()) == {f"python{LAMBDA_PYTHON}"}, runtimes
        [layer] = resources(tpl, "AWS::Serverless::LayerVersion").values()
        assert layer["Properties"]["CompatibleRuntimes"] == [f"python{LAMBDA_PYTHON}"]
        for sms_layer in resources(tpl, "AWS::Lambda::LayerVersion").values():
            assert sms_layer["Properties"]["CompatibleRuntimes"] == [f"python{LAMBDA_PYTHON}"]


# --------------------------------------------------------------- SnapStart


def api_integration_uris(tpl: dict) -> list:
    [api] = resources(tpl, "AWS::Serverless::Api").values()
    return [operation["x-amazon-apigateway-integration"]["uri"]
            for methods in api["Properties"]["DefinitionBody"]["paths"].values()
            for operation in methods.values() if "x-amazon-apigateway-integration" in operation]


def api_permissions(tpl: dict) -> list[dict]:
    return [r["Properties"] for r in resources(tpl, "AWS::Lambda::Permission").values()
            if r["Properties"]["Principal"] == "apigateway.amazonaws.com"]


def test_prod_starts_the_api_from_a_snapshot_of_a_published_version(prod):
    api_fn = functions(prod["json"])["api_handler"]
    logical, props = api_fn["_id"], api_fn["Properties"]
    assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert props["AutoPublishAlias"] == "live" and props["AutoPublishAliasAllProperties"] is True
    uris = api_integration_uris(prod["json"])
    assert len(uris) > 50  # every route
    alias_uri = {"Fn::Sub": ["arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                             "${ApiFunctionAlias}/invocations", {"ApiFunctionAlias": {"Ref": f"{logical}.Alias"}}]}
    assert all(uri == alias_uri for uri in uris), {json.dumps(u) for u in uris if u != alias_uri}
    [permission] = api_permissions(prod["json"])
    assert permission["FunctionName"] == {"Ref": f"{logical}.Alias"}  # the alias, not $LATEST


def test_only_the_prod_api_has_snapstart(dev, prod):
    for stage, tpl in (("dev", dev["json"]), ("prod", prod["json"])):
        for name, fn in functions(tpl).items():
            if stage == "prod" and name == "api_handler":
                continue
            assert not {"SnapStart", "AutoPublishAlias"} & set(fn["Properties"]), (stage, name)
    logical = functions(dev["json"])["api_handler"]["_id"]
    assert {json.dumps(uri) for uri in api_integration_uris(dev["json"])} == {json.dumps({"Fn::Sub": (
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
        f"${{{logical}.Arn}}/invocations")})}
    [permission] = api_permissions(dev["json"])
    assert permission["FunctionName"] == {"Ref": logical}


# ------------------------------------------------------------ mainland SMS


def sms_variables(fn: dict) -> dict:
    return {k: v for k, v in fn["Properties"]["Environment"]["Variables"].items() if k.startswith("HEWEI_SMS_")}


def test_a_mainland_stage_sends_from_send_notifications_with_its_sdk_layer_and_no_other_function_has_it(prod):
    tpl = prod["json"]
    [managed] = resources(tpl, "AWS::Serverless::LayerVersion")
    [(sms_id, sms_layer)] = resources(tpl, "AWS::Lambda::LayerVersion").items()
    assert sms_layer["Properties"]["LayerName"] == "hewei-prod-sms-aliyun"
    for name, fn in functions(tpl).items():
        if name == "send_notifications":  # Chalice's layer first: the main layer's packages win
            assert fn["Properties"]["Layers"] == [{"Ref": managed}, {"Ref": sms_id}]
        else:
            assert fn["Properties"]["Layers"] == [{"Ref": managed}], name
            assert set(sms_variables(fn)) == {"HEWEI_SMS_SIGN_NAME"}, name  # for the texts it records


def test_an_sns_stage_has_no_sms_layer_no_sms_secret_and_no_sms_settings(dev):
    tpl = dev["json"]
    assert resources(tpl, "AWS::Lambda::LayerVersion") == {}
    names = [r["Properties"]["Name"] for r in resources(tpl, "AWS::SecretsManager::Secret").values()]
    assert names and not [n for n in names if "sms" in n]
    assert all(sms_variables(fn) == {} for fn in functions(tpl).values())


def test_the_sms_layer_holds_the_sdk_and_nothing_the_main_layer_has(prod):
    [sms_layer] = resources(prod["json"], "AWS::Lambda::LayerVersion").values()
    key = sms_layer["Properties"]["Content"]["S3Key"]
    asset = prod["path"].parent / f"asset.{key.removesuffix('.zip')}.zip"
    site = "python/lib/python3.13/site-packages/"
    with zipfile.ZipFile(asset) as archive:
        names = archive.namelist()
    assert names and all(name.startswith(site) for name in names)
    top = {name[len(site):].split("/")[0] for name in names}
    assert {"alibabacloud_dysmsapi20170525", "alibabacloud_tea_openapi", "darabonba"} <= top
    assert not top & {"botocore", "boto3", "cryptography", "urllib3", "pydantic", "_cffi_backend.cpython-313-x86_64-linux-gnu.so"}
    assert f"{site}alibabacloud_dysmsapi20170525/__pycache__/client.cpython-313.pyc" in names  # add_bytecode's
    assert not [n for n in names if n.endswith((".pyi", ".c", "/RECORD"))]  # pruned like the main layer


def test_a_mainland_stage_reads_its_credentials_secret_and_publishes_nothing_to_sns(prod):
    tpl = prod["json"]
    [(secret_id, secret)] = [(k, r) for k, r in resources(tpl, "AWS::SecretsManager::Secret").items()
                             if r["Properties"]["Name"] == "hewei/prod/sms-credentials"]
    assert secret["DeletionPolicy"] == "Retain"
    assert json.loads(secret["Properties"]["SecretString"]) == {"access_key_id": "", "access_key_secret": ""}
    assert "access_key_id" in secret["Properties"]["Description"]
    assert "KmsKeyId" not in secret["Properties"]  # Secrets Manager's AWS-managed key: no kms:Decrypt to grant
    notify_role = getatt_id(functions(tpl)["send_notifications"]["Properties"]["Role"])
    for holder, statements in role_statements(tpl).items():
        for statement in statements:
            actions = as_list(statement["Action"])
            assert not [a for a in actions if a.startswith("sns:")], holder
            assert "*" not in as_list(statement["Resource"]), holder
            if any(a.startswith("secretsmanager:") for a in actions):
                assert holder == notify_role and statement["Sid"] == "ReadSmsCredentials"
                assert actions == ["secretsmanager:GetSecretValue"] and statement["Resource"] == {"Ref": secret_id}
            assert not [a for a in actions if a.startswith("kms:") and statement.get("Sid") != "TableKeyViaDynamoDB"]
    by_sid = {s["Sid"]: s for s in role_statements(tpl)[notify_role]}
    assert "ReadSmsCredentials" in by_sid and access.SMS_STATEMENT_SID not in by_sid


def test_a_mainland_stage_gives_its_sms_settings_to_send_notifications_only_but_its_signature(prod):
    fns = functions(prod["json"])
    assert sms_variables(fns["send_notifications"]) == {
        "HEWEI_SMS_PROVIDER": "aliyun", "HEWEI_SMS_SIGN_NAME": "和为贵", "HEWEI_SMS_REGION": "cn-hangzhou",
        "HEWEI_SMS_SECRET": "hewei/prod/sms-credentials",
        "HEWEI_SMS_TEMPLATE_CODES": PROD_SMS_CONTEXT["sms_template_codes"], "HEWEI_SMS_PER_HOUR": "4"}
    others = {name: sms_variables(fn) for name, fn in fns.items() if name != "send_notifications"}
    # the signature is everyone's: each function that decides an SMS writes it first in the record's text
    assert others and all(variables == {"HEWEI_SMS_SIGN_NAME": "和为贵"} for variables in others.values())


@pytest.mark.parametrize("context, message", [
    ({"sms_provider": "twilio"}, "sms_provider 'twilio': one of sns, aliyun, tencent"),
    ({"sms_provider": "aliyun"}, "set sms_sign_name"),
    ({"sms_provider": "tencent", "sms_sign_name": "和为贵"}, "set sms_app_id"),
    ({"sms_provider": "aliyun", "sms_sign_name": "和为贵", "sms_app_id": "1400000000"}, "Alibaba Cloud has none"),
    ({"sms_sign_name": "和为贵"}, "settings of a mainland provider"),
    ({"sms_provider": "aliyun", "sms_sign_name": "x", "sms_template_codes": "[1]"}, "a JSON object"),
    ({"sms_provider": "aliyun", "sms_sign_name": "x", "sms_template_codes": "{"}, "not JSON"),
    ({"sms_per_minute": "0"}, "at least 1"),
    ({"sms_per_hour": "many"}, "a whole number"),
])
def test_sms_context_that_would_fail_at_the_first_message_stops_the_synth(context, message):
    from hewei_infra.config import StageConfig

    with pytest.raises(SystemExit, match=message):
        StageConfig.from_context({"stage": "dev", **context}.get)


def test_the_sms_context_of_a_tencent_stage():
    from hewei_infra.config import StageConfig

    config = StageConfig.from_context({"stage": "cn", "sms_provider": " Tencent ", "sms_sign_name": "和为贵",
                                       "sms_app_id": "1400000000", "sms_template_codes": {"a": "123"}}.get)
    assert (config.sms_provider, config.sms_app_id, config.mainland_sms) == ("tencent", "1400000000", True)
    assert json.loads(config.sms_template_codes) == {"a": "123"} and config.sms_secret_name == "hewei/cn/sms-credentials"
    assert StageConfig.from_context({"stage": "dev"}.get).mainland_sms is False
