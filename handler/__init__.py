"""Run Python code on Amazon S3 object events delivered to AWS Lambda (stdlib only).

Lambda handler: ``handler.app.lambda_handler``.  Library use::

    from handler import S3Object, make_handler, objects

    def process(record: S3Object, context) -> None:
        with objects.open_object(record) as body: ...

    lambda_handler = make_handler(process)

Modules, bottom up: ``model`` (the record, errors, key encoding), ``parse`` and
``parse_checked`` (every delivery shape), ``log``, ``report`` (failure log lines
and results), ``processors`` (the default one, loading yours), ``app`` (the
processing loop), ``objects`` (read the object, write results; boto3 on first use).
"""

from .app import handle, lambda_handler, make_handler
from .model import ProcessingError, S3EventError, S3Object
from .parse import parse_event

__all__ = [
    "ProcessingError",
    "S3EventError",
    "S3Object",
    "handle",
    "lambda_handler",
    "make_handler",
    "parse_event",
]
