"""Read the object an event names, and write results under the module's output_prefix.

    from handler import objects

    def process(record, context):
        with objects.open_object(record) as body:      # streamed, exact version
            data = body.read()
        objects.write_output("result.json", b"{}")     # -> s3://<bucket>/<output_prefix>result.json

boto3 (shipped by the Lambda runtime) is imported on first use, never at cold
start, and its S3 client is created once per region and reused across invocations.
The module sets S3_OUTPUT_BUCKET and S3_OUTPUT_PREFIX when ``output_prefix`` is given.
"""

import functools
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .model import S3Object

OUTPUT_BUCKET_VAR = "S3_OUTPUT_BUCKET"
OUTPUT_PREFIX_VAR = "S3_OUTPUT_PREFIX"
_GONE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
_MAX_KEY_BYTES = 1024  # S3's limit on a key, in UTF-8 bytes


class ObjectGoneError(LookupError):
    """The event's object (or its version) no longer exists: deleted since the event."""

    def __init__(self, bucket: str, key: str, version_id: str | None) -> None:
        self.bucket, self.key, self.version_id = bucket, key, version_id
        version = f" version {version_id}" if version_id else ""
        super().__init__(
            f"s3://{bucket}/{key}{version} no longer exists (deleted since the event was sent)"
        )


class OutputNotConfiguredError(RuntimeError):
    """write_output was called but the function has no output location."""


@functools.cache
def s3_client(region: str | None = None) -> "Any":
    """The S3 client for ``region``: created on first use, then reused."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - in the Lambda runtime; not at cold start

    return boto3.client("s3", region_name=region)


def open_object(record: "S3Object") -> "Any":
    """The object's body as a stream (botocore StreamingBody; use ``with`` and ``.read``).

    Reads exactly the version the event names when it has a versionId.  Raises
    ObjectGoneError naming bucket, key and version when the object was deleted since.
    """
    params = {"Bucket": record.bucket, "Key": record.key}
    if record.version_id:
        params["VersionId"] = record.version_id
    client = s3_client(record.region)
    try:
        response = client.get_object(**params)
    except client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _GONE_CODES:
            raise ObjectGoneError(record.bucket, record.key, record.version_id) from None
        raise
    return response["Body"]


def read_object(record: "S3Object") -> bytes:
    """The whole object's bytes (see open_object)."""
    with open_object(record) as body:
        data: bytes = body.read()
    return data


def output_key(name: str) -> str:
    """``<output_prefix><name>``; raises if the function has no output_prefix or S3 would
    refuse the key."""
    prefix = os.environ.get(OUTPUT_PREFIX_VAR)
    if not prefix:
        raise OutputNotConfiguredError(
            f"{OUTPUT_PREFIX_VAR} is not set: give the module an output_prefix "
            '(for example output_prefix = "processed/") to let the function write results'
        )
    key = prefix + name
    if not name or len(key.encode()) > _MAX_KEY_BYTES:
        raise ValueError(
            f"output key {key[:80]!r}... must be 1 to {_MAX_KEY_BYTES} UTF-8 bytes "
            f"(it is {len(key.encode())}); shorten the name, e.g. with a hash of the input key"
        )
    return key


def write_output(
    name: str, body: "bytes | Any", *, content_type: str | None = None, region: str | None = None
) -> str:
    """Write ``body`` (bytes or a file object) to ``<output_prefix><name>`` in the output
    bucket; return the key written."""
    bucket = os.environ.get(OUTPUT_BUCKET_VAR)
    key = output_key(name)
    if not bucket:
        raise OutputNotConfiguredError(f"{OUTPUT_BUCKET_VAR} is not set (the module sets it)")
    extra = {"ContentType": content_type} if content_type else {}
    s3_client(region or os.environ.get("AWS_REGION")).put_object(
        Bucket=bucket, Key=key, Body=body, **extra
    )
    return key
