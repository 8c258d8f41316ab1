"""Counters, a rate limiter and a progress display for the long-running commands.

``backfill`` and ``redrive`` share them: thread-safe counters that workers bump, a token
bucket that paces sends (``--rate``), and a display that redraws a bar with the rate and
ETA on a terminal, or prints a plain line every ``interval`` seconds when stderr is not a
terminal (CI logs, pipes). Standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, TextIO

Clock = Callable[[], float]


class Counters:
    """Named integer counters, safe to bump from several threads."""

    def __init__(self, names: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(names, 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] = self._values.get(name, 0) + amount

    def set(self, name: str, value: int) -> None:
        with self._lock:
            self._values[name] = value

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._values.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)


class RateLimiter:
    """A token bucket: ``acquire(n)`` returns once n more units fit in ``rate`` per second.

    ``rate`` None or <= 0 means no limit. Callers reserve tokens under a lock and sleep
    outside it, so several threads are paced together; at most ``burst`` units (default 1)
    go out at once after an idle spell.
    """

    def __init__(
        self,
        rate: float | None,
        burst: float = 1.0,
        clock: Clock = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate if rate and rate > 0 else None
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._last = clock()

    def acquire(self, n: int = 1) -> float:
        """Wait until ``n`` units may go; returns the seconds waited."""
        if self.rate is None or n <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


def duration(seconds: float) -> str:
    """``0:07``, ``12:03``, ``1:02:03``."""
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """Shows ``done`` out of ``total`` (unknown while listing) with rate and ETA.

    ``line()`` builds the text from a counters snapshot: ``describe(counts)`` gives the
    counter part, ``done(counts)`` the units finished and ``total()`` the units expected
    (None while unknown). On a terminal a background thread redraws one line 5 times a
    second; otherwise it prints a plain line every ``interval`` seconds. ``stop()`` ends
    the display (and on a terminal leaves the last line).
    """

    WIDTH = 24

    def __init__(
        self,
        label: str,
        counters: Counters,
        done: Callable[[dict[str, int]], int],
        describe: Callable[[dict[str, int]], str],
        total: Callable[[], int | None] = lambda: None,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        interval: float = 10.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.label = label
        self.counters = counters
        self._done = done
        self._describe = describe
        self._total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self._clock = clock
        self._started = clock()
        self._base = 0  # units already done before this run (resumed work)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def start(self, already_done: int = 0) -> None:
        self._base = already_done
        self._started = self._clock()
        if self.interval <= 0 and not self.tty:
            return
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[K" + self.line() + "\n")
            self.stream.flush()

    def rate(self, counts: dict[str, int] | None = None) -> float:
        """Units per second in this run."""
        counts = counts if counts is not None else self.counters.snapshot()
        elapsed = self._clock() - self._started
        done = self._done(counts) - self._base
        return done / elapsed if elapsed > 0 and done > 0 else 0.0

    def line(self) -> str:
        counts = self.counters.snapshot()
        done = self._done(counts)
        total = self._total()
        rate = self.rate(counts)
        parts = [self._describe(counts), f"{rate:,.0f}/s"]
        if total is not None:
            left = max(total - done, 0)
            parts.append(f"ETA {duration(left / rate)}" if rate > 0 and left else "ETA -")
        text = ", ".join(parts)
        if not self.tty:
            return f"{self.label}: {text}"
        if total:
            filled = min(self.WIDTH, self.WIDTH * done // total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            return f"{self.label} [{bar}] {100 * done // total:3d}% {text}"
        return f"{self.label} [{'?' * 3:^{self.WIDTH}}] {text}"

    def _loop(self) -> None:
        period = 0.2 if self.tty else self.interval
        while not self._stop.wait(period):
            if self.tty:
                self.stream.write("\r\x1b[K" + self.line())
                self._drawn = True
            else:
                self.stream.write(self.line() + "\n")
            self.stream.flush()


class Interrupts:
    """While active: the first Ctrl-C (or SIGTERM) sets ``stop`` (the command finishes what
    is in flight and writes what it must); a second one quits at once (exit status 130)."""

    def __init__(self, stop: threading.Event, stream: TextIO | None = None) -> None:
        self.stop = stop
        self.stream = stream
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self._handle)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            os._exit(130)
        self.stop.set()
        print(
            "\ninterrupted: finishing the work in flight (Ctrl-C again to quit at once)",
            file=self.stream or sys.stderr,
            flush=True,
        )
