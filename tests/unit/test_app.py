"""Handler: failure semantics, processors from the environment, log contract, cold start."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from handler import ProcessingError, S3EventError, S3Object, make_handler
from handler import processors as procs
from handler.app import lambda_handler
from s3_lambda_trigger.samples import make_event, s3_record, wrap

REPO = Path(__file__).resolve().parents[2]
WHEN = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
CONTRACT_KEYS = [
    "level", "message", "requestId", "eventSource", "eventName", "bucket", "key", "size",
    "eTag", "versionId", "sequencer", "region", "eventTime", "idempotencyKey",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _fresh_processor(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(procs.ENV_VAR, raising=False)
    procs._cached.cache_clear()
    yield
    procs._cached.cache_clear()


def failing_on(bad_key: str) -> Any:
    seen: list[str] = []

    def processor(record: S3Object, context: object) -> None:
        seen.append(record.key)
        if record.key == bad_key:
            raise RuntimeError(f"cannot handle {record.key}")

    processor.seen = seen  # type: ignore[attr-defined]
    return processor


def sqs_batch(keys: list[str]) -> dict[str, Any]:
    records = []
    for i, key in enumerate(keys):
        [rec] = make_event("put", "b", key, shape="sqs", when=WHEN)["Records"]
        rec["messageId"] = f"msg-{i}"
        records.append(rec)
    return {"Records": records}


def test_log_line_contract(ctx: Any, logs: Any) -> None:
    event = make_event("put", "bkt", "incoming/보고서 1.csv", size=42, when=WHEN, version_id="v9")
    result = lambda_handler(event, ctx)
    assert result == {"processed": 1, "skipped": 0, "failed": 0}
    raw = logs.buf.getvalue()
    assert raw.count("\n") == 1 and "보고서 1.csv" in raw  # one line, ensure_ascii=False
    [line] = logs.lines
    assert list(line) == CONTRACT_KEYS
    assert line["level"] == "INFO" and line["message"] == "s3_object"
    assert line["requestId"] == ctx.aws_request_id
    assert line["eventSource"] == "aws:s3" and line["eventName"] == "ObjectCreated:Put"
    assert (line["bucket"], line["key"], line["size"]) == ("bkt", "incoming/보고서 1.csv", 42)
    assert (line["eTag"], line["versionId"], line["region"]) == (
        "0123456789abcdef0123456789abcdef", "v9", "us-east-1",
    )  # fmt: skip
    assert line["eventTime"] == "2025-01-02T03:04:05.678Z"
    assert datetime.fromisoformat(line["eventTime"]) == WHEN
    assert line["sequencer"] and line["idempotencyKey"].startswith("s3://bkt/incoming/")


def test_delete_line_has_nulls(ctx: Any, logs: Any) -> None:
    lambda_handler(make_event("delete", "b", "k", shape="eventbridge", when=WHEN), ctx)
    [line] = logs.lines
    assert (line["size"], line["eTag"], line["eventName"]) == (None, None, "ObjectRemoved:Delete")


def test_log_level(ctx: Any, logs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "warning")
    lambda_handler(make_event("put", "b", "k"), ctx)
    assert logs.lines == []
    with pytest.raises(S3EventError):
        lambda_handler({"nope": 1}, ctx)
    assert [x["message"] for x in logs.lines] == ["s3_event_error"]


def test_sqs_one_bad_message_reported_alone(ctx: Any, logs: Any) -> None:
    event = sqs_batch(["a", "b", "c", "d"])
    bad_body = json.loads(event["Records"][3]["body"])
    del bad_body["Records"][0]["s3"]["bucket"]["name"]
    event["Records"][3]["body"] = json.dumps(bad_body)
    proc = failing_on("b")
    result = make_handler(proc)(event, ctx)
    assert proc.seen == ["a", "b", "c"]
    assert result == {
        "processed": 2, "skipped": 0, "failed": 2,
        "batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-3"}],
    }  # fmt: skip
    [perr] = logs.messages("processor_failed")
    assert perr["level"] == "ERROR" and perr["where"] == "Records[1]"
    assert perr["error"] == "RuntimeError: cannot handle b"
    assert perr["record"] == event["Records"][1] and perr["messageId"] == "msg-1"
    [perr] = logs.messages("s3_event_error")
    assert perr["where"] == "Records[3].body.Records[0].s3.bucket.name"
    assert perr["error"].endswith("s3.bucket.name: missing")
    assert perr["record"] == event["Records"][3]


def test_sqs_batch_in_which_every_message_failed_raises(ctx: Any, logs: Any) -> None:
    # Returning every message in batchItemFailures would count as a success: no Errors
    # metric, no alarm. Raise instead (the whole batch is retried either way).
    event = sqs_batch(["a", "b"])
    del event["Records"][1]["body"]
    with pytest.raises(
        ProcessingError, match=r"all 2 message\(s\) of the SQS batch failed"
    ) as info:
        make_handler(failing_on("a"))(event, ctx)
    assert "Records[0] (RuntimeError: cannot handle a)" in str(info.value)
    assert "Records[1] (Records[1].body: missing)" in str(info.value)
    assert len(logs.messages("processor_failed")) == 1
    assert len(logs.messages("s3_event_error")) == 1


def test_sqs_batch_with_one_success_reports_items(ctx: Any, logs: Any) -> None:
    result = make_handler(failing_on("a"))(sqs_batch(["a", "b"]), ctx)
    assert result["batchItemFailures"] == [{"itemIdentifier": "msg-0"}]


def test_processor_sees_the_raw_record(ctx: Any, logs: Any) -> None:
    # Fields the model does not carry (here Glacier restore data) stay reachable.
    rec = s3_record("ObjectRestore:Completed", "b", "cold/x.bin", when=WHEN, size=3)
    rec["glacierEventData"] = {"restoreEventData": {"lifecycleRestoreStorageClass": "GLACIER"}}
    seen: list[Any] = []
    for shape in ("direct", "sqs", "sns", "sns-sqs"):
        make_handler(lambda r, c: seen.append(r.raw))(wrap({"Records": [rec]}, shape), ctx)
    assert seen == [rec] * 4
    eb = make_event("put", "b", "k", shape="eventbridge", when=WHEN)
    make_handler(lambda r, c: seen.append(r.raw))(eb, ctx)
    assert seen[-1] == eb


def test_sqs_all_good_has_empty_batch_item_failures(ctx: Any, logs: Any) -> None:
    result = lambda_handler(sqs_batch(["a", "b"]), ctx)
    assert result == {"processed": 2, "skipped": 0, "failed": 0, "batchItemFailures": []}
    assert len(logs.messages("s3_object")) == 2


def test_sqs_test_event_skipped(ctx: Any, logs: Any) -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    result = lambda_handler(wrap(test_event, "sqs"), ctx)
    assert result == {"processed": 0, "skipped": 1, "failed": 0, "batchItemFailures": []}
    [line] = logs.lines
    assert line["message"] == "s3_test_event_skipped" and line["where"] == "Records[0].body"


def test_direct_failure_processes_all_then_raises(ctx: Any, logs: Any) -> None:
    event = {"Records": [s3_record("ObjectCreated:Put", "b", k, when=WHEN) for k in "xyz"]}
    proc = failing_on("y")
    with pytest.raises(ProcessingError, match=r"1 of 3 record\(s\) failed: Records\[1\] \(Runtime"):
        make_handler(proc)(event, ctx)
    assert proc.seen == ["x", "y", "z"]
    assert len(logs.messages("processor_failed")) == 1


def test_direct_bad_record_reraised_as_s3_event_error(ctx: Any, logs: Any) -> None:
    event = {"Records": [s3_record("ObjectCreated:Put", "b", k, when=WHEN) for k in "xyz"]}
    del event["Records"][1]["s3"]["object"]["key"]
    proc = failing_on("never")
    with pytest.raises(S3EventError, match=r"Records\[1\]\.s3\.object\.key: missing"):
        make_handler(proc)(event, ctx)
    assert proc.seen == ["x", "z"]
    [err] = logs.messages("s3_event_error")
    assert err["record"] == event["Records"][1] and err["where"] == "Records[1].s3.object.key"
    assert len(logs.messages("s3_object")) == 0  # custom processor, no default lines


def test_not_s3_event_logged_and_raised(ctx: Any, logs: Any) -> None:
    with pytest.raises(S3EventError, match=r"^event: not an S3 event"):
        lambda_handler({"detail-type": "Scheduled Event", "source": "aws.events"}, ctx)
    [err] = logs.lines
    assert err["level"] == "ERROR" and err["message"] == "s3_event_error"
    assert err["record"]["source"] == "aws.events" and err["where"] == "event"


def test_eventbridge_processor_failure_raises(ctx: Any, logs: Any) -> None:
    event = make_event("put", "b", "boom", shape="eventbridge", when=WHEN)
    with pytest.raises(ProcessingError, match=r"event \(RuntimeError: cannot handle boom\)"):
        make_handler(failing_on("boom"))(event, ctx)


# --- processors from the environment ---------------------------------------


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    pkg = tmp_path / "userpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "proc.py").write_text(
        textwrap.dedent(
            """
            CALLS = []
            LOADS = [1]

            def process(record, context):
                CALLS.append((record.bucket, record.key))

            not_callable = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "userpkg.proc"


