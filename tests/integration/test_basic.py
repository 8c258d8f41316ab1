"""examples/basic on the emulator: upload -> S3 notification -> Lambda -> CloudWatch Logs."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from localstack_client.session import Session

from tests.integration.support import destroy, put_until_handled
from tools.stack import REPO, Stack, log_records

SETTLE = 3.0  # seconds to wait for deliveries that must NOT come


def _records(aws: Session, group: str, key: str) -> list[dict[str, Any]]:
    return [r for r in log_records(aws.client("logs"), group) if r.get("key") == key]


def test_matching_upload_runs_handler_once_and_logs_the_object(aws: Session, basic) -> None:
    _, out = basic
    key = f"incoming/report-{uuid.uuid4().hex[:6]}.csv"
    body = b"id,amount\n1,42\n2,7\n"
    _, resent, puts = put_until_handled(
        aws, out["bucket_name"], {key: body}, lambda: _records(aws, out["log_group_name"], key)
    )
    time.sleep(SETTLE)
    records = _records(aws, out["log_group_name"], key)

    assert 1 <= len(records) <= 1 + resent, records  # once (a MiniStack resend may repeat it)
    record = records[0]
    put = puts[key]
    assert record["bucket"] == out["bucket_name"]
    assert record["size"] == len(body)
    assert record["eTag"] == put["ETag"].strip('"')
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["region"] == "us-east-1"


@pytest.mark.parametrize("key", ["outgoing/report.csv", "incoming/report.txt"])
def test_upload_outside_the_filter_does_not_run_handler(aws: Session, basic, key: str) -> None:
    _, out = basic
    s3 = aws.client("s3")
    s3.put_object(Bucket=out["bucket_name"], Key=key, Body=b"x")
    sentinel = f"incoming/sentinel-{uuid.uuid4().hex[:6]}.csv"
    handled, _, _ = put_until_handled(
        aws,
        out["bucket_name"],
        {sentinel: b"y"},
        lambda: _records(aws, out["log_group_name"], sentinel),
    )
    assert handled, "sentinel not handled"
    time.sleep(SETTLE)
    assert _records(aws, out["log_group_name"], key) == []


def test_key_with_spaces_and_non_ascii_arrives_decoded(aws: Session, basic) -> None:
    _, out = basic
    key = "incoming/보고서 1+2 (final).csv"
    records, resent, _ = put_until_handled(
        aws, out["bucket_name"], {key: b"z"}, lambda: _records(aws, out["log_group_name"], key)
    )

    assert {r["key"] for r in records} == {key} and len(records) <= 1 + resent


def test_plan_after_apply_and_rebuild_shows_no_changes(basic) -> None:
    stack: Stack = basic[0]
    subprocess.run(
        [sys.executable, "-m", "s3_lambda_trigger", "package", "--output", "build/handler.zip"],
        cwd=REPO,
        check=True,
    )

    assert stack.pending_changes() == ""


def test_destroy_leaves_nothing_behind(aws: Session, basic) -> None:
    stack, out = basic
    destroy(aws, stack, out["bucket_name"])

    s3, lam, iam, logs, sqs = (aws.client(n) for n in ("s3", "lambda", "iam", "logs", "sqs"))
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert out["bucket_name"] not in buckets
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=out["function_name"])
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=out["function_name"])
    groups = logs.describe_log_groups(logGroupNamePrefix=out["log_group_name"])["logGroups"]
    assert groups == []
    queues = sqs.list_queues(QueueNamePrefix=out["function_name"]).get("QueueUrls", [])
    assert queues == []
