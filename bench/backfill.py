"""Backfill throughput on the emulator: `s3-lambda-trigger backfill` against a plain loop.

Deploys a private copy of tests/integration/stacks/operations (the module; its processor logs
every record), puts --objects objects under a prefix no rule matches (from --threads threads),
then measures, in the same run and against the same function:

- loop: the script users write first, one `lambda.invoke(FunctionName, Payload)` per object,
  sequentially. boto3's default InvocationType (RequestResponse), so each call returns when the
  function has run. Measured on --loop-sample objects and extrapolated to --objects (the rate
  is flat after the first call; the sample's own per-object times are printed). A loop of
  InvocationType=Event invokes is measured the same way and shown for reference.
- backfill: `python -m s3_lambda_trigger backfill --prefix ... --rate 0 --concurrency N` as a
  subprocess, twice, each over its own --objects objects: with the command's default
  --records-per-event (10 records per invocation), then with --records-per-event 1 (as S3
  sends them; skipped with --no-single). Wall time from start to
  exit (listing, checkpoint, every object accepted by Lambda), the command's peak RSS and CPU
  (wait4), and the drain: until every object's handler log line is in CloudWatch Logs
  (handled, missing, duplicates).

Target: backfill objects/s >= 10x the RequestResponse loop's. Needs the emulator at
AWS_ENDPOINT_URL (`make bench` starts it). Writes build/bench/backfill.json; exits non-zero
only when the measurement failed (deploy error, backfill error, objects never handled).

Usage: python bench/backfill.py [--objects 10000] [--loop-sample 300] [--concurrency 32]
       [--no-single]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # type: ignore[import-untyped]  # noqa: E402
from botocore.config import Config  # type: ignore[import-untyped]  # noqa: E402
from e2e import private_copy, remove_copy  # noqa: E402

from handler.batch_operations import existing_object_record  # noqa: E402
from tools.stack import REGION, Stack, endpoint, log_lines  # noqa: E402

OUT = REPO / "build" / "bench"
STACK = REPO / "tests" / "integration" / "stacks" / "operations"
TARGET_RATIO = 10.0


def env() -> dict[str, str]:
    out = dict(os.environ)
    out.update(
        AWS_ENDPOINT_URL=endpoint(),
        AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    return out


def package(directory: Path) -> Path:
    zip_path = directory / "ops.zip"
    subprocess.run(
        [sys.executable, "-m", "s3_lambda_trigger", "package", "--source",
         str(STACK / "ops_processor.py"), "--output", str(zip_path)],
        cwd=REPO, check=True, capture_output=True, env=env(),
    )  # fmt: skip
    return zip_path


def put_objects(s3: Any, bucket: str, keys: list[str], threads: int) -> float:
    started = time.perf_counter()

    def put(key: str) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, keys))
    return time.perf_counter() - started


def loop(lam: Any, function: str, bucket: str, n: int, invocation: str) -> dict[str, Any]:
    """n sequential invokes, one synthetic backfill record each; per-object times."""
    now = datetime.now(UTC)
    times = []
    errors = 0
    run = uuid.uuid4().hex[:6]
    for i in range(n):
        record = existing_object_record(
            bucket, f"loop-{run}/{i:05d}.dat", size=1, etag="0" * 32, last_modified=now
        )
        payload = json.dumps({"Records": [record]}).encode()
        started = time.perf_counter()
        response = lam.invoke(FunctionName=function, InvocationType=invocation, Payload=payload)
        if invocation == "RequestResponse":
            response["Payload"].read()
        times.append(time.perf_counter() - started)
        errors += bool(response.get("FunctionError"))
    total = sum(times)
    ordered = sorted(times)
    return {
        "invocation_type": invocation,
        "sample": n,
        "seconds": round(total, 3),
        "objects_per_s": round(n / total, 1),
        "ms_p50": round(ordered[n // 2] * 1000, 2),
        "ms_p90": round(ordered[int(n * 0.9)] * 1000, 2),
        "ms_first": round(times[0] * 1000, 2),
        "function_errors": errors,
    }


def run_backfill(
    bucket: str,
    function: str,
    prefix: str,
    concurrency: int,
    records_per_event: int | None,
    checkpoint: Path,
) -> dict[str, Any]:
    args = [sys.executable, "-m", "s3_lambda_trigger", "backfill", "--bucket", bucket,
            "--function", function, "--prefix", prefix, "--rate", "0",
            "--concurrency", str(concurrency), "--checkpoint", str(checkpoint),
            "--progress-interval", "5"]  # fmt: skip
    if records_per_event is not None:
        args += ["--records-per-event", str(records_per_event)]
    out_path, err_path = checkpoint.with_suffix(".out"), checkpoint.with_suffix(".err")
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=REPO, env=env(), stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)  # the command's own peak RSS
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = out_path.read_text(), err_path.read_text()
    max_rss_kb = usage.ru_maxrss  # KiB on Linux
    return {
        "exit_status": proc.returncode,
        "seconds": round(seconds, 2),
        "max_rss_mb": round(max_rss_kb / 1024, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "stdout": out,
        "stderr_tail": err.splitlines()[-5:],
        "checkpoint_bytes": checkpoint.stat().st_size if checkpoint.exists() else None,
    }


def drain(
    logs: Any, group: str, prefix: str, keys: set[str], since_ms: int, timeout: float
) -> dict[str, Any]:
    """Poll the handler's log lines until every key is there (or the timeout); duplicates are
    split into lines of one invocation seen twice and invocations that ran twice."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while True:
        lines = [
            (ts, r)
            for ts, r in log_lines(logs, group, since_ms=since_ms)
            if r["key"].startswith(prefix)
        ]
        counts = Counter(r["key"] for _, r in lines)
        if set(counts) >= keys or time.monotonic() > deadline:
            break
        time.sleep(5)
    invocations: dict[str, set[str]] = {}
    for _, r in lines:
        invocations.setdefault(r["key"], set()).add(str(r.get("requestId")))
    return {
        "handled": len(set(counts) & keys),
        "missing": len(keys - set(counts)),
        "duplicates": sum(n - 1 for n in counts.values()),
        "ran_twice": sum(len(ids) - 1 for ids in invocations.values()),
        "polled_s": round(time.perf_counter() - started, 1),
        "last_log_ms": max((ts for ts, _ in lines), default=0),
    }


