"""Test your processor in a few lines: events of every delivery shape, a mocked bucket.

A pytest plugin (loaded automatically once this distribution is installed with its
``testing`` extra) provides the ``s3_bucket`` fixture::

    from s3_lambda_trigger.testing import SHAPES

    @pytest.mark.parametrize("shape", SHAPES)
    def test_thumbnail(s3_bucket, shape):
        event = s3_bucket.put("uploads/cat.png", png_bytes, shape=shape)
        result = s3_bucket.invoke(process, event)
        assert result["failed"] == 0
        assert s3_bucket.get("thumbnails/cat.png")[:8] == b"\\x89PNG\\r\\n\\x1a\\n"

``s3_bucket`` is a moto-mocked bucket (no AWS account, no network) with the
environment the module gives the function (S3_OUTPUT_BUCKET, S3_OUTPUT_PREFIX, a
region); override the ``s3_output_prefix`` fixture to match your module's
``output_prefix``.  Without pytest, use :func:`s3_event` and :func:`invoke`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from handler import objects
from handler.app import handle

from .context import FakeContext
from .samples import SHAPES, Shape, make_event

__all__ = ["SHAPES", "MockBucket", "invoke", "s3_bucket", "s3_event", "s3_output_prefix"]

REGION = "us-east-1"


def s3_event(
    bucket: str,
    key: str,
    *,
    action: Literal["put", "delete"] = "put",
    shape: Shape = "direct",
    size: int | None = 1024,
    etag: str | None = None,
    version_id: str | None = None,
    region: str = REGION,
) -> dict[str, Any]:
    """The Lambda event for a put or delete of ``key`` (plain text), delivered as ``shape``:
    direct, sqs, sns, sns-sqs or eventbridge."""
    return make_event(
        action,
        bucket,
        key,
        shape=shape,
        size=size,
        etag=etag,
        version_id=version_id,
        region=region,
    )


def invoke(
    processor: Callable[[Any, Any], object], event: object, context: object | None = None
) -> dict[str, Any]:
    """Run the deployed handler's loop with ``processor`` on ``event``; return its result.

    Failures behave as on Lambda: failed SQS messages come back in
    ``batchItemFailures``; any other failure raises (ProcessingError, S3EventError).
    """
    return handle(event, context or FakeContext(), processor)


@dataclass
class MockBucket:
    """A bucket in moto's mocked S3, with helpers to upload, read back and invoke."""

    name: str
    client: Any
    output_prefix: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def put(
        self,
        key: str,
        body: bytes = b"",
        *,
        shape: Shape = "direct",
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """Upload ``body`` as ``key`` and return the event S3 would send for it (real size,
        eTag and versionId)."""
        extra = {"ContentType": content_type} if content_type else {}
        response = self.client.put_object(Bucket=self.name, Key=key, Body=body, **extra)
        event = s3_event(
            self.name,
            key,
            shape=shape,
            size=len(body),
            etag=response["ETag"].strip('"'),
            version_id=response.get("VersionId"),
        )
        self.events.append(event)
        return event

    def get(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def keys(self, prefix: str = "") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=prefix
        )
        return [o["Key"] for page in pages for o in page.get("Contents", [])]

    def invoke(self, processor: Callable[[Any, Any], object], event: object) -> dict[str, Any]:
        return invoke(processor, event)


@pytest.fixture
def s3_output_prefix() -> str:
    """The module's ``output_prefix`` for ``s3_bucket``; override it in your conftest.py."""
    return "output/"


@pytest.fixture
def s3_bucket(s3_output_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockBucket]:
    """A moto-mocked bucket and the function's environment (see the module docstring)."""
    from moto import mock_aws  # noqa: PLC0415 - the testing extra; only when used

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "S3_OUTPUT_BUCKET": "test-bucket",
        "S3_OUTPUT_PREFIX": s3_output_prefix,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    objects.s3_client.cache_clear()
    with mock_aws():
        client = objects.s3_client(REGION)
        client.create_bucket(Bucket=env["S3_OUTPUT_BUCKET"])
        yield MockBucket(env["S3_OUTPUT_BUCKET"], client, s3_output_prefix)
    objects.s3_client.cache_clear()
