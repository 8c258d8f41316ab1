"""End-to-end latency and burst drain per delivery mode on the emulator, side by side (prints a
table; no targets enforced).

For each mode in --modes (default direct,sqs,eventbridge) deploys bench/stacks/module, which is
examples/basic's configuration (one rule: incoming/*.csv) with delivery = <mode>, each in a
private copy with a unique name. The modes apply in parallel (threads; each copy has its own
.terraform and state), then are measured one after the other, so one mode's load does not
slow another's numbers:

- cold: the first upload after apply, put_object -> handler done;
- warm: --warm uploads one at a time, each waiting for its handler log line;
- burst: --burst matching objects plus as many non-matching ones from --threads threads;
  drain = until every matching object's log line exists; handled / missing / duplicates
  (only redeliveries: a repeated line with the same idempotencyKey; a repeat with another
  key would be a second event for one upload and is counted apart, as other_repeats).

Latency is measured two ways; the table leads with the first:
  log-ts: CloudWatch log event timestamp (ms) of the handler's s3_object line minus the
          client's wall clock just before put_object (same machine, same clock). The
          emulator stores the invocation's log lines when the invocation ends, so this is
          "handler done" without polling noise.
  polled: client-observed time until filter_log_events first returns the line (adds
          up to one poll interval plus the query itself).

Apply times here are of parallel applies (informational); bench/deploy.py measures apply time
one stack at a time. Needs the emulator at AWS_ENDPOINT_URL (`make bench` starts it). Writes
build/bench/e2e.json. Exits non-zero only when the measurement failed (deploy error, an upload
never handled, a burst that did not drain before --timeout).

Usage: python bench/e2e.py [--modes direct,sqs,eventbridge] [--burst 1000] [--warm 200]
       [--threads 16] [--timeout 600] [--serial-deploy]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import boto3  # type: ignore[import-untyped]  # noqa: E402
from botocore.config import Config  # type: ignore[import-untyped]  # noqa: E402

from tools.stack import OVERRIDE_FILE, REGION, Stack, endpoint, log_lines  # noqa: E402

OUT = REPO / "build" / "bench"
WORK = OUT / "work"
ZIP = REPO / "build" / "handler.zip"
STACK = REPO / "bench" / "stacks" / "module"
MODES = ("direct", "sqs", "eventbridge")


def parse_modes(text: str) -> tuple[str, ...]:
    """--modes: a comma-separated subset of MODES, in the order given."""
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise argparse.ArgumentTypeError(
            f"unknown mode(s) {', '.join(unknown) or '(none)'}: use {','.join(MODES)}"
        )
    return tuple(dict.fromkeys(modes))


def private_copy(source: Path, name: str) -> Path:
    """Copy a root module's *.tf (and lock file) to build/bench/work/<name>/<dir>.

    Local module sources ("../..") are rewritten relative to the copy, so the copy uses
    this repo's module; state and .terraform stay private to the copy.
    """
    dest = WORK / name / source.name
    dest.mkdir(parents=True)
    for item in source.iterdir():
        if item.name.endswith("_override.tf") or item.name == OVERRIDE_FILE:
            continue
        if item.suffix == ".tf":
            text = item.read_text()

            def relocate(match: re.Match[str]) -> str:
                target = (source / match.group(2)).resolve()
                return f'{match.group(1)}"{os.path.relpath(target, dest)}"'

            text = re.sub(r'(source\s*=\s*)"(\.\.?/[^"]*)"', relocate, text)
            (dest / item.name).write_text(text)
        elif item.name == ".terraform.lock.hcl":
            shutil.copy2(item, dest / item.name)
    return dest


def remove_copy(directory: Path) -> None:
    shutil.rmtree(directory.parent, ignore_errors=True)


@dataclass(frozen=True)
class Line:
    """One handler s3_object log line: its CloudWatch event timestamp and the record."""

    timestamp_ms: int
    record: dict[str, Any]


def handler_lines(logs: Any, group: str, since_ms: int) -> list[Line]:
    """Every s3_object line in the group with an event timestamp >= since_ms."""
    return [Line(ts, record) for ts, record in log_lines(logs, group, since_ms=since_ms)]


@dataclass(frozen=True)
class Upload:
    key: str
    log_ms: float | None  # log event timestamp - put start
    polled_ms: float | None  # first poll that saw the line - put start


def timed_upload(
    s3: Any, logs: Any, bucket: str, group: str, key: str, timeout: float, interval: float
) -> Upload:
    started = time.time()
    s3.put_object(Bucket=bucket, Key=key, Body=b"id,amount\n1,2\n")
    since = int(started * 1000) - 2000  # tolerate log timestamps rounded down / clock steps
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in handler_lines(logs, group, since) if line.record["key"] == key]
        if lines:
            polled = (time.time() - started) * 1000
            first = min(line.timestamp_ms for line in lines)
            return Upload(key, first - started * 1000, polled)
        if time.monotonic() > deadline:
            return Upload(key, None, None)
        time.sleep(interval)


def pct(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(samples)
    rank = max(1, round(p / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {}
    return {
        "n": len(samples),
        "min": round(min(samples), 1),
        "p50": round(statistics.median(samples), 1),
        "p90": round(pct(samples, 90), 1),
        "p99": round(pct(samples, 99), 1),
        "max": round(max(samples), 1),
        "mean": round(statistics.fmean(samples), 1),
    }


def repeats(lines: list[Line], wanted: set[str]) -> tuple[int, int]:
    """(redeliveries, other repeats) among the wanted keys' lines: a repeated line with an
    idempotencyKey already seen for that key is a redelivery of the same event; a line with
    another idempotencyKey for a key uploaded once would be a second, different event."""
    per_key: dict[str, Counter[str]] = defaultdict(Counter)
    for line in lines:
        if line.record["key"] in wanted:
            per_key[line.record["key"]][str(line.record.get("idempotencyKey"))] += 1
    redeliveries = sum(c - 1 for counts in per_key.values() for c in counts.values())
    other = sum(len(counts) - 1 for counts in per_key.values())
    return redeliveries, other


def burst(
    s3: Any, logs: Any, bucket: str, group: str, n: int, threads: int, timeout: float
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    matching = [f"incoming/{run}-b-{i:05d}.csv" for i in range(n)]
    other = [
        f"other/{run}-b-{i:05d}.csv" if i % 2 else f"incoming/{run}-b-{i:05d}.txt" for i in range(n)
    ]
    keys = [k for pair in zip(matching, other, strict=True) for k in pair]  # interleaved
    body = b"id,amount\n1,2\n"

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=body)

    started = time.time()
    since = int(started * 1000) - 2000
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, keys))
    uploaded_s = time.time() - started
    wanted = set(matching)
    deadline = time.monotonic() + timeout
    drained_s: float | None = None
    while True:
        lines = [line for line in handler_lines(logs, group, since) if run in line.record["key"]]
        if {line.record["key"] for line in lines} >= wanted:
            drained_s = time.time() - started
            break
        if time.monotonic() > deadline:
            break
        time.sleep(1.0)
    time.sleep(5)  # late redeliveries would show up as duplicates
    lines = [line for line in handler_lines(logs, group, since) if run in line.record["key"]]
    seen = {line.record["key"] for line in lines}
    redeliveries, other_repeats = repeats(lines, wanted)
    last_log_ms = max(
        (line.timestamp_ms for line in lines if line.record["key"] in wanted), default=0
    )
    drain_log_ts = round(last_log_ms / 1000 - started, 2) if last_log_ms else None
    return {
        "matching": n,
        "non_matching": len(other),
        "threads": threads,
        "upload_s": round(uploaded_s, 2),
        "drained": drained_s is not None,
        "drain_polled_s": round(drained_s, 2) if drained_s is not None else None,
        "drain_log_ts_s": drain_log_ts,
        "handled": len(seen & wanted),
        "missing": len(wanted - seen),
        "duplicates": redeliveries,
        "other_repeats": other_repeats,
        "non_matching_handled": len(seen - wanted),
        "objects_per_s": round(n / drain_log_ts, 1) if drain_log_ts else None,
    }


@dataclass
class Deployment:
    """One mode's stack and everything measured on it."""

    mode: str
    name: str
    stack: Stack
    outputs: dict[str, Any] = field(default_factory=dict)
    applied: bool = False
    result: dict[str, Any] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def deploy(d: Deployment) -> None:
    try:
        d.stack.init()
        d.applied = True  # a failed apply may still leave resources: destroy in any case
        d.outputs = d.stack.apply()
        d.result["deploy_s"] = {k: round(v, 2) for k, v in d.stack.timings.items()}
        print(
            f"{d.mode}: deployed {d.name} in {d.stack.timings['apply']:.1f} s; "
            f"bucket {d.outputs['bucket_name']}",
            flush=True,
        )
    except Exception as error:
        d.failed.append(f"deploy: {type(error).__name__}: {error}")


