"""The ``s3-lambda-trigger`` command.

    s3-lambda-trigger package --source src/mypkg -r requirements.txt -o build/function.zip
    s3-lambda-trigger event put --bucket B --key K [--shape sqs] > event.json
    s3-lambda-trigger invoke event.json [--processor mypkg.mod:process]
    s3-lambda-trigger backfill --terraform-dir infra/ [--dry-run]
    s3-lambda-trigger redrive --terraform-dir infra/ [--dry-run]

Each subcommand lives in its own module; this file only wires them up. Expected
failures print one ``error: ...`` line and exit 1 (usage errors exit 2).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime

from . import backfill, packaging, redrive
from .context import FakeContext
from .deployment import OperationError
from .samples import SHAPES, make_event

PROG = "s3-lambda-trigger"


class CommandError(Exception):
    """An expected failure of a command: printed as ``error: <message>``, exit 1."""


def _event_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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


def _invoke_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inv = sub.add_parser(
        "invoke",
        help="run the handler on an event file, locally",
        description="Run handler.app.lambda_handler on a JSON event (a file, or - for stdin) "
        "and print its result; log lines go to stderr.",
    )
    inv.add_argument("event_file", help="path to a JSON event, or - for stdin")
    inv.add_argument(
        "--processor",
        metavar="MODULE:FUNCTION",
        help="your processor (sets S3_EVENT_PROCESSOR; default: that variable, or log only)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    packaging.add_parser(sub)
    _event_parser(sub)
    _invoke_parser(sub)
    backfill.add_parser(sub)
    redrive.add_parser(sub)
    return p


def _read(path: str) -> object:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    return json.loads(text)


def _event(args: argparse.Namespace) -> None:
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


def _invoke(args: argparse.Namespace) -> None:
    from handler import log  # noqa: PLC0415 - the handler is imported only to run it
    from handler.app import lambda_handler  # noqa: PLC0415

    if args.processor:
        os.environ["S3_EVENT_PROCESSOR"] = args.processor
    payload = _read(args.event_file)
    log.stream = sys.stderr  # keep stdout for the result
    result = lambda_handler(payload, FakeContext())
    print(json.dumps(result, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    commands = {
        "package": packaging.run,
        "event": _event,
        "invoke": _invoke,
        "backfill": backfill.run,
        "redrive": redrive.run,
    }
    try:
        commands[args.command](args)
    except (CommandError, packaging.PackagingError, OperationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
