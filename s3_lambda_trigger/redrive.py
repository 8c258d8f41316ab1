"""``s3-lambda-trigger redrive``: replay the failed events of the on-failure queue.

Reads the queue (``--queue-url``, or the module's ``dlq_url`` output), and for each message
finds the event: an asynchronous invocation's on-failure record (``requestPayload`` is the
original event; ``requestContext.functionArn`` the function) or a raw S3 notification
message (what an sqs-mode dead-letter queue or a function DLQ holds). It invokes the
function synchronously (``RequestResponse``) with the event and deletes the message only
when the function succeeded on it (no ``FunctionError``).

Messages that fail again stay in the queue: they are kept invisible while the run lasts (so
none is tried twice in one run) and made visible again at the end (ChangeMessageVisibility
0), so the next ``redrive`` or ``--dry-run`` sees them at once. A message that is not an
event (not JSON, unknown shape) is left alone and counted as failed. After a kill -9 the
messages being worked on reappear when their visibility timeout ends: at least once.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .delivery import FATAL_CODES
from .deployment import (
    OperationError,
    client,
    describe,
    error_code,
    session,
    terraform_outputs,
)
from .progress import Counters, Interrupts, Progress, RateLimiter, duration

SHOW = 20
DEFAULT_CONCURRENCY = 4

EPILOG = """\
examples:
  # what is in the queue (nothing is invoked or deleted):
  s3-lambda-trigger redrive --terraform-dir infra/ --dry-run

  # after fixing the processor: replay every failed event
  s3-lambda-trigger redrive --terraform-dir infra/

  # explicit queue and function, the first 100 messages only:
  s3-lambda-trigger redrive --function my-fn --max 100 \\
      --queue-url https://sqs.us-east-1.amazonaws.com/123456789012/my-fn-failures

message shapes: an on-failure destination record (the original event in requestPayload), or
a raw S3 notification message (sqs-mode dead-letter queue, function DLQ).

a message is deleted only after the function succeeded on it; one that fails again stays in
the queue and is visible again when the run ends. exit status: 0 when every message was
replayed; 1 when any failed again or was not an event, or on an error.
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``redrive`` and its options to the command's subparsers."""
    p = sub.add_parser(
        "redrive",
        help="replay the failed events of the on-failure queue (delete after success)",
        description="Invoke the function again with each failed event in the on-failure "
        "queue, and delete a message only when the function succeeded on it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--terraform-dir",
        type=Path,
        metavar="DIR",
        help="a Terraform root that uses the module: queue and function from its outputs "
        "(dlq_url, function_name)",
    )
    p.add_argument("--queue-url", metavar="URL", help="the queue (default: the dlq_url output)")
    p.add_argument(
        "--function",
        metavar="NAME|ARN",
        help="invoke this function (default: the function_name output, else the function named "
        "in each on-failure record)",
    )
    p.add_argument("--max", type=int, metavar="N", help="replay at most N messages")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=f"show how many messages there are and the first {SHOW}; invoke and delete nothing",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="invocations in parallel (default: %(default)s)",
    )
    p.add_argument(
        "--rate", type=float, default=0.0, metavar="N", help="at most N per second (0: no limit)"
    )
    p.add_argument(
        "--visibility-timeout",
        type=int,
        metavar="SECONDS",
        help="how long a received message stays hidden from other readers (default: the "
        "function's timeout + 60 s, else 300)",
    )
    p.add_argument("--region", help="AWS region (default: AWS_REGION / your profile's)")
    p.add_argument(
        "--progress-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="when stderr is not a terminal, a progress line every SECONDS (0: none)",
    )


# --- messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Failed:
    """The event inside one queue message."""

    event: Any
    kind: str  # "on-failure record" or "S3 message"
    function: str | None = None  # requestContext.functionArn of an on-failure record
    condition: str | None = None


