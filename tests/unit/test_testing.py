"""s3_lambda_trigger.testing: the helpers users test their processors with."""

from __future__ import annotations

from typing import Any

import pytest

from handler import ProcessingError, objects, parse_event
from s3_lambda_trigger.testing import SHAPES, MockBucket, invoke, s3_event


def upper(record: Any, context: Any) -> None:
    """A processor as a user writes one: read the object, write a result."""
    text = objects.read_object(record).decode()
    objects.write_output(record.key.rsplit("/", 1)[-1], text.upper().encode())


@pytest.fixture
def s3_output_prefix() -> str:
    return "results/"


@pytest.mark.parametrize("shape", SHAPES)
def test_processor_runs_on_every_shape(s3_bucket: MockBucket, shape: str) -> None:
    event = s3_bucket.put("in/my file ü.txt", b"hello", shape=shape)  # type: ignore[arg-type]
    result = s3_bucket.invoke(upper, event)
    assert (result["processed"], result["failed"]) == (1, 0)
    assert s3_bucket.get("results/my file ü.txt") == b"HELLO"
    assert s3_bucket.keys("results/") == ["results/my file ü.txt"]


def test_event_carries_the_real_size_etag_and_version(s3_bucket: MockBucket) -> None:
    s3_bucket.client.put_bucket_versioning(
        Bucket=s3_bucket.name, VersioningConfiguration={"Status": "Enabled"}
    )
    event = s3_bucket.put("k.txt", b"12345")
    [record] = parse_event(event)
    head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key="k.txt")
    assert record.size == 5 and record.etag == head["ETag"].strip('"')
    assert record.version_id == head["VersionId"]
    assert s3_bucket.events == [event]


def test_failures_behave_as_on_lambda(s3_bucket: MockBucket) -> None:
    gone = s3_event(s3_bucket.name, "in/never-uploaded.txt")
    with pytest.raises(ProcessingError, match="ObjectGoneError: s3://test-bucket/in/never"):
        invoke(upper, gone)
    sqs = s3_event(s3_bucket.name, "in/never-uploaded.txt", shape="sqs")
    ok = s3_bucket.put("in/ok.txt", b"x", shape="sqs")
    sqs["Records"] += ok["Records"]
    result = invoke(upper, sqs)
    assert result["failed"] == 1 and len(result["batchItemFailures"]) == 1