def measure(d: Deployment, s3: Any, logs: Any, args: argparse.Namespace) -> None:
    bucket, group = d.outputs["bucket_name"], d.outputs["log_group_name"]
    load = os.getloadavg()[0]  # the machine's, other work included: context for the numbers
    print(f"{d.mode}: cold + {args.warm} warm uploads (load {load:.1f})", flush=True)
    cold = timed_upload(s3, logs, bucket, group, f"incoming/{d.name}-cold.csv", 120, 0.05)
    if cold.log_ms is None:
        d.failed.append("cold upload never handled")
    d.result["cold"] = {"log_ts_ms": cold.log_ms, "polled_ms": cold.polled_ms}

    warm = [
        timed_upload(
            s3, logs, bucket, group, f"incoming/{d.name}-warm-{i:04d}.csv", 60, args.interval
        )
        for i in range(args.warm)
    ]
    lost = [u.key for u in warm if u.log_ms is None]
    if lost:
        d.failed.append(f"{len(lost)} warm uploads never handled")
    d.result["warm"] = {
        "log_ts_ms": summarize([u.log_ms for u in warm if u.log_ms is not None]),
        "polled_ms": summarize([u.polled_ms for u in warm if u.polled_ms is not None]),
        "lost": len(lost),
        "poll_interval_ms": args.interval * 1000,
    }

    if args.burst > 0:
        print(
            f"{d.mode}: burst of {args.burst} matching + {args.burst} other from "
            f"{args.threads} threads",
            flush=True,
        )
        d.result["burst"] = burst(s3, logs, bucket, group, args.burst, args.threads, args.timeout)
        if not d.result["burst"]["drained"]:
            d.failed.append(f"burst did not drain in {args.timeout:.0f} s")
    d.result["load_average"] = [round(load, 2), round(os.getloadavg()[0], 2)]


