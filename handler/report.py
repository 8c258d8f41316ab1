"""Error reporting: the log line for each failure, and the invocation's result.

Imported by the processing loop (handler.app) on the first failure, test event or
SQS batch only: the common successful invocation never compiles it.

Failure semantics (what ``result`` returns or raises):

* SQS-wrapped events: the failed messages are returned in ``batchItemFailures``,
  so only those are retried (the event source mapping needs
  ReportBatchItemFailures).  When every message of the batch failed,
  ProcessingError is raised instead: the invocation then counts as an error
  (Lambda's Errors metric and alarms see it) and the whole batch is retried,
  which is what reporting every message would have done anyway.
* Direct, SNS and EventBridge events: every record is processed, then, if any
  failed, one exception naming the failed records is raised (S3EventError if
  every failure was malformed input, else ProcessingError), so Lambda's async
  retries and the on-failure destination keep the event.
"""

from . import log
from .model import Message, ProcessingError, S3EventError, S3Object

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Failure = tuple[Message, str, BaseException]


def event_error(rid: str | None, exc: S3EventError, event: object) -> None:
    """The whole event is not an S3 event (nothing could be split from it)."""
    log.emit(
        "ERROR", "s3_event_error", requestId=rid, error=str(exc), where=exc.where, record=event
    )


def message_error(rid: str | None, exc: S3EventError, msg: Message) -> "Failure":
    """One message could not be parsed; logged with its raw content."""
    log.emit(
        "ERROR",
        "s3_event_error",
        requestId=rid,
        error=str(exc),
        where=exc.where,
        messageId=msg.message_id,
        record=msg.raw,
    )
    return msg, str(exc), exc


def skipped(rid: str | None, tests: list[str]) -> None:
    """s3:TestEvent messages (S3 sends one when a notification is configured)."""
    for where in tests:
        log.emit("INFO", "s3_test_event_skipped", requestId=rid, where=where)


def processor_failed(rid: str | None, exc: Exception, msg: Message, record: S3Object) -> "Failure":
    """The processor raised on a record; logged with the raw message."""
    error = f"{type(exc).__name__}: {exc}"
    log.emit(
        "ERROR",
        "processor_failed",
        requestId=rid,
        error=error,
        where=msg.where or "event",
        messageId=msg.message_id,
        bucket=record.bucket,
        key=record.key,
        record=msg.raw,
    )
    return msg, error, exc


def result(
    messages: list[Message],
    sqs: bool,
    processed: int,
    skipped: int,
    failures: "list[Failure]",
) -> "dict[str, Any]":
    """The handler's return value, or the exception that fails the invocation."""
    failed = len({id(m) for m, _, _ in failures})
    summary: dict[str, Any] = {"processed": processed, "skipped": skipped, "failed": failed}
    if sqs:
        ids = list(dict.fromkeys(m.message_id for m, _, _ in failures))
        if None in ids:  # cannot report it per item: fail the whole batch
            raise ProcessingError("SQS record without messageId failed: " + _names(failures))
        if failures and failed == len(messages):
            raise ProcessingError(
                f"all {failed} message(s) of the SQS batch failed: {_names(failures)}"
            ) from failures[0][2]
        summary["batchItemFailures"] = [{"itemIdentifier": i} for i in ids]
    elif failures:
        text = f"{failed} of {len(messages)} record(s) failed: {_names(failures)}"
        if all(isinstance(e, S3EventError) for _, _, e in failures):
            raise S3EventError(failures[0][0].where, text) from failures[0][2]
        raise ProcessingError(text) from failures[0][2]
    return summary


def _names(failures: "list[Failure]") -> str:
    return "; ".join(f"{m.where or 'event'} ({error})" for m, error, _ in failures)
