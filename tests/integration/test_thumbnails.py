"""examples/thumbnails end to end: the packaged processor with Pillow, on the emulator.

The zip is built by the packaging command (handler + thumbnails/ + Pillow wheels for
python3.13 x86_64), applied with terraform, and exercised with real images.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from localstack_client.session import Session
from PIL import Image

from tests.integration.support import destroy
from tests.thumbnails_zip import EXAMPLE, build_thumbnails_zip
from tools.stack import Stack, log_records, wait_for

ZIP = EXAMPLE / "build" / "function.zip"
SETTLE = 3.0


def package() -> str:
    return build_thumbnails_zip(ZIP)


def png(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def thumbs(aws: Session) -> Iterator[tuple[Stack, dict[str, Any], str]]:
    digest = package()
    stack = Stack(
        EXAMPLE,
        {"name": f"it-thumbs-{uuid.uuid4().hex[:8]}", "force_destroy": True,
         "maximum_retry_attempts": 1},
    )  # fmt: skip
    stack.init()
    outputs = stack.apply()
    yield stack, outputs, digest
    if (stack.directory / "terraform.tfstate").exists():
        destroy(aws, stack, outputs["bucket_name"])


def _thumbnail(s3: Any, bucket: str, key: str) -> tuple[str, tuple[int, int]] | None:
    try:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    with Image.open(io.BytesIO(data)) as image:
        return str(image.format), image.size


def test_images_get_thumbnails_and_thumbnails_do_not_invoke(aws: Session, thumbs) -> None:
    _, out, _ = thumbs
    s3, bucket = aws.client("s3"), out["bucket_name"]
    cases = {
        "uploads/cat.png": (png((300, 200)), ("PNG", (128, 85))),
        "uploads/My Photos/café ünï 1.jpg": (png((400, 300), "JPEG"), ("JPEG", (128, 96))),
    }
    for key, (body, _) in cases.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    for key, (_, expected) in cases.items():
        target = "thumbnails/" + key.removeprefix("uploads/")
        got = wait_for(
            lambda t=target: [x] if (x := _thumbnail(s3, bucket, t)) else [],  # type: ignore[misc]
            bool,
            timeout=90,
        )
        assert got == [expected], f"{target}: {got}"

    # Writing under thumbnails/ (as the function does) invokes nothing.
    s3.put_object(Bucket=bucket, Key="thumbnails/by-hand.png", Body=png((20, 20)))
    time.sleep(SETTLE)
    written = log_records(aws.client("logs"), out["log_group_name"], "thumbnail_written")
    assert sorted(r["source"] for r in written) == sorted(cases)
    assert sorted(r["key"] for r in written) == sorted(
        "thumbnails/" + k.removeprefix("uploads/") for k in cases
    )


def test_corrupt_image_ends_in_the_failure_queue_with_its_s3_record(aws: Session, thumbs) -> None:
    _, out, _ = thumbs
    key = f"uploads/broken-{uuid.uuid4().hex[:6]}.png"
    aws.client("s3").put_object(Bucket=out["bucket_name"], Key=key, Body=b"not an image")
    sqs = aws.client("sqs")

    def messages() -> list[dict[str, Any]]:
        got = sqs.receive_message(
            QueueUrl=out["dlq_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]

    [failed] = wait_for(messages, bool, timeout=120)
    [record] = failed["requestPayload"]["Records"]
    assert (
        record["s3"]["object"]["key"] == key
        and record["s3"]["bucket"]["name"] == out["bucket_name"]
    )
    errors = log_records(aws.client("logs"), out["log_group_name"], "processor_failed")
    assert {e["key"] for e in errors} == {key}
    assert all("UnidentifiedImageError" in e["error"] for e in errors)


def test_rebuild_plans_no_change(thumbs) -> None:
    stack, _, digest = thumbs
    assert package() == digest  # same bytes
    assert stack.pending_changes() == ""


def test_destroy(aws: Session, thumbs) -> None:
    stack, out, _ = thumbs
    destroy(aws, stack, out["bucket_name"])
    assert out["bucket_name"] not in [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]
