"""The default processor and loading a user processor from S3_EVENT_PROCESSOR."""

import functools
import os

from . import log

TYPE_CHECKING = False  # typing is not imported at run time (cold start)
if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import Any

    from .model import S3Object

    Processor = Callable[[S3Object, Any], object]

ENV_VAR = "S3_EVENT_PROCESSOR"


class ProcessorConfigError(ValueError):
    """S3_EVENT_PROCESSOR does not name an importable callable."""


def request_id(context: object) -> str | None:
    rid = getattr(context, "aws_request_id", None)
    return rid if isinstance(rid, str) else None


def iso(dt: "datetime") -> str:
    """ISO 8601 with millisecond precision; UTC as 'Z'."""
    text: str = dt.isoformat(timespec="milliseconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def record_line(record: "S3Object", context: object) -> "dict[str, Any]":
    """The fields of the ``s3_object`` log line (the integration-test contract)."""
    return {
        "requestId": request_id(context),
        "eventSource": record.event_source,
        "eventName": record.event_name,
        "bucket": record.bucket,
        "key": record.key,
        "size": record.size,
        "eTag": record.etag,
        "versionId": record.version_id,
        "sequencer": record.sequencer,
        "region": record.region,
        "eventTime": iso(record.event_time),
        "idempotencyKey": record.idempotency_key,
    }


def log_record(record: "S3Object", context: object) -> None:
    """Default processor: log one ``s3_object`` JSON line per record."""
    log.emit("INFO", "s3_object", **record_line(record, context))


def load_processor(spec: str) -> "Processor":
    """Import ``package.module:function`` and return the callable."""
    module_name, sep, attr = spec.strip().partition(":")
    if not sep or not module_name or not attr:
        raise ProcessorConfigError(
            f"{ENV_VAR}={spec!r} is invalid: expected the form 'package.module:function'"
        )
    import importlib  # noqa: PLC0415 - only needed when a processor is configured

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProcessorConfigError(
            f"{ENV_VAR}={spec!r}: cannot import module {module_name!r} ({exc})"
        ) from exc
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
    if not callable(target):
        raise ProcessorConfigError(
            f"{ENV_VAR}={spec!r}: {module_name!r} has no callable {attr!r} "
            "(expected 'package.module:function')"
        )
    fn: Processor = target
    return fn


@functools.cache
def _cached(spec: str) -> "Processor":
    return load_processor(spec) if spec.strip() else log_record


def get_processor() -> "Processor":
    """The processor selected by S3_EVENT_PROCESSOR (loaded once per value, cached)."""
    return _cached(os.environ.get(ENV_VAR, ""))
