"""backfill checkpoint: interrupted runs resume without skipping, repeats only as redeliveries.

Crashes are simulated at the points that matter: after objects were sent but before their
"done" reached the journal (kill -9 between send and record), after a page was journaled but
before any of it was sent, inside a write (a torn last line), and by Ctrl-C. The real
SIGKILL of a running command is tests/integration/test_operations.py.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from s3_lambda_trigger import backfill, cli, plan
from s3_lambda_trigger.checkpoint import CheckpointError, Journal
from s3_lambda_trigger.delivery import LambdaEventSender
from s3_lambda_trigger.engine import Backfill, Summary
from s3_lambda_trigger.listing import Window, item
from s3_lambda_trigger.progress import RateLimiter
from s3_lambda_trigger.rules import Rule
from tests.unit.test_backfill import BUCKET, REGION, FakeLambda, aws, put, s3

__all__ = ["aws", "s3"]  # fixtures

CONFIG = {"test": "checkpoint"}
KEYS = [f"in/{i:04d}.csv" for i in range(300)]


class LossyJournal(Journal):
    """A journal that stops recording "done" once ``lose`` is set: the process 'died' after
    those sends and before their records reached the disk."""

    lose = False

    def done(self, ok: Sequence[str], failed: Sequence[tuple[str, str]] = ()) -> None:
        if not self.lose:
            super().done(ok, failed)


class CrashingSender(LambdaEventSender):
    """Sends normally; after ``after`` objects, the journal loses its records and the run is
    stopped (as if killed; the engine's graceful stop stands in for the process dying)."""

    def __init__(self, fake: FakeLambda, journal: LossyJournal, after: int) -> None:
        super().__init__(fake, "fn")
        self.journal, self.after = journal, after
        self.engine: Backfill | None = None
        self.count = 0
        self.lock = threading.Lock()

    def send(self, batch: Any) -> Any:
        out = super().send(batch)
        with self.lock:
            self.count += len(batch)
            if self.count >= self.after:
                self.journal.lose = True
                assert self.engine is not None
                self.engine.stop.set()
        return out


def make_engine(s3: Any, path: Path, sender: Any, journal: Journal | None = None) -> Any:
    journal = journal or Journal(path, CONFIG)
    state = journal.open()
    return Backfill(
        s3=s3, bucket=BUCKET, region=REGION, rule_set=[Rule("in/")], window=Window(),
        versioned=False, sender=sender, journal=journal, state=state, concurrency=4,
        limiter=RateLimiter(None), tty=False, progress_interval=0,
    )  # fmt: skip


def finish(engine: Any) -> Summary:
    try:
        summary: Summary = engine.run()
        return summary
    finally:
        engine.journal.close()


def redelivered_keys(path: Path) -> set[str]:
    keys: set[str] = set()
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record.get("t") == "redeliver":
            keys.update(record["keys"])
    return keys


def test_crash_between_sent_and_recorded_resends_them_as_redeliveries(
    s3: Any, tmp_path: Path
) -> None:
    put(s3, KEYS)
    path = tmp_path / "ckpt.jsonl"
    fake = FakeLambda()
    journal = LossyJournal(path, CONFIG)
    sender = CrashingSender(fake, journal, after=120)
    first = make_engine(s3, path, sender, journal)
    sender.engine = first
    summary = finish(first)
    assert summary.interrupted
    with path.open("a") as f:
        f.write('{"t":"done","ok":["in/00')  # torn: the crash hit this write

    second = make_engine(s3, path, LambdaEventSender(fake, "fn"))
    resumed = finish(second)

    counts = Counter(fake.keys())
    assert set(counts) == set(KEYS), "an object was skipped"
    repeated = {k for k, n in counts.items() if n > 1}
    assert repeated, "the lost records must make some objects go twice"
    assert repeated <= redelivered_keys(path)
    assert all(n <= 2 for n in counts.values())
    assert resumed.redelivered == len(redelivered_keys(path)) >= len(repeated)
    assert (resumed.matched, resumed.sent, resumed.failed) == (300, 300, 0)
    assert not resumed.interrupted
    # the resumed run compacted the journal: run, then state, then this run's records
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["t"] for r in lines[:2]] == ["run", "state"] and lines[-1] == {"t": "end"}


