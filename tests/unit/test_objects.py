"""handler.objects: read the event's object (exact version, gone objects), write results."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from handler import objects, parse_event
from s3_lambda_trigger.samples import make_event

REPO = Path(__file__).resolve().parents[2]
BUCKET = "unit-objects"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "S3_OUTPUT_BUCKET": BUCKET,
        "S3_OUTPUT_PREFIX": "out/",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    objects.s3_client.cache_clear()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client
    objects.s3_client.cache_clear()


def _record(key: str, version_id: str | None = None) -> Any:
    [record] = parse_event(make_event("put", BUCKET, key, version_id=version_id))
    return record


def test_reads_the_body_streamed_with_one_reused_client(s3: Any) -> None:
    key = "in/보고서 1+2.csv"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"a,b\n1,2\n")
    with objects.open_object(_record(key)) as body:
        assert body.read(4) == b"a,b\n"  # a stream, read in parts
        assert body.read() == b"1,2\n"
    assert objects.read_object(_record(key)) == b"a,b\n1,2\n"
    assert objects.s3_client.cache_info().misses == 1  # created once, then reused


def test_reads_exactly_the_version_of_the_event(s3: Any) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=BUCKET, Key="k", Body=b"v1")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v2")
    assert objects.read_object(_record("k", first)) == b"v1"
    assert objects.read_object(_record("k")) == b"v2"


def test_gone_object_is_one_clear_error(s3: Any) -> None:
    with pytest.raises(objects.ObjectGoneError) as info:
        objects.read_object(_record("in/deleted.csv"))
    assert str(info.value) == (
        f"s3://{BUCKET}/in/deleted.csv no longer exists (deleted since the event was sent)"
    )
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=BUCKET, Key="v", Body=b"x")["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key="v", VersionId=version)
    with pytest.raises(objects.ObjectGoneError, match=f"s3://{BUCKET}/v version {version} no"):
        objects.read_object(_record("v", version))


def test_other_errors_are_not_disguised(s3: Any) -> None:
    [record] = parse_event(make_event("put", "no-such-bucket-here", "k"))
    with pytest.raises(s3.exceptions.NoSuchBucket):
        objects.read_object(record)


def test_write_output_under_the_prefix(s3: Any) -> None:
    key = objects.write_output("a/b.json", b"{}", content_type="application/json")
    assert key == "out/a/b.json"
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == b"{}" and got["ContentType"] == "application/json"


def test_write_output_needs_an_output_prefix(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3_OUTPUT_PREFIX")
    with pytest.raises(objects.OutputNotConfiguredError, match="give the module an output_prefix"):
        objects.write_output("x", b"")


def test_write_output_refuses_keys_s3_would_refuse(s3: Any) -> None:
    with pytest.raises(ValueError, match="1 to 1024 UTF-8 bytes"):
        objects.write_output("é" * 600, b"")
    with pytest.raises(ValueError, match="1 to 1024"):
        objects.write_output("", b"")


def test_boto3_is_not_imported_until_an_object_is_read() -> None:
    code = (
        "import sys; import handler.app, handler.objects\n"
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
