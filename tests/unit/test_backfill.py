"""backfill: rules, listing and filtering, the records sent, idempotency, delivery, summary.

S3 and SQS are moto; Lambda invokes go to a fake client (moto runs functions only in Docker).
Checkpoint and resume: tests/unit/test_backfill_checkpoint.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handler import parse_event
from handler.model import BACKFILL_CONFIGURATION_ID
from s3_lambda_trigger import backfill, cli, plan, rules
from s3_lambda_trigger.checkpoint import Journal
from s3_lambda_trigger.delivery import LambdaEventSender, QueueSender
from s3_lambda_trigger.engine import Backfill, Summary, document
from s3_lambda_trigger.listing import Window, pages
from s3_lambda_trigger.progress import RateLimiter
from s3_lambda_trigger.rules import Rule, RuleError
from s3_lambda_trigger.samples import encode_key

BUCKET = "backfill-unit-bucket"
REGION = "us-east-1"
ODD_KEYS = ["in/a b.csv", "in/1+2=3.csv", "in/보고서 (final).csv", "in/100%.csv", "in/x~y@z.csv"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


class FakeLambda:
    """Records Event invokes; ``fail`` keys answer an error (or raise ``raise_for``)."""

    def __init__(self, fail: set[str] | None = None, raise_for: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.raise_for = raise_for
        self.lock = threading.Lock()

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["InvocationType"] == "Event"
        event = json.loads(kwargs["Payload"])
        if self.raise_for is not None:
            raise self.raise_for
        with self.lock:
            self.calls.append(event)
        (record,) = parse_event(event)
        return {"StatusCode": 500 if record.key in self.fail else 202}

    def keys(self) -> list[str]:
        return [parse_event(e)[0].key for e in self.calls]


def put(s3: Any, keys: list[str], body: bytes = b"x") -> None:
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def engine(s3: Any, sender: Any, tmp_path: Path, rule_set: list[Rule], **kw: Any) -> Backfill:
    journal = Journal(tmp_path / "ckpt.jsonl", {"test": 1})
    state = journal.open(restart=kw.pop("restart", False))
    return Backfill(
        s3=s3,
        bucket=BUCKET,
        region=REGION,
        rule_set=rule_set,
        window=kw.pop("window", Window()),
        versioned=kw.pop("versioned", False),
        sender=sender,
        journal=journal,
        state=state,
        concurrency=kw.pop("concurrency", 4),
        limiter=kw.pop("limiter", RateLimiter(None)),
        tty=False,
        progress_interval=0,
        **kw,
    )


def run_engine(e: Backfill) -> Summary:
    try:
        return e.run()
    finally:
        e.journal.close()


# --- rules --------------------------------------------------------------------------------


def test_rules_from_flags_pair_in_order_or_broadcast() -> None:
    assert rules.from_flags(["in/", "arc/"], [".csv", ".gz"]) == [
        Rule("arc/", ".gz"),
        Rule("in/", ".csv"),
    ]
    assert rules.from_flags(["in/", "arc/"], [".csv"]) == [
        Rule("arc/", ".csv"),
        Rule("in/", ".csv"),
    ]
    assert rules.from_flags([], [".csv", ".json"]) == [Rule("", ".csv"), Rule("", ".json")]
    assert rules.from_flags([""], []) == [Rule("", "")]


@pytest.mark.parametrize(
    ("prefixes", "suffixes", "message"),
    [
        ([], [], "no rules"),
        (["a/", "b/", "c/"], [".x", ".y"], "bad rules: 3 --prefix and 2 --suffix"),
        (["/in/"], [], "starts with '/'"),
    ],
)
def test_bad_flag_rules_are_refused(prefixes: list[str], suffixes: list[str], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        rules.from_flags(prefixes, suffixes)


def test_rules_from_output_keep_the_functions_object_create_rules() -> None:
    own = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    output = {
        "csv": {"events": ["s3:ObjectCreated:*"], "filter_prefix": "in/", "filter_suffix": ".csv",
                "function_arn": own},
        "gone": {"events": ["s3:ObjectRemoved:*"], "filter_prefix": "del/", "filter_suffix": "",
                 "function_arn": own},
        "other": {"events": ["s3:ObjectCreated:Put"], "filter_prefix": "ext/", "filter_suffix": "",
                  "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:other"},
    }  # fmt: skip
    assert rules.from_output(output, own) == [Rule("in/", ".csv", "csv")]
    assert rules.from_output(output, "fn") == [Rule("in/", ".csv", "csv")]
    assert rules.from_output(output, "other") == [Rule("ext/", "", "other")]
    with pytest.raises(RuleError, match="bad rules"):
        rules.from_output(["not", "a", "map"], own)


def test_rules_from_state_find_the_notification_and_its_function() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
    state = {"values": {"root_module": {"child_modules": [{
        "address": "module.uploads",
        "resources": [
            {"type": "aws_lambda_function", "values": {"arn": arn, "function_name": "fn"}},
            {"type": "aws_s3_bucket_notification", "values": {"bucket": "b1", "lambda_function": [
                {"id": "csv", "events": ["s3:ObjectCreated:*"], "filter_prefix": "in/",
                 "filter_suffix": ".csv", "lambda_function_arn": arn},
                {"id": "ext", "events": ["s3:ObjectCreated:*"], "filter_prefix": "x/",
                 "filter_suffix": "", "lambda_function_arn": arn.replace(":fn", ":other")},
            ]}},
        ],
    }]}}}  # fmt: skip
    assert rules.from_state(state) == ("b1", arn, [Rule("in/", ".csv", "csv")])
    with pytest.raises(RuleError, match="expected one aws_s3_bucket_notification"):
        rules.from_state({"values": {"root_module": {}}})


def test_listing_prefixes_drop_nested_and_keep_key_order() -> None:
    got = rules.listing_prefixes([Rule("in/2025/"), Rule("in/"), Rule("arc/"), Rule("in/", ".x")])
    assert got == ["arc/", "in/"]
    assert rules.listing_prefixes([Rule("a/"), Rule("")]) == [""]


# --- listing ------------------------------------------------------------------------------


def test_listing_filters_by_rules_and_time_window(s3: Any) -> None:
    put(s3, ["in/a.csv", "in/b.txt", "arc/c.csv.gz", "out/d.csv", "in/sub/e.csv"])
    found = [
        e[0]
        for p in pages(s3, BUCKET, [Rule("in/", ".csv"), Rule("arc/", ".gz")], page_size=2)
        for e in p.items
    ]
    assert found == ["arc/c.csv.gz", "in/a.csv", "in/sub/e.csv"]
    listed = sum(p.listed for p in pages(s3, BUCKET, [Rule("")]))
    assert listed == 5

    now = datetime.now(UTC)
    later = Window(since=now + timedelta(hours=1))
    assert [e for p in pages(s3, BUCKET, [Rule("")], window=later) for e in p.items] == []
    earlier = Window(before=now - timedelta(hours=1))
    assert [e for p in pages(s3, BUCKET, [Rule("")], window=earlier) for e in p.items] == []
    around = Window(now - timedelta(hours=1), now + timedelta(hours=1))
    assert len([e for p in pages(s3, BUCKET, [Rule("")], window=around) for e in p.items]) == 5


def test_listing_resumes_after_the_last_key_across_prefixes(s3: Any) -> None:
    put(s3, ["a/1", "a/2", "b/1", "b/2", "c/1"])
    rule_set = [Rule("a/"), Rule("b/"), Rule("c/")]
    got = [e[0] for p in pages(s3, BUCKET, rule_set, start_after="b/1") for e in p.items]
    assert got == ["b/2", "c/1"]


def test_versioned_bucket_sends_latest_versions_and_skips_deleted(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    put(s3, ["v/a", "v/b"], b"old")
    latest = s3.put_object(Bucket=BUCKET, Key="v/a", Body=b"new")["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key="v/b")
    items = [e for p in pages(s3, BUCKET, [Rule("v/")], versioned=True) for e in p.items]
    assert [(e[0], e[1], e[4]) for e in items] == [("v/a", 3, latest)]
    (record,) = parse_event(document(BUCKET, REGION, items[0]))
    assert record.version_id == latest
    assert record.idempotency_key.endswith(f"@v:{latest}")


# --- the records --------------------------------------------------------------------------


def test_records_are_s3_notifications_marked_as_backfill(s3: Any) -> None:
    put(s3, ODD_KEYS, b"hello")
    items = [e for p in pages(s3, BUCKET, [Rule("in/")]) for e in p.items]
    head = {k: s3.head_object(Bucket=BUCKET, Key=k) for k in ODD_KEYS}
    for entry in items:
        doc = document(BUCKET, REGION, entry)
        (raw,) = doc["Records"]
        assert raw["eventVersion"] == "2.1" and raw["eventSource"] == "aws:s3"
        assert raw["eventName"] == "ObjectCreated:Put"
        assert raw["s3"]["configurationId"] == BACKFILL_CONFIGURATION_ID
        assert raw["s3"]["object"]["key"] == encode_key(entry[0])  # as S3 encodes it
        assert "sequencer" not in raw["s3"]["object"]
        assert "x-amz-request-id" not in raw["responseElements"]
        (record,) = parse_event(doc)
        meta = head[record.key]
        assert record.key == entry[0]  # decoded back to the real key
        assert record.size == 5 and record.etag == meta["ETag"].strip('"')
        assert record.event_time == meta["LastModified"].replace(microsecond=0)
        assert record.is_backfill
        assert record.version_id is None and record.sequencer is None


def test_idempotency_keys_are_identical_on_every_run(s3: Any, tmp_path: Path) -> None:
    put(s3, ODD_KEYS)
    runs = []
    for n in range(2):
        fake = FakeLambda()
        e = engine(s3, LambdaEventSender(fake, "fn"), tmp_path / str(n), [Rule("in/")])
        assert run_engine(e).sent == len(ODD_KEYS)
        runs.append(sorted(parse_event(c)[0].idempotency_key for c in fake.calls))
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == len(ODD_KEYS)
    assert all("@t:" in k for k in runs[0])


def test_live_event_is_not_a_backfill() -> None:
    from s3_lambda_trigger.samples import make_event  # noqa: PLC0415

    (record,) = parse_event(make_event("put", BUCKET, "in/a.csv"))
    assert not record.is_backfill


# --- delivery -----------------------------------------------------------------------------


def test_backfill_invokes_every_matching_object_once(s3: Any, tmp_path: Path) -> None:
    keys = [f"in/{i:04d}.csv" for i in range(230)]
    put(s3, [*keys, "in/skip.txt", "out/x.csv"])
    fake = FakeLambda()
    summary = run_engine(engine(s3, LambdaEventSender(fake, "fn"), tmp_path, [Rule("in/", ".csv")]))
    assert sorted(fake.keys()) == keys
    assert (summary.listed, summary.matched, summary.sent, summary.failed) == (231, 230, 230, 0)
    assert not summary.interrupted and summary.fatal is None


def test_records_per_event_packs_records_and_shares_the_outcome(s3: Any, tmp_path: Path) -> None:
    keys = [f"in/{i:02d}.csv" for i in range(25)]
    put(s3, keys)

    class Packed(FakeLambda):
        def invoke(self, **kwargs: Any) -> dict[str, Any]:
            event = json.loads(kwargs["Payload"])
            with self.lock:
                self.calls.append(event)
            failing = any(r.key in self.fail for r in parse_event(event))
            return {"StatusCode": 500 if failing else 202}

    fake = Packed(fail={"in/03.csv"})
    sender = LambdaEventSender(fake, "fn", records_per_event=10)
    summary = run_engine(engine(s3, sender, tmp_path, [Rule("in/")], concurrency=2))
    sizes = sorted(len(c["Records"]) for c in fake.calls)
    assert sizes == [5, 10, 10]
    assert sorted(r.key for c in fake.calls for r in parse_event(c)) == keys
    failed_event = next(c for c in fake.calls if "in/03.csv" in json.dumps(c))
    assert summary.failed == len(failed_event["Records"])  # the whole event failed
    assert summary.sent == 25 - summary.failed
    with pytest.raises(ValueError, match="1 to 50"):
        LambdaEventSender(fake, "fn", records_per_event=51)


def test_sdk_retries_are_recorded_as_redeliveries(s3: Any, tmp_path: Path) -> None:
    """A send the SDK had to repeat (time-out, 5xx) may have been accepted twice."""
    put(s3, ["in/a", "in/b", "in/c"])

    class Flaky(FakeLambda):
        def invoke(self, **kwargs: Any) -> dict[str, Any]:
            response = super().invoke(**kwargs)
            if parse_event(json.loads(kwargs["Payload"]))[0].key == "in/b":
                response["ResponseMetadata"] = {"RetryAttempts": 1}
            return response

    e = engine(s3, LambdaEventSender(Flaky(), "fn"), tmp_path, [Rule("in/")])
    summary = run_engine(e)
    assert (summary.sent, summary.redelivered) == (3, 1)
    journal = [json.loads(line) for line in (tmp_path / "ckpt.jsonl").read_text().splitlines()]
    assert {"t": "redeliver", "keys": ["in/b"]} in journal


def test_queue_delivery_sends_s3_notification_messages(s3: Any, tmp_path: Path) -> None:
    keys = [f"in/{i:02d} é.csv" for i in range(23)]
    put(s3, keys)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="backfill-unit")["QueueUrl"]
    summary = run_engine(engine(s3, QueueSender(sqs, url), tmp_path, [Rule("in/")]))
    assert summary.sent == 23
    got = []
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            break
        for m in msgs:
            sqs_event = {"Records": [{"eventSource": "aws:sqs", "messageId": m["MessageId"],
                                      "body": m["Body"]}]}  # fmt: skip
            (record,) = parse_event(sqs_event)
            assert record.is_backfill
            got.append(record.key)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(got) == keys


def test_failed_sends_are_counted_and_exit_non_zero(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    put(s3, ["in/ok.csv", "in/bad.csv"])
    fake = FakeLambda(fail={"in/bad.csv"})
    monkeypatch.setattr(backfill, "_sender", lambda *a: LambdaEventSender(fake, "fn"))
    ckpt = tmp_path / "c.jsonl"
    argv = ["backfill", "--bucket", BUCKET, "--function", "fn", "--prefix", "in/",
            "--checkpoint", str(ckpt), "--progress-interval", "0"]  # fmt: skip
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert "failed       1" in out and "sent         1" in out
    assert err.strip().splitlines() == [
        "error: 1 object(s) failed (first: in/bad.csv: invoke answered status 500); run the "
        "same command again to retry them"
    ]
    fake.fail.clear()  # fixed: the rerun sends only the failed object
    fake.calls.clear()
    assert cli.main(argv) == 0
    assert fake.keys() == ["in/bad.csv"]
    out, _ = capsys.readouterr()
    assert "sent         2" in out and "failed       0" in out


def test_fatal_delivery_error_stops_with_one_line(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    put(s3, [f"in/{i}" for i in range(50)])
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}, "Invoke"
    )
    monkeypatch.setattr(
        backfill, "_sender", lambda *a: LambdaEventSender(FakeLambda(raise_for=denied), "fn")
    )
    argv = ["backfill", "--bucket", BUCKET, "--function", "fn", "--prefix", "in/",
            "--checkpoint", str(tmp_path / "c.jsonl"), "--progress-interval", "0"]  # fmt: skip
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: invoke fn: AccessDeniedException: not allowed"]


def test_rate_limit_paces_the_sends(s3: Any, tmp_path: Path) -> None:
    put(s3, [f"in/{i}" for i in range(30)])
    slept: list[float] = []
    clock = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(10, clock=lambda: clock[0], sleep=sleep)
    e = engine(s3, LambdaEventSender(FakeLambda(), "fn"), tmp_path, [Rule("in/")], limiter=limiter)
    assert run_engine(e).sent == 30
    assert sum(slept) == pytest.approx(2.9)  # 30 at 10/s, the first one free


def test_rate_limiter_is_shared_by_threads() -> None:
    clock = [0.0]
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            clock[0] = max(clock[0], seconds)  # threads sleep in parallel: the longest wins

    limiter = RateLimiter(100, clock=lambda: 0.0, sleep=sleep)
    threads = [threading.Thread(target=limiter.acquire) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock[0] == pytest.approx(0.49)  # the 50th waits for 49 tokens at 100/s
    assert RateLimiter(0).acquire(1000) == 0.0


# --- the command --------------------------------------------------------------------------


def test_dry_run_prints_the_count_and_first_keys_and_sends_nothing(
    s3: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    put(s3, [f"in/{i:03d}.csv" for i in range(25)] + ["in/x.txt"])
    monkeypatch.setattr(backfill, "_sender", lambda *a: pytest.fail("dry run must not send"))
    argv = ["backfill", "--bucket", BUCKET, "--prefix", "in/", "--suffix", ".csv", "--dry-run"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "dry run: 25 of 26 listed objects match" in out
    assert "  in/000.csv\n" in out and "  in/019.csv\n" in out and "in/020.csv" not in out
    assert "... and 5 more" in out


def test_rules_and_target_come_from_terraform_outputs(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:tf-fn"
    outputs = {
        "bucket_name": BUCKET,
        "function_name": "tf-fn",
        "function_arn": arn,
        "queue_url": None,
        "notification_rules": {
            "csv": {"events": ["s3:ObjectCreated:*"], "filter_prefix": "in/",
                    "filter_suffix": ".csv", "function_arn": arn},
        },
    }  # fmt: skip
    monkeypatch.setattr(
        plan, "terraform_outputs", lambda d: {k: v for k, v in outputs.items() if v}
    )
    put(s3, ["in/a.csv", "in/b.txt"])
    argv = ["backfill", "--terraform-dir", str(tmp_path), "--dry-run"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "rules: csv (in/*.csv)" in out and "would send to function tf-fn" in out
    assert "1 of 2 listed objects match" in out


def test_queue_url_output_switches_to_queue_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        plan,
        "terraform_outputs",
        lambda d: {"bucket_name": BUCKET, "function_name": "fn", "queue_url": "https://q"},
    )
    args = cli.parser().parse_args(["backfill", "--terraform-dir", str(tmp_path), "--prefix", ""])
    assert plan.plan(args).target == "queue:https://q"
    args = cli.parser().parse_args(
        ["backfill", "--terraform-dir", str(tmp_path), "--prefix", "", "--function", "fn"]
    )
    assert plan.plan(args).target == "function:fn"


def test_ten_records_per_invocation_by_default_one_as_s3_sends(tmp_path: Path) -> None:
    """The default packs 10 records per invocation (the throughput target of issue 11);
    ``--records-per-event 1`` sends them as S3 does; 0 and 51 are refused by the parser."""
    base = ["backfill", "--bucket", BUCKET, "--function", "fn", "--prefix", ""]
    assert cli.parser().parse_args(base).records_per_event == 10
    args = cli.parser().parse_args([*base, "--records-per-event", "1"])
    assert args.records_per_event == 1
    assert LambdaEventSender(None, "fn", 10).describe() == (
        "function fn (asynchronous invokes, 10 records per event)"
    )
    assert LambdaEventSender(None, "fn", 1).describe() == "function fn (asynchronous invokes)"
    for bad in ("0", "51"):
        with pytest.raises(SystemExit):
            cli.parser().parse_args([*base, "--records-per-event", bad])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bucket", "no-such-bucket-here", "--function", "fn", "--prefix", ""],
         "error: no such bucket: no-such-bucket-here"),
        (["--bucket", BUCKET, "--function", "fn", "--prefix", "a/", "--prefix", "b/",
          "--suffix", "x", "--suffix", "y", "--suffix", "z"], "error: bad rules: 2 --prefix"),
        (["--bucket", BUCKET, "--function", "fn"], "error: no rules: pass --prefix"),
        (["--bucket", BUCKET, "--function", "no-such-fn", "--prefix", ""],
         "error: no such function: no-such-fn"),
        (["--bucket", BUCKET, "--queue-url",
          "https://sqs.us-east-1.amazonaws.com/123456789012/none", "--prefix", ""],
         "error: queue https://sqs.us-east-1.amazonaws.com/123456789012/none: "),
        (["--bucket", BUCKET, "--prefix", ""], "error: no function: pass --function"),
        (["--bucket", BUCKET, "--function", "fn", "--prefix", "", "--modified-since",
          "2025-02-01", "--modified-before", "2025-01-01"], "error: --modified-since must be"),
    ],
)  # fmt: skip
def test_expected_failures_print_one_error_line(
    s3: Any, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["backfill", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err


def test_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["backfill", "--bucket", "b", "--prefix", "", "--modified-since", "yesterday"])
    assert exc.value.code == 2
    assert "is not an ISO 8601 date" in capsys.readouterr().err


def test_no_credentials_is_one_error_line(tmp_path: Path) -> None:
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": REGION,
    }
    for command in (["backfill", "--bucket", BUCKET, "--prefix", "", "--function", "fn"],
                    ["redrive", "--queue-url", "https://sqs.example/q"]):  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "s3_lambda_trigger", *command],
            capture_output=True, text=True, env=env, check=False,
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
        assert proc.returncode == 1
        assert proc.stderr.strip().splitlines() == [
            "error: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run `aws configure` / `aws sso login`"
        ]


def test_help_has_examples() -> None:
    for command in ("backfill", "redrive"):
        text = cli.parser()._subparsers._group_actions[0].choices[command].format_help()  # type: ignore[union-attr]
        assert "examples:" in text and f"s3-lambda-trigger {command} --terraform-dir" in text


# --- progress -----------------------------------------------------------------------------


def test_progress_bar_with_rate_and_eta_on_a_terminal() -> None:
    import io  # noqa: PLC0415

    from s3_lambda_trigger.progress import Counters, Progress  # noqa: PLC0415

    clock = [0.0]
    counters = Counters(("sent",))
    total: list[int | None] = [None]
    progress = Progress(
        "backfill", counters, done=lambda c: c["sent"], describe=lambda c: f"sent {c['sent']}",
        total=lambda: total[0], stream=io.StringIO(), tty=True, clock=lambda: clock[0],
    )  # fmt: skip
    progress.start()
    clock[0] = 10.0
    counters.set("sent", 250)
    assert progress.line() == "backfill [" + "???".center(24) + "] sent 250, 25/s"  # no total yet
    total[0] = 1000
    line = progress.line()
    assert line.startswith("backfill [######------------------]  25% sent 250, 25/s")
    assert line.endswith("ETA 0:30")


def test_progress_prints_plain_lines_when_not_a_terminal() -> None:
    import io  # noqa: PLC0415
    import time  # noqa: PLC0415

    from s3_lambda_trigger.progress import Counters, Progress  # noqa: PLC0415

    stream = io.StringIO()
    counters = Counters(("sent",))
    progress = Progress(
        "redrive", counters, done=lambda c: c["sent"], describe=lambda c: f"sent {c['sent']}",
        stream=stream, tty=False, interval=0.05,
    )  # fmt: skip
    progress.start()
    counters.add("sent", 3)
    time.sleep(0.2)
    progress.stop()
    lines = stream.getvalue().splitlines()
    assert lines and all(line.startswith("redrive: sent ") for line in lines)
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()
