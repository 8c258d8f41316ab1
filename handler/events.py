"""S3 event model and parser for every way an S3 notification reaches Lambda.

Shapes: direct S3 notification, S3 -> SQS, S3 -> SNS, S3 -> SNS -> SQS, and
EventBridge (direct, or EventBridge -> SQS).  Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Message",
    "S3EventError",
    "S3Object",
    "parse_event",
    "parse_message",
    "quote",
    "split_event",
    "unquote_plus",
]

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


_HEX = frozenset("0123456789abcdefABCDEF")
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/")


def unquote_plus(text: str) -> str:
    """Same result as ``urllib.parse.unquote_plus(text, errors="strict")``, faster.

    ('+' is a space, %XX is a UTF-8 byte; property-tested against urllib.)
    Raises UnicodeDecodeError if the %-escapes are not valid UTF-8.
    """
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    first, *rest = text.split("%")
    out = bytearray(first.encode())
    for part in rest:
        if len(part) >= 2 and part[0] in _HEX and part[1] in _HEX:
            out.append(int(part[:2], 16))
            out += part[2:].encode()
        else:
            out += b"%" + part.encode()
    return out.decode("utf-8")


def quote(text: str) -> str:
    """Percent-encode UTF-8 bytes outside ``A-Za-z0-9-_.~/`` (like urllib's quote)."""
    data = text.encode()
    if all(b in _SAFE for b in data):
        return text
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in data)