def teardown(d: Deployment) -> None:
    if d.applied:
        try:
            d.stack.destroy()
            d.result["destroy_s"] = round(d.stack.timings.get("destroy", 0.0), 2)
        except Exception as error:
            d.failed.append(f"destroy failed: {error}")
    remove_copy(d.stack.directory)


def emulator_version(url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=5) as reply:
            version = json.loads(reply.read()).get("version")
    except (OSError, ValueError):
        return None
    return str(version) if version else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", type=parse_modes, default=MODES, help="comma-separated")
    parser.add_argument("--burst", type=int, default=1000, help="matching objects in the burst")
    parser.add_argument("--warm", type=int, default=200, help="sequential warm uploads")
    parser.add_argument("--threads", type=int, default=16, help="upload threads in the burst")
    parser.add_argument("--timeout", type=float, default=600.0, help="burst drain timeout (s)")
    parser.add_argument("--interval", type=float, default=0.05, help="log poll interval (s)")
    parser.add_argument(
        "--serial-deploy", action="store_true", help="apply the modes one after the other"
    )
    args = parser.parse_args()

    if not ZIP.exists():
        print(f"error: {ZIP} missing; run `make package`", file=sys.stderr)
        return 2
    url = endpoint()
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=REGION,
    )
    config = Config(max_pool_connections=max(32, args.threads * 2), retries={"max_attempts": 5})
    s3 = session.client("s3", endpoint_url=url, config=config)
    logs = session.client("logs", endpoint_url=url, config=config)

    run = uuid.uuid4().hex[:6]
    deployments = []
    for mode in args.modes:
        name = f"bench-e2e-{mode[:3]}-{run}"
        directory = private_copy(STACK, name)
        variables = {"name": name, "package_file": str(ZIP), "delivery": mode}
        deployments.append(Deployment(mode, name, Stack(directory, variables)))
    workers = 1 if args.serial_deploy else len(deployments)
    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(deploy, deployments))
        for d in deployments:
            if d.failed:
                continue
            try:
                measure(d, s3, logs, args)
            except Exception as error:
                d.failed.append(f"{type(error).__name__}: {error}")
    finally:
        print("destroying", flush=True)
        with ThreadPoolExecutor(len(deployments)) as pool:
            list(pool.map(teardown, deployments))

    result: dict[str, Any] = {
        "endpoint": url,
        "emulator_version": emulator_version(url),
        "stack": "bench/stacks/module",
        "latency_source": "log-ts",
        "parallel_deploy": workers > 1,
        "modes": {d.mode: {"stack": d.name, **d.result, "failed": d.failed} for d in deployments},
        "failed": [f"{d.mode}: {reason}" for d in deployments for reason in d.failed],
    }
    print_table(result)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "e2e.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    for reason in result["failed"]:
        print(f"error: {reason}", file=sys.stderr)
    return 1 if result["failed"] else 0


