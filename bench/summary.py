"""One table over every benchmark's JSON in build/bench/: metric, value, target, PASS/MISS.

Reads cold_start.json (bench/cold_start.py), parse.json (bench/parse.py), zip_size.json
(bench/zip_size.py), package.json, e2e.json (bench/e2e.py), deploy.json (bench/deploy.py) and
backfill.json (bench/backfill.py); a file that is missing shows as n/a. e2e and deploy give
rows per delivery mode (direct, sqs, eventbridge): latency cold / p50 / p99, burst drain /
missing / duplicates, and apply of the module against the hand-written stack of the same
resources (target 1.1x); backfill the command's objects/s against a sequential loop (10x).
Targets are the ones below (the zip's, deploy's and backfill's come from their own JSON); rows
without a target are informational.
Exit status is 0 unless no result file exists: this reports, it does not gate. Writes
build/bench/summary.json.

Usage: python bench/summary.py
"""

from __future__ import annotations

import json
import operator
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "build" / "bench"

# Targets. A benchmark's own JSON wins when it carries one (cold_start.json: target_added_ms,
# target_ratio; parse.json: target_ratio; zip_size.json: target_bytes); these are the
# fallbacks, equal to the scripts' constants.
COLD_START_ADDED_MS_MAX = 15.0  # our import + one event, zip contents, no .pyc
COLD_START_VS_POWERTOOLS_MIN = 5.0  # Powertools' added cold start / ours
PARSE_VS_POWERTOOLS_MIN = 2.0  # our records/s / Powertools'
E2E_COLD_MS_MAX = 2000.0  # first upload after apply -> handler done (emulator)
E2E_WARM_P99_MS_MAX = 250.0
DEPLOY_APPLY_RATIO_MAX = 1.1  # module apply / hand-written stack apply, per mode
BACKFILL_VS_LOOP_MIN = 10.0  # backfill objects/s / a sequential one-invoke-per-object loop's

Compare = Callable[[float, float], bool]


@dataclass(frozen=True)
class Row:
    metric: str
    value: float | None
    unit: str = ""
    target: float | None = None
    compare: Compare | None = None
    source: str = ""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        if self.target is None or self.compare is None:
            return "info"
        return "PASS" if self.compare(self.value, self.target) else "MISS"

    def target_text(self) -> str:
        if self.target is None or self.compare is None:
            return "-"
        sign: dict[Compare, str] = {
            operator.le: "<=",
            operator.lt: "<",
            operator.ge: ">=",
            operator.eq: "==",
        }
        return f"{sign.get(self.compare, '?')} {number(self.target)}{self.unit}"


def number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def dig(data: dict[str, Any] | None, *keys: str) -> Any:
    value: Any = data
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def cold_start_rows(data: dict[str, Any] | None) -> list[Row]:
    src = "cold_start.json"
    added_max = dig(data, "target_added_ms") or COLD_START_ADDED_MS_MAX
    ratio_min = dig(data, "target_ratio") or COLD_START_VS_POWERTOOLS_MIN
    verdicts = {v["metric"]: v for v in (dig(data, "verdicts") or []) if isinstance(v, dict)}
    rows = []
    for metric in ("wall", "cpu"):
        v = verdicts.get(metric)
        if v is None:
            continue
        rows += [
            Row(
                f"cold start added, zip no .pyc ({metric})",
                v.get("ours_added_ms"),
                " ms",
                added_max,
                operator.le,
                src,
            ),
            Row(
                f"cold start ratio Powertools/ours ({metric})",  # the worse like-for-like pair
                v.get("powertools_ratio"),
                "x",
                ratio_min,
                operator.ge,
                src,
            ),
        ]
    for result in dig(data, "results") or []:
        if isinstance(result, dict) and result.get("case") == "ours, zip with .pyc (default)":
            rows.append(
                Row(
                    "cold start added, zip with .pyc (wall)",
                    result.get("added_ms"),
                    " ms",
                    source=src,
                )
            )
    return rows


