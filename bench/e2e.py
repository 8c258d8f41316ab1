"""End-to-end latency and burst drain on the emulator (prints a table; no targets enforced).

Deploys examples/basic (a private copy with a unique name, so parallel runs and tests that
use examples/ in place do not share state), then measures:

- cold: the first upload after apply, put_object -> handler done;
- warm: --warm uploads one at a time, each waiting for its handler log line;
- burst: --burst matching objects plus as many non-matching ones from --threads threads;
  drain = until every matching object's log line exists; handled / missing / duplicates.

Latency is measured two ways; the table leads with the first:
  log-ts: CloudWatch log event timestamp (ms) of the handler's s3_object line minus the
          client's wall clock just before put_object (same machine, same clock). The
          emulator stores the invocation's log lines when the invocation ends, so this is
          "handler done" without polling noise.
  polled: client-observed time until filter_log_events first returns the line (adds
          up to one poll interval plus the query itself).

Needs the emulator at AWS_ENDPOINT_URL (`make bench` starts it). Writes build/bench/e2e.json.
Exits non-zero only when the measurement failed (deploy error, an upload never handled,
the burst did not drain before --timeout).

Usage: python bench/e2e.py [--burst 1000] [--warm 200] [--threads 16] [--timeout 600]
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
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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
    time.sleep(3)  # late redeliveries would show up as duplicates
    lines = [line for line in handler_lines(logs, group, since) if run in line.record["key"]]
    counts = Counter(line.record["key"] for line in lines)
    seen = set(counts)
    last_log_ms = max(
        (line.timestamp_ms for line in lines if line.record["key"] in wanted), default=0
    )
    return {
        "matching": n,
        "non_matching": len(other),
        "threads": threads,
        "upload_s": round(uploaded_s, 2),
        "drained": drained_s is not None,
        "drain_polled_s": round(drained_s, 2) if drained_s is not None else None,
        "drain_log_ts_s": round(last_log_ms / 1000 - started, 2) if last_log_ms else None,
        "handled": len(seen & wanted),
        "missing": len(wanted - seen),
        "duplicates": sum(c - 1 for k, c in counts.items() if k in wanted),
        "non_matching_handled": len(seen - wanted),
        "objects_per_s": round(n / drained_s, 1) if drained_s else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=1000, help="matching objects in the burst")
    parser.add_argument("--warm", type=int, default=200, help="sequential warm uploads")
    parser.add_argument("--threads", type=int, default=16, help="upload threads in the burst")
    parser.add_argument("--timeout", type=float, default=600.0, help="burst drain timeout (s)")
    parser.add_argument("--interval", type=float, default=0.05, help="log poll interval (s)")
    args = parser.parse_args()

    if not ZIP.exists():
        print(f"error: {ZIP} missing; run `make package`", file=sys.stderr)
        return 2
    url = endpoint()
    name = f"bench-e2e-{uuid.uuid4().hex[:8]}"
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=REGION,
    )
    config = Config(max_pool_connections=max(32, args.threads * 2), retries={"max_attempts": 5})
    s3 = session.client("s3", endpoint_url=url, config=config)
    logs = session.client("logs", endpoint_url=url, config=config)

    result: dict[str, Any] = {"endpoint": url, "stack": name, "latency_source": "log-ts"}
    failed: list[str] = []
    directory = private_copy(REPO / "examples" / "basic", name)
    stack = Stack(directory, {"name": name, "package_file": str(ZIP)})
    applied = False
    try:
        stack.init()
        applied = True  # a failed apply may still leave resources: destroy in any case
        outputs = stack.apply()
        result["deploy_s"] = {k: round(v, 2) for k, v in stack.timings.items()}
        bucket, group = outputs["bucket_name"], outputs["log_group_name"]
        print(f"deployed {name} in {stack.timings['apply']:.1f} s; bucket {bucket}")

        cold = timed_upload(s3, logs, bucket, group, f"incoming/{name}-cold.csv", 120, 0.05)
        if cold.log_ms is None:
            failed.append("cold upload never handled")
        result["cold"] = {"log_ts_ms": cold.log_ms, "polled_ms": cold.polled_ms}

        warm = [
            timed_upload(
                s3, logs, bucket, group, f"incoming/{name}-warm-{i:04d}.csv", 60, args.interval
            )
            for i in range(args.warm)
        ]
        lost = [u.key for u in warm if u.log_ms is None]
        if lost:
            failed.append(f"{len(lost)} warm uploads never handled")
        result["warm"] = {
            "log_ts_ms": summarize([u.log_ms for u in warm if u.log_ms is not None]),
            "polled_ms": summarize([u.polled_ms for u in warm if u.polled_ms is not None]),
            "lost": len(lost),
            "poll_interval_ms": args.interval * 1000,
        }

        if args.burst > 0:
            print(f"burst: {args.burst} matching + {args.burst} other from {args.threads} threads")
            result["burst"] = burst(s3, logs, bucket, group, args.burst, args.threads, args.timeout)
            if not result["burst"]["drained"]:
                failed.append(f"burst did not drain in {args.timeout:.0f} s")
    except Exception as error:
        failed.append(f"{type(error).__name__}: {error}")
    finally:
        if applied:
            try:
                stack.destroy()
                result["destroy_s"] = round(stack.timings.get("destroy", 0.0), 2)
            except Exception as error:
                failed.append(f"destroy failed: {error}")
        remove_copy(directory)

    result["failed"] = failed
    print_table(result)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "e2e.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    for reason in failed:
        print(f"error: {reason}", file=sys.stderr)
    return 1 if failed else 0


def fmt(value: float | None, unit: str = "ms") -> str:
    return "-" if value is None else f"{value:,.0f} {unit}" if unit == "ms" else f"{value} {unit}"


def print_table(result: dict[str, Any]) -> None:
    print(f"\ne2e on {result['endpoint']} (examples/basic)")
    print(f"{'metric':34} {'log-ts':>12} {'polled':>12}")
    cold = result.get("cold")
    if cold:
        print(
            f"{'cold (first upload)':34} {fmt(cold['log_ts_ms']):>12} {fmt(cold['polled_ms']):>12}"
        )
    warm = result.get("warm")
    if warm and warm["log_ts_ms"]:
        n = warm["log_ts_ms"]["n"]
        for key in ("p50", "p90", "p99", "max"):
            label = f"warm {key} (n={n}, sequential)"
            print(f"{label:34} {fmt(warm['log_ts_ms'][key]):>12} {fmt(warm['polled_ms'][key]):>12}")
    b = result.get("burst")
    if b:
        print(f"\nburst: {b['matching']} matching + {b['non_matching']} non-matching objects")
        print(f"{'upload (all objects)':34} {b['upload_s']:>10} s")
        print(f"{'drain (last line, log-ts)':34} {fmt(b['drain_log_ts_s'], 's'):>12}")
        print(f"{'drain (polled)':34} {fmt(b['drain_polled_s'], 's'):>12}")
        print(f"{'throughput (matching/s, polled)':34} {fmt(b['objects_per_s'], '/s'):>12}")
        for key in ("handled", "missing", "duplicates", "non_matching_handled"):
            print(f"{key:34} {b[key]:>12}")


if __name__ == "__main__":
    raise SystemExit(main())