def fmt(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} {unit}" if unit == "ms" else f"{value:,.1f} {unit}"


def print_table(result: dict[str, Any]) -> None:
    modes: dict[str, dict[str, Any]] = result["modes"]
    names = list(modes)
    print(
        f"\ne2e on {result['endpoint']} (LocalStack {result['emulator_version']}), "
        f"bench/stacks/module per delivery mode; latency log-ts (polled)"
    )
    print(f"{'metric':30}" + "".join(f"{n:>22}" for n in names))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:30}" + "".join(f"{c:>22}" for c in cells))

    def both(m: dict[str, Any], path: tuple[str, ...], unit: str = "ms") -> str:
        values = []
        for source in ("log_ts_ms", "polled_ms"):
            value: Any = m
            for key in (path[0], source, *path[1:]):
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        return f"{fmt(values[0], unit)} ({fmt(values[1], unit)})"

    row("apply (parallel)", [fmt(modes[n].get("deploy_s", {}).get("apply"), "s") for n in names])
    row("cold (first upload)", [both(modes[n], ("cold",)) for n in names])
    for key in ("p50", "p90", "p99", "max"):
        n_warm = next((m["warm"]["log_ts_ms"].get("n") for m in modes.values() if "warm" in m), 0)
        row(f"warm {key} (n={n_warm})", [both(modes[n], ("warm", key)) for n in names])
    bursts = {n: modes[n].get("burst") for n in names}
    first = next((b for b in bursts.values() if b), None)
    if first:
        print(f"burst: {first['matching']} matching + {first['non_matching']} non-matching objects")

        def cell(n: str, key: str, unit: str = "") -> str:
            b = bursts[n]
            if not b:
                return "-"
            return fmt(b[key], unit) if unit else str(b[key])

        row("upload (all objects)", [cell(n, "upload_s", "s") for n in names])
        row("drain (log-ts)", [cell(n, "drain_log_ts_s", "s") for n in names])
        row("drain (polled)", [cell(n, "drain_polled_s", "s") for n in names])
        row("throughput (matching/s)", [cell(n, "objects_per_s", "/s") for n in names])
        for key in ("handled", "missing", "duplicates", "other_repeats", "non_matching_handled"):
            row(key, [cell(n, key) for n in names])
    row("destroy (parallel)", [fmt(modes[n].get("destroy_s"), "s") for n in names])


if __name__ == "__main__":
    raise SystemExit(main())
