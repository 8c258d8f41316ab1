"""Lambda entry point: ``handler.app.lambda_handler``.

Failure semantics
-----------------
* SQS-wrapped events: each failed message is reported in ``batchItemFailures``
  so only that message is retried (needs ReportBatchItemFailures on the
  event source mapping).
* Direct, SNS and EventBridge events: every record is processed, then, if any
  failed, one exception naming the failed records is raised so Lambda's async
  retries / on-failure destination keep the event.
Every failure is logged as one JSON line that includes the raw record.
"""

from . import log
from .events import Message, S3EventError, parse_message, split_event
from .processors import get_processor, request_id

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .processors import Processor

    Handler = Callable[[object, object], dict[str, Any]]


class ProcessingError(RuntimeError):
    """One or more records of a non-SQS event failed; the message names them."""


def handle(event: object, context: object, processor: "Processor") -> "dict[str, Any]":
    """Parse ``event`` and run ``processor`` on every S3 record in it."""
    rid = request_id(context)
    try:
        messages = split_event(event)
    except S3EventError as exc:
        log.emit(
            "ERROR", "s3_event_error", requestId=rid, error=str(exc), where=exc.where, record=event
        )
        raise
    sqs = any(m.is_sqs for m in messages)
    processed = skipped = 0
    failures: list[tuple[Message, str, BaseException]] = []
    for msg in messages:
        try:
            records, tests = parse_message(msg)
        except S3EventError as exc:
            log.emit(
                "ERROR",
                "s3_event_error",
                requestId=rid,
                error=str(exc),
                where=exc.where,
                messageId=msg.message_id,
                record=msg.raw,
            )
            failures.append((msg, str(exc), exc))
            continue
        for where in tests:
            log.emit("INFO", "s3_test_event_skipped", requestId=rid, where=where)
        skipped += len(tests)
        for record in records:
            try:
                processor(record, context)
            except Exception as exc:
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
                failures.append((msg, error, exc))
            else:
                processed += 1
    summary: dict[str, Any] = {
        "processed": processed,
        "skipped": skipped,
        "failed": len({id(m) for m, _, _ in failures}),
    }
    if sqs:
        ids = list(dict.fromkeys(m.message_id for m, _, _ in failures))
        if None in ids:  # cannot report it per item: fail the whole batch
            raise ProcessingError("SQS record without messageId failed: " + _names(failures))
        summary["batchItemFailures"] = [{"itemIdentifier": i} for i in ids]
    elif failures:
        text = f"{summary['failed']} of {len(messages)} record(s) failed: {_names(failures)}"
        if all(isinstance(e, S3EventError) for _, _, e in failures):
            raise S3EventError(failures[0][0].where, text) from failures[0][2]
        raise ProcessingError(text) from failures[0][2]
    return summary


def _names(failures: list[tuple[Message, str, BaseException]]) -> str:
    return "; ".join(f"{m.where or 'event'} ({error})" for m, error, _ in failures)


def make_handler(processor: "Processor") -> "Handler":
    """Build a Lambda handler that runs ``processor(record, context)`` per S3 record."""

    def lambda_handler(event: object, context: object) -> "dict[str, Any]":
        return handle(event, context, processor)

    return lambda_handler


def lambda_handler(event: object, context: object) -> "dict[str, Any]":
    """Default entry point; the processor comes from S3_EVENT_PROCESSOR (default: log)."""
    return handle(event, context, get_processor())
