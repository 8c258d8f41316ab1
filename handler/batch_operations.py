"""S3 Batch Operations (LambdaInvoke) events, and the record of an object that already exists.

Imported by handler.app only for events with "invocationSchemaVersion" and "tasks". Schema
1.0 tasks name the bucket in s3BucketArn, 2.0 in s3Bucket (job.userArguments too); either is
accepted. s3Key is URL-encoded (AWS S3 user guide, "Invoke AWS Lambda function") and decoded
like a notification key. Each task becomes the record a backfill sends for the object
(``existing_object_record``, from a HeadObject of the exact version: same idempotency key),
the processor runs on it, and the task is answered (treatMissingKeysAs PermanentFailure):

* Succeeded: the processor returned; resultString is its return value (str, else JSON), or
  "processed <idempotency key>".
* TemporaryFailure (S3 retries it): throttling, time-outs, 5xx and connection errors, from
  the HeadObject or the processor; a task not started with under 2 s left.
* PermanentFailure: the object is gone (NoSuchKey, NoSuchVersion, ObjectGoneError), access
  denied, a malformed task, an unknown schema version, any other exception.

A failed task also logs one ``batch_task_failed`` line. boto3 is imported on first use.
"""

import os
from datetime import UTC
from urllib.parse import quote_plus

from . import log
from .model import BACKFILL_CONFIGURATION_ID, S3EventError, unquote_plus
from .objects import ObjectGoneError
from .parse import parse_event
from .processors import request_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any

    from .model import S3Object
    from .processors import Processor

    Head = Callable[[str, str, str | None], dict[str, Any]]

__all__ = [
    "BACKFILL_PRINCIPAL",
    "PERMANENT",
    "SCHEMA_VERSIONS",
    "SUCCEEDED",
    "TEMPORARY",
    "classify",
    "existing_object_record",
    "handle",
    "is_batch_event",
]

SUCCEEDED, TEMPORARY, PERMANENT = "Succeeded", "TemporaryFailure", "PermanentFailure"
SCHEMA_VERSIONS = ("1.0", "2.0")
BACKFILL_PRINCIPAL = "s3-lambda-trigger-backfill"  # userIdentity.principalId of the records
RESULT_STRING_MAX = 1024
MIN_REMAINING_MS = 2000  # a task is not started with less time left in the invocation

_GONE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
_TEMPORARY_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestTimeout",
        "RequestTimeoutException",
        "ServiceUnavailable",
        "InternalError",
        "500",
        "502",
        "503",
        "504",
    }
)
# botocore exceptions that mean "could not reach the service in time" (matched by class name,
# so botocore is not imported here)
_TEMPORARY_TYPES = frozenset(
    {
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "EndpointConnectionError",
        "ConnectionClosedError",
        "ProxyConnectionError",
    }
)


def is_batch_event(event: object) -> bool:
    """True for an S3 Batch Operations invocation (what handler.app checks inline)."""
    return isinstance(event, dict) and "invocationSchemaVersion" in event and "tasks" in event


def existing_object_record(
    bucket: str,
    key: str,
    *,
    size: int,
    etag: str,
    last_modified: "datetime",
    version_id: str | None = None,
    region: str = "us-east-1",
    partition: str = "aws",
) -> "dict[str, Any]":
    """The ObjectCreated:Put notification record for an object that already exists.

    Shaped as S3 sends it (eventVersion 2.1, URL-encoded key, size, eTag without quotes,
    versionId when the object has one), marked as a backfill: s3.configurationId is
    "s3-lambda-trigger-backfill". What S3 takes from the original request is not known
    for an existing object: userIdentity.principalId is "s3-lambda-trigger-backfill",
    requestParameters and responseElements are empty, there is no sequencer. eventTime is
    LastModified in whole seconds, so the record, and its idempotency key
    (``s3://bucket/key#ObjectCreated:Put@v:<versionId>``, else ``@t:<LastModified>``), is
    the same on every run and from a listing or a HeadObject alike.
    """
    when = last_modified.astimezone(UTC)
    obj: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
    }
    if version_id and version_id != "null":  # "null": written while versioning was off
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": BACKFILL_PRINCIPAL},
        "requestParameters": {},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": BACKFILL_CONFIGURATION_ID,
            "bucket": {"name": bucket, "arn": f"arn:{partition}:s3:::{bucket}"},
            "object": obj,
        },
    }


def classify(exc: BaseException) -> str:
    """TEMPORARY or PERMANENT for an exception from the HeadObject or the processor."""
    if isinstance(exc, ObjectGoneError):
        return PERMANENT
    code = _error_code(exc)
    if code in _GONE_CODES:
        return PERMANENT
    if code in _TEMPORARY_CODES or isinstance(exc, TimeoutError | ConnectionError):
        return TEMPORARY
    if any(c.__name__ in _TEMPORARY_TYPES for c in type(exc).__mro__):
        return TEMPORARY
    return PERMANENT


def handle(
    event: "dict[str, Any]",
    context: object,
    processor: "Processor",
    head: "Head | None" = None,
) -> "dict[str, Any]":
    """Run ``processor`` on every task of a Batch Operations event; one result per task.

    ``head(bucket, key, version_id)`` returns HeadObject's response (default: boto3's S3
    client of handler.objects, in the function's region).
    """
    tasks = event.get("tasks")
    if not isinstance(tasks, list):
        raise S3EventError("tasks", f"expected a list of Batch Operations tasks, got {tasks!r}")
    job = event.get("job")
    run = _Run(event, job, context, processor, head or _head)
    return {
        "invocationSchemaVersion": event.get("invocationSchemaVersion"),
        "treatMissingKeysAs": PERMANENT,
        "invocationId": event.get("invocationId"),
        "results": [run.task(i, task) for i, task in enumerate(tasks)],
    }


