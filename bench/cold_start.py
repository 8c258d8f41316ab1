"""Cold-start cost: fresh interpreters, side by side, with the targets.

Cases: (a) `python -c pass`; the harness alone (json, reading the event: every
handler case pays it); ours: import handler.app and handle one event, (b) from the
packaged zip contents with no .pyc (`--no-bytecode`): on Lambda /var/task is
read-only, so every cold start compiles the source, (b') from the zip as `make
package` now builds it by default, with unchecked-hash .pyc compiled for the
runtime, and (c) from the source tree with its .pyc cached; an
equivalent handler using AWS Lambda Powertools (S3Event + Logger), (d) from a copy
of its site-packages with no .pyc and (e) installed, with its .pyc.  Every case
runs on the same interpreter: the Lambda runtime's Python (3.13) by default, see
bench/_interp.py.  The standard library keeps its .pyc in every case.

Targets: ours (b) adds <= 15 ms to (a); Powertools adds >= 5x as much as ours,
compared like for like: without bytecode (d vs b) and with bytecode (e vs c).
The mixed pairing, Powertools with .pyc against ours without (e vs b), is printed
too: it is the worst case for ours (a Powertools deployment whose .pyc are valid
on Lambda, against a package that ships none), and not a target.  Without any
.pyc, the first compile in a process also pays ~1 ms to set up the AST types.

Each run's wall time and CPU time (user+sys of the child) are recorded; the
verdict is given for both.  CPU time hardly moves when other processes load
the machine, wall time does: see the load average printed with the results.

Usage: python bench/cold_start.py [RUNS] [--python PATH]   (default 30 runs)
Writes build/bench/cold_start.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _interp

REPO = _interp.REPO
TARGET_ADDED_MS = 15.0
TARGET_RATIO = 5.0
BARE_CASE = "bare (python -c pass)"
OURS_CASE = "ours, zip, no .pyc"
OURS_ZIP_PYC_CASE = "ours, zip with .pyc (default)"
OURS_PYC_CASE = "ours, source tree, .pyc"
PT_CASE = "powertools, no .pyc"
PT_PYC_CASE = "powertools, .pyc"
# (label, ours case, Powertools case, is a target)
PAIRS = (
    ("both without .pyc", OURS_CASE, PT_CASE, True),
    ("both with .pyc", OURS_PYC_CASE, PT_PYC_CASE, True),
    ("powertools .pyc, ours none", OURS_CASE, PT_PYC_CASE, False),
)
HARNESS_CASE = "harness only (json, event)"  # for reference: what every handler case (b)-(e) pays

OURS = """
import json, sys
sys.path.insert(0, sys.argv[2])
import handler.app
handler.app.lambda_handler(json.load(open(sys.argv[1])), None)
"""
HARNESS = """
import json, sys
json.load(open(sys.argv[1]))
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


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, child CPU ms) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if status != 0:
        raise SystemExit(f"error: {argv[:3]} exited with status {status}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def site_packages_of(module: str) -> Path:
    """The directory a top-level package is installed in (without importing it)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"error: {module} is not installed for {sys.executable}")
    return Path(next(iter(spec.submodule_search_locations))).parent


def copy_without_bytecode(src: Path, dest: Path) -> None:
    """Copy a site-packages directory minus __pycache__ and pip (a cold, unpacked layer)."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "pip", "pip-*"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="?", type=int, default=30)
    ap.add_argument("--python", help="interpreter to run on (default: see bench/_interp.py)")
    args = ap.parse_args()
    _interp.reexec_under(_interp.choose(args.python))
    sys.path.insert(0, str(REPO))
    from s3_lambda_trigger.packaging import build  # noqa: PLC0415
    from s3_lambda_trigger.samples import make_event  # noqa: PLC0415

    runs = args.runs
    tmp = Path(tempfile.mkdtemp(prefix="coldstart-"))
    event = tmp / "event.json"
    event.write_text(json.dumps(make_event("put", "bucket", "incoming/보고서 1.csv")))
    task, task_pyc = tmp / "task", tmp / "task-pyc"
    for zip_dir, bytecode in ((task, False), (task_pyc, True)):  # as `make package` builds it
        build(tmp / f"{zip_dir.name}.zip", bytecode=bytecode, python=sys.executable)
        with zipfile.ZipFile(tmp / f"{zip_dir.name}.zip") as zf:
            zf.extractall(zip_dir)
    py = sys.executable
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    nopyc = {**base_env, "PYTHONDONTWRITEBYTECODE": "1"}
    pt_src = tmp / "powertools-site-packages"
    copy_without_bytecode(site_packages_of("aws_lambda_powertools"), pt_src)
    cases = {
        BARE_CASE: ([py, "-c", "pass"], base_env),
        HARNESS_CASE: ([py, "-c", HARNESS, str(event)], base_env),
        OURS_CASE: ([py, "-c", OURS, str(event), str(task)], nopyc),
        OURS_ZIP_PYC_CASE: ([py, "-c", OURS, str(event), str(task_pyc)], nopyc),
        OURS_PYC_CASE: ([py, "-c", OURS, str(event), str(REPO)], base_env),
        PT_CASE: ([py, "-c", POWERTOOLS, str(event)], {**nopyc, "PYTHONPATH": str(pt_src)}),
        PT_PYC_CASE: ([py, "-c", POWERTOOLS, str(event)], base_env),
    }
    for argv, env in cases.values():  # warm the OS cache and write bytecode where allowed
        run(argv, env)
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so drift hits every case alike
        for name, (argv, env) in cases.items():
            w, c = run(argv, env)
            wall[name].append(w)
            cpu[name].append(c)
    load = os.getloadavg()[0]

    def added(samples: dict[str, list[float]], name: str) -> float:
        return statistics.median(samples[name]) - statistics.median(samples[BARE_CASE])

    print(f"cold start, {runs} interleaved runs per case, every case on {_interp.describe()}")
    print(f"load average {load:.1f} (with other work running, wall times are inflated)")
    print("wall = median wall-clock ms, min = fastest run, cpu = median user+sys ms of the child")
    cols = f"{'wall ms':>8} {'min':>6} {'p90':>6} {'added':>6} {'cpu ms':>8} {'added':>6}"
    print(f"{'case':30} {cols}")
    results = []
    for name in cases:
        wm, cm = statistics.median(wall[name]), statistics.median(cpu[name])
        p90 = statistics.quantiles(wall[name], n=10)[-1]
        aw, ac = added(wall, name), added(cpu, name)
        lo = min(wall[name])
        print(f"{name:30} {wm:8.1f} {lo:6.1f} {p90:6.1f} {aw:6.1f} {cm:8.1f} {ac:6.1f}")
        results.append(
            {
                "case": name,
                "median_ms": round(wm, 2),
                "min_ms": round(lo, 2),
                "p90_ms": round(p90, 2),
                "added_ms": round(aw, 2),
                "cpu_median_ms": round(cm, 2),
                "cpu_added_ms": round(ac, 2),
            }
        )

    verdicts: list[dict[str, Any]] = []
    for label, metric in (("wall", wall), ("cpu", cpu)):
        ours_added = added(metric, OURS_CASE)
        pairs: list[dict[str, Any]] = []
        for pair, ours, powertools, is_target in PAIRS:
            ours_ms, pt_ms = added(metric, ours), added(metric, powertools)
            ratio = pt_ms / ours_ms if ours_ms > 0 else float("inf")
            pairs.append(
                {
                    "pair": pair,
                    "ours": ours,
                    "powertools": powertools,
                    "ratio": round(ratio, 2),
                    "target": is_target,
                    "pass": ratio >= TARGET_RATIO,
                }
            )
        targets = [p for p in pairs if p["target"]]
        verdicts.append(
            {
                "metric": label,
                "ours_added_ms": round(ours_added, 2),
                "added_pass": ours_added <= TARGET_ADDED_MS,
                "powertools_ratio": min(p["ratio"] for p in targets),  # the worse target pair
                "ratio_pass": all(p["pass"] for p in targets),
                "pairs": pairs,
            }
        )
    print(f"\n{'target':46} {'wall':>13} {'cpu':>13}")

    def cells(values: list[str]) -> str:
        return f"{values[0]:>13} {values[1]:>13}"

    row = [f"{v['ours_added_ms']:.2f} ms {'PASS' if v['added_pass'] else 'MISS'}" for v in verdicts]
    print(f"{f'ours (zip, no .pyc) adds <= {TARGET_ADDED_MS:g} ms':46} {cells(row)}")
    for i, (pair, _, _, is_target) in enumerate(PAIRS):
        row = []
        for v in verdicts:
            p = v["pairs"][i]
            mark = ("PASS" if p["pass"] else "MISS") if is_target else "info"
            row.append(f"{p['ratio']:.2f}x {mark}")
        what = f"powertools/ours >= {TARGET_RATIO:g}x" if is_target else "powertools/ours"
        print(f"{f'{what}, {pair}':46} {cells(row)}")

    out = REPO / "build" / "bench" / "cold_start.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "runs": runs,
        "load_average": round(load, 2),
        "target_added_ms": TARGET_ADDED_MS,
        "target_ratio": TARGET_RATIO,
        "verdicts": verdicts,
        "results": results,
    }
    out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