def parse_rows(data: dict[str, Any] | None) -> list[Row]:
    src = "parse.json"
    return [
        Row("parse records/s, ours", dig(data, "records_per_second", "ours"), "/s", source=src),
        Row(
            "parse: ours / Powertools",
            dig(data, "ratio"),
            "x",
            dig(data, "target_ratio") or PARSE_VS_POWERTOOLS_MIN,
            operator.ge,
            src,
        ),
    ]


def zip_rows(data: dict[str, Any] | None) -> list[Row]:
    target = dig(data, "target_bytes")
    return [
        Row(
            "handler zip size, no bytecode",
            dig(data, "bytes"),
            " B",
            target,
            operator.lt if target is not None else None,
            "zip_size.json",
        ),
        Row(
            "handler zip size, with bytecode (default)",
            dig(data, "bytecode"),
            " B",
            None,
            None,
            "zip_size.json",
        ),
    ]


MODES = ("direct", "sqs", "eventbridge")


def e2e_rows(data: dict[str, Any] | None) -> list[Row]:
    """Per delivery mode (e2e.json "modes"): latency cold / p50 / p99, burst drain and losses.
    The latency targets are direct mode's (S3 invokes the function itself); the queue and
    EventBridge hops add the emulator's polling, so their latencies are informational."""
    src = "e2e.json"
    modes: dict[str, Any] = dig(data, "modes") or {mode: None for mode in MODES}
    rows: list[Row] = []
    for mode, m in modes.items():
        direct = mode == "direct"
        matching = dig(m, "burst", "matching")
        label = f"burst {matching} (+{matching})" if matching else "burst"
        rows += [
            Row(
                f"e2e {mode}: cold upload -> done (log-ts)",
                dig(m, "cold", "log_ts_ms"),
                " ms",
                E2E_COLD_MS_MAX if direct else None,
                operator.le if direct else None,
                src,
            ),
            Row(
                f"e2e {mode}: warm p50 (log-ts)",
                dig(m, "warm", "log_ts_ms", "p50"),
                " ms",
                source=src,
            ),
            Row(
                f"e2e {mode}: warm p99 (log-ts)",
                dig(m, "warm", "log_ts_ms", "p99"),
                " ms",
                E2E_WARM_P99_MS_MAX if direct else None,
                operator.le if direct else None,
                src,
            ),
            Row(f"e2e {mode}: {label} drain", dig(m, "burst", "drain_log_ts_s"), " s", source=src),
            Row(f"e2e {mode}: burst missing", dig(m, "burst", "missing"), "", 0, operator.eq, src),
            Row(
                f"e2e {mode}: burst duplicates (redeliveries)",
                dig(m, "burst", "duplicates"),
                "",
                source=src,
            ),
            Row(
                f"e2e {mode}: burst non-matching handled",
                dig(m, "burst", "non_matching_handled"),
                "",
                0,
                operator.eq,
                src,
            ),
        ]
    return rows


def deploy_rows(data: dict[str, Any] | None) -> list[Row]:
    """Per delivery mode (deploy.json "modes"): module and hand-written apply, the ratio
    against the 1.1x target, destroy ratio, and a clean re-plan of both stacks."""
    src = "deploy.json"
    target = dig(data, "target_apply_ratio") or DEPLOY_APPLY_RATIO_MAX
    modes: dict[str, Any] = dig(data, "modes") or {mode: None for mode in MODES}
    rows: list[Row] = []
    for mode, m in modes.items():
        module = dig(m, "module") or f"module-{mode}"
        handwritten = dig(m, "handwritten") or f"handwritten-{mode}"
        stacks = [dig(data, "stacks", module), dig(data, "stacks", handwritten)]
        changes = [dig(s, "replan_changes") for s in stacks]
        rows += [
            Row(
                f"deploy {mode}: module apply",
                dig(stacks[0], "steps", "apply", "median_s"),
                " s",
                source=src,
            ),
            Row(
                f"deploy {mode}: hand-written apply",
                dig(stacks[1], "steps", "apply", "median_s"),
                " s",
                source=src,
            ),
            Row(
                f"deploy {mode}: apply module / hand-written",
                dig(m, "ratios", "apply"),
                "x",
                target,
                operator.le,
                src,
            ),
            Row(
                f"deploy {mode}: destroy module / hand-written",
                dig(m, "ratios", "destroy"),
                "x",
                source=src,
            ),
            Row(
                f"deploy {mode}: re-plan shows changes",
                None if None in changes else sum(int(bool(c)) for c in changes),
                "",
                0,
                operator.eq,
                src,
            ),
        ]
    rows.append(
        Row(
            "deploy: minimal 4-resource stack apply",
            dig(data, "stacks", "minimal", "steps", "apply", "median_s"),
            " s",
            source=src,
        )
    )
    return rows


