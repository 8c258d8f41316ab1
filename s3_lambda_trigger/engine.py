"""The backfill run: lists (in a thread), journals, and sends (in a pool) until done or stopped.

Ordering that makes a crash lose nothing (see s3_lambda_trigger.checkpoint): a listed page is
journaled before its objects are dispatched; a chunk's keys are journaled (fsync'd "begin")
before they are sent; results are group-committed. Objects pending from an earlier run go
first: those that may have been in flight are recorded as redeliveries.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

from handler.batch_operations import existing_object_record

from .checkpoint import Item, Journal, State
from .delivery import FatalDeliveryError, Sender, Sent
from .deployment import describe
from .listing import Page, Window, pages
from .progress import Counters, Progress, RateLimiter
from .rules import Rule


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def document(bucket: str, region: str, entry: Item) -> dict[str, Any]:
    """The notification ({"Records": [record]}) for a listed object."""
    key, size, etag, modified, version = entry
    record = existing_object_record(
        bucket,
        key,
        size=size,
        etag=etag,
        last_modified=datetime.fromisoformat(modified),
        version_id=version,
        region=region,
        partition=partition(region),
    )
    return {"Records": [record]}


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Summary:
    listed: int = 0
    matched: int = 0
    sent: int = 0
    failed: int = 0
    redelivered: int = 0
    sent_this_run: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    fatal: str | None = None
    failures: dict[str, str] = field(default_factory=dict)


class Backfill:
    """Lists (in a thread), journals, and sends (in a pool) until done or stopped."""

    QUEUE_PAGES = 2  # listed pages waiting to be sent

    def __init__(
        self,
        *,
        s3: Any,
        bucket: str,
        region: str,
        rule_set: Sequence[Rule],
        window: Window,
        versioned: bool,
        sender: Sender,
        journal: Journal,
        state: State,
        concurrency: int,
        limiter: RateLimiter,
        stream: TextIO | None = None,
        tty: bool | None = None,
        progress_interval: float = 10.0,
    ) -> None:
        self.s3, self.bucket, self.region = s3, bucket, region
        self.rules, self.window, self.versioned = rule_set, window, versioned
        self.sender, self.journal, self.state = sender, journal, state
        self.concurrency, self.limiter = concurrency, limiter
        self.stop = threading.Event()
        self.counters = Counters(("listed", "matched", "sent", "failed", "redelivered", "new"))
        for name in ("listed", "matched", "sent", "redelivered"):
            self.counters.set(name, getattr(state, name))
        self.failures: dict[str, str] = dict(state.failed)
        self.counters.set("failed", len(self.failures))
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrency * 2)
        self._fatal: str | None = None
        self._listing_done = state.listing_done
        self.progress = Progress(
            "backfill",
            self.counters,
            done=lambda c: c["sent"] + c["failed"],
            describe=lambda c: (
                f"listed {c['listed']:,}, matched {c['matched']:,}, sent {c['sent']:,}, "
                f"failed {c['failed']:,}"
            ),
            total=lambda: self.counters["matched"] if self._listing_done else None,
            stream=stream,
            tty=tty,
            interval=progress_interval,
        )

    # --- main thread ----------------------------------------------------------------------

    def run(self) -> Summary:
        started = time.monotonic()
        self.progress.start(already_done=self.state.sent)
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="send")
        lister: threading.Thread | None = None
        try:
            pending = self.state.pending
            again = [pending[k] for k in sorted(self.state.begun)]
            rest = [v for k, v in sorted(pending.items()) if k not in self.state.begun]
            self._dispatch(pool, again, redelivery=True)
            self._dispatch(pool, rest, redelivery=False)
            if not self.state.listing_done:
                pages_queue: queue.Queue[list[Item] | BaseException | None] = queue.Queue(
                    self.QUEUE_PAGES
                )
                lister = threading.Thread(
                    target=self._list, args=(pages_queue,), name="list", daemon=True
                )
                lister.start()
                while not self.stop.is_set():
                    try:
                        got = pages_queue.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    if got is None:
                        break
                    if isinstance(got, BaseException):
                        self._fail_fatal(f"listing s3://{self.bucket}: {describe(got)}")
                        break
                    self._dispatch(pool, got, redelivery=False)
        finally:
            pool.shutdown(wait=True)
            if lister is not None:
                lister.join(timeout=30)  # it stops at its next page once stop is set
            self.journal.flush()
            self.progress.stop()
        interrupted = self.stop.is_set() and self._fatal is None
        counts = self.counters.snapshot()
        if not interrupted and self._fatal is None and not self.failures and self._listing_done:
            self.journal.finished()
        return Summary(
            listed=counts["listed"],
            matched=counts["matched"],
            sent=counts["sent"],
            failed=len(self.failures),
            redelivered=counts["redelivered"],
            sent_this_run=counts["new"],
            seconds=time.monotonic() - started,
            interrupted=interrupted,
            fatal=self._fatal,
            failures=dict(self.failures),
        )

    def _dispatch(
        self, pool: ThreadPoolExecutor, entries: Sequence[Item], redelivery: bool
    ) -> None:
        size = self.concurrency * self.sender.batch_size
        for start in range(0, len(entries), size):
            if self.stop.is_set():
                return
            chunk = entries[start : start + size]
            self.limiter.acquire(len(chunk))
            keys = [e[0] for e in chunk]
            if redelivery:
                self.journal.redeliver(keys)
                self.counters.add("redelivered", len(keys))
            self.journal.begin(keys)
            for b in range(0, len(chunk), self.sender.batch_size):
                while not self._slots.acquire(timeout=0.2):
                    if self.stop.is_set() and self._fatal is not None:
                        return
                future: Future[None] = pool.submit(
                    self._send, chunk[b : b + self.sender.batch_size]
                )
                future.add_done_callback(lambda _: self._slots.release())

    # --- threads --------------------------------------------------------------------------

    def _list(self, out: queue.Queue[list[Item] | BaseException | None]) -> None:
        try:
            for page in self._pages():
                if self.stop.is_set():
                    return
                self.journal.page(page.last, page.listed, page.items)
                self.counters.add("listed", page.listed)
                self.counters.add("matched", len(page.items))
                if page.items:
                    self._put(out, page.items)
            self.journal.listing_complete()
            self._listing_done = True
            self._put(out, None)
        except Exception as exc:  # handed to the main thread
            self._put(out, exc)

    def _put(
        self,
        out: queue.Queue[list[Item] | BaseException | None],
        value: list[Item] | BaseException | None,
    ) -> None:
        while not self.stop.is_set():
            try:
                out.put(value, timeout=0.2)
                return
            except queue.Full:
                continue

    def _pages(self) -> Iterator[Page]:
        return pages(
            self.s3,
            self.bucket,
            self.rules,
            window=self.window,
            start_after=self.state.last_key,
            versioned=self.versioned,
        )

    def _send(self, batch: Sequence[Item]) -> None:
        try:
            docs = [(e[0], document(self.bucket, self.region, e)) for e in batch]
            outcome = self.sender.send(docs)
        except FatalDeliveryError as exc:
            self._fail_fatal(str(exc))
            return  # the batch stays "begun": a resumed run sends it again
        except Exception as exc:
            outcome = [Sent(e[0], describe(exc)) for e in batch]
        ok = [s.key for s in outcome if s.error is None]
        failed = [(s.key, s.error) for s in outcome if s.error is not None]
        twice = [s.key for s in outcome if s.error is None and s.retried]
        if twice:  # the SDK re-sent them: the first request may have been accepted as well
            self.journal.redeliver(twice)
            self.counters.add("redelivered", len(twice))
        self.journal.done(ok, failed)
        with self._lock:
            for key in ok:
                self.failures.pop(key, None)
            for key, error in failed:
                self.failures[key] = error
            self.counters.set("failed", len(self.failures))
        self.counters.add("sent", len(ok))
        self.counters.add("new", len(ok))

    def _fail_fatal(self, message: str) -> None:
        with self._lock:
            if self._fatal is None:
                self._fatal = message
        self.stop.set()