def test_processor_from_env(ctx: Any, logs: Any, user_module: str, monkeypatch: Any) -> None:
    monkeypatch.setenv(procs.ENV_VAR, f"{user_module}:process")
    lambda_handler(make_event("put", "b", "k 1"), ctx)
    lambda_handler(make_event("put", "b", "k 2"), ctx)
    module = sys.modules[user_module]
    assert module.CALLS == [("b", "k 1"), ("b", "k 2")]
    assert procs.get_processor() is module.process  # loaded once, cached
    assert procs._cached.cache_info().misses == 1
    assert logs.lines == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("userpkg.proc", r"S3_EVENT_PROCESSOR='userpkg.proc' is invalid: expected the form "
                         r"'package\.module:function'"),
        (":process", "expected the form 'package.module:function'"),
        ("userpkg.nope:process", "cannot import module 'userpkg.nope'"),
        ("userpkg.proc:missing", "has no callable 'missing'"),
        ("userpkg.proc:not_callable", "has no callable 'not_callable'"),
    ],
)  # fmt: skip
def test_bad_processor_env(
    ctx: Any, user_module: str, monkeypatch: Any, value: str, message: str
) -> None:
    monkeypatch.setenv(procs.ENV_VAR, value)
    with pytest.raises(procs.ProcessorConfigError, match=message) as info:
        lambda_handler(make_event("put", "b", "k"), ctx)
    assert "S3_EVENT_PROCESSOR" in str(info.value)


def test_default_processor_when_unset(ctx: Any, logs: Any) -> None:
    assert procs.get_processor() is procs.log_record


# --- cold start / AWS clients ----------------------------------------------


def test_import_does_not_load_boto3() -> None:
    code = "import handler.app, sys; assert 'boto3' not in sys.modules, 'boto3 imported'"
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_handling_does_not_load_boto3(tmp_path: Path) -> None:
    event = tmp_path / "e.json"
    event.write_text(json.dumps(make_event("put", "b", "k")))
    code = (
        "import handler.app, handler.objects, sys, json\n"
        "handler.app.lambda_handler(json.load(open(sys.argv[1])), None)\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code, str(event)], cwd=REPO, check=True,
                   capture_output=True)  # fmt: skip
