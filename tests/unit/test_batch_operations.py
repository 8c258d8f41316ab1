"""S3 Batch Operations: the handler's answers for both schemas, and the CreateJob requests.

The handler side runs against documented payloads: the schema 1.0 sample of the AWS Lambda
developer guide as recorded by aws-sam-cli (../shared/fixtures/s3-events/
sam-cli__S3BatchInvocation.json.tmpl, read where it lies; skipped when absent) and the schema
2.0 shape of the S3 API reference (s3Bucket, job.userArguments). HeadObject goes to moto.
moto 5.2.1 does not implement s3control CreateJob (it answers 404), so the requests are
asserted with botocore's Stubber. Neither emulator runs Batch Operations jobs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from handler import batch_operations, log, parse_event
from handler.app import handle
from handler.model import S3Object
from handler.objects import ObjectGoneError
from s3_lambda_trigger import batch_job, cli, engine
from s3_lambda_trigger.listing import pages
from s3_lambda_trigger.rules import Rule

REPO = Path(__file__).resolve().parents[2]
SAM_TEMPLATE = (
    REPO.parent / "shared" / "fixtures" / "s3-events" / "sam-cli__S3BatchInvocation.json.tmpl"
)
BUCKET = "batch-ops-unit"
KEY = "in/보고서 1+2 (final).csv"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
ROLE_ARN = "arn:aws:iam::123456789012:role/fn-batch-ops"


class Ctx:
    aws_request_id = "req-1"

    def __init__(self, remaining_ms: int = 60_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        monkeypatch.setattr(batch_operations, "_head", lambda b, k, v: _head(client, b, k, v))
        yield client


def _head(client: Any, bucket: str, key: str, version: str | None) -> dict[str, Any]:
    params = {"Bucket": bucket, "Key": key} | ({"VersionId": version} if version else {})
    response: dict[str, Any] = client.head_object(**params)
    return response


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []

    class Stream:
        def write(self, text: str) -> None:
            lines.extend(json.loads(t) for t in text.splitlines() if t)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(log, "stream", Stream())
    return lines


def sam_event(key: str, bucket: str, version: str | None = "1") -> dict[str, Any]:
    """The recorded schema 1.0 sample, rendered like sam-cli does (mustache placeholders)."""
    if not SAM_TEMPLATE.exists():
        pytest.fail(f"{SAM_TEMPLATE} not found (shared fixtures live beside the repository)")
    text = SAM_TEMPLATE.read_text()
    text = text.replace("{{{key}}}", key).replace("{{{bucket_arn}}}", f"arn:aws:s3:::{bucket}")
    event: dict[str, Any] = json.loads(text)
    event["tasks"][0]["s3VersionId"] = version
    return event


def v2_event(tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Schema 2.0 as documented: bucket name in s3Bucket, userArguments on the job."""
    return {
        "invocationSchemaVersion": "2.0",
        "invocationId": "inv-2",
        "job": {"id": "job-2", "userArguments": {"mode": "reprocess"}},
        "tasks": tasks,
    }


def task(key: str, task_id: str = "t1", version: str | None = None) -> dict[str, Any]:
    return {"taskId": task_id, "s3Key": key, "s3VersionId": version, "s3Bucket": BUCKET}


def encoded(key: str) -> str:
    from urllib.parse import quote  # noqa: PLC0415

    return quote(key, safe="/")


# --- the handler --------------------------------------------------------------------------


def test_schema_1_0_recorded_sample_succeeds_with_the_backfill_record(
    s3: Any, logs: list[dict[str, Any]]
) -> None:
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"abc")
    seen: list[S3Object] = []
    event = sam_event(encoded(KEY), BUCKET, version=None)
    result = handle(event, Ctx(), lambda r, c: seen.append(r))
    assert result == {
        "invocationSchemaVersion": "1.0",
        "treatMissingKeysAs": "PermanentFailure",
        "invocationId": event["invocationId"],
        "results": [
            {
                "taskId": event["tasks"][0]["taskId"],
                "resultCode": "Succeeded",
                "resultString": "processed " + seen[0].idempotency_key,
            }
        ],
    }
    (record,) = seen
    assert (record.bucket, record.key, record.size) == (BUCKET, KEY, 3)
    assert record.is_backfill and record.event_name == "ObjectCreated:Put"
    assert record.raw is not None
    assert record.raw["batchOperations"]["jobId"] == event["job"]["id"]
    assert logs == []