class S3EventError(ValueError):
    """The payload is not an S3 event, or a record in it is malformed.

    ``where`` is the path of the offending value inside the Lambda event,
    e.g. ``Records[2].s3.object.key``; ``str(err)`` is ``"<where>: <problem>"``.
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where or "event"
        self.problem = problem
        super().__init__(f"{self.where}: {problem}")


@dataclass(frozen=True, slots=True)
class S3Object:
    """One S3 object event, whatever the delivery shape."""

    bucket: str
    key: str  # decoded
    raw_key: str  # as delivered (URL-encoded for notifications, plain for EventBridge)
    event_name: str  # normalised, e.g. "ObjectCreated:Put"
    event_time: datetime  # timezone-aware
    region: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None
    sequencer: str | None = None
    principal_id: str | None = None
    request_id: str | None = None
    source_ip: str | None = None
    configuration_id: str | None = None
    event_source: str = "aws:s3"
    detail_type: str | None = None  # EventBridge only
    reason: str | None = None  # EventBridge only: detail.reason
    deletion_type: str | None = None  # EventBridge only: detail.deletion-type

    @property
    def idempotency_key(self) -> str:
        """Stable id for de-duplicating redeliveries of this very event.

        ``s3://bucket/<percent-encoded key>#<eventName>@v:<versionId>`` (or
        ``@seq:<sequencer>``, ``@req:<requestId>``, ``@t:<eventTime>``).  The
        event name is included so that, e.g., the creation and the permanent
        deletion of one object version get different keys.
        """
        if self.version_id:
            tag = "v:" + self.version_id
        elif self.sequencer:
            tag = "seq:" + self.sequencer
        elif self.request_id:
            tag = "req:" + self.request_id
        else:
            tag = "t:" + self.event_time.isoformat()
        return f"s3://{self.bucket}/{quote(self.key)}#{self.event_name}@{tag}"


@dataclass(slots=True)
class Message:
    """One independently failing unit of a Lambda event.

    A top-level ``Records[i]`` entry (direct, SQS or SNS), or the whole
    EventBridge event.  ``message_id`` is the SQS messageId, if any.
    """

    where: str
    raw: Any
    message_id: str | None = None

    @property
    def is_sqs(self) -> bool:
        return isinstance(self.raw, dict) and self.raw.get("eventSource") == "aws:sqs"


def split_event(event: object) -> list[Message]:
    """Split a Lambda event into messages, or raise S3EventError."""
    if isinstance(event, dict):
        if _is_eventbridge(event) or event.get("Event") == "s3:TestEvent":
            return [Message("", event)]
        records = event.get("Records")
        if isinstance(records, list):
            out = []
            for i, raw in enumerate(records):
                mid = raw.get("messageId") if isinstance(raw, dict) else None
                out.append(Message(f"Records[{i}]", raw, mid if isinstance(mid, str) else None))
            return out
        if records is not None:
            raise S3EventError("Records", f"expected a list, got {_tname(records)}")
    raise S3EventError(
        "event",
        "not an S3 event (expected Records[] from aws:s3, aws:sqs or aws:sns, or an "
        f"EventBridge event with source aws.s3); got {_describe(event)}",
    )


def parse_message(msg: Message) -> tuple[list[S3Object], list[str]]:
    """Parse one message into records; also return paths of skipped s3:TestEvents."""
    records: list[S3Object] = []
    skipped: list[str] = []
    if msg.where:
        _entry(msg.raw, msg.where, records, skipped)
    else:  # the whole event: EventBridge or a bare s3:TestEvent
        _document(msg.raw, "", records, skipped)
    return records, skipped


def parse_event(event: object) -> list[S3Object]:
    """Parse any supported Lambda event into S3Object records (TestEvents dropped).

    Raises S3EventError on the first malformed message.
    """
    out: list[S3Object] = []
    for msg in split_event(event):
        out.extend(parse_message(msg)[0])
    return out


# --- internals -------------------------------------------------------------


def _tname(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "object with keys " + ", ".join(sorted(map(str, value))[:8]) if value else "{}"
    return _tname(value)


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


def _is_eventbridge(doc: dict[str, Any]) -> bool:
    return doc.get("source") == "aws.s3" and "detail-type" in doc


def _document(doc: object, where: str, out: list[S3Object], skipped: list[str]) -> None:
    """A decoded JSON document: S3 notification, TestEvent, SNS envelope or EventBridge."""
    if not isinstance(doc, dict):
        raise S3EventError(where, f"expected a JSON object, got {_tname(doc)}")
    if doc.get("Event") == "s3:TestEvent":
        skipped.append(where or "event")
        return
    if _is_eventbridge(doc):
        out.append(_eventbridge(doc, where))
        return
    if doc.get("Type") == "Notification" and "Message" in doc:  # SNS envelope
        path = _join(where, "Message")
        _document(_json(doc["Message"], path), path, out, skipped)
        return
    records = doc.get("Records")
    if not isinstance(records, list):
        problem = "missing" if records is None else f"expected a list, got {_tname(records)}"
        raise S3EventError(
            _join(where, "Records"), f"{problem} (not an S3 notification: {_describe(doc)})"
        )
    for i, rec in enumerate(records):
        _entry(rec, f"{_join(where, 'Records')}[{i}]", out, skipped)


def _entry(rec: object, where: str, out: list[S3Object], skipped: list[str]) -> None:
    """One element of a Records[] list: an S3, SQS or SNS record."""
    if not isinstance(rec, dict):
        raise S3EventError(where, f"expected object, got {_tname(rec)}")
    source = rec.get("eventSource", rec.get("EventSource"))
    if source == "aws:s3":
        out.append(_s3_record(rec, where))
    elif source == "aws:sqs":
        path = f"{where}.body"
        _document(_json(rec.get("body"), path), path, out, skipped)
    elif source == "aws:sns":
        path = f"{where}.Sns.Message"
        _document(_json(_obj(rec, "Sns", where).get("Message"), path), path, out, skipped)
    elif source is None:
        raise S3EventError(f"{where}.eventSource", "missing")
    else:
        raise S3EventError(
            f"{where}.eventSource", f"expected aws:s3, aws:sqs or aws:sns, got {source!r}"
        )


def _event_name(name: str) -> str:
    return name[3:] if name.startswith("s3:") else name


def _s3_record(rec: dict[str, Any], where: str) -> S3Object:
    s3 = _obj(rec, "s3", where)
    s3w = f"{where}.s3"
    bucket = _obj(s3, "bucket", s3w)
    obj = _obj(s3, "object", s3w)
    ow = f"{s3w}.object"
    raw_key = _str(obj, "key", ow)
    try:  # S3 percent-encodes UTF-8 with '+' for space
        key = unquote_plus(raw_key)
    except UnicodeDecodeError:
        raise S3EventError(f"{ow}.key", f"not URL-encoded UTF-8: {raw_key!r}") from None
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
    )


def _eventbridge(doc: dict[str, Any], where: str) -> S3Object:
    detail_type = _str(doc, "detail-type", where)
    detail = _obj(doc, "detail", where)
    dw = _join(where, "detail")
    obj = _obj(detail, "object", dw)
    ow = f"{dw}.object"
    key = _str(obj, "key", ow)  # EventBridge keys are not URL-encoded
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
        raw_key=key,
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
    )
