"""Sample S3 events in every delivery shape (used by the CLI, tests and benchmarks)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote_plus

Shape = Literal["direct", "sqs", "sns", "sns-sqs", "eventbridge"]
SHAPES: tuple[Shape, ...] = ("direct", "sqs", "sns", "sns-sqs", "eventbridge")
ACCOUNT = "123456789012"


def encode_key(key: str) -> str:
    """URL-encode a key the way S3 notifications do ('+' for space, '/' kept)."""
    return quote_plus(key, safe="/")


def _ts(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def s3_record(
    event_name: str,
    bucket: str,
    raw_key: str,
    *,
    when: datetime,
    region: str = "us-east-1",
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
) -> dict[str, Any]:
    """One notification record; ``raw_key`` is used as given (already encoded)."""
    obj: dict[str, Any] = {"key": raw_key}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["eTag"] = etag
    if version_id is not None:
        obj["versionId"] = version_id
    obj["sequencer"] = f"{int(when.timestamp() * 1_000_000):018X}"
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": _ts(when),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLEPRINCIPAL"},
        "requestParameters": {"sourceIPAddress": "198.51.100.7"},
        "responseElements": {
            "x-amz-request-id": "EXAMPLE123456789",
            "x-amz-id-2": "EXAMPLE123/5678abcdefghijklmnopqrstuvwxyzABCDEFGH",
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "s3-lambda-trigger",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "EXAMPLE"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


def _sns_envelope(message: str, region: str, *, lambda_style: bool) -> dict[str, Any]:
    topic = f"arn:aws:sns:{region}:{ACCOUNT}:s3-events"
    url = "SigningCertUrl" if lambda_style else "SigningCertURL"
    unsub = "UnsubscribeUrl" if lambda_style else "UnsubscribeURL"
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Subject": "Amazon S3 Notification",
        "Message": message,
        "Timestamp": _ts(datetime.now(UTC)),
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        url: f"https://sns.{region}.amazonaws.com/SimpleNotificationService-EXAMPLE.pem",
        unsub: f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:x",
    }


def _sqs_record(body: str, region: str) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "AQEBEXAMPLE==",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:{ACCOUNT}:s3-events",
        "awsRegion": region,
    }


def wrap(notification: dict[str, Any], shape: Shape, region: str = "us-east-1") -> dict[str, Any]:
    """Deliver an S3 notification document (``{"Records": [...]}``) in ``shape``."""
    body = json.dumps(notification, ensure_ascii=False)
    if shape == "direct":
        return notification
    if shape == "sqs":
        return {"Records": [_sqs_record(body, region)]}
    if shape == "sns":
        envelope = _sns_envelope(body, region, lambda_style=True)
        arn = f"{envelope['TopicArn']}:sub"
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": arn,
                    "Sns": envelope,
                }
            ]
        }
    if shape == "sns-sqs":
        envelope = _sns_envelope(body, region, lambda_style=False)
        return {"Records": [_sqs_record(json.dumps(envelope, ensure_ascii=False), region)]}
    raise ValueError(f"cannot wrap a notification as {shape!r}")


def eventbridge_event(
    action: Literal["put", "delete"],
    bucket: str,
    key: str,
    *,
    when: datetime,
    region: str = "us-east-1",
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
) -> dict[str, Any]:
    """An EventBridge "Object Created"/"Object Deleted" event for ``key`` (plain text; S3
    URL-encodes it in the event as in notifications)."""
    obj: dict[str, Any] = {"key": encode_key(key)}
    if size is not None:
        obj["size"] = size
    if etag is not None:
        obj["etag"] = etag
    if version_id is not None:
        obj["version-id"] = version_id
    obj["sequencer"] = f"{int(when.timestamp() * 1_000_000):018X}"
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": "EXAMPLE123456789",
        "requester": ACCOUNT,
        "source-ip-address": "198.51.100.7",
        "reason": "PutObject" if action == "put" else "DeleteObject",
    }
    if action == "delete":
        detail["deletion-type"] = "Permanently Deleted"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created" if action == "put" else "Object Deleted",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": detail,
    }


def make_event(
    action: Literal["put", "delete"],
    bucket: str,
    key: str,
    *,
    shape: Shape = "direct",
    size: int | None = 1024,
    region: str = "us-east-1",
    etag: str | None = None,
    version_id: str | None = None,
    when: datetime | None = None,
) -> dict[str, Any]:
    """A complete Lambda event for a put or delete of ``key`` (plain text) in ``shape``."""
    when = when or datetime.now(UTC)
    if action == "delete":
        size = etag = None
    elif etag is None:
        etag = "0123456789abcdef0123456789abcdef"
    if shape == "eventbridge":
        return eventbridge_event(
            action,
            bucket,
            key,
            when=when,
            region=region,
            size=size,
            etag=etag,
            version_id=version_id,
        )
    name = "ObjectCreated:Put" if action == "put" else "ObjectRemoved:Delete"
    record = s3_record(
        name,
        bucket,
        encode_key(key),
        when=when,
        region=region,
        size=size,
        etag=etag,
        version_id=version_id,
    )
    return wrap({"Records": [record]}, shape, region)