def unwrap(body: str) -> Failed:
    """The event in a message body; ValueError if it holds none."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"body is not JSON ({exc})") from None
    if isinstance(doc, dict) and "requestPayload" in doc:
        context = doc.get("requestContext")
        context = context if isinstance(context, dict) else {}
        arn = context.get("functionArn")
        return Failed(
            doc["requestPayload"],
            "on-failure record",
            arn if isinstance(arn, str) else None,
            context.get("condition"),
        )
    if isinstance(doc, dict) and (
        isinstance(doc.get("Records"), list)
        or doc.get("Event") == "s3:TestEvent"
        or doc.get("source") == "aws.s3"
    ):
        return Failed(doc, "S3 message")
    raise ValueError("neither an on-failure record (requestPayload) nor an S3 notification")


def describe_event(event: Any) -> str:
    """``bucket/key`` of each record, for listings."""
    from handler import parse_event  # noqa: PLC0415

    try:
        return ", ".join(f"s3://{r.bucket}/{r.key} ({r.event_name})" for r in parse_event(event))
    except Exception as exc:
        return f"(not an S3 event: {exc})"


# --- the run ------------------------------------------------------------------------------


@dataclass
class Summary:
    received: int = 0
    replayed: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    fatal: str | None = None
    failures: dict[str, str] = field(default_factory=dict)  # message id -> why


class Redrive:
    """Receive, invoke in a pool, delete on success; failed messages made visible at the end."""

    def __init__(
        self,
        *,
        sqs: Any,
        lam: Any,
        queue_url: str,
        function: str | None,
        visibility_timeout: int,
        concurrency: int,
        limiter: RateLimiter,
        maximum: int | None = None,
        wait_seconds: int = 1,
        empty_receives: int = 2,
        stream: TextIO | None = None,
        tty: bool | None = None,
        progress_interval: float = 10.0,
    ) -> None:
        self.sqs, self.lam, self.queue_url, self.function = sqs, lam, queue_url, function
        self.visibility_timeout = visibility_timeout
        self.concurrency, self.limiter, self.maximum = concurrency, limiter, maximum
        self.wait_seconds, self.empty_receives = wait_seconds, empty_receives
        self.stop = threading.Event()
        self.counters = Counters(("received", "replayed", "failed"))
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrency * 2)
        self._keep: dict[str, str] = {}  # message id -> receipt handle, to make visible again
        self._failures: dict[str, str] = {}
        self._seen: set[str] = set()
        self._fatal: str | None = None
        self.progress = Progress(
            "redrive",
            self.counters,
            done=lambda c: c["replayed"] + c["failed"],
            describe=lambda c: (
                f"received {c['received']:,}, replayed {c['replayed']:,}, "
                f"failed again {c['failed']:,}"
            ),
            stream=stream,
            tty=tty,
            interval=progress_interval,
        )

    def run(self) -> Summary:
        started = time.monotonic()
        self.progress.start()
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="redrive")
        try:
            self._receive_loop(pool)
        finally:
            pool.shutdown(wait=True)
            self._release_kept()
            self.progress.stop()
        counts = self.counters.snapshot()
        return Summary(
            received=counts["received"],
            replayed=counts["replayed"],
            failed=counts["failed"],
            seconds=time.monotonic() - started,
            interrupted=self.stop.is_set() and self._fatal is None,
            fatal=self._fatal,
            failures=dict(self._failures),
        )

    def _receive_loop(self, pool: ThreadPoolExecutor) -> None:
        empty = 0
        while not self.stop.is_set():
            left = None if self.maximum is None else self.maximum - self.counters["received"]
            if left is not None and left <= 0:
                return
            try:
                reply = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(10, left or 10),
                    WaitTimeSeconds=self.wait_seconds,
                    VisibilityTimeout=self.visibility_timeout,
                )
            except Exception as exc:
                self._set_fatal(f"receive from {self.queue_url}: {describe(exc)}")
                return
            messages = [m for m in reply.get("Messages", []) if m["MessageId"] not in self._seen]
            if not messages:
                empty += 1
                if empty >= self.empty_receives:
                    return
                continue
            empty = 0
            for message in messages:
                self._seen.add(message["MessageId"])
                self.counters.add("received")
                while not self._slots.acquire(timeout=0.2):
                    pass
                future: Future[None] = pool.submit(self._replay, message)
                future.add_done_callback(lambda _: self._slots.release())

    def _replay(self, message: dict[str, Any]) -> None:
        mid, handle = message["MessageId"], message["ReceiptHandle"]
        if self.stop.is_set():  # received but not tried: visible again at the end
            with self._lock:
                self._keep[mid] = handle
            self.counters.add("received", -1)
            return
        try:
            failed = unwrap(message.get("Body", ""))
        except ValueError as exc:
            self._failed(mid, handle, f"cannot redrive: {exc}")
            return
        function = self.function or failed.function
        if not function:
            self._failed(mid, handle, "no function: pass --function")
            return
        self.limiter.acquire()
        try:
            response = self.lam.invoke(
                FunctionName=function,
                InvocationType="RequestResponse",
                Payload=json.dumps(failed.event, ensure_ascii=False).encode(),
            )
        except Exception as exc:
            if error_code(exc) in FATAL_CODES:
                self._set_fatal(f"invoke {function}: {describe(exc)}")
            self._failed(mid, handle, f"invoke: {describe(exc)}")
            return
        if response.get("FunctionError"):
            self._failed(mid, handle, f"function failed again: {_error_text(response)}")
            return
        try:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle)
        except Exception as exc:  # the event was replayed; the message will come back
            self._failed(mid, handle, f"replayed, but delete failed: {describe(exc)}")
            return
        self.counters.add("replayed")

    def _failed(self, mid: str, handle: str, why: str) -> None:
        with self._lock:
            self._keep[mid] = handle
            self._failures[mid] = why
        self.counters.add("failed")

    def _set_fatal(self, message: str) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = message
        self.stop.set()

    def _release_kept(self) -> None:
        """ChangeMessageVisibility 0 for every message left in the queue by this run."""
        kept = list(self._keep.items())
        for start in range(0, len(kept), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, (_, handle) in enumerate(kept[start : start + 10])
            ]
            try:
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as exc:  # they come back when their visibility timeout ends
                print(f"warning: could not make messages visible again: {describe(exc)}",
                      file=sys.stderr)  # fmt: skip


def _error_text(response: dict[str, Any]) -> str:
    payload = response.get("Payload")
    raw = payload.read() if payload is not None and hasattr(payload, "read") else b""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return raw.decode(errors="replace")[:300]
    if isinstance(body, dict):
        return (
            f"{body.get('errorType', response['FunctionError'])}: {body.get('errorMessage', '')}"[
                :300
            ]
        )
    return str(body)[:300]


# --- the command --------------------------------------------------------------------------


def run(args: argparse.Namespace, stdout: TextIO | None = None) -> None:
    out = stdout or sys.stdout
    outputs = terraform_outputs(args.terraform_dir) if args.terraform_dir else {}
    queue_url = args.queue_url or outputs.get("dlq_url")
    if not queue_url:
        raise OperationError(
            "no queue: pass --queue-url, or --terraform-dir with a dlq_url output (the module "
            "outputs it when create_failure_queue is true)"
        )
    function = args.function or outputs.get("function_name")
    if args.concurrency < 1:
        raise OperationError("--concurrency must be at least 1")
    sess = session(args.region)
    sqs = client(sess, "sqs", pool=args.concurrency + 2)
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    except Exception as exc:
        code = error_code(exc)
        if code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise OperationError(f"no such queue: {queue_url}") from None
        raise OperationError(f"queue {queue_url}: {describe(exc)}") from None
    waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
    if args.dry_run:
        _dry_run(sqs, queue_url, waiting, out)
        return
    lam = client(sess, "lambda", pool=args.concurrency + 2, attempts=4, read_timeout=910)
    timeout = _function_timeout(lam, function)
    visibility = args.visibility_timeout or (timeout + 60 if timeout else 300)
    target = function or "the function named in each record"
    print(f"redrive {queue_url} (about {waiting:,} messages) -> {target}", file=out)
    engine = Redrive(
        sqs=sqs,
        lam=lam,
        queue_url=queue_url,
        function=function,
        visibility_timeout=visibility,
        concurrency=args.concurrency,
        limiter=RateLimiter(args.rate),
        maximum=args.max,
        progress_interval=args.progress_interval,
    )
    with Interrupts(engine.stop):
        summary = engine.run()
    rate = (summary.replayed + summary.failed) / summary.seconds if summary.seconds else 0.0
    print(f"{'received':12} {summary.received:,}", file=out)
    print(f"{'replayed':12} {summary.replayed:,} (function succeeded; deleted)", file=out)
    print(f"{'failed':12} {summary.failed:,} (left in the queue, visible again)", file=out)
    print(f"{'time':12} {duration(summary.seconds)} ({rate:,.1f}/s)", file=out)
    for mid, why in sorted(summary.failures.items())[:10]:
        print(f"  {mid}: {why}", file=out)
    if summary.fatal:
        raise OperationError(summary.fatal)
    if summary.interrupted:
        raise OperationError("interrupted; run the same command again to continue")
    if summary.failed:
        raise OperationError(
            f"{summary.failed:,} message(s) failed again and stay in {queue_url}; fix the cause "
            "and run redrive again"
        )


def _function_timeout(lam: Any, function: str | None) -> int | None:
    if not function:
        return None
    try:
        return int(lam.get_function_configuration(FunctionName=function)["Timeout"])
    except Exception as exc:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            raise OperationError(f"no such function: {function}") from None
        return None  # may invoke without lambda:GetFunctionConfiguration


def _dry_run(sqs: Any, queue_url: str, waiting: int, out: TextIO) -> None:
    print(f"dry run: about {waiting:,} messages in {queue_url}; nothing is invoked or deleted",
          file=out)  # fmt: skip
    seen: dict[str, str] = {}
    for _ in range(SHOW):
        if len(seen) >= min(SHOW, waiting):
            break
        reply = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        )
        messages = [m for m in reply.get("Messages", []) if m["MessageId"] not in seen]
        if not messages:
            break
        for message in messages[: SHOW - len(seen)]:
            seen[message["MessageId"]] = message["ReceiptHandle"]
            try:
                failed = unwrap(message.get("Body", ""))
                what = f"{failed.kind}: {describe_event(failed.event)}"
                if failed.condition:
                    what += f" [{failed.condition}]"
            except ValueError as exc:
                what = f"cannot redrive: {exc}"
            print(f"  {message['MessageId']}  {what}", file=out)
    handles = list(seen.values())
    for start in range(0, len(handles), 10):
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start : start + 10])
            ],
        )
