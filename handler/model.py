"""The event model: one S3 object event, the errors, and S3's key encoding.

The bottom of the handler package: standard library only, imports nothing of the
package. Parsing (handler.parse) builds these; the processing loop (handler.app)
hands them to processors.

Cold start: the modules on the handler's import path skip ``from __future__
import annotations`` (it imports a module) and quote the annotations that name
typing-only names; ``typing`` itself is never imported at run time.
"""

from codecs import escape_decode
from collections import namedtuple  # already imported at start-up, via json -> re

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Message",
    "ProcessingError",
    "S3EventError",
    "S3Object",
    "quote",
    "unquote_plus",
]

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/")
_HEX = frozenset("0123456789abcdefABCDEF")


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
    return _unquote_slow(text.replace("+", " "))


def _unquote_slow(text: str) -> str:
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


class ProcessingError(RuntimeError):
    """Records of an event failed (the message names them); Lambda retries the event.

    Raised for direct, SNS and EventBridge events with any failed record, and for an
    SQS batch in which every message failed (so the invocation counts as an error).
    """


if TYPE_CHECKING:
    from ._types import _S3ObjectFields
else:  # collections.namedtuple: no typing import, cheap to create and to instantiate
    _S3ObjectFields = namedtuple(
        "S3Object",
        "bucket key raw_key event_name event_time region size etag version_id sequencer "
        "principal_id request_id source_ip configuration_id event_source detail_type reason "
        "deletion_type raw",
        defaults=(None,) * 8 + ("aws:s3", None, None, None, None),
    )

_N_FIELDS = 18  # the fields that make a record's identity: all but ``raw``

# s3.configurationId of the records `s3-lambda-trigger backfill` and S3 Batch Operations
# tasks deliver for objects that already exist (S3 puts the notification's id there).
BACKFILL_CONFIGURATION_ID = "s3-lambda-trigger-backfill"


class S3Object(_S3ObjectFields):
    """One S3 object event, whatever the delivery shape.

    Fields (types in ``handler/_types.pyi``): bucket, key (decoded), raw_key (as
    delivered: URL-encoded, '+' for space), event_name
    (e.g. "ObjectCreated:Put"), event_time (timezone-aware), region, then, possibly
    None: size, etag, version_id, sequencer, principal_id, request_id, source_ip,
    configuration_id, event_source ("aws:s3"), and for EventBridge detail_type,
    reason, deletion_type.

    ``raw`` is the JSON object the record was parsed from, as delivered: the S3
    notification record (``Records[i]``, also inside SQS/SNS bodies) or the whole
    EventBridge event. Fields the model does not carry (``glacierEventData``,
    ``lifecycleEventData``, ``intelligentTieringEventData``, ``replicationEventData``)
    are there. It takes no part in equality, hashing or repr.

    Immutable (a named tuple: assigning an attribute raises AttributeError; use
    ``record._replace(field=value)`` for a modified copy).  Equal only to another
    S3Object with equal fields; hashable.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__ and self[:_N_FIELDS] == other[:_N_FIELDS]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:_N_FIELDS])

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{n}={v!r}" for n, v in zip(self._fields[:_N_FIELDS], self, strict=False)
        )
        return f"S3Object({fields})"

    @property
    def is_backfill(self) -> bool:
        """True for an object that already existed, delivered by a backfill or S3 Batch
        Operations (s3.configurationId is BACKFILL_CONFIGURATION_ID), not by a live event."""
        return self.configuration_id == BACKFILL_CONFIGURATION_ID

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
