"""The processing loop: ``handler.app.lambda_handler`` runs a processor on every record.

An S3 Batch Operations event (``invocationSchemaVersion`` and ``tasks``) is answered per
task by handler.batch_operations, imported for such events only.

Each message of an event is isolated: a malformed message or a processor that
raises on one record never stops the others.  What happens to failures (SQS
partial batch responses, or one exception for async events) is decided in
handler.report, imported on the first failure only; see its docstring.
"""

from .model import S3EventError
from .parse import parse_message, split_event
from .processors import get_processor, request_id

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .processors import Processor
    from .report import Failure

    Handler = Callable[[object, object], dict[str, Any]]


def handle(event: object, context: object, processor: "Processor") -> "dict[str, Any]":
    """Parse ``event`` and run ``processor(record, context)`` on every S3 record in it."""
    if event.__class__ is dict and "tasks" in event and "invocationSchemaVersion" in event:
        from . import batch_operations  # noqa: PLC0415 - S3 Batch Operations only

        return batch_operations.handle(event, context, processor)
    rid = request_id(context)
    try:
        messages = split_event(event)
    except S3EventError as exc:
        from . import report  # noqa: PLC0415 - failures only: see the module docstring

        report.event_error(rid, exc, event)
        raise
    sqs = any(m.is_sqs for m in messages)
    processed = skipped = 0
    failures: list[Failure] = []
    for msg in messages:
        try:
            records, tests = parse_message(msg)
        except S3EventError as exc:
            from . import report  # noqa: PLC0415

            failures.append(report.message_error(rid, exc, msg))
            continue
        if tests:
            from . import report  # noqa: PLC0415

            report.skipped(rid, tests)
            skipped += len(tests)
        for record in records:
            try:
                processor(record, context)
            except Exception as exc:
                from . import report  # noqa: PLC0415

                failures.append(report.processor_failed(rid, exc, msg, record))
            else:
                processed += 1
    if sqs or failures:
        from . import report  # noqa: PLC0415

        return report.result(messages, sqs, processed, skipped, failures)
    return {"processed": processed, "skipped": skipped, "failed": 0}


def make_handler(processor: "Processor") -> "Handler":
    """Build a Lambda handler that runs ``processor(record, context)`` per S3 record."""

    def lambda_handler(event: object, context: object) -> "dict[str, Any]":
        return handle(event, context, processor)

    return lambda_handler


def lambda_handler(event: object, context: object) -> "dict[str, Any]":
    """Default entry point; the processor comes from S3_EVENT_PROCESSOR (default: log)."""
    return handle(event, context, get_processor())
