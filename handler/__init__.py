"""Run Python code on Amazon S3 object events delivered to AWS Lambda (stdlib only).

Lambda handler: ``handler.app.lambda_handler``.  Library use::

    from handler import S3Object, make_handler

    def process(record: S3Object, context) -> None: ...

    lambda_handler = make_handler(process)
"""

from .app import ProcessingError, handle, lambda_handler, make_handler
from .events import S3EventError, S3Object, parse_event

__all__ = [
    "ProcessingError",
    "S3EventError",
    "S3Object",
    "handle",
    "lambda_handler",
    "make_handler",
    "parse_event",
]
