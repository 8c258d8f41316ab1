"""Many consumers, one bucket: two independent deployments of the module (two states) attach to
one bucket through EventBridge without touching its notification configuration; both receive
the same object's event, and destroying one leaves the other working."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from tools.stack import REPO, Stack, log_records, wait_for

STACK = Path(__file__).parent / "stacks" / "consumer"
SETTLE = 3.0


@pytest.fixture(scope="module")
def consumers(aws: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    s3 = aws.client("s3")
    run = uuid.uuid4().hex[:8]
    bucket = f"it-shared-{run}"
    s3.create_bucket(Bucket=bucket)
    # Turned on once, "elsewhere": neither consumer writes the notification configuration.
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    stacks = {
        label: Stack.copy_of(
            STACK,
            tmp_path_factory.mktemp(f"consumer-{label}"),
            {
                "name": f"it-{label}-{run}",
                "bucket_name": bucket,
                "package_file": str(REPO / "build" / "handler.zip"),
            },
        )
        for label in ("a", "b")
    }
    outputs = {}
    try:
        for label, stack in stacks.items():
            stack.init()
            outputs[label] = stack.apply()
        yield {"bucket": bucket, "stacks": stacks, "outputs": outputs}
    finally:
        for stack in stacks.values():
            if (stack.directory / "terraform.tfstate").exists():
                stack.destroy()
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)


def _keys(aws: Session, out: dict[str, Any]) -> list[str]:
    return [r["key"] for r in log_records(aws.client("logs"), out["log_group_name"])]


def test_both_receive_then_one_is_destroyed_and_the_other_still_works(
    aws: Session, consumers
) -> None:
    s3 = aws.client("s3")
    bucket, a, b = consumers["bucket"], consumers["outputs"]["a"], consumers["outputs"]["b"]
    first = "shared/first object.txt"
    s3.put_object(Bucket=bucket, Key=first, Body=b"1")
    for out in (a, b):
        wait_for(lambda o=out: _keys(aws, o), lambda ks: first in ks, 60)  # type: ignore[misc]
    time.sleep(SETTLE)
    assert _keys(aws, a) == [first] and _keys(aws, b) == [first]  # each exactly once
    assert (
        s3.get_bucket_notification_configuration(Bucket=bucket).get("EventBridgeConfiguration")
        == {}
    ), "the consumers must leave EventBridge on"

    consumers["stacks"]["a"].destroy()
    lam = aws.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=a["function_name"])
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "EventBridgeConfiguration" in config, "destroying a consumer must not turn it off"

    second = "shared/second.txt"
    s3.put_object(Bucket=bucket, Key=second, Body=b"2")
    wait_for(lambda: _keys(aws, b), lambda ks: second in ks, 60)
    time.sleep(SETTLE)
    assert sorted(_keys(aws, b)) == sorted([first, second])
    assert consumers["stacks"]["b"].pending_changes() == ""
