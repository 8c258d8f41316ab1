"""Each delivery mode end to end: the basic flow, a burst that loses nothing, and a poison object
that ends in that mode's queue for failed events with its S3 record intact.

direct: S3 invokes the function; a failure is retried once, then the on-failure queue holds the
async record (requestPayload = the S3 event). sqs: S3 -> queue -> event source mapping; a failing
message is received twice (queue_max_receive_count), then the redrive policy moves it, the raw S3
notification, to the DLQ. eventbridge: S3 -> EventBridge -> function (async): as direct, with the
EventBridge event as requestPayload.
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from tests.integration.support import destroy
from tools.stack import REPO, Stack, log_records, wait_for

STACK = Path(__file__).parent / "stacks" / "modes"
BURST = int(os.environ.get("BURST_OBJECTS", "200"))
THREADS = 16
MODES = ("direct", "sqs", "eventbridge")
SETTLE = 3.0


@pytest.fixture(
    scope="module", params=[pytest.param(m, marks=pytest.mark.xdist_group(m)) for m in MODES]
)
def deployed(
    request: pytest.FixtureRequest, aws: Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    mode: str = request.param
    package = tmp_path_factory.mktemp("zip") / "handler-poison.zip"
    with (
        zipfile.ZipFile(REPO / "build" / "handler.zip") as base,
        zipfile.ZipFile(package, "w") as out,
    ):
        for item in base.infolist():
            out.writestr(item, base.read(item))
        out.write(STACK / "poison_processor.py", "poison_processor.py")
    # One working copy per mode, so the modes can apply in parallel (pytest -n).
    stack = Stack.copy_of(
        STACK,
        tmp_path_factory.mktemp(f"stack-{mode}"),
        {"name": f"it-{mode[:3]}-{uuid.uuid4().hex[:8]}", "package_file": str(package),
         "delivery": mode},
    )  # fmt: skip
    stack.init()
    outputs: dict[str, Any] = {}
    try:
        outputs = stack.apply()
        yield {"mode": mode, **outputs}
    finally:
        if outputs:
            destroy(aws, stack, outputs["bucket_name"])
        else:
            stack.destroy()


def _put_all(aws: Session, bucket: str, keys: list[str]) -> dict[str, str]:
    s3 = aws.client("s3")

    def put(key: str) -> tuple[str, str]:
        return key, s3.put_object(Bucket=bucket, Key=key, Body=key.encode())["ETag"].strip('"')

    with ThreadPoolExecutor(THREADS) as pool:
        return dict(pool.map(put, keys))


def _handled(aws: Session, out: dict[str, Any], run: str) -> list[dict[str, Any]]:
    return [r for r in log_records(aws.client("logs"), out["log_group_name"]) if run in r["key"]]


def test_match_no_match_and_decoded_key(aws: Session, deployed) -> None:
    run = uuid.uuid4().hex[:6]
    match = f"in/{run} 보고서+1 (final).dat"
    if deployed["mode"] == "eventbridge" and os.environ.get("EMULATOR") == "ministack":
        # MiniStack puts the key into EventBridge events unencoded (AWS and LocalStack encode
        # it; README, emulator differences), so a literal '+' would read as a space there.
        match = f"in/{run} 보고서 1 (final).dat"
    others = [f"in/{run}.txt", f"out/{run}.dat"]
    _put_all(aws, deployed["bucket_name"], [match, *others])

    records = wait_for(lambda: _handled(aws, deployed, run), bool, timeout=60)
    time.sleep(SETTLE)
    records = _handled(aws, deployed, run)

    assert [r["key"] for r in records] == [match], records
    assert records[0]["eventName"] == "ObjectCreated:Put"  # EventBridge's names mapped back


def test_burst_every_matching_object_handled_and_no_other(aws: Session, deployed) -> None:
    run = uuid.uuid4().hex[:6]
    matching = [f"in/{run}-{i:04d}.dat" for i in range(BURST)]
    other = [f"out/{run}-{i:04d}.dat" if i % 2 else f"in/{run}-{i:04d}.txt" for i in range(BURST)]
    started = time.perf_counter()
    _put_all(aws, deployed["bucket_name"], matching + other)

    records = wait_for(
        lambda: _handled(aws, deployed, run),
        lambda rs: {r["key"] for r in rs} >= set(matching),
        timeout=180,
    )
    drained = time.perf_counter() - started
    time.sleep(SETTLE)
    records = _handled(aws, deployed, run)

    keys = Counter(r["key"] for r in records)
    assert set(keys) <= set(matching), f"handled non-matching objects {set(keys) - set(matching)}"
    missing = set(matching) - set(keys)
    if os.environ.get("EMULATOR") == "ministack":
        # MiniStack sometimes never logs the handler's line for a few objects of a burst (up to
        # 5 of 200 with other stacks applying in parallel): an emulator loss, listed in the
        # README's differences. Allow 5 % there, and say so; LocalStack must lose none.
        allowed = BURST // 20
        assert len(missing) <= allowed, f"missing {sorted(missing)}"
        if missing:
            print(f"MiniStack lost {len(missing)} of {BURST} notifications: {sorted(missing)}")
    else:
        assert not missing, f"missing {sorted(missing)}"
    for key, count in keys.items():
        if count > 1:  # only a redelivery of the same event may repeat: same idempotency key
            assert len({r["idempotencyKey"] for r in records if r["key"] == key}) == 1, key
    print(
        f"{deployed['mode']} burst: {BURST} matching + {BURST} other objects, drained in "
        f"{drained:.1f} s, {sum(keys.values()) - len(keys)} redeliveries"
    )


def _failed_messages(aws: Session, url: str, timeout: float) -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not messages and time.monotonic() < deadline:
        reply = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5, MaxNumberOfMessages=10)
        messages = [json.loads(m["Body"]) for m in reply.get("Messages", [])]
    return messages


def test_poison_event_reaches_the_failed_events_queue_intact(aws: Session, deployed) -> None:
    mode, bucket = deployed["mode"], deployed["bucket_name"]
    run = uuid.uuid4().hex[:6]
    good = [f"in/{run}-good-{i}.dat" for i in range(20)]
    poison = f"in/{run}-poison.dat"
    etags = _put_all(aws, bucket, [*good[:10], poison, *good[10:]])

    if mode == "eventbridge" and os.environ.get("EMULATOR") == "ministack":
        # MiniStack runs an EventBridge-invoked function but never sends its failure to the
        # on-failure destination (README, emulator differences): check the tries and the others.
        _assert_tried_twice_others_handled(aws, deployed, run, good, poison)
        return
    messages = _failed_messages(aws, deployed["dlq_url"], timeout=150)
    assert len(messages) == 1, messages
    (failure,) = messages
    if mode == "sqs":  # the DLQ holds the raw S3 notification the queue received
        (record,) = failure["Records"]
        assert record["eventSource"] == "aws:s3"
        assert record["s3"]["bucket"]["name"] == bucket
        assert record["s3"]["object"]["key"] == poison  # no characters here need URL-encoding
        assert record["s3"]["object"]["eTag"] == etags[poison]
    elif mode == "eventbridge":  # the async on-failure record wraps the EventBridge event
        assert failure["requestContext"]["condition"] == "RetriesExhausted"
        event = failure["requestPayload"]
        assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
        assert event["detail"]["bucket"]["name"] == bucket
        assert event["detail"]["object"]["key"] == poison
        assert event["detail"]["object"]["etag"] == etags[poison]
    else:
        assert failure["requestContext"]["condition"] == "RetriesExhausted"
        if os.environ.get("EMULATOR") != "ministack":  # MiniStack reports 3 (README)
            assert failure["requestContext"]["approximateInvokeCount"] == 2  # 1 + max retries
        (record,) = failure["requestPayload"]["Records"]
        assert record["eventSource"] == "aws:s3"
        assert record["s3"]["bucket"]["name"] == bucket
        assert record["s3"]["object"]["key"] == poison
        assert record["s3"]["object"]["eTag"] == etags[poison]
        assert record["s3"]["object"]["size"] == len(poison.encode())
        assert failure["responsePayload"]["errorType"]

    _assert_tried_twice_others_handled(aws, deployed, run, good, poison)


def _assert_tried_twice_others_handled(
    aws: Session, deployed: dict[str, Any], run: str, good: list[str], poison: str
) -> None:
    logs = aws.client("logs")
    group = deployed["log_group_name"]

    def errors() -> list[dict[str, Any]]:
        lines = log_records(logs, group, "processor_failed")
        return [e for e in lines if poison in json.dumps(e)]

    records = wait_for(
        lambda: [r for r in log_records(logs, group) if run in r["key"]],
        lambda rs: {r["key"] for r in rs} >= set(good),
        timeout=90,
    )
    handled = {r["key"] for r in records}
    if deployed["mode"] == "eventbridge" and os.environ.get("EMULATOR") == "ministack":
        # MiniStack neither retries an EventBridge-invoked failure nor sends it on (README),
        # and loses a few handler log lines under load (see the burst): 1 of 20 allowed.
        wait_for(errors, bool, timeout=60)
        assert handled <= set(good) and len(set(good) - handled) <= 1, sorted(set(good) - handled)
        assert 1 <= len(errors()) <= 2, errors()
        return
    wait_for(errors, lambda es: len(es) >= 2, timeout=60)
    assert handled == set(good)
    assert len(errors()) == 2, errors()  # the first try and one more (retry, or second receive)


def test_alarms_apply_for_the_mode(aws: Session, deployed) -> None:
    expected = {
        "direct": {"errors", "throttles", "failure_queue_not_empty"},
        "sqs": {"errors", "throttles", "delivery_dlq_not_empty", "queue_oldest_message_age"},
        "eventbridge": {
            "errors",
            "throttles",
            "failure_queue_not_empty",
            "eventbridge_dlq_not_empty",
        },
    }[deployed["mode"]]
    assert set(deployed["alarm_arns"]) == expected
    names = [arn.rsplit(":", 1)[1] for arn in deployed["alarm_arns"].values()]
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(names)
    errors = next(a for a in alarms if a["AlarmName"].endswith("-errors"))
    assert (errors["Namespace"], errors["MetricName"]) == ("AWS/Lambda", "Errors")
    assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": deployed["function_name"]}]
