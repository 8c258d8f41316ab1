"""The backfill checkpoint: an append-only JSON-lines journal, fsync'd where it matters.

Records, in the order the backfill writes them::

    {"t": "run", "v": 1, "config": {...}}         first line: what this checkpoint is for
    {"t": "state", ...}                            after a resume: the compacted state
    {"t": "page", "last": K, "listed": N, "items": [[key, size, etag, time, version], ...]}
    {"t": "begin", "keys": [...]}                   written and fsync'd BEFORE those are sent
    {"t": "done", "ok": [...], "fail": [[key, error], ...]}   group-committed
    {"t": "redeliver", "keys": [...]}              re-sent after an interruption
    {"t": "listed"}                                 the listing reached its end
    {"t": "end"}                                    every matched object was sent

Why nothing is skipped: a page's items are written before any "begin" of them, and every
"begin" is on disk before the sends start, so after a crash (kill -9, power loss) every
listed key that has no "done ok" is still pending. Keys with a "begin" but no "done" may
have been delivered: they are sent again and counted as redeliveries (at least once). Keys
after the last page's ``last`` were never listed: the listing resumes after it. A torn last
line (the crash hit a write) is ignored; that write's action had not started.

On resume the journal is compacted (run + state, written to a temporary file, fsync'd and
renamed over the old one), so it holds only what is still pending.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

VERSION = 1
Item = list[Any]  # [key, size, etag, last-modified ISO 8601, version id or None]


class CheckpointError(ValueError):
    """The checkpoint cannot be used (other options, damaged): one ``error:`` line."""


@dataclass
class State:
    """What a journal says about a backfill."""

    last_key: str | None = None  # the last key listed (the listing resumes after it)
    listing_done: bool = False
    finished: bool = False
    listed: int = 0
    matched: int = 0
    sent: int = 0
    redelivered: int = 0
    pending: dict[str, Item] = field(default_factory=dict)  # matched, not yet sent OK
    begun: set[str] = field(default_factory=set)  # pending keys that may be in flight
    failed: dict[str, str] = field(default_factory=dict)  # pending keys whose send failed

    def apply(self, record: dict[str, Any]) -> None:
        kind = record.get("t")
        if kind == "state":
            self._restore(record)
        elif kind == "page":
            self.last_key = record["last"]
            self.listed += int(record.get("listed", 0))
            for item in record.get("items", []):
                if item[0] not in self.pending:
                    self.matched += 1
                self.pending[item[0]] = item
        elif kind == "begin":
            self.begun.update(k for k in record["keys"] if k in self.pending)
        elif kind == "done":
            self._done(record.get("ok", []), record.get("fail", []))
        elif kind == "redeliver":
            self.redelivered += len(record.get("keys", []))
        elif kind == "listed":
            self.listing_done = True
        elif kind == "end":
            self.finished = True

    def _restore(self, record: dict[str, Any]) -> None:
        self.last_key = record.get("last")
        self.listing_done = bool(record.get("listed_all"))
        for name in ("listed", "matched", "sent", "redelivered"):
            setattr(self, name, int(record.get(name, 0)))
        self.pending = {item[0]: item for item in record.get("pending", [])}
        self.begun = set(record.get("begun", []))
        self.failed = dict(record.get("failed", {}))

    def _done(self, ok: list[str], fail: list[list[str]]) -> None:
        for key in ok:
            if self.pending.pop(key, None) is not None:
                self.sent += 1
            self.begun.discard(key)
            self.failed.pop(key, None)
        for key, error in fail:
            self.begun.discard(key)
            if key in self.pending:
                self.failed[key] = error

    def record(self) -> dict[str, Any]:
        return {
            "t": "state",
            "last": self.last_key,
            "listed_all": self.listing_done,
            "listed": self.listed,
            "matched": self.matched,
            "sent": self.sent,
            "redelivered": self.redelivered,
            "pending": list(self.pending.values()),
            "begun": sorted(self.begun),
            "failed": self.failed,
        }


class Journal:
    """The checkpoint file of one backfill. Thread-safe: workers report, the main thread
    writes pages and begins.

    ``flush_every`` seconds / ``flush_items`` keys bound how many "done" entries a crash
    can lose (those keys are then re-sent and counted as redeliveries).
    """

    def __init__(
        self,
        path: Path,
        config: dict[str, Any],
        *,
        flush_every: float = 0.5,
        flush_items: int = 1000,
    ) -> None:
        self.path = path
        self.config = config
        self.flush_every = flush_every
        self.flush_items = flush_items
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._ok: list[str] = []
        self._fail: list[list[str]] = []
        self._last_flush = time.monotonic()

    # --- opening -------------------------------------------------------------------------

    def open(self, restart: bool = False) -> State:
        """Read the checkpoint (unless ``restart``), compact it, and open it for appending."""
        state = State()
        if self.path.exists() and not restart:
            state = self._read()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(_line({"t": "run", "v": VERSION, "config": self.config}))
            if state.last_key is not None or state.listing_done or state.pending:
                out.write(_line(state.record()))
            if state.finished:
                out.write(_line({"t": "end"}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        self._file = self.path.open("a", encoding="utf-8")
        return state

    def _read(self) -> State:
        state = State()
        with self.path.open(encoding="utf-8") as f:
            lines = f.read().split("\n")
        complete = lines[:-1]  # what follows the last newline is a torn write, if anything
        for number, text in enumerate(complete, 1):
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                raise CheckpointError(
                    f"checkpoint {self.path} is damaged at line {number}; pass --restart "
                    "to start over, or --checkpoint for another file"
                ) from None
            if number == 1:
                self._check_run(record)
            else:
                state.apply(record)
        if not complete:
            raise CheckpointError(f"checkpoint {self.path} is empty; pass --restart")
        return state

    def _check_run(self, record: dict[str, Any]) -> None:
        if record.get("t") != "run" or record.get("v") != VERSION:
            raise CheckpointError(
                f"{self.path} is not a version {VERSION} backfill checkpoint; pass --restart "
                "to overwrite it, or --checkpoint for another file"
            )
        if record.get("config") != self.config:
            theirs, ours = record.get("config") or {}, self.config
            differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
            raise CheckpointError(
                f"checkpoint {self.path} belongs to a backfill with other options "
                f"({', '.join(differ)} differ); pass --restart to discard it, or "
                "--checkpoint for another file"
            )

    # --- writing -------------------------------------------------------------------------

    def page(self, last: str, listed: int, items: Sequence[Item]) -> None:
        self._write({"t": "page", "last": last, "listed": listed, "items": list(items)}, False)

    def begin(self, keys: Sequence[str]) -> None:
        """Durable before returning: the caller sends ``keys`` after this."""
        self._write({"t": "begin", "keys": list(keys)}, True)

    def redeliver(self, keys: Sequence[str]) -> None:
        self._write({"t": "redeliver", "keys": list(keys)}, False)

    def done(self, ok: Sequence[str], failed: Sequence[tuple[str, str]] = ()) -> None:
        with self._lock:
            self._ok.extend(ok)
            self._fail.extend([k, e] for k, e in failed)
            due = time.monotonic() - self._last_flush >= self.flush_every
            if due or len(self._ok) + len(self._fail) >= self.flush_items:
                self._flush_done()

    def listing_complete(self) -> None:
        self._write({"t": "listed"}, True)

    def finished(self) -> None:
        self._write({"t": "end"}, True)

    def flush(self) -> None:
        with self._lock:
            self._flush_done()

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _write(self, record: dict[str, Any], sync: bool) -> None:
        with self._lock:
            if sync:
                self._flush_done(sync=False)  # "done" entries before the record, one fsync
            self._append(record, sync)

    def _flush_done(self, sync: bool = True) -> None:
        """Caller holds the lock."""
        self._last_flush = time.monotonic()
        if not self._ok and not self._fail:
            return
        record = {"t": "done", "ok": self._ok, "fail": self._fail}
        self._ok, self._fail = [], []
        self._append(record, sync)

    def _append(self, record: dict[str, Any], sync: bool) -> None:
        if self._file is None:
            raise RuntimeError("journal is not open")
        self._file.write(_line(record))
        self._file.flush()
        if sync:
            os.fsync(self._file.fileno())


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
