"""``s3-lambda-trigger backfill``: deliver the objects already in the bucket to the function.

Lists the bucket's objects that match the module's rules (``--terraform-dir``: the
``notification_rules`` output, else the state; or ``--prefix``/``--suffix``), optionally only
those modified in a time range, and sends each as the ObjectCreated:Put notification record
S3 would have sent (handler.batch_operations.existing_object_record: URL-encoded key, size,
eTag, versionId; ``s3.configurationId`` "s3-lambda-trigger-backfill", so
``record.is_backfill``; eventTime = LastModified, so the idempotency keys are the same on
every run). Delivery: asynchronous invokes of the function (``--records-per-event``
records in each, 10 by default) from ``--concurrency`` threads at most ``--rate`` objects
per second, or SendMessageBatch into the queue (``--queue-url``, or the
``queue_url`` output of an sqs-mode deployment).

A checkpoint (s3_lambda_trigger.checkpoint) makes an interrupted run (Ctrl-C, kill -9)
resume where it stopped when the same command is run again: nothing is skipped, and what
may have been in flight is sent again and counted as redelivered.
``--batch-operations`` creates S3 Batch Operations jobs instead (s3_lambda_trigger.batch_job).

Modules: ``plan`` (bucket, rules, target), ``listing``, ``checkpoint``, ``delivery``,
``engine`` (the run), ``batch_job``; this one is the command: options, dry run, summary.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from . import batch_job
from .checkpoint import CheckpointError, Journal
from .delivery import LambdaEventSender, QueueSender, Sender
from .deployment import OperationError, client, describe, error_code, session
from .engine import Backfill, Summary
from .listing import pages
from .plan import CACHE_ENV, Plan, bucket_region, checkpoint_path, lists_versions, plan
from .progress import Interrupts, RateLimiter, duration

DEFAULT_CONCURRENCY = 16
DEFAULT_RATE = 100.0
DEFAULT_RECORDS_PER_EVENT = 10
SHOW = 20

EPILOG = """\
examples:
  # every object the module's rules match (rules, bucket and function from terraform output):
  s3-lambda-trigger backfill --terraform-dir infra/

  # what would be sent, without sending:
  s3-lambda-trigger backfill --terraform-dir infra/ --dry-run

  # explicit rules (one per --prefix/--suffix pair), objects of 2025 only, 50 per second:
  s3-lambda-trigger backfill --bucket my-bucket --function my-fn \\
      --prefix incoming/ --suffix .csv --prefix archive/ --suffix .csv.gz \\
      --modified-since 2025-01-01 --modified-before 2026-01-01 --rate 50

  # interrupted (Ctrl-C, kill -9, lost connection)? run the same command again: it resumes.
  # start over instead: add --restart.

  # millions of objects: S3 Batch Operations jobs (module: create_batch_operations_role = true)
  s3-lambda-trigger backfill --terraform-dir infra/ --batch-operations

what the function receives: one ObjectCreated:Put record per object, as S3 sends it (key
URL-encoded, size, eTag, versionId), with s3.configurationId "s3-lambda-trigger-backfill"
(handler: record.is_backfill) and eventTime = the object's LastModified, so a record's
idempotency key is the same on every run.

