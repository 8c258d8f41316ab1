"""Deploy-time cost: the module (examples/basic) beside the classic tutorial by hand
(bench/stacks/minimal), on the same emulator (prints tables; no targets enforced).

For each stack, a fresh private copy with a unique name, one full cycle per --repeat:
init, validate, plan, apply, plan again (must show no changes), destroy. Wall times are
medians over the repeats; the ratio module/minimal is printed per step, with the target
"apply within 1.3x of minimal".

Where the time goes:
- provider start-up: a third stack, "provider-only", has the provider block and one data
  source that makes no API call (aws_partition), so its plan is CLI start + provider
  start/configure and nothing else; `terraform version` is the bare CLI.
- apply/destroy: `-json` output; each resource's apply_start/apply_complete timestamps
  give its start offset and duration, the time before the first resource starts
  (CLI + provider start, refresh, plan) and after the last one ends (state, shutdown).
  The slowest resources and the chain that decided the wall time are listed.

--what-if adds a variant "module-noqueue": examples/basic with create_failure_queue = false,
to show what the module's on-failure queue costs.

Needs the emulator at AWS_ENDPOINT_URL (`make bench` starts it) and TF_CLI_CONFIG_FILE
(`make` exports build/terraformrc). Writes build/bench/deploy.json. Exits non-zero only when
a measurement failed (a terraform step failed or a re-plan showed changes).

Usage: python bench/deploy.py [--repeat 1] [--what-if]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e import WORK, ZIP, private_copy, remove_copy  # noqa: E402

from tools.stack import OVERRIDE_FILE, endpoint, provider_override  # noqa: E402

OUT = REPO / "build" / "bench"
TARGET_APPLY_RATIO = 1.3
STEPS = ("init", "validate", "plan", "apply", "replan", "destroy")
PROVIDER_ONLY = """terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

