"""s3-lambda-trigger event|invoke: event generation round-trips through invoke."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from handler import parse_event

REPO = Path(__file__).resolve().parents[2]
KEY = "incoming/보고서 1.csv"


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3_lambda_trigger", *args], cwd=REPO, input=stdin,
        capture_output=True, text=True, encoding="utf-8", check=False,
    )  # fmt: skip


@pytest.mark.parametrize("shape", ["direct", "sqs", "sns", "sns-sqs", "eventbridge"])
@pytest.mark.parametrize("action", ["put", "delete"])
def test_event_round_trips_through_invoke(tmp_path: Path, shape: str, action: str) -> None:
    gen = cli("event", action, "--bucket", "my-bucket", "--key", KEY, "--size", "12",
              "--shape", shape, "--time", "2025-01-02T03:04:05Z")  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    event = json.loads(gen.stdout)
    [record] = parse_event(event)
    assert (record.bucket, record.key) == ("my-bucket", KEY)
    if shape not in ("eventbridge",):
        assert "incoming/%EB%B3%B4%EA%B3%A0%EC%84%9C+1.csv" in gen.stdout.replace("\\", "")
    path = tmp_path / "event.json"
    path.write_text(gen.stdout, encoding="utf-8")
    for source, stdin in ((str(path), None), ("-", gen.stdout)):
        run = cli("invoke", source, stdin=stdin)
        assert run.returncode == 0, run.stderr
        result: dict[str, Any] = json.loads(run.stdout)
        assert (result["processed"], result["failed"]) == (1, 0)
        assert ("batchItemFailures" in result) == (shape in ("sqs", "sns-sqs"))
        [line] = [json.loads(x) for x in run.stderr.splitlines()]
        assert line["message"] == "s3_object" and line["key"] == KEY
        assert line["eventName"] == (
            "ObjectCreated:Put" if action == "put" else "ObjectRemoved:Delete"
        )
        assert line["size"] == (12 if action == "put" else None)


def test_invoke_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    for args, stdin, expected in [
        (("invoke", str(bad)), None, "error: S3EventError: event: not an S3 event"),
        (("invoke", "-"), "{not json", "error: JSONDecodeError"),
        (("invoke", str(tmp_path / "missing.json")), None, "error: FileNotFoundError"),
    ]:
        run = cli(*args, stdin=stdin)
        assert run.returncode == 1
        errors = [x for x in run.stderr.splitlines() if x.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith(expected), run.stderr
        assert "Traceback" not in run.stderr


def test_usage_errors_exit_nonzero() -> None:
    run = cli("event", "put", "--key", "k")
    assert run.returncode == 2 and "--bucket" in run.stderr and "Traceback" not in run.stderr
