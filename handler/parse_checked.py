"""The fully checked S3 event parser: every delivery shape, precise error paths.

Imported on first use by handler.parse, which parses well-formed direct S3
notification records itself so that the common cold start compiles only that;
this module handles everything else (SQS, SNS and EventBridge shapes, test
events) and finds the exact path of any problem.  It imports only handler.model.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from .model import S3EventError, S3Object, unquote_plus

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from typing import Any

# EventBridge detail-type -> notification event-name prefix.
_EB_NAMES = {
    "Object Created": "ObjectCreated",
    "Object Deleted": "ObjectRemoved",
    "Object Restore Initiated": "ObjectRestore:Post",
    "Object Restore Completed": "ObjectRestore:Completed",
    "Object Restore Expired": "ObjectRestore:Delete",
    "Object Tags Added": "ObjectTagging:Put",
    "Object Tags Deleted": "ObjectTagging:Delete",
    "Object ACL Updated": "ObjectAcl:Put",
    "Object Storage Class Changed": "LifecycleTransition",
    "Object Access Tier Changed": "IntelligentTiering",
}
# EventBridge "Object Created" reason -> notification suffix.
_EB_CREATED = {
    "PutObject": "Put",
    "POST Object": "Post",
    "PostObject": "Post",
    "CopyObject": "Copy",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
}


def _tname(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "object with keys " + ", ".join(sorted(map(str, value))[:8]) if value else "{}"
    return _tname(value)


def split_error(event: object) -> S3EventError:
    """What split_event raises for an ``event`` it cannot split."""
    records = event.get("Records") if isinstance(event, dict) else None
    if records is not None:  # (a list would have been split)
        return S3EventError("Records", f"expected a list, got {_tname(records)}")
    return S3EventError(
        "event",
        "not an S3 event (expected Records[] from aws:s3, aws:sqs or aws:sns, or an "
        f"EventBridge event with source aws.s3); got {_describe(event)}",
    )


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _obj(parent: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = parent.get(name)
    if isinstance(value, dict):
        return value
    path = _join(where, name)
    raise S3EventError(
        path, "missing" if value is None else f"expected object, got {_tname(value)}"
    )


def _str(parent: dict[str, Any], name: str, where: str) -> str:
    value = parent.get(name)
    if isinstance(value, str) and value:
        return value
    path = _join(where, name)
    if value is None:
        raise S3EventError(path, "missing")
    if value == "":
        raise S3EventError(path, "empty")
    raise S3EventError(path, f"expected string, got {_tname(value)}")


def _opt_str(parent: dict[str, Any] | None, name: str, where: str) -> str | None:
    if parent is None:
        return None
    value = parent.get(name)
    if value is None or isinstance(value, str):
        return value
    raise S3EventError(_join(where, name), f"expected string, got {_tname(value)}")


def _opt_obj(parent: dict[str, Any], name: str, where: str) -> dict[str, Any] | None:
    value = parent.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise S3EventError(_join(where, name), f"expected object, got {_tname(value)}")


def _size(parent: dict[str, Any], name: str, where: str) -> int | None:
    value = parent.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise S3EventError(_join(where, name), f"expected non-negative integer, got {value!r}")


def _time(parent: dict[str, Any], name: str, where: str) -> datetime:
    text = _str(parent, name, where)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise S3EventError(_join(where, name), f"not an ISO 8601 timestamp: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _json(text: object, where: str) -> object:
    if isinstance(text, dict):  # already decoded (e.g. test tooling); accept
        return text
    if not isinstance(text, str):
        raise S3EventError(
            where, "missing" if text is None else f"expected JSON string, got {_tname(text)}"
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise S3EventError(where, f"not valid JSON ({exc})") from None


def document(doc: object, where: str, out: list[S3Object], skipped: list[str]) -> None:
    """A decoded JSON document: S3 notification, TestEvent, SNS envelope or EventBridge."""
    if not isinstance(doc, dict):
        raise S3EventError(where, f"expected a JSON object, got {_tname(doc)}")
    if doc.get("Event") == "s3:TestEvent":
        skipped.append(where or "event")
        return
    if doc.get("source") == "aws.s3" and "detail-type" in doc:  # as handler.parse.is_eventbridge
        out.append(_eventbridge(doc, where))
        return
    if doc.get("Type") == "Notification" and "Message" in doc:  # SNS envelope
        path = _join(where, "Message")
        document(_json(doc["Message"], path), path, out, skipped)
        return
    records = doc.get("Records")
    if not isinstance(records, list):
        problem = "missing" if records is None else f"expected a list, got {_tname(records)}"
        raise S3EventError(
            _join(where, "Records"), f"{problem} (not an S3 notification: {_describe(doc)})"
        )
    for i, rec in enumerate(records):
        entry(rec, f"{_join(where, 'Records')}[{i}]", out, skipped)


def entry(rec: object, where: str, out: list[S3Object], skipped: list[str]) -> None:
    """One element of a Records[] list: an S3, SQS or SNS record."""
    if not isinstance(rec, dict):
        raise S3EventError(where, f"expected object, got {_tname(rec)}")
    source = rec.get("eventSource", rec.get("EventSource"))
    if source == "aws:s3":
        out.append(s3_record(rec, where))
    elif source == "aws:sqs":
        path = f"{where}.body"
        document(_json(rec.get("body"), path), path, out, skipped)
    elif source == "aws:sns":
        path = f"{where}.Sns.Message"
        document(_json(_obj(rec, "Sns", where).get("Message"), path), path, out, skipped)
    elif source is None:
        raise S3EventError(f"{where}.eventSource", "missing")
    else:
        raise S3EventError(
            f"{where}.eventSource", f"expected aws:s3, aws:sqs or aws:sns, got {source!r}"
        )


def _event_name(name: str) -> str:
    return name[3:] if name.startswith("s3:") else name


def _decoded_key(raw_key: str, ow: str) -> str:
    """S3 percent-encodes keys as UTF-8 with '+' for space, in notifications and in
    EventBridge events alike (AWS Lambda Powertools decodes both the same way)."""
    try:
        return unquote_plus(raw_key)
    except UnicodeDecodeError:
        raise S3EventError(f"{ow}.key", f"not URL-encoded UTF-8: {raw_key!r}") from None


def s3_record(rec: dict[str, Any], where: str) -> S3Object:
    s3 = _obj(rec, "s3", where)
    s3w = f"{where}.s3"
    bucket = _obj(s3, "bucket", s3w)
    obj = _obj(s3, "object", s3w)
    ow = f"{s3w}.object"
    raw_key = _str(obj, "key", ow)
    key = _decoded_key(raw_key, ow)
    return S3Object(
        bucket=_str(bucket, "name", f"{s3w}.bucket"),
        key=key,
        raw_key=raw_key,
        event_name=_event_name(_str(rec, "eventName", where)),
        event_time=_time(rec, "eventTime", where),
        region=_str(rec, "awsRegion", where),
        size=_size(obj, "size", ow),
        etag=_opt_str(obj, "eTag", ow),
        version_id=_opt_str(obj, "versionId", ow),
        sequencer=_opt_str(obj, "sequencer", ow),
        principal_id=_opt_str(
            _opt_obj(rec, "userIdentity", where), "principalId", f"{where}.userIdentity"
        ),
        request_id=_opt_str(
            _opt_obj(rec, "responseElements", where),
            "x-amz-request-id",
            f"{where}.responseElements",
        ),
        source_ip=_opt_str(
            _opt_obj(rec, "requestParameters", where),
            "sourceIPAddress",
            f"{where}.requestParameters",
        ),
        configuration_id=_opt_str(s3, "configurationId", s3w),
        raw=rec,
    )


def _eventbridge(doc: dict[str, Any], where: str) -> S3Object:
    detail_type = _str(doc, "detail-type", where)
    detail = _obj(doc, "detail", where)
    dw = _join(where, "detail")
    obj = _obj(detail, "object", dw)
    ow = f"{dw}.object"
    raw_key = _str(obj, "key", ow)
    key = _decoded_key(raw_key, ow)  # URL-encoded, as in notifications
    reason = _opt_str(detail, "reason", dw)
    deletion = _opt_str(detail, "deletion-type", dw)
    prefix = _EB_NAMES.get(detail_type, detail_type.replace(" ", ""))
    if detail_type == "Object Created":
        name = f"{prefix}:{_EB_CREATED.get(reason or '', reason or 'Put')}"
    elif detail_type == "Object Deleted":
        if reason == "Lifecycle Expiration":
            prefix = "LifecycleExpiration"
        suffix = "DeleteMarkerCreated" if deletion == "Delete Marker Created" else "Delete"
        name = f"{prefix}:{suffix}"
    else:
        name = prefix
    return S3Object(
        bucket=_str(_obj(detail, "bucket", dw), "name", f"{dw}.bucket"),
        key=key,
        raw_key=raw_key,
        event_name=name,
        event_time=_time(doc, "time", where),
        region=_str(doc, "region", where),
        size=_size(obj, "size", ow),
        etag=_opt_str(obj, "etag", ow),
        version_id=_opt_str(obj, "version-id", ow),
        sequencer=_opt_str(obj, "sequencer", ow),
        principal_id=_opt_str(detail, "requester", dw),
        request_id=_opt_str(detail, "request-id", dw),
        source_ip=_opt_str(detail, "source-ip-address", dw),
        event_source="aws:s3",
        detail_type=detail_type,
        reason=reason,
        deletion_type=deletion,
        raw=doc,
    )
