"""redrive: both message shapes, delete only after the function succeeded, the rest stays.

The queue is moto's SQS; the function is a fake client answering RequestResponse invokes
(moto runs functions only in Docker). The end-to-end replay is in
tests/integration/test_operations.py.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handler import parse_event
from s3_lambda_trigger import cli, redrive
from s3_lambda_trigger.progress import RateLimiter
from s3_lambda_trigger.redrive import Redrive, unwrap
from s3_lambda_trigger.samples import make_event

REGION = "us-east-1"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


@pytest.fixture
def queue(sqs: Any) -> str:
    url: str = sqs.create_queue(QueueName="fn-failures")["QueueUrl"]
    return url


def on_failure_record(key: str) -> str:
    """What Lambda writes to an on-failure destination after the retries of an async event."""
    return json.dumps({
        "version": "1.0",
        "timestamp": "2026-11-25T12:00:00.000Z",
        "requestContext": {"requestId": "r", "functionArn": f"{FUNCTION_ARN}:$LATEST",
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": make_event("put", "bucket-1", key),
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                            "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom", "errorType": "ProcessingError"},
    })  # fmt: skip


def s3_message(key: str) -> str:
    """A raw S3 notification message, as an sqs-mode dead-letter queue holds it."""
    return json.dumps(make_event("put", "bucket-1", key))


class FakeLambda:
    """RequestResponse invokes: fails (FunctionError) for keys in ``failing``."""

    def __init__(self, failing: set[str]) -> None:
        self.failing = failing
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["InvocationType"] == "RequestResponse"
        (record,) = parse_event(json.loads(kwargs["Payload"]))
        with self.lock:
            self.calls.append((kwargs["FunctionName"], record.key))
        if record.key in self.failing:
            body = {"errorType": "ValueError", "errorMessage": f"still broken: {record.key}"}
            return {"StatusCode": 200, "FunctionError": "Unhandled",
                    "Payload": io.BytesIO(json.dumps(body).encode())}  # fmt: skip
        return {"StatusCode": 200, "Payload": io.BytesIO(b'{"processed": 1}')}

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"Timeout": 30}


def bodies(sqs: Any, queue: str) -> list[str]:
    """Every message body visible now (made visible again right after)."""
    seen: dict[str, dict[str, Any]] = {}
    while True:
        reply = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=30)
        new = [m for m in reply.get("Messages", []) if m["MessageId"] not in seen]
        if not new:
            break
        seen.update((m["MessageId"], m) for m in new)
    for m in seen.values():
        sqs.change_message_visibility(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"],
                                      VisibilityTimeout=0)  # fmt: skip
    return sorted(m["Body"] for m in seen.values())


def engine(sqs: Any, queue: str, lam: Any, **kw: Any) -> Redrive:
    return Redrive(
        sqs=sqs, lam=lam, queue_url=queue, function=kw.pop("function", "fn"),
        visibility_timeout=60, concurrency=3, limiter=RateLimiter(None), wait_seconds=0,
        tty=False, progress_interval=0, **kw,
    )  # fmt: skip


def test_unwrap_both_shapes_and_refuse_others() -> None:
    failed = unwrap(on_failure_record("in/a.csv"))
    assert failed.kind == "on-failure record" and failed.condition == "RetriesExhausted"
    assert failed.function == f"{FUNCTION_ARN}:$LATEST"
    assert [r.key for r in parse_event(failed.event)] == ["in/a.csv"]
    raw = unwrap(s3_message("in/b c.csv"))
    assert raw.kind == "S3 message" and [r.key for r in parse_event(raw.event)] == ["in/b c.csv"]
    for body in ("not json", '{"hello": 1}', "[1, 2]"):
        with pytest.raises(ValueError):
            unwrap(body)


def test_replays_both_shapes_deletes_successes_keeps_failures(sqs: Any, queue: str) -> None:
    sent = {
        "in/ok-1.csv": on_failure_record("in/ok-1.csv"),
        "in/ok-2.csv": s3_message("in/ok-2.csv"),
        "in/poison.csv": on_failure_record("in/poison.csv"),
        "in/poison-raw.csv": s3_message("in/poison-raw.csv"),
    }
    for body in sent.values():
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    sqs.send_message(QueueUrl=queue, MessageBody="garbage")
    lam = FakeLambda(failing={"in/poison.csv", "in/poison-raw.csv"})

    summary = engine(sqs, queue, lam).run()

    assert (summary.received, summary.replayed, summary.failed) == (5, 2, 3)
    assert sorted(k for _, k in lam.calls) == sorted(sent)  # each tried once, garbage never
    # deleted only after success; the rest is back in the queue and visible at once
    assert bodies(sqs, queue) == sorted(
        [sent["in/poison.csv"], sent["in/poison-raw.csv"], "garbage"]
    )
    reasons = sorted(summary.failures.values())
    assert reasons[0].startswith("cannot redrive: body is not JSON")
    assert reasons[1:] == [
        "function failed again: ValueError: still broken: in/poison-raw.csv",
        "function failed again: ValueError: still broken: in/poison.csv",
    ]

    lam.failing.clear()  # fixed
    summary = engine(sqs, queue, lam).run()
    assert (summary.replayed, summary.failed) == (2, 1)
    assert bodies(sqs, queue) == ["garbage"]


def test_function_comes_from_the_record_when_not_given(sqs: Any, queue: str) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody=on_failure_record("in/a.csv"))
    sqs.send_message(QueueUrl=queue, MessageBody=s3_message("in/b.csv"))
    lam = FakeLambda(set())
    summary = engine(sqs, queue, lam, function=None).run()
    assert lam.calls == [(f"{FUNCTION_ARN}:$LATEST", "in/a.csv")]
    assert summary.failures and "no function: pass --function" in next(
        iter(summary.failures.values())
    )


def test_max_limits_the_messages(sqs: Any, queue: str) -> None:
    for i in range(25):
        sqs.send_message(QueueUrl=queue, MessageBody=s3_message(f"in/{i}.csv"))
    lam = FakeLambda(set())
    summary = engine(sqs, queue, lam, maximum=7).run()
    assert (summary.received, summary.replayed) == (7, 7)
    assert len(bodies(sqs, queue)) == 18


def test_cli_dry_run_and_exit_codes(
    sqs: Any, queue: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    poison = s3_message("in/poison.csv")
    sqs.send_message(QueueUrl=queue, MessageBody=on_failure_record("in/a b.csv"))
    sqs.send_message(QueueUrl=queue, MessageBody=poison)
    lam = FakeLambda({"in/poison.csv"})
    real = redrive.client
    monkeypatch.setattr(
        redrive,
        "client",
        lambda sess, service, **kw: lam if service == "lambda" else real(sess, service, **kw),
    )

    assert cli.main(["redrive", "--queue-url", queue, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: about 2 messages" in out
    assert (
        "on-failure record: s3://bucket-1/in/a b.csv (ObjectCreated:Put) [RetriesExhausted]" in out
    )
    assert "S3 message: s3://bucket-1/in/poison.csv (ObjectCreated:Put)" in out
    assert lam.calls == [] and len(bodies(sqs, queue)) == 2

    argv = ["redrive", "--queue-url", queue, "--function", "fn", "--progress-interval", "0"]
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert "replayed     1" in out and "failed       1" in out
    assert err.strip().splitlines() == [
        f"error: 1 message(s) failed again and stay in {queue}; fix the cause and run redrive again"
    ]
    assert bodies(sqs, queue) == [poison]

    lam.failing.clear()
    assert cli.main(argv) == 0
    assert bodies(sqs, queue) == []


def test_queue_from_terraform_output_and_missing_queue(
    sqs: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/not-there"
    monkeypatch.setattr(redrive, "terraform_outputs", lambda d: {"dlq_url": url})
    assert cli.main(["redrive", "--terraform-dir", str(tmp_path), "--dry-run"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"error: no such queue: {url}"]
    assert cli.main(["redrive"]) == 1
    assert capsys.readouterr().err.startswith("error: no queue: pass --queue-url")