exit status: 0 when every matched object was sent; 1 when any failed (rerun to retry them),
the run was interrupted (rerun to resume), or on an error.
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``backfill`` and its options to the command's subparsers."""
    p = sub.add_parser(
        "backfill",
        help="send the objects already in the bucket to the function (resumable)",
        description="Send every existing object that matches the module's rules to the "
        "function as the ObjectCreated event S3 would have sent, with a checkpoint so an "
        "interrupted run resumes where it stopped.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = p.add_argument_group("what to send")
    src.add_argument(
        "--terraform-dir",
        type=Path,
        metavar="DIR",
        help="a Terraform root that uses the module: bucket, rules and function from its "
        "outputs (bucket_name, notification_rules, function_name/function_arn, queue_url) or "
        "else its state",
    )
    src.add_argument("--bucket", help="the bucket (default: the bucket_name output)")
    src.add_argument(
        "--prefix",
        action="append",
        default=[],
        metavar="PREFIX",
        help="key prefix of a rule (repeatable; paired in order with --suffix); replaces the "
        "Terraform rules",
    )
    src.add_argument(
        "--suffix",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="key suffix of a rule (repeatable)",
    )
    src.add_argument(
        "--modified-since",
        type=timestamp,
        metavar="TIME",
        help="only objects last modified at or after TIME (ISO 8601, e.g. 2025-01-31 or "
        "2025-01-31T12:00:00Z; UTC if no offset)",
    )
    src.add_argument(
        "--modified-before", type=timestamp, metavar="TIME", help="only objects modified before"
    )
    dst = p.add_argument_group("where to send")
    dst.add_argument(
        "--function",
        metavar="NAME|ARN",
        help="invoke this function (default: the function_name output)",
    )
    dst.add_argument(
        "--queue-url",
        metavar="URL",
        help="send into this SQS queue instead (default: the queue_url output, when the "
        "deployment has one)",
    )
    dst.add_argument("--region", help="AWS region (default: AWS_REGION / your profile's)")
    run = p.add_argument_group("how")
    run.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="sends in parallel (default: %(default)s)",
    )
    run.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        metavar="N",
        help="at most N objects per second; 0 for no limit (default: %(default)s)",
    )
    run.add_argument(
        "--records-per-event",
        type=int,
        choices=range(1, LambdaEventSender.MAX_RECORDS + 1),
        default=DEFAULT_RECORDS_PER_EVENT,
        metavar="N",
        help="records in one invocation's event (default: %(default)s, up to "
        f"{LambdaEventSender.MAX_RECORDS}; 1 sends them as S3 does). Fewer invocations, but "
        "a record that fails makes Lambda retry, and the on-failure queue keep, the whole "
        "event: its other records are processed again (same idempotency keys)",
    )
    run.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help=f"checkpoint file (default: under ${CACHE_ENV} or ~/.cache/s3-lambda-trigger/"
        "backfill/, named after the bucket and a hash of the options)",
    )
    run.add_argument(
        "--restart", action="store_true", help="ignore the checkpoint and send everything again"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help=f"list and count the matching objects, print the first {SHOW}; send nothing",
    )
    run.add_argument(
        "--progress-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="when stderr is not a terminal, a progress line every SECONDS (default: "
        "%(default)s; 0: none)",
    )
    bo = p.add_argument_group("S3 Batch Operations (instead of sending from this machine)")
    bo.add_argument(
        "--batch-operations",
        action="store_true",
        help="create S3 Batch Operations job(s) that invoke the function for each object",
    )
    bo.add_argument(
        "--manifest",
        choices=("generate", "csv"),
        default="generate",
        help="generate: S3 lists the bucket (one job per rule); csv: list here, upload a CSV "
        "manifest, one job (default: %(default)s)",
    )
    bo.add_argument(
        "--role-arn", help="the job's IAM role (default: the batch_operations_role_arn output)"
    )
    bo.add_argument("--function-arn", help="the function's ARN (default: the function_arn output)")
    bo.add_argument(
        "--report-bucket",
        help="completion reports go here (default: the batch_operations_report_bucket output, "
        "else the bucket)",
    )
    bo.add_argument(
        "--report-prefix",
        help="under this prefix (default: the batch_operations_report_prefix output, else "
        f"{batch_job.DEFAULT_REPORT_PREFIX})",
    )


def timestamp(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# --- the command --------------------------------------------------------------------------


def run(args: argparse.Namespace, stdout: TextIO | None = None) -> None:
    out = stdout or sys.stdout
    the_plan = plan(args)
    sess = session(args.region)
    if args.batch_operations:
        batch_job.create(args, the_plan, sess, out)
        return
    s3 = client(sess, "s3", pool=4)
    region = bucket_region(s3, the_plan.bucket, sess.region_name)
    print(
        f"backfill s3://{the_plan.bucket}, rules: {', '.join(map(str, the_plan.rules))}", file=out
    )
    if the_plan.window.since or the_plan.window.before:
        since = the_plan.window.since.isoformat() if the_plan.window.since else "-"
        before = the_plan.window.before.isoformat() if the_plan.window.before else "-"
        print(f"modified from {since} to before {before}", file=out)
    versioned = lists_versions(s3, the_plan.bucket)
    if args.dry_run:
        _dry_run(s3, the_plan, versioned, out)
        return
    sender = _sender(sess, the_plan, args.concurrency, args.records_per_event)
    config = the_plan.config(region)
    path = args.checkpoint or checkpoint_path(config)
    journal = Journal(path, config)
    try:
        state = journal.open(restart=args.restart)
    except CheckpointError as exc:
        raise OperationError(str(exc)) from None
    print(f"to {sender.describe()}", file=out)
    print(f"checkpoint: {path}", file=out)
    try:
        if state.finished:
            print(
                "this backfill already completed (the checkpoint says so); nothing to do. "
                "Pass --restart to send every object again.",
                file=out,
            )
            summary = Summary(state.listed, state.matched, state.sent, 0, state.redelivered)
        else:
            if state.last_key is not None or state.pending:
                print(
                    f"resuming: {state.sent:,} sent before, {len(state.pending):,} pending "
                    f"({len(state.begun):,} possibly in flight: sent again)",
                    file=out,
                )
            engine = Backfill(
                s3=s3,
                bucket=the_plan.bucket,
                region=region,
                rule_set=the_plan.rules,
                window=the_plan.window,
                versioned=versioned,
                sender=sender,
                journal=journal,
                state=state,
                concurrency=args.concurrency,
                limiter=RateLimiter(args.rate),
                progress_interval=args.progress_interval,
            )
            with Interrupts(engine.stop):
                summary = engine.run()
    finally:
        journal.close()
    _print_summary(summary, path, out)
    if summary.fatal:
        raise OperationError(summary.fatal)
    if summary.interrupted:
        raise OperationError(
            f"interrupted after {summary.sent:,} of {summary.matched:,} objects; run the same "
            "command again to resume"
        )
    if summary.failed:
        key, error = next(iter(sorted(summary.failures.items())))
        raise OperationError(
            f"{summary.failed:,} object(s) failed (first: {key}: {error}); run the same command "
            "again to retry them"
        )


def _sender(sess: Any, the_plan: Plan, concurrency: int, records_per_event: int = 1) -> Sender:
    if the_plan.queue_url:
        sqs = client(sess, "sqs", pool=concurrency + 2)
        try:
            sqs.get_queue_attributes(QueueUrl=the_plan.queue_url, AttributeNames=["QueueArn"])
        except Exception as exc:
            raise OperationError(f"queue {the_plan.queue_url}: {describe(exc)}") from None
        return QueueSender(sqs, the_plan.queue_url)
    if the_plan.function is None:
        raise OperationError("no function: pass --function or --queue-url")
    lam = client(sess, "lambda", pool=concurrency + 2)
    try:
        lam.get_function_configuration(FunctionName=the_plan.function)
    except Exception as exc:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            raise OperationError(f"no such function: {the_plan.function}") from None
        if code not in ("AccessDeniedException", "AccessDenied"):  # may invoke but not read
            raise OperationError(f"function {the_plan.function}: {describe(exc)}") from None
    return LambdaEventSender(lam, the_plan.function, records_per_event)


def _dry_run(s3: Any, the_plan: Plan, versioned: bool, out: TextIO) -> None:
    listed = matched = 0
    first: list[str] = []
    try:
        for page in pages(s3, the_plan.bucket, the_plan.rules, window=the_plan.window,
                          versioned=versioned):  # fmt: skip
            listed += page.listed
            matched += len(page.items)
            first.extend(e[0] for e in page.items[: SHOW - len(first)])
    except Exception as exc:
        raise OperationError(f"listing s3://{the_plan.bucket}: {describe(exc)}") from None
    target = (
        f"queue {the_plan.queue_url}" if the_plan.queue_url else f"function {the_plan.function}"
    )
    print(
        f"dry run: {matched:,} of {listed:,} listed objects match; would send to {target}", file=out
    )
    for key in first:
        print(f"  {key}", file=out)
    if matched > len(first):
        print(f"  ... and {matched - len(first):,} more", file=out)


def _print_summary(summary: Summary, path: Path, out: TextIO) -> None:
    rate = summary.sent_this_run / summary.seconds if summary.seconds > 0 else 0.0
    rows = [
        ("listed", f"{summary.listed:,}"),
        ("matched", f"{summary.matched:,}"),
        ("sent", f"{summary.sent:,}"),
        ("failed", f"{summary.failed:,}"),
        (
            "redelivered",
            f"{summary.redelivered:,} (sent again: after an interruption or an SDK retry)",
        ),
        (
            "this run",
            f"{summary.sent_this_run:,} sent in {duration(summary.seconds)} ({rate:,.0f}/s)",
        ),
    ]
    for name, value in rows:
        print(f"{name:12} {value}", file=out)
    for key, error in sorted(summary.failures.items())[:10]:
        print(f"  failed: {key}: {error}", file=out)
    if summary.interrupted or summary.failed or summary.fatal:
        print(f"checkpoint {path}: run the same command again to continue", file=out)
