"""Parsing: every way an S3 event reaches Lambda, into ``handler.model.S3Object`` records.

Shapes: direct S3 notification, S3 -> SQS, S3 -> SNS, S3 -> SNS -> SQS, and
EventBridge (direct, or EventBridge -> SQS).  Standard library only.

Cold start: when the zip ships no bytecode, Lambda compiles the package on every
cold start (/var/task is read-only).  So this module parses well-formed direct S3
notification records itself; every other shape, and finding the path of any
problem, is done by ``handler.parse_checked``, imported on first use (it imports
only ``handler.model``, never this module).
"""

from datetime import UTC, datetime

from .model import Message, S3Object, unquote_plus

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["is_eventbridge", "parse_event", "parse_message", "split_event"]


def split_event(event: object) -> list[Message]:
    """Split a Lambda event into messages, or raise S3EventError."""
    if isinstance(event, dict):
        if is_eventbridge(event) or event.get("Event") == "s3:TestEvent":
            return [Message("", event)]
        records = event.get("Records")
        if isinstance(records, list):
            out = []
            for i, raw in enumerate(records):
                mid = raw.get("messageId") if isinstance(raw, dict) else None
                out.append(Message(f"Records[{i}]", raw, mid if isinstance(mid, str) else None))
            return out
    from .parse_checked import split_error  # noqa: PLC0415 - error path only

    raise split_error(event)


def parse_message(msg: Message) -> tuple[list[S3Object], list[str]]:
    """Parse one message into records; also return paths of skipped s3:TestEvents."""
    record = _s3_fast(msg.raw) if msg.where else None
    if record is not None:
        return [record], []
    from . import parse_checked  # noqa: PLC0415 - see the module docstring

    records: list[S3Object] = []
    skipped: list[str] = []
    if msg.where:
        parse_checked.entry(msg.raw, msg.where, records, skipped)
    else:  # the whole event: EventBridge or a bare s3:TestEvent
        parse_checked.document(msg.raw, "", records, skipped)
    return records, skipped


def parse_event(event: object) -> list[S3Object]:
    """Parse any supported Lambda event into S3Object records (TestEvents dropped).

    Raises S3EventError on the first malformed message.
    """
    out: list[S3Object] = []
    if isinstance(event, dict) and not is_eventbridge(event) and "Event" not in event:
        records = event.get("Records")
        if isinstance(records, list):  # split_event + parse_message, minus the Messages
            skipped: list[str] = []
            for i, rec in enumerate(records):
                record = _s3_fast(rec)
                if record is None:
                    from . import parse_checked  # noqa: PLC0415 - see the module docstring

                    parse_checked.entry(rec, f"Records[{i}]", out, skipped)
                else:
                    out.append(record)
            return out
    for msg in split_event(event):
        out.extend(parse_message(msg)[0])
    return out


# --- internals -------------------------------------------------------------


def is_eventbridge(doc: "dict[str, Any]") -> bool:
    return doc.get("source") == "aws.s3" and "detail-type" in doc


_BAD: "Any" = object()  # fails the type checks below
_fromisoformat = datetime.fromisoformat
_tuple_new = tuple.__new__


def _s3_fast(rec: object) -> S3Object | None:
    """A well-formed S3 notification record, checked inline with no path strings.

    Returns None on anything unusual; the caller then parses the record again with
    ``parse_checked.s3_record``, which gives the same result or raises the precise S3EventError.
    (Stricter than ``_s3_record`` is fine here; more lenient is not.)
    """
    try:
        if rec.__class__ is not dict or rec["eventSource"] != "aws:s3":
            return None
        s3 = rec["s3"]
        bucket = s3["bucket"]
        obj = s3["object"]
        name = bucket["name"]
        raw_key = obj["key"]
        event_name = rec["eventName"]
        region = rec["awsRegion"]
        when = rec["eventTime"]
    except (KeyError, TypeError):
        return None
    if not (
        s3.__class__ is bucket.__class__ is obj.__class__ is dict
        and name.__class__ is raw_key.__class__ is event_name.__class__ is str
        and region.__class__ is when.__class__ is str
        and name
        and raw_key
        and event_name
        and region
    ):
        return None
    ui = rec.get("userIdentity")
    rp = rec.get("requestParameters")
    re_ = rec.get("responseElements")
    principal = ui.get("principalId") if ui.__class__ is dict else (None if ui is None else _BAD)
    source_ip = (
        rp.get("sourceIPAddress") if rp.__class__ is dict else (None if rp is None else _BAD)
    )
    request_id = (
        re_.get("x-amz-request-id") if re_.__class__ is dict else (None if re_ is None else _BAD)
    )
    size = obj.get("size")
    etag = obj.get("eTag")
    version_id = obj.get("versionId")
    sequencer = obj.get("sequencer")
    config = s3.get("configurationId")
    if not (
        (size is None or (size.__class__ is int and size >= 0))
        and (etag is None or etag.__class__ is str)
        and (version_id is None or version_id.__class__ is str)
        and (sequencer is None or sequencer.__class__ is str)
        and (principal is None or principal.__class__ is str)
        and (request_id is None or request_id.__class__ is str)
        and (source_ip is None or source_ip.__class__ is str)
        and (config is None or config.__class__ is str)
    ):
        return None
    try:
        event_time = _fromisoformat(when)
        key = unquote_plus(raw_key) if "%" in raw_key or "+" in raw_key else raw_key
    except ValueError:  # includes UnicodeDecodeError
        return None
    if event_time.tzinfo is None:
        event_time = event_time.replace(tzinfo=UTC)
    return _tuple_new(  # == S3Object(...) without the keyword/default handling
        S3Object,
        (
            name,
            key,
            raw_key,
            event_name[3:] if event_name.startswith("s3:") else event_name,
            event_time,
            region,
            size,
            etag,
            version_id,
            sequencer,
            principal,
            request_id,
            source_ip,
            config,
            "aws:s3",
            None,
            None,
            None,
            rec,
        ),
    )
