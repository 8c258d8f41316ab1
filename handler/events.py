"""S3 event model and parser for every way an S3 notification reaches Lambda.

Shapes: direct S3 notification, S3 -> SQS, S3 -> SNS, S3 -> SNS -> SQS, and
EventBridge (direct, or EventBridge -> SQS).  Standard library only.

Cold start (Lambda compiles the package on every cold start: /var/task is
read-only, so no .pyc is kept): this module parses well-formed direct S3
notification records itself; every other shape, and finding the path of any
problem, is done by ``handler._checked``, imported on first use.  The modules
on the handler's import path skip ``from __future__ import annotations`` (it
imports a module) and quote the annotations that name typing-only names.
"""

from codecs import escape_decode
from collections import namedtuple  # already imported at start-up, via json -> re
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

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/")


def unquote_plus(text: str) -> str:
    """Same result as ``urllib.parse.unquote_plus(text, errors="strict")``, faster.

    ('+' is a space, %XX is a UTF-8 byte; property-tested against urllib.)
    Raises UnicodeDecodeError if the %-escapes are not valid UTF-8.
    """
    if "%" not in text:
        return text.replace("+", " ")
    if text.isascii() and "\\" not in text:
        # Fast path (S3 sends ASCII): %XX -> \xXX, which the C escape decoder turns
        # into bytes.  A stray '%' makes an invalid \x escape (ValueError), as does
        # invalid UTF-8 (UnicodeDecodeError); both fall through to the exact path.
        try:
            data: bytes = escape_decode(text.replace("+", " ").replace("%", "\\x"))[0]
            return data.decode()
        except ValueError:
            pass
    from ._checked import _unquote_slow  # noqa: PLC0415 - rare: see the module docstring

    return _unquote_slow(text.replace("+", " "))


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


if TYPE_CHECKING:
    from ._types import _S3ObjectFields
else:  # collections.namedtuple: no typing import, cheap to create and to instantiate
    _S3ObjectFields = namedtuple(
        "S3Object",
        "bucket key raw_key event_name event_time region size etag version_id sequencer "
        "principal_id request_id source_ip configuration_id event_source detail_type reason "
        "deletion_type",
        defaults=(None,) * 8 + ("aws:s3", None, None, None),
    )


class S3Object(_S3ObjectFields):
    """One S3 object event, whatever the delivery shape.

    Fields (types in ``handler/_types.py``): bucket, key (decoded), raw_key (as
    delivered: URL-encoded in notifications, plain in EventBridge), event_name
    (e.g. "ObjectCreated:Put"), event_time (timezone-aware), region, then, possibly
    None: size, etag, version_id, sequencer, principal_id, request_id, source_ip,
    configuration_id, event_source ("aws:s3"), and for EventBridge detail_type,
    reason, deletion_type.

    Immutable (a named tuple: assigning an attribute raises AttributeError; use
    ``record._replace(field=value)`` for a modified copy).  Equal only to another
    S3Object with equal fields; hashable.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = tuple.__hash__

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


class Message:
    """One independently failing unit of a Lambda event.

    A top-level ``Records[i]`` entry (direct, SQS or SNS), or the whole
    EventBridge event.  ``message_id`` is the SQS messageId, if any.
    """

    __slots__ = ("message_id", "raw", "where")

    def __init__(self, where: str, raw: "Any", message_id: str | None = None) -> None:
        self.where = where
        self.raw = raw
        self.message_id = message_id

    def __repr__(self) -> str:
        return f"Message(where={self.where!r}, raw={self.raw!r}, message_id={self.message_id!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not Message:
            return NotImplemented
        return (self.where, self.raw, self.message_id) == (other.where, other.raw, other.message_id)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

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
    from ._checked import _split_error  # noqa: PLC0415 - error path only

    raise _split_error(event)


def parse_message(msg: Message) -> tuple[list[S3Object], list[str]]:
    """Parse one message into records; also return paths of skipped s3:TestEvents."""
    record = _s3_fast(msg.raw) if msg.where else None
    if record is not None:
        return [record], []
    from . import _checked  # noqa: PLC0415 - see the module docstring

    records: list[S3Object] = []
    skipped: list[str] = []
    if msg.where:
        _checked._entry(msg.raw, msg.where, records, skipped)
    else:  # the whole event: EventBridge or a bare s3:TestEvent
        _checked._document(msg.raw, "", records, skipped)
    return records, skipped


def parse_event(event: object) -> list[S3Object]:
    """Parse any supported Lambda event into S3Object records (TestEvents dropped).

    Raises S3EventError on the first malformed message.
    """
    out: list[S3Object] = []
    if isinstance(event, dict) and not _is_eventbridge(event) and "Event" not in event:
        records = event.get("Records")
        if isinstance(records, list):  # split_event + parse_message, minus the Messages
            skipped: list[str] = []
            for i, rec in enumerate(records):
                record = _s3_fast(rec)
                if record is None:
                    from . import _checked  # noqa: PLC0415 - see the module docstring

                    _checked._entry(rec, f"Records[{i}]", out, skipped)
                else:
                    out.append(record)
            return out
    for msg in split_event(event):
        out.extend(parse_message(msg)[0])
    return out


# --- internals -------------------------------------------------------------


def _is_eventbridge(doc: "dict[str, Any]") -> bool:
    return doc.get("source") == "aws.s3" and "detail-type" in doc


_BAD: "Any" = object()  # fails the type checks below
_fromisoformat = datetime.fromisoformat
_tuple_new = tuple.__new__


def _s3_fast(rec: object) -> S3Object | None:
    """A well-formed S3 notification record, checked inline with no path strings.

    Returns None on anything unusual; the caller then parses the record again with
    ``_s3_record``, which gives the same result or raises the precise S3EventError.
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
        ),
    )
