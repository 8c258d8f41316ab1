"""backfill and redrive on the emulator: the fault tests of issue 11.

(a) a backfill of 500 objects killed with SIGKILL midway, then resumed, delivers every
    object (counted by the handler's log line per key), repeats only as recorded redeliveries;
(b) a redrive while the function still fails for one object leaves exactly that message in
    the on-failure queue (the others, in both message shapes, are replayed and deleted);
(c) a redrive after the fix empties the queue.

The commands run as subprocesses (`python -m s3_lambda_trigger ...`), as a user runs them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from localstack_client.session import Session

from s3_lambda_trigger.samples import make_event
from tests.integration.support import destroy
from tools.stack import REGION, REPO, Stack, endpoint, log_records, wait_for

STACK = Path(__file__).parent / "stacks" / "operations"
OBJECTS = int(os.environ.get("BACKFILL_OBJECTS", "500"))


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_ENDPOINT_URL=endpoint(),
        AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        PYTHONUNBUFFERED="1",
    )
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "s3_lambda_trigger", *args]


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(*args), cwd=REPO, env=cli_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def ops(aws: Session, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    build = tmp_path_factory.mktemp("ops")
    package = build / "ops.zip"
    subprocess.run(
        command("package", "--source", str(STACK / "ops_processor.py"), "--output", str(package)),
        cwd=REPO, check=True, capture_output=True,
    )  # fmt: skip
    name = f"it-ops-{uuid.uuid4().hex[:8]}"
    # a private working copy: its own state, so parallel runs of this file do not collide
    stack = Stack.copy_of(STACK, build / "stack", {"name": name, "package_file": str(package)})
    stack.init()
    outputs: dict[str, Any] = {}
    try:
        outputs = stack.apply()
        yield {**outputs, "terraform_dir": str(stack.directory)}
    finally:
        if outputs:
            destroy(aws, stack, outputs["bucket_name"])  # MiniStack needs '+' keys removed
        else:
            stack.destroy()


def handled(aws: Session, group: str, fragment: str) -> list[dict[str, Any]]:
    return [r for r in log_records(aws.client("logs"), group) if fragment in r["key"]]


def set_fail_markers(aws: Session, function: str, markers: str) -> None:
    """The "fix": change what the processor fails on, and wait for the update to land."""
    lam = aws.client("lambda")
    variables = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    lam.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "FAIL_MARKERS": markers}}
    )
    lam.get_waiter("function_updated_v2").wait(FunctionName=function)


def queue_bodies(aws: Session, url: str) -> list[dict[str, Any]]:
    """Every message in the queue (made visible again right after reading)."""
    sqs = aws.client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(20):
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=20, WaitTimeSeconds=1
        )
        new = [m for m in reply.get("Messages", []) if m["MessageId"] not in seen]
        if not new:
            break
        seen.update((m["MessageId"], m) for m in new)
    for m in seen.values():
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )
    return [json.loads(m["Body"]) for m in seen.values()]


def journal_ok_count(path: Path) -> int:
    if not path.exists():
        return 0
    count = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("t") == "done":
            count += len(record.get("ok", []))
    return count


def redelivered_keys(path: Path) -> set[str]:
    keys: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("t") == "redeliver":
            keys.update(record["keys"])
    return keys


def test_backfill_killed_midway_then_resumed_delivers_every_object(
    aws: Session, ops: dict[str, Any], tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:6]
    prefix = f"existing-{run}/"  # no rule matches it: only the backfill delivers these
    keys = [f"{prefix}{i:04d}" + (" é+ü.dat" if i % 50 == 0 else ".dat") for i in range(OBJECTS)]
    s3 = aws.client("s3")
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=ops["bucket_name"], Key=k, Body=k.encode()),
                      keys))  # fmt: skip
    checkpoint = tmp_path / "backfill.jsonl"
    args = ["backfill", "--bucket", ops["bucket_name"], "--function", ops["function_name"],
            "--prefix", prefix, "--checkpoint", str(checkpoint), "--concurrency", "8",
            "--progress-interval", "1"]  # fmt: skip

    # slowed down so that it is surely midway when killed
    proc = subprocess.Popen(
        command(*args, "--rate", "60"), cwd=REPO, env=cli_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while journal_ok_count(checkpoint) < OBJECTS // 5 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    assert proc.poll() is None, "the backfill finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sent_before_kill = journal_ok_count(checkpoint)
    assert sent_before_kill < OBJECTS, "killed too late to test a resume"

    resumed = run_cli(*args, "--rate", "0")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resuming: " in resumed.stdout
    summary = dict(
        line.split(None, 1) for line in resumed.stdout.splitlines() if line[:1].isalpha()
    )
    assert summary["matched"].strip() == f"{OBJECTS:,}"
    assert summary["sent"].strip() == f"{OBJECTS:,}"
    assert summary["failed"].strip() == "0"
    again = redelivered_keys(checkpoint)
    assert int(summary["redelivered"].split()[0]) == len(again)

    records = wait_for(
        lambda: handled(aws, ops["log_group_name"], prefix),
        lambda rs: {r["key"] for r in rs} >= set(keys),
        timeout=180,
        interval=2,
    )
    time.sleep(5)  # late duplicates would show now
    records = handled(aws, ops["log_group_name"], prefix)
    counts = Counter(r["key"] for r in records)
    missing = set(keys) - set(counts)
    if os.environ.get("EMULATOR") == "ministack":
        # MiniStack drops a few handler log lines of async invocations under load (README,
        # emulator differences): at most 2 % there, printed; LocalStack must lose none.
        assert len(missing) <= OBJECTS // 50, f"{len(missing)} never delivered: {sorted(missing)}"
        if missing:
            print(f"MiniStack: {len(missing)} of {OBJECTS} handler log lines missing")
    else:
        assert not missing, f"{len(missing)} objects never delivered: {sorted(missing)[:5]}"
    repeated = {k for k, n in counts.items() if n > 1}
    assert repeated <= again, f"repeated without a recorded redelivery: {sorted(repeated - again)}"
    for record in records:
        assert record["eventName"] == "ObjectCreated:Put"
        assert record["size"] == len(record["key"].encode())
        assert record["sequencer"] is None and "@t:" in record["idempotencyKey"]
    for key in repeated:  # a repeat is the same event: processors can de-duplicate it
        assert len({r["idempotencyKey"] for r in records if r["key"] == key}) == 1
    print(
        f"backfill: {OBJECTS} objects, killed after {sent_before_kill} recorded sends, "
        f"{len(again)} recorded redeliveries, {len(repeated)} objects handled twice"
    )


def test_backfill_reads_rules_from_terraform_output(ops: dict[str, Any]) -> None:
    result = run_cli("backfill", "--terraform-dir", ops["terraform_dir"], "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "rules: live (live/*)" in result.stdout
    assert f"would send to function {ops['function_name']}" in result.stdout


def test_redrive_leaves_the_failing_message_then_empties_the_queue_after_the_fix(
    aws: Session, ops: dict[str, Any]
) -> None:
    run = uuid.uuid4().hex[:6]
    bucket, function, dlq = ops["bucket_name"], ops["function_name"], ops["dlq_url"]
    set_fail_markers(aws, function, "poison,flaky")
    flaky = [f"live/{run}-flaky-{i}.dat" for i in range(3)]
    poison = f"live/{run}-poison.dat"
    s3 = aws.client("s3")
    for key in [*flaky, poison]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    # an sqs-mode dead-letter queue holds raw S3 notification messages: one of those too
    raw_key = f"live/{run}-flaky-raw.dat"
    aws.client("sqs").send_message(
        QueueUrl=dlq, MessageBody=json.dumps(make_event("put", bucket, raw_key))
    )

    messages = wait_for(
        lambda: queue_bodies(aws, dlq), lambda ms: len(ms) >= 5, timeout=120, interval=2
    )
    assert len(messages) == 5, messages
    on_failure = [m for m in messages if "requestPayload" in m]
    assert len(on_failure) == 4

    set_fail_markers(aws, function, "poison")  # the fix, for all but one object
    result = run_cli("redrive", "--terraform-dir", ops["terraform_dir"], "--progress-interval", "0")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: 1 message(s) failed again and stay in {dlq}; fix the cause and run redrive again"
    ]
    assert "replayed     4" in result.stdout and "failed       1" in result.stdout
    (left,) = queue_bodies(aws, dlq)
    assert [r["s3"]["object"]["key"] for r in left["requestPayload"]["Records"]] == [poison]
    expected = {*flaky, raw_key}
    lines = wait_for(
        lambda: handled(aws, ops["log_group_name"], run),
        lambda rs: {r["key"] for r in rs} >= expected,
        timeout=30,
    )
    logged = {r["key"] for r in lines}
    if os.environ.get("EMULATOR") == "ministack":  # loses a handler log line now and then
        assert logged <= expected and len(expected - logged) <= 1, sorted(expected - logged)
    else:
        assert logged == expected

    set_fail_markers(aws, function, "")  # the full fix
    result = run_cli("redrive", "--terraform-dir", ops["terraform_dir"], "--progress-interval", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replayed     1" in result.stdout and "failed       0" in result.stdout
    assert queue_bodies(aws, dlq) == []
    logged = {r["key"] for r in handled(aws, ops["log_group_name"], run)}
    assert logged == {*flaky, raw_key, poison}