def backfill_rows(data: dict[str, Any] | None) -> list[Row]:
    """bench/backfill.py: objects/s of each backfill run (the command's default first) against
    the sequential RequestResponse loop (target 10x, for the default), objects never handled,
    peak RSS."""
    src = "backfill.json"
    target = dig(data, "target_ratio") or BACKFILL_VS_LOOP_MIN
    rows = [Row("backfill: loop objects/s", dig(data, "loop", "objects_per_s"), "/s", source=src)]
    for run in dig(data, "backfills") or [{"records_per_event": None}]:
        per = run.get("records_per_event")
        name = "backfill default" if per is None else f"backfill --records-per-event {per}"
        rows += [
            Row(f"{name}: objects/s", run.get("objects_per_s"), "/s", source=src),
            Row(
                f"{name}: / loop",
                run.get("ratio"),
                "x",
                target if per is None else None,
                operator.ge if per is None else None,
                src,
            ),
            Row(f"{name}: missing", dig(run, "drain", "missing"), "", 0, operator.eq, src),
            Row(f"{name}: peak RSS", run.get("max_rss_mb"), " MB", source=src),
        ]
    return rows


def package_rows(data: dict[str, Any] | None) -> list[Row]:
    """bench/package.py: build time of the example-like zip (Pillow), ours and naive pip."""
    rows = []
    for case in dig(data, "cases") or []:
        if isinstance(case, dict) and case.get("seconds") is not None:
            label = f"package {case['case']}, {case['arch']}, {case['cache']}"
            rows.append(Row(label[:44], case["seconds"], " s", source="package.json"))
    return rows


def main() -> int:
    files = (
        "cold_start.json",
        "parse.json",
        "zip_size.json",
        "package.json",
        "e2e.json",
        "deploy.json",
        "backfill.json",
    )
    data = {name: load(name) for name in files}
    rows = [
        *cold_start_rows(data["cold_start.json"]),
        *parse_rows(data["parse.json"]),
        *zip_rows(data["zip_size.json"]),
        *package_rows(data["package.json"]),
        *e2e_rows(data["e2e.json"]),
        *deploy_rows(data["deploy.json"]),
        *backfill_rows(data["backfill.json"]),
    ]
    print(f"{'metric':48} {'value':>14} {'target':>14}  result")
    for row in rows:
        value = "-" if row.value is None else f"{number(row.value)}{row.unit}"
        print(f"{row.metric:48} {value:>14} {row.target_text():>14}  {row.verdict}")
    verdicts = [r.verdict for r in rows]
    print(
        f"\n{verdicts.count('PASS')} PASS, {verdicts.count('MISS')} MISS, "
        f"{verdicts.count('n/a')} n/a (missing: "
        f"{', '.join(n for n, d in data.items() if d is None) or 'none'})"
    )
    out = RESULTS / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            [
                {
                    "metric": r.metric,
                    "value": r.value,
                    "unit": r.unit.strip(),
                    "target": r.target_text(),
                    "result": r.verdict,
                    "source": r.source,
                }
                for r in rows
            ],
            indent=2,
        )
        + "\n"
    )
    return 0 if any(d is not None for d in data.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