# Computed from the provider configuration alone: starts and configures the provider, no API call.
data "aws_partition" "current" {}
"""


class StepFailed(RuntimeError):
    """A terraform command failed; the message carries its output."""


@dataclass
class Op:
    """One resource operation from `terraform apply -json` (seconds from command start)."""

    addr: str
    action: str
    start: float
    end: float
    elapsed_seconds: int | None  # what terraform itself reports (whole seconds)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Cycle:
    steps: dict[str, float] = field(default_factory=dict)
    apply_ops: list[Op] = field(default_factory=list)
    destroy_ops: list[Op] = field(default_factory=list)
    apply_phases: dict[str, float] = field(default_factory=dict)
    destroy_phases: dict[str, float] = field(default_factory=dict)
    replan_changes: bool | None = None
    replan_diff: list[str] = field(default_factory=list)


def terraform(directory: Path, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, str, int]:
    """Run one terraform command; return (wall seconds, stdout, exit code)."""
    started = time.perf_counter()
    proc = subprocess.run(
        ["terraform", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in ok:
        raise StepFailed(
            f"terraform {' '.join(args[:1])} in {directory} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return seconds, proc.stdout, proc.returncode


def parse_ops(stdout: str, started: float) -> list[Op]:
    """Resource operations from -json lines; times relative to the epoch second `started`."""
    begun: dict[tuple[str, str], tuple[float, Any]] = {}
    ops: list[Op] = []
    for raw in stdout.splitlines():
        try:
            msg = json.loads(raw)
        except json.JSONDecodeError:
            continue
        kind = msg.get("type")
        if kind not in ("apply_start", "apply_complete"):
            continue
        hook = msg["hook"]
        key = (hook["resource"]["addr"], hook["action"])
        at = datetime.fromisoformat(msg["@timestamp"]).timestamp() - started
        if kind == "apply_start":
            begun[key] = (at, None)
        elif key in begun:
            ops.append(Op(key[0], key[1], begun[key][0], at, hook.get("elapsed_seconds")))
    return sorted(ops, key=lambda o: o.start)


def plan_changes(stdout: str) -> list[str]:
    """Each planned change in `terraform plan -json` as "action address".

    resource_drift messages also appear for refreshed attributes that need no change, so
    they are left out."""
    found = []
    for raw in stdout.splitlines():
        try:
            msg = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if msg.get("type") == "planned_change":
            change = msg["change"]
            found.append(f"{change['action']} {change['resource']['addr']}")
    return found


def phases(ops: list[Op], wall: float) -> dict[str, float]:
    """Split the wall time around the managed resources' operations (data source reads,
    which happen during the plan inside apply, count as "before")."""
    managed = [o for o in ops if o.action != "read"]
    if not managed:
        return {"wall": wall}
    first, last = min(o.start for o in managed), max(o.end for o in managed)
    return {
        "wall": wall,
        "before_first_resource": first,
        "resources": last - first,
        "after_last_resource": wall - last,
    }


def critical_chain(ops: list[Op], slack: float = 1.0) -> list[Op]:
    """Heuristic: from the last op to finish, step back to the op that finished last before
    it started (within `slack` seconds); what the wall time waited for."""
    if not ops:
        return []
    chain = [max(ops, key=lambda o: o.end)]
    while True:
        current = chain[-1]
        before = [
            o
            for o in ops
            if o.start < current.start and o.end <= current.start + 0.05 and o not in chain
        ]
        if not before:
            break
        previous = max(before, key=lambda o: o.end)
        if current.start - previous.end > slack:
            break
        chain.append(previous)
    return list(reversed(chain))


def timed_json(directory: Path, *args: str) -> tuple[float, list[Op]]:
    started = time.time()
    seconds, stdout, _ = terraform(directory, *args)
    return seconds, parse_ops(stdout, started)


def cycle(kind: str, source: Path | None, url: str) -> Cycle:
    name = f"bench-dep-{uuid.uuid4().hex[:8]}"
    if source is None:  # provider-only
        directory = WORK / name / "provider-only"
        directory.mkdir(parents=True)
        (directory / "main.tf").write_text(PROVIDER_ONLY)
    else:
        directory = private_copy(source, name)
        if kind == "module-noqueue":
            main = directory / "main.tf"
            main.write_text(
                main.read_text().replace(
                    "force_destroy = true", "force_destroy = true\n  create_failure_queue = false"
                )
            )
    (directory / OVERRIDE_FILE).write_text(provider_override(url))
    variables = [] if source is None else ["-var", f"name={name}", "-var", f"package_file={ZIP}"]
    result = Cycle()
    applied = False
    try:
        result.steps["init"], _, _ = terraform(directory, "init", "-input=false", "-no-color")
        result.steps["validate"], _, _ = terraform(directory, "validate", "-no-color")
        result.steps["plan"], _, _ = terraform(
            directory, "plan", "-input=false", "-no-color", *variables
        )
        if source is None:
            return result
        applied = True
        wall, result.apply_ops = timed_json(
            directory, "apply", "-auto-approve", "-input=false", "-json", *variables
        )
        result.steps["apply"] = wall
        result.apply_phases = phases(result.apply_ops, wall)
        wall, stdout, code = terraform(
            directory,
            "plan",
            "-input=false",
            "-json",
            "-detailed-exitcode",
            *variables,
            ok=(0, 2),
        )
        result.steps["replan"] = wall
        result.replan_changes = code == 2
        result.replan_diff = plan_changes(stdout)
    finally:
        if applied:
            wall, result.destroy_ops = timed_json(
                directory, "destroy", "-auto-approve", "-input=false", "-json", *variables
            )
            result.steps["destroy"] = wall
            result.destroy_phases = phases(result.destroy_ops, wall)
        remove_copy(directory)
    return result


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def per_resource(runs: list[list[Op]]) -> dict[str, float]:
    durations: dict[str, list[float]] = {}
    for ops in runs:
        for op in ops:
            durations.setdefault(op.addr, []).append(op.duration)
    ranked = {addr: median(d) for addr, d in durations.items()}
    return dict(sorted(ranked.items(), key=lambda kv: -kv[1]))


def summarize(cycles: list[Cycle]) -> dict[str, Any]:
    steps = {
        step: {"median_s": median(runs), "runs_s": [round(r, 2) for r in runs]}
        for step in STEPS
        if (runs := [c.steps[step] for c in cycles if step in c.steps])
    }
    out: dict[str, Any] = {"steps": steps}
    if any(c.apply_ops for c in cycles):
        first = cycles[0]
        out["apply_phases"] = {
            k: median([c.apply_phases[k] for c in cycles]) for k in first.apply_phases
        }
        out["destroy_phases"] = {
            k: median([c.destroy_phases[k] for c in cycles]) for k in first.destroy_phases
        }
        out["apply_resources_s"] = per_resource([c.apply_ops for c in cycles])
        out["destroy_resources_s"] = per_resource([c.destroy_ops for c in cycles])
        out["apply_timeline"] = [asdict(o) for o in first.apply_ops]
        out["apply_critical_chain"] = [o.addr for o in critical_chain(first.apply_ops)]
        out["destroy_critical_chain"] = [o.addr for o in critical_chain(first.destroy_ops)]
        out["replan_changes"] = any(c.replan_changes for c in cycles)
        out["replan_diff"] = sorted({d for c in cycles for d in c.replan_diff})
    return out


def versions() -> dict[str, str]:
    try:
        raw = subprocess.run(
            ["terraform", "version", "-json"], capture_output=True, text=True, check=True
        ).stdout
        info = json.loads(raw)
        return {"terraform": info.get("terraform_version", "?")}
    except (OSError, subprocess.CalledProcessError, json.JSONDecodeError):
        return {"terraform": "?"}


def short(addr: str) -> str:
    return re.sub(r"^module\.uploads\.", "", addr)


def print_report(result: dict[str, Any]) -> None:
    stacks: dict[str, Any] = result["stacks"]
    names = list(stacks)
    print(f"\ndeploy on {result['endpoint']}, terraform {result['terraform']}, ", end="")
    print(f"median of {result['repeat']} cycle(s); `terraform version`: {result['cli_s']} s")
    header = f"{'step (wall s)':14}" + "".join(f"{n:>16}" for n in names)
    print(header + f"{'module/minimal':>16}")
    for step in STEPS:
        cells = [stacks[n]["steps"].get(step, {}).get("median_s") for n in names]
        ratio = result["ratios"].get(step)
        print(
            f"{step:14}"
            + "".join(f"{'-' if c is None else f'{c:.2f}':>16}" for c in cells)
            + f"{'-' if ratio is None else f'{ratio:.2f}x':>16}"
        )
    t = result["target"]
    verdict = "PASS" if t["pass"] else "MISS"
    print(
        f"target: module apply within {t['apply_ratio_max']}x of minimal: "
        f"{t['apply_ratio']:.2f}x -> {verdict}"
    )

    print(
        "\napply/destroy phases (median s): before first resource (CLI, provider start, "
        "refresh, plan) | resources | after last"
    )
    for n in names:
        for what in ("apply", "destroy"):
            p = stacks[n].get(f"{what}_phases")
            if p and "resources" in p:
                print(
                    f"  {n:16} {what:8} wall {p['wall']:6.2f} = {p['before_first_resource']:6.2f}"
                    f" | {p['resources']:6.2f} | {p['after_last_resource']:5.2f}"
                )

    for n in names:
        res = stacks[n].get("apply_resources_s")
        if not res:
            continue
        print(f"\n{n}: slowest resources (median s)       apply   destroy")
        destroy = stacks[n]["destroy_resources_s"]
        for addr, seconds in list(res.items())[:6]:
            print(f"  {short(addr):38} {seconds:7.2f} {destroy.get(addr, float('nan')):9.2f}")
        print("  apply chain: " + " -> ".join(short(a) for a in stacks[n]["apply_critical_chain"]))
        print(
            "  destroy chain: " + " -> ".join(short(a) for a in stacks[n]["destroy_critical_chain"])
        )

    first = next(iter(stacks))
    print(f"\n{first}: apply timeline of the first cycle (s from command start)")
    for op in stacks[first]["apply_timeline"]:
        bar = " " * int(op["start"]) + "#" * max(1, round(op["end"] - op["start"]))
        print(
            f"  {short(op['addr'])[:44]:44} {op['start']:6.2f} +{op['end'] - op['start']:6.2f} "
            f"{bar[:80]}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="full cycles per stack")
    parser.add_argument(
        "--what-if", action="store_true", help="add the module without its on-failure queue"
    )
    args = parser.parse_args()
    if not ZIP.exists():
        print(f"error: {ZIP} missing; run `make package`", file=sys.stderr)
        return 2
    if "TF_CLI_CONFIG_FILE" not in os.environ and (REPO / "build" / "terraformrc").exists():
        os.environ["TF_CLI_CONFIG_FILE"] = str(REPO / "build" / "terraformrc")

    url = endpoint()
    kinds: dict[str, Path | None] = {
        "module": REPO / "examples" / "basic",
        "minimal": REPO / "bench" / "stacks" / "minimal",
    }
    if args.what_if:
        kinds["module-noqueue"] = REPO / "examples" / "basic"
    kinds["provider-only"] = None

    cli_s, _, _ = terraform(REPO, "version")
    cycles: dict[str, list[Cycle]] = {k: [] for k in kinds}
    failed: list[str] = []
    for rep in range(args.repeat):  # interleaved, so drift hits every stack alike
        for kind, source in kinds.items():
            print(f"cycle {rep + 1}/{args.repeat}: {kind}", flush=True)
            try:
                done = cycle(kind, source, url)
            except StepFailed as error:
                failed.append(f"{kind}: {error}")
                continue
            if done.replan_changes:
                failed.append(f"{kind}: plan after apply shows changes: {done.replan_diff}")
            cycles[kind].append(done)

    stacks = {k: summarize(c) for k, c in cycles.items() if c}
    ratios: dict[str, float] = {}
    if "module" in stacks and "minimal" in stacks:
        for step in STEPS:
            a = stacks["module"]["steps"].get(step, {}).get("median_s")
            b = stacks["minimal"]["steps"].get(step, {}).get("median_s")
            if a is not None and b:
                ratios[step] = round(a / b, 2)
    apply_ratio = ratios.get("apply")
    result: dict[str, Any] = {
        "endpoint": url,
        **versions(),
        "repeat": args.repeat,
        "cli_s": round(cli_s, 2),
        "stacks": stacks,
        "ratios": ratios,
        "target": {
            "apply_ratio_max": TARGET_APPLY_RATIO,
            "apply_ratio": apply_ratio,
            "pass": apply_ratio is not None and apply_ratio <= TARGET_APPLY_RATIO,
        },
        "failed": failed,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "deploy.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    if apply_ratio is not None:
        print_report(result)
    print(f"wrote {path}")
    for reason in failed:
        print(f"error: {reason}", file=sys.stderr)
    return 1 if failed or apply_ratio is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
