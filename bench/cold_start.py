"""Cold-start cost: fresh interpreters, side by side (prints a table; no assertions).

(a) `python -c pass`; (b) import handler.app and handle one event, run from the
packaged zip contents with no .pyc (as on Lambda, where /var/task is read-only);
(c) the same with handler.app from the source tree (bytecode cached); (d) an
equivalent handler using AWS Lambda Powertools (S3Event + Logger).

Usage: python bench/cold_start.py [RUNS]   (default 30)
Writes build/bench/cold_start.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handler.samples import make_event  # noqa: E402
from tools.package import build  # noqa: E402

OURS = """
import json, sys
sys.path.insert(0, sys.argv[2])
import handler.app
handler.app.lambda_handler(json.load(open(sys.argv[1])), None)
"""
POWERTOOLS = """
import json, sys
from urllib.parse import unquote_plus
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import S3Event
logger = Logger(service="bench")
def lambda_handler(event, context):
    for r in S3Event(event).records:
        o = r.s3.get_object
        logger.info("s3_object", extra={"eventSource": r.event_source, "eventName": r.event_name,
            "bucket": r.s3.bucket.name, "key": unquote_plus(o.key), "size": o.size,
            "eTag": o.etag, "versionId": o.version_id, "sequencer": o.sequencer,
            "region": r.aws_region, "eventTime": r.event_time})
lambda_handler(json.load(open(sys.argv[1])), None)
"""


def run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    tmp = Path(tempfile.mkdtemp(prefix="coldstart-"))
    event = tmp / "event.json"
    event.write_text(json.dumps(make_event("put", "bucket", "incoming/보고서 1.csv")))
    task = tmp / "task"
    build(REPO / "handler", tmp / "handler.zip")
    with zipfile.ZipFile(tmp / "handler.zip") as zf:
        zf.extractall(task)
    py = sys.executable
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    nopyc = {**base_env, "PYTHONDONTWRITEBYTECODE": "1"}
    cases = {
        "bare (python -c pass)": ([py, "-c", "pass"], base_env),
        "ours, zip, no .pyc": ([py, "-c", OURS, str(event), str(task)], nopyc),
        "ours, source tree, .pyc": ([py, "-c", OURS, str(event), str(REPO)], base_env),
        "powertools": ([py, "-c", POWERTOOLS, str(event)], base_env),
    }
    for argv, env in cases.values():  # warm the OS cache and write bytecode where allowed
        run(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, (argv, env) in cases.items():
            times[name].append(run(argv, env))

    bare = statistics.median(times["bare (python -c pass)"])
    pt_added = statistics.median(times["powertools"]) - bare
    results = []
    print(f"cold start, {runs} runs each, {sys.version.split()[0]}")
    print(f"{'case':28} {'median ms':>10} {'p90 ms':>8} {'added ms':>9} {'vs powertools':>14}")
    for name, samples in times.items():
        med = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1]
        added = med - bare
        ratio = pt_added / added if added > 0 else float("inf")
        shown = (
            ""
            if name.startswith("bare")
            else f"{ratio:.1f}x less"
            if name != "powertools"
            else "1.0x"
        )
        print(f"{name:28} {med:10.1f} {p90:8.1f} {added:9.1f} {shown:>14}")
        results.append(
            {
                "case": name,
                "median_ms": round(med, 2),
                "p90_ms": round(p90, 2),
                "added_ms": round(added, 2),
                "powertools_added_over_ours": round(ratio, 2),
            }
        )
    out = REPO / "build" / "bench" / "cold_start.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps({"python": sys.version.split()[0], "runs": runs, "results": results}, indent=2)
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
