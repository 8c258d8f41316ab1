"""Burst delivery loses nothing, and a poison event ends in the on-failure queue intact."""

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

from tools.stack import REPO, Stack, log_records, wait_for

STACK = Path(__file__).parent / "stacks" / "burst"
BURST = int(os.environ.get("BURST_OBJECTS", "200"))
THREADS = 16


@pytest.fixture(scope="module")
def burst(aws: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    package = tmp_path_factory.mktemp("zip") / "handler-poison.zip"
    with (
        zipfile.ZipFile(REPO / "build" / "handler.zip") as base,
        zipfile.ZipFile(package, "w") as out,
    ):
        for item in base.infolist():
            out.writestr(item, base.read(item))
        out.write(STACK / "poison_processor.py", "poison_processor.py")
    stack = Stack(STACK, {"name": f"it-burst-{uuid.uuid4().hex[:8]}", "package_file": str(package)})
    stack.init()
    try:
        yield stack.apply()
    finally:
        stack.destroy()


def _put_all(aws: Session, bucket: str, keys: list[str]) -> dict[str, str]:
    s3 = aws.client("s3")

    def put(key: str) -> tuple[str, str]:
        return key, s3.put_object(Bucket=bucket, Key=key, Body=key.encode())["ETag"].strip('"')

    with ThreadPoolExecutor(THREADS) as pool:
        return dict(pool.map(put, keys))


def test_burst_every_matching_object_handled_once_and_no_other(aws: Session, burst) -> None:
    run = uuid.uuid4().hex[:6]
    matching = [f"in/{run}-{i:04d}.dat" for i in range(BURST)]
    other = [f"out/{run}-{i:04d}.dat" if i % 2 else f"in/{run}-{i:04d}.txt" for i in range(BURST)]
    started = time.perf_counter()
    _put_all(aws, burst["bucket_name"], matching + other)

    def handled() -> list[dict[str, Any]]:
        records = log_records(aws.client("logs"), burst["log_group_name"])
        return [r for r in records if run in r["key"]]

    records = wait_for(handled, lambda rs: {r["key"] for r in rs} >= set(matching), timeout=180)
    drained = time.perf_counter() - started
    time.sleep(3)
    records = handled()

    keys = Counter(r["key"] for r in records)
    assert set(keys) <= set(matching), f"handled non-matching objects {set(keys) - set(matching)}"
    missing = set(matching) - set(keys)
    if os.environ.get("EMULATOR") == "ministack":
        # MiniStack sometimes never invokes the function for a few objects of a burst (2 of 200
        # in one of four runs; no invocation in its log): an emulator loss, listed in the
        # README's differences. Allow it at most 1 %, and say so; LocalStack must lose none.
        assert len(missing) <= BURST // 100, f"missing {sorted(missing)}"
        if missing:
            print(f"MiniStack lost {len(missing)} of {BURST} notifications: {sorted(missing)}")
    else:
        assert not missing, f"missing {sorted(missing)}"
    for key, count in keys.items():
        if count > 1:  # only a redelivery of the same event may repeat: same idempotency key
            assert len({r["idempotencyKey"] for r in records if r["key"] == key}) == 1, key
    print(
        f"burst: {BURST} matching + {BURST} other objects, drained in {drained:.1f} s, "
        f"{sum(keys.values()) - len(keys)} redeliveries"
    )


def test_poison_event_reaches_failure_queue_intact_others_handled(aws: Session, burst) -> None:
    run = uuid.uuid4().hex[:6]
    good = [f"in/{run}-good-{i}.dat" for i in range(20)]
    poison = f"in/{run}-poison.dat"
    etags = _put_all(aws, burst["bucket_name"], [*good[:10], poison, *good[10:]])

    sqs = aws.client("sqs")
    messages: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while not messages and time.monotonic() < deadline:
        reply = sqs.receive_message(
            QueueUrl=burst["dlq_url"], WaitTimeSeconds=5, MaxNumberOfMessages=10
        )
        messages = [json.loads(m["Body"]) for m in reply.get("Messages", [])]
    assert len(messages) == 1, messages
    (failure,) = messages
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    if os.environ.get("EMULATOR") != "ministack":  # MiniStack reports 3 (README, differences)
        assert failure["requestContext"]["approximateInvokeCount"] == 2  # 1 + max retries
    (record,) = failure["requestPayload"]["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["s3"]["bucket"]["name"] == burst["bucket_name"]
    assert record["s3"]["object"]["key"] == poison  # no characters here need URL-encoding
    assert record["s3"]["object"]["eTag"] == etags[poison]
    assert record["s3"]["object"]["size"] == len(poison.encode())
    assert failure["responsePayload"]["errorType"]

    logs = aws.client("logs")
    handled = {r["key"] for r in log_records(logs, burst["log_group_name"]) if run in r["key"]}
    assert handled == set(good)
    errors = [
        e
        for e in log_records(logs, burst["log_group_name"], "processor_failed")
        if poison in json.dumps(e)
    ]
    assert len(errors) == 2, errors  # the first run and the one retry