def measure(
    ctx: dict[str, Any], records_per_event: int | None, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """Put --objects objects under their own prefix, backfill them (None: the command's
    default --records-per-event), wait for the handler."""
    prefix = f"existing-{records_per_event or 'default'}/"
    keys = [f"{prefix}{i:06d}.dat" for i in range(args.objects)]
    put_s = put_objects(ctx["s3"], ctx["bucket"], keys, args.threads)
    print(f"put {args.objects:,} objects under {prefix} in {put_s:.1f} s")
    since_ms = int(time.time() * 1000) - 2000
    bf = run_backfill(
        ctx["bucket"], ctx["function"], prefix, args.concurrency, records_per_event,
        work / f"backfill-{records_per_event or 'default'}.jsonl",
    )  # fmt: skip
    stdout = bf.pop("stdout")
    print(stdout)
    for line in stdout.splitlines():
        if line.startswith("redelivered"):
            bf["redelivered"] = int(line.split()[1].replace(",", ""))
    bf.update(
        put_s=round(put_s, 1),
        records_per_event=records_per_event,
        concurrency=args.concurrency,
        objects_per_s=round(args.objects / bf["seconds"], 1),
    )
    d = drain(ctx["logs"], ctx["group"], prefix, set(keys), since_ms, args.timeout)
    last = d.pop("last_log_ms")
    d["drain_s"] = round((last - since_ms - 2000) / 1000, 1) if d["handled"] else None
    bf["drain"] = d
    return bf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--loop-sample", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--no-single",
        action="store_true",
        help="measure only the default, not also --records-per-event 1",
    )
    parser.add_argument("--threads", type=int, default=32, help="upload threads")
    parser.add_argument("--timeout", type=float, default=900.0, help="drain timeout (s)")
    args = parser.parse_args()

    name = f"bench-backfill-{uuid.uuid4().hex[:8]}"
    session = boto3.session.Session(
        aws_access_key_id=env()["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env()["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    config = Config(max_pool_connections=64, retries={"mode": "standard", "max_attempts": 8})
    s3, lam, logs = (session.client(s, endpoint_url=endpoint(), config=config)
                     for s in ("s3", "lambda", "logs"))  # fmt: skip
    result: dict[str, Any] = {
        "endpoint": endpoint(),
        "objects": args.objects,
        "target_ratio": TARGET_RATIO,
        "cpus": os.cpu_count(),
    }
    failed: list[str] = []
    directory = private_copy(STACK, name)
    stack = Stack(
        directory, {"name": name, "package_file": str(package(directory)), "fail_markers": ""}
    )
    applied = False
    try:
        stack.init()
        applied = True
        outputs = stack.apply()
        print(f"deployed {name} in {stack.timings['apply']:.1f} s")
        ctx = {
            "s3": s3,
            "logs": logs,
            "bucket": outputs["bucket_name"],
            "function": outputs["function_name"],
            "group": outputs["log_group_name"],
        }

        loop(lam, ctx["function"], ctx["bucket"], 3, "RequestResponse")  # warm the function
        result["loop"] = loop(
            lam, ctx["function"], ctx["bucket"], args.loop_sample, "RequestResponse"
        )
        result["loop_event"] = loop(lam, ctx["function"], ctx["bucket"], args.loop_sample, "Event")
        rr, ev = result["loop"]["objects_per_s"], result["loop_event"]["objects_per_s"]
        print(f"loop: {rr}/s RequestResponse, {ev}/s Event (sample {args.loop_sample})")
        result["loop_extrapolated_s"] = round(args.objects / rr, 1)

        result["backfills"] = []
        for per_event in [None] + ([] if args.no_single else [1]):
            bf = measure(ctx, per_event, args, directory)
            bf["ratio"] = round(bf["objects_per_s"] / rr, 1)
            bf["ratio_vs_event_loop"] = round(bf["objects_per_s"] / ev, 1)
            result["backfills"].append(bf)
            if bf["exit_status"] != 0:
                failed.append(f"backfill exited {bf['exit_status']}: {bf['stderr_tail']}")
            if bf["drain"]["missing"]:
                failed.append(f"{bf['drain']['missing']} objects never handled")
    except Exception as error:
        failed.append(f"{type(error).__name__}: {error}")
    finally:
        if applied:
            try:
                stack.destroy()
            except Exception as error:
                failed.append(f"destroy failed: {error}")
        remove_copy(directory)

    result["failed"] = failed
    print_table(result)
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "backfill.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {path}")
    for reason in failed:
        print(f"error: {reason}", file=sys.stderr)
    return 1 if failed else 0


def print_table(r: dict[str, Any]) -> None:
    if "loop" not in r:
        return
    n = r["objects"]
    lp, le = r["loop"], r["loop_event"]
    loop_rr = f"{lp['objects_per_s']:,}/s (p50 {lp['ms_p50']} ms)"
    loop_rr += f"; {n:,} would take {r['loop_extrapolated_s']} s"
    rows = [
        (f"loop, RequestResponse (sample {lp['sample']})", loop_rr),
        (f"loop, Event (sample {le['sample']})",
         f"{le['objects_per_s']:,}/s (p50 {le['ms_p50']} ms)"),
    ]  # fmt: skip
    for bf in r.get("backfills", []):
        d = bf["drain"]
        verdict = "PASS" if bf["ratio"] >= TARGET_RATIO else "MISS"
        flags = f"--rate 0 --concurrency {bf['concurrency']}"
        if bf["records_per_event"] is None:
            flags += " (default: 10 records per event)"
        else:
            flags += f" --records-per-event {bf['records_per_event']}"
        rows += [
            (f"backfill {flags}",
             f"{bf['objects_per_s']:,}/s ({n:,} in {bf['seconds']} s, exit {bf['exit_status']})"),
            ("  / loop (RequestResponse)",
             f"{bf['ratio']}x (target >= {TARGET_RATIO:.0f}x: {verdict})"),
            ("  / loop (Event)", f"{bf['ratio_vs_event_loop']}x"),
            ("  peak RSS / CPU of the command",
             f"{bf['max_rss_mb']} MB / {bf['cpu_s']} s"),
            ("  checkpoint file", f"{bf['checkpoint_bytes']:,} bytes"),
            ("  all handled (log-ts)", f"{d['drain_s']} s after the start"),
            ("  handled / missing / duplicate lines",
             f"{d['handled']} / {d['missing']} / {d['duplicates']} ({d['ran_twice']} ran twice; "
             f"{bf.get('redelivered')} recorded redeliveries)"),
        ]  # fmt: skip
    print(f"\nbackfill of {n:,} objects on {r['endpoint']} ({r['cpus']} CPUs)")
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:{width}}  {value}")


if __name__ == "__main__":
    raise SystemExit(main())