def test_schema_1_0_sample_with_the_guides_plain_key(s3: Any) -> None:
    """The guide's sample key (customerImage1.jpg) has nothing to decode."""
    s3.put_object(Bucket=BUCKET, Key="customerImage1.jpg", Body=b"x")
    result = handle(sam_event("customerImage1.jpg", BUCKET, None), Ctx(), lambda r, c: "done")
    assert result["results"][0]["resultCode"] == "Succeeded"
    assert result["results"][0]["resultString"] == "done"


def test_bucket_arn_with_region_and_account_is_understood(s3: Any) -> None:
    """An older guide sample names the bucket arn:aws:s3:us-east-1:0123456788:bucket."""
    s3.put_object(Bucket=BUCKET, Key="a.csv", Body=b"x")
    event = sam_event("a.csv", BUCKET, None)
    event["tasks"][0]["s3BucketArn"] = f"arn:aws:s3:us-east-1:0123456788:{BUCKET}"
    assert handle(event, Ctx(), lambda r, c: None)["results"][0]["resultCode"] == "Succeeded"


def test_schema_2_0_versioned_objects_processor_failure_and_gone(
    s3: Any, logs: list[dict[str, Any]]
) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"one")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="in/a.csv", Body=b"second")
    s3.put_object(Bucket=BUCKET, Key="in/bad.csv", Body=b"x")
    seen: list[S3Object] = []

    def processor(record: S3Object, context: object) -> dict[str, int]:
        if "bad" in record.key:
            raise ValueError("cannot parse")
        seen.append(record)
        return {"rows": record.size or 0}

    event = v2_event(
        [
            task("in/a.csv", "t1", v1),
            task("in/bad.csv", "t2"),
            task("in/gone.csv", "t3"),
            task("in/a.csv", "t4", "no-such-version"),
        ]
    )
    result = handle(event, Ctx(), processor)
    assert result["invocationSchemaVersion"] == "2.0" and result["invocationId"] == "inv-2"
    codes = [(r["taskId"], r["resultCode"]) for r in result["results"]]
    assert codes == [
        ("t1", "Succeeded"),
        ("t2", "PermanentFailure"),
        ("t3", "PermanentFailure"),
        ("t4", "PermanentFailure"),
    ]
    assert result["results"][0]["resultString"] == '{"rows": 3}'
    assert result["results"][1]["resultString"] == "ValueError: cannot parse"
    assert "no longer exists" in result["results"][2]["resultString"]
    (record,) = seen
    assert (record.version_id, record.size) == (v1, 3)  # exactly the version of the task
    assert record.raw is not None
    assert record.raw["batchOperations"]["userArguments"] == {"mode": "reprocess"}
    failed = [line for line in logs if line["message"] == "batch_task_failed"]
    assert [f["taskId"] for f in failed] == ["t2", "t3", "t4"]


def test_temporary_failures_are_retried_by_s3(s3: Any) -> None:
    from botocore.exceptions import ClientError, ReadTimeoutError  # noqa: PLC0415

    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    raised: list[Exception] = [
        ClientError({"Error": {"Code": "SlowDown", "Message": "reduce"}}, "GetObject"),
        ReadTimeoutError(endpoint_url="https://s3"),
        TimeoutError("db"),
        ConnectionError("reset"),
        ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetObject"),
        ObjectGoneError(BUCKET, "k", None),
    ]
    codes = []
    for exc in raised:

        def processor(record: S3Object, context: object, exc: Exception = exc) -> None:
            raise exc

        result = handle(v2_event([task("k")]), Ctx(), processor)
        codes.append(result["results"][0]["resultCode"])
    assert codes == ["TemporaryFailure"] * 4 + ["PermanentFailure"] * 2


def test_head_throttled_is_temporary_and_denied_is_permanent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    def head(code: str) -> Any:
        def fail(bucket: str, key: str, version: str | None) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": code, "Message": ""}}, "HeadObject")

        return fail

    for code, expected in (("503", "TemporaryFailure"), ("403", "PermanentFailure"),
                           ("404", "PermanentFailure")):  # fmt: skip
        result = batch_operations.handle(
            v2_event([task("k")]), Ctx(), lambda r, c: None, head=head(code)
        )
        assert result["results"][0]["resultCode"] == expected, code