class _TaskError(Exception):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


class _Run:
    """One invocation: the event's common fields, and each task's result."""

    def __init__(
        self,
        event: "dict[str, Any]",
        job: object,
        context: object,
        processor: "Processor",
        head: "Head",
    ) -> None:
        self.version = event.get("invocationSchemaVersion")
        if not isinstance(job, dict):
            job = {}
        self.info = {
            "invocationSchemaVersion": self.version,
            "invocationId": event.get("invocationId"),
            "jobId": job.get("id"),
            "userArguments": job.get("userArguments") or {},
        }
        self.context = context
        self.processor = processor
        self.head = head
        self.rid = request_id(context)
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")

    def task(self, index: int, task: object) -> "dict[str, Any]":
        where = f"tasks[{index}]"
        task_id = task.get("taskId") if isinstance(task, dict) else None
        bucket = key = version_id = None
        try:
            if self.version not in SCHEMA_VERSIONS:
                raise _TaskError(
                    PERMANENT,
                    f"unsupported invocationSchemaVersion {self.version!r} "
                    f"(this handler reads {' and '.join(SCHEMA_VERSIONS)})",
                )
            bucket, key, version_id = _task_object(task, where)
            self._check_time()
            record = self._record(bucket, key, version_id, task_id)
            try:
                returned = self.processor(record, self.context)
            except Exception as exc:
                raise _TaskError(classify(exc), f"{type(exc).__name__}: {exc}") from exc
        except _TaskError as failure:
            log.emit(
                "ERROR",
                "batch_task_failed",
                requestId=self.rid,
                jobId=self.info["jobId"],
                taskId=task_id,
                bucket=bucket,
                key=key,
                versionId=version_id,
                resultCode=failure.code,
                error=str(failure),
            )
            return _result(task_id, failure.code, str(failure))
        return _result(task_id, SUCCEEDED, _result_string(returned, record))

    def _check_time(self) -> None:
        remaining = getattr(self.context, "get_remaining_time_in_millis", None)
        if callable(remaining) and remaining() < MIN_REMAINING_MS:
            raise _TaskError(TEMPORARY, "not started: the invocation was about to time out")

    def _record(self, bucket: str, key: str, version_id: str | None, task_id: object) -> "S3Object":
        try:
            meta = self.head(bucket, key, version_id)
        except Exception as exc:
            code = classify(exc)
            what = f"s3://{bucket}/{key}" + (f" version {version_id}" if version_id else "")
            if _error_code(exc) in _GONE_CODES:
                text = f"{what} no longer exists (deleted since the job's manifest was made)"
            else:
                text = f"HeadObject {what}: {type(exc).__name__}: {exc}"
            raise _TaskError(code, text) from exc
        raw = existing_object_record(
            bucket,
            key,
            size=int(meta.get("ContentLength") or 0),
            etag=str(meta.get("ETag") or ""),
            last_modified=meta["LastModified"],
            version_id=meta.get("VersionId") or version_id,
            region=self.region or "us-east-1",
        )
        raw["batchOperations"] = {**self.info, "taskId": task_id}
        records = parse_event({"Records": [raw]})
        return records[0]


def _task_object(task: object, where: str) -> "tuple[str, str, str | None]":
    """(bucket, decoded key, version id) of a task, or a PermanentFailure."""
    if not isinstance(task, dict):
        raise _TaskError(PERMANENT, f"{where}: not a JSON object: {task!r}")
    raw_key = task.get("s3Key")
    if not isinstance(raw_key, str) or not raw_key:
        raise _TaskError(PERMANENT, f"{where}.s3Key: missing or not a string: {raw_key!r}")
    bucket = task.get("s3Bucket")
    if not bucket:
        arn = task.get("s3BucketArn")
        bucket = arn.rsplit(":", 1)[-1] if isinstance(arn, str) else None
    if not isinstance(bucket, str) or not bucket:
        raise _TaskError(PERMANENT, f"{where}: no s3Bucket or s3BucketArn naming a bucket")
    version_id = task.get("s3VersionId")
    if version_id is not None and not isinstance(version_id, str):
        raise _TaskError(PERMANENT, f"{where}.s3VersionId: not a string: {version_id!r}")
    try:
        key = unquote_plus(raw_key)
    except ValueError as exc:  # includes UnicodeDecodeError
        raise _TaskError(
            PERMANENT, f"{where}.s3Key: not a URL-encoded UTF-8 key: {raw_key!r}"
        ) from exc
    return bucket, key, version_id or None


def _result(task_id: object, code: str, text: str) -> "dict[str, Any]":
    return {"taskId": task_id, "resultCode": code, "resultString": text[:RESULT_STRING_MAX]}


def _result_string(returned: object, record: "S3Object") -> str:
    if returned is None:
        return "processed " + record.idempotency_key
    if isinstance(returned, str):
        return returned
    import json  # noqa: PLC0415 - already loaded in the Lambda runtime

    return json.dumps(returned, default=str, ensure_ascii=False)


def _error_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict) and error.get("Code") is not None:
            return str(error["Code"])
    return None


def _head(bucket: str, key: str, version_id: str | None) -> "dict[str, Any]":
    from .objects import s3_client  # noqa: PLC0415

    params = {"Bucket": bucket, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    response: dict[str, Any] = s3_client(region).head_object(**params)
    return response
