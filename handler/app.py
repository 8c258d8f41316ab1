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

from .events import S3EventError, parse_message, split_event
from .processors import get_processor, request_id

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .events import Message
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
        from ._checked import _event_error  # noqa: PLC0415 - failures: see handler.events

        _event_error(rid, exc, event)
        raise
    sqs = any(m.is_sqs for m in messages)
    processed = skipped = 0
    failures: list[tuple[Message, str, BaseException]] = []
    for msg in messages:
        try:
            records, tests = parse_message(msg)
        except S3EventError as exc:
            from ._checked import _message_error  # noqa: PLC0415

            failures.append(_message_error(rid, exc, msg))
            continue
        if tests:
            from ._checked import _skipped  # noqa: PLC0415

            _skipped(rid, tests)
            skipped += len(tests)
        for record in records:
            try:
                processor(record, context)
            except Exception as exc:
                from ._checked import _processor_failed  # noqa: PLC0415

                failures.append(_processor_failed(rid, exc, msg, record))
            else:
                processed += 1
    if sqs or failures:
        from ._checked import _summary  # noqa: PLC0415

        return _summary(messages, sqs, processed, skipped, failures)
    return {"processed": processed, "skipped": skipped, "failed": 0}


def make_handler(processor: "Processor") -> "Handler":
    """Build a Lambda handler that runs ``processor(record, context)`` per S3 record."""

    def lambda_handler(event: object, context: object) -> "dict[str, Any]":
        return handle(event, context, processor)

    return lambda_handler


def lambda_handler(event: object, context: object) -> "dict[str, Any]":
    """Default entry point; the processor comes from S3_EVENT_PROCESSOR (default: log)."""
    return handle(event, context, get_processor())