def test_malformed_tasks_and_unknown_schema_are_permanent() -> None:
    event = v2_event(
        [
            {"taskId": "no-key", "s3Bucket": BUCKET},
            {"taskId": "no-bucket", "s3Key": "k"},
            {"taskId": "bad-escape", "s3Key": "%FF%FE", "s3Bucket": BUCKET},
            "not an object",
        ]
    )
    result = batch_operations.handle(event, Ctx(), lambda r, c: None, head=lambda *a: {})
    assert [r["resultCode"] for r in result["results"]] == ["PermanentFailure"] * 4
    assert [r["taskId"] for r in result["results"]] == ["no-key", "no-bucket", "bad-escape", None]

    event = v2_event([task("k")]) | {"invocationSchemaVersion": "3.0"}
    result = batch_operations.handle(event, Ctx(), lambda r, c: None, head=lambda *a: {})
    assert result["results"][0]["resultCode"] == "PermanentFailure"
    assert "unsupported invocationSchemaVersion '3.0'" in result["results"][0]["resultString"]


def test_no_time_left_is_a_temporary_failure() -> None:
    result = batch_operations.handle(
        v2_event([task("k")]), Ctx(remaining_ms=500), lambda r, c: None, head=lambda *a: {}
    )
    assert result["results"][0]["resultCode"] == "TemporaryFailure"


def test_batch_record_equals_the_backfill_record(s3: Any) -> None:
    """Same object, same record and idempotency key, whether listed (backfill) or a task."""
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"abcdef")
    (entry,) = [e for p in pages(s3, BUCKET, [Rule("in/")]) for e in p.items]
    (listed,) = parse_event(engine.document(BUCKET, "us-east-1", entry))
    seen: list[S3Object] = []
    handle(v2_event([task(encoded(KEY))]), Ctx(), lambda r, c: seen.append(r))
    assert seen == [listed]
    assert seen[0].idempotency_key == listed.idempotency_key


def test_direct_events_never_import_batch_operations() -> None:
    code = (
        "import sys, json\n"
        "from handler.app import handle\n"
        "from s3_lambda_trigger.samples import make_event\n"
        "handle(make_event('put', 'b', 'k.csv'), None, lambda r, c: None)\n"
        "print('handler.batch_operations' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "False"


def test_lambda_handler_routes_batch_events(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from handler.app import lambda_handler  # noqa: PLC0415

    monkeypatch.setenv("S3_EVENT_PROCESSOR", "")
    s3.put_object(Bucket=BUCKET, Key="a.csv", Body=b"x")
    result = lambda_handler(v2_event([task("a.csv")]), Ctx())
    assert result["results"][0]["resultCode"] == "Succeeded"


# --- the CreateJob requests ---------------------------------------------------------------


def generator_request(prefix: str, suffix: str, token: str) -> dict[str, Any]:
    key_filter: dict[str, Any] = {}
    if prefix:
        key_filter["MatchAnyPrefix"] = [prefix]
    if suffix:
        key_filter["MatchAnySuffix"] = [suffix]
    return {
        "AccountId": "123456789012",
        "ConfirmationRequired": False,
        "Operation": {
            "LambdaInvoke": {"FunctionArn": FUNCTION_ARN, "InvocationSchemaVersion": "2.0"}
        },
        "Report": {
            "Bucket": f"arn:aws:s3:::{BUCKET}",
            "Format": "Report_CSV_20180820",
            "Enabled": True,
            "Prefix": "s3-lambda-trigger/batch-operations",
            "ReportScope": "AllTasks",
        },
        "ClientRequestToken": token,
        "Description": f"s3-lambda-trigger backfill s3://{BUCKET}/{prefix}*{suffix}",
        "Priority": 10,
        "RoleArn": ROLE_ARN,
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "SourceBucket": f"arn:aws:s3:::{BUCKET}",
                "EnableManifestOutput": False,
                "Filter": {"KeyNameConstraint": key_filter},
            }
        },
    }


