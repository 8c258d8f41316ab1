"""examples/existing-bucket and examples/multiple-rules apply, deliver and destroy."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from localstack_client.session import Session

from tools.stack import REPO, Stack, log_records, wait_for

SETTLE = 3.0


def _deploy(example: str) -> Iterator[tuple[Stack, dict[str, Any]]]:
    stack = Stack(REPO / "examples" / example, {"name": f"it-{example[:8]}-{uuid.uuid4().hex[:6]}"})
    stack.init()
    try:
        yield stack, stack.apply()
    finally:
        stack.destroy()


@pytest.fixture(scope="module")
def existing(aws: Session) -> Iterator[tuple[Stack, dict[str, Any]]]:
    yield from _deploy("existing-bucket")


@pytest.fixture(scope="module")
def multi(aws: Session) -> Iterator[tuple[Stack, dict[str, Any]]]:
    yield from _deploy("multiple-rules")


def _keys(aws: Session, group: str) -> list[str]:
    return [r["key"] for r in log_records(aws.client("logs"), group)]


def test_existing_bucket_delivers_and_destroy_clears_only_the_notification(
    aws: Session, existing
) -> None:
    stack, out = existing
    s3 = aws.client("s3")
    key = "reports/2025/q1.json"
    s3.put_object(Bucket=out["bucket_name"], Key=key, Body=b"{}")
    assert wait_for(lambda: _keys(aws, out["log_group_name"]), lambda ks: key in ks) == [key]
    assert stack.pending_changes() == ""

    stack.destroy_target("module.uploads")

    config = s3.get_bucket_notification_configuration(Bucket=out["bucket_name"])
    assert config.get("LambdaFunctionConfigurations", []) == []
    s3.head_bucket(Bucket=out["bucket_name"])  # the bucket made elsewhere is still there


def test_multiple_rules_route_each_object_to_its_function(aws: Session, multi) -> None:
    stack, out = multi
    s3 = aws.client("s3")
    run = uuid.uuid4().hex[:6]
    image, document = f"images/{run}.jpg", f"documents/{run}.pdf"
    s3.put_object(Bucket=out["bucket_name"], Key=image, Body=b"jpg")
    s3.put_object(Bucket=out["bucket_name"], Key=document, Body=b"pdf")
    s3.put_object(Bucket=out["bucket_name"], Key=f"documents/{run}.jpg", Body=b"neither")

    wait_for(lambda: _keys(aws, out["log_group_name"]), lambda ks: image in ks)
    wait_for(lambda: _keys(aws, out["documents_log_group_name"]), lambda ks: document in ks)
    time.sleep(SETTLE)

    assert _keys(aws, out["log_group_name"]) == [image]
    assert _keys(aws, out["documents_log_group_name"]) == [document]
    assert set(out["permission_statement_ids"]) == {"images", "documents"}
    assert stack.pending_changes() == ""
