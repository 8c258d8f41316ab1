"""CLI: ``python -m handler event put|delete ...`` and ``python -m handler invoke FILE|-``."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime

from . import log
from .app import lambda_handler
from .samples import SHAPES, make_event


class FakeContext:
    """Enough of the Lambda context object for the handler and most processors."""

    function_name = "s3-lambda-trigger-local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local"
    memory_limit_in_mb = 128
    log_group_name = "/aws/lambda/local"
    log_stream_name = "local"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m handler", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("event", help="print a sample S3 event (JSON) to stdout")
    ev.add_argument("action", choices=["put", "delete"])
    ev.add_argument("--bucket", required=True)
    ev.add_argument("--key", required=True, help="object key, plain text (encoded for you)")
    ev.add_argument("--size", type=int, default=1024, help="object size (put only)")
    ev.add_argument("--shape", choices=SHAPES, default="direct")
    ev.add_argument("--region", default="us-east-1")
    ev.add_argument("--version-id")
    ev.add_argument("--etag")
    ev.add_argument("--time", type=datetime.fromisoformat, help="event time, ISO 8601")
    inv = sub.add_parser("invoke", help="run handler.app.lambda_handler on an event file")
    inv.add_argument("event_file", help="path to a JSON event, or - for stdin")
    return p


def _read(path: str) -> object:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    return json.loads(text)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "event":
            event = make_event(
                args.action,
                args.bucket,
                args.key,
                shape=args.shape,
                size=args.size,
                region=args.region,
                etag=args.etag,
                version_id=args.version_id,
                when=args.time,
            )
            print(json.dumps(event, indent=2, ensure_ascii=False))
        else:
            payload = _read(args.event_file)
            log.stream = sys.stderr  # keep stdout for the result
            result = lambda_handler(payload, FakeContext())
            print(json.dumps(result, ensure_ascii=False))
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