def test_page_journaled_but_never_begun_is_sent_without_redelivery(s3: Any, tmp_path: Path) -> None:
    put(s3, KEYS[:10])
    path = tmp_path / "ckpt.jsonl"
    journal = Journal(path, CONFIG)
    journal.open()
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    journal.page(
        listed[4]["Key"],
        5,
        [item(o["Key"], o["Size"], o["ETag"], o["LastModified"], None) for o in listed[:5]],
    )
    journal.begin([listed[0]["Key"]])
    journal.done([listed[0]["Key"]])
    journal.begin([listed[1]["Key"]])  # in flight when the process died
    journal.close()

    fake = FakeLambda()
    summary = finish(make_engine(s3, path, LambdaEventSender(fake, "fn")))
    assert sorted(fake.keys()) == KEYS[1:10]  # KEYS[0] was recorded as sent
    assert summary.redelivered == 1 and redelivered_keys(path) == {KEYS[1]}
    assert (summary.listed, summary.matched, summary.sent) == (10, 10, 10)


def test_finished_checkpoint_sends_nothing_until_restart(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    put(s3, KEYS[:5])
    fake = FakeLambda()
    monkeypatch.setattr(backfill, "_sender", lambda *a: LambdaEventSender(fake, "fn"))
    argv = ["backfill", "--bucket", BUCKET, "--function", "fn", "--prefix", "in/",
            "--checkpoint", str(tmp_path / "c.jsonl"), "--progress-interval", "0"]  # fmt: skip
    assert cli.main(argv) == 0
    assert cli.main(argv) == 0
    assert len(fake.calls) == 5
    assert "already completed" in capsys.readouterr().out
    assert cli.main([*argv, "--restart"]) == 0
    assert len(fake.calls) == 10


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    put(s3, KEYS)
    fake = FakeLambda()

    class CtrlC(LambdaEventSender):
        sent = 0

        def send(self, batch: Any) -> Any:
            CtrlC.sent += len(batch)
            if CtrlC.sent == 50:
                os.kill(os.getpid(), signal.SIGINT)
            return super().send(batch)

    monkeypatch.setattr(backfill, "_sender", lambda *a: CtrlC(fake, "fn"))
    argv = ["backfill", "--bucket", BUCKET, "--function", "fn", "--prefix", "in/",
            "--checkpoint", str(tmp_path / "c.jsonl"), "--progress-interval", "0",
            "--concurrency", "2"]  # fmt: skip
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "interrupted: finishing the work in flight" in err
    assert err.strip().splitlines()[-1].startswith("error: interrupted after ")
    assert err.strip().splitlines()[-1].endswith("run the same command again to resume")
    assert 50 <= len(fake.calls) < 300

    monkeypatch.setattr(backfill, "_sender", lambda *a: LambdaEventSender(fake, "fn"))
    assert cli.main(argv) == 0
    counts = Counter(fake.keys())
    assert set(counts) == set(KEYS) and max(counts.values()) == 1  # a clean stop loses nothing
    assert "resuming: " in capsys.readouterr().out


def test_checkpoint_of_other_options_or_damaged_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    journal = Journal(path, {"bucket": "a", "rules": [["in/", ""]]})
    journal.open()
    journal.close()
    with pytest.raises(CheckpointError, match=r"other options \(bucket differ\)"):
        Journal(path, {"bucket": "b", "rules": [["in/", ""]]}).open()
    Journal(path, {"bucket": "b", "rules": [["in/", ""]]}).open(restart=True)  # --restart

    path.write_text(json.dumps({"t": "run", "v": 1, "config": CONFIG}) + "\n{oops\n{}\n")
    with pytest.raises(CheckpointError, match="damaged at line 2"):
        Journal(path, CONFIG).open()


def test_checkpoint_path_is_stable_per_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_LAMBDA_TRIGGER_CACHE", "/cache")
    a = plan.checkpoint_path({"bucket": "b", "x": 1})
    assert a == plan.checkpoint_path({"x": 1, "bucket": "b"})
    assert a != plan.checkpoint_path({"bucket": "b", "x": 2})
    assert str(a).startswith("/cache/backfill/b-")