def test_create_job_requests_one_per_rule_with_a_manifest_generator() -> None:
    tokens = iter(["tok-1", "tok-2"])
    requests = batch_job.generator_requests(
        bucket=BUCKET,
        rules=[Rule("arc/", ".gz"), Rule("in/", "")],
        function_arn=FUNCTION_ARN,
        role_arn=ROLE_ARN,
        report_bucket=BUCKET,
        report_prefix=batch_job.DEFAULT_REPORT_PREFIX,
        token=lambda: next(tokens),
    )
    control = boto3.client(
        "s3control", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(control) as stub:
        for prefix, suffix, token, job in (("arc/", ".gz", "tok-1", "job-a"),
                                           ("in/", "", "tok-2", "job-b")):  # fmt: skip
            stub.add_response(
                "create_job", {"JobId": job}, generator_request(prefix, suffix, token)
            )
        assert batch_job.create_jobs(control, requests) == ["job-a", "job-b"]
        stub.assert_no_pending_responses()


def test_time_window_becomes_created_after_and_before() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    since, before = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    (request,) = batch_job.generator_requests(
        bucket=BUCKET, rules=[Rule("", "")], function_arn=FUNCTION_ARN, role_arn=ROLE_ARN,
        report_bucket="reports", report_prefix="jobs/", since=since, before=before,
        token=lambda: "t",
    )  # fmt: skip
    generator = request["ManifestGenerator"]["S3JobManifestGenerator"]
    assert generator["Filter"] == {"CreatedAfter": since, "CreatedBefore": before}
    assert request["Report"]["Bucket"] == "arn:aws:s3:::reports"
    assert request["Report"]["Prefix"] == "jobs"


def test_cli_batch_operations_with_a_csv_manifest(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("in/a b.csv", "in/c+d.csv", "out/x.csv"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    control = boto3.client("s3control", region_name="us-east-1")
    real_client = batch_job.client
    monkeypatch.setattr(
        batch_job,
        "client",
        lambda sess, service, **kw: (
            control if service == "s3control" else real_client(sess, service, **kw)
        ),
    )
    expected = {
        "AccountId": "123456789012",
        "ConfirmationRequired": False,
        "Operation": {
            "LambdaInvoke": {"FunctionArn": FUNCTION_ARN, "InvocationSchemaVersion": "2.0"}
        },
        "Report": {
            "Bucket": f"arn:aws:s3:::{BUCKET}",
            "Format": "Report_CSV_20180820",
            "Enabled": True,
            "Prefix": "s3-lambda-trigger/batch-operations",
            "ReportScope": "AllTasks",
        },
        "ClientRequestToken": ANY,
        "Description": f"s3-lambda-trigger backfill s3://{BUCKET} (CSV manifest)",
        "Priority": 10,
        "RoleArn": ROLE_ARN,
        "Manifest": {
            "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
            "Location": {"ObjectArn": ANY, "ETag": ANY},
        },
    }
    argv = ["backfill", "--bucket", BUCKET, "--prefix", "in/", "--batch-operations",
            "--manifest", "csv", "--function-arn", FUNCTION_ARN,
            "--role-arn", ROLE_ARN]  # fmt: skip
    with Stubber(control) as stub:
        stub.add_response("create_job", {"JobId": "job-csv"}, expected)
        assert cli.main(argv) == 0
        stub.assert_no_pending_responses()
    out = capsys.readouterr().out
    assert "created S3 Batch Operations job job-csv" in out
    (line,) = [x for x in out.splitlines() if x.startswith("manifest: s3://")]
    key = line.split(f"s3://{BUCKET}/", 1)[1].split(" ")[0]
    assert key.startswith("s3-lambda-trigger/batch-operations/manifests/") and key.endswith(".csv")
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    assert body == f"{BUCKET},in/a%20b.csv\n{BUCKET},in/c%2Bd.csv\n"  # URL-encoded keys


def test_cli_batch_operations_needs_a_role(s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["backfill", "--bucket", BUCKET, "--prefix", "in/", "--batch-operations",
            "--function-arn", FUNCTION_ARN]  # fmt: skip
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: no IAM role for S3 Batch Operations: set create_batch_operations_role = true on "
        "the module and output batch_operations_role_arn, or pass --role-arn"
    ]


def test_cli_batch_operations_dry_run_prints_the_requests(
    s3: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["backfill", "--bucket", BUCKET, "--prefix", "in/", "--suffix", ".csv",
            "--batch-operations", "--function-arn", FUNCTION_ARN, "--role-arn", ROLE_ARN,
            "--dry-run"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "dry run: would create 1 S3 Batch Operations job(s):" in out
    (request,) = json.loads(out.split("job(s):\n", 1)[1])
    token = request["ClientRequestToken"]
    assert request == json.loads(json.dumps(generator_request("in/", ".csv", token)))
