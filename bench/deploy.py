"""Deploy-time cost per delivery mode: the module beside the same resources written by hand,
like for like, on the same emulator (prints tables; target: module apply within 1.1x).

Stacks (bench/stacks/):
- module-<mode>: bench/stacks/module (examples/basic's configuration) with delivery = <mode>;
  every default kept, the on-failure queue included (direct, eventbridge).
- handwritten-<mode>: what the module makes in that mode, written by hand:
  direct: bucket, role + policies, log group, function, S3 permission, notification, on-failure
    queue + event invoke config;
  sqs: bucket, queue + DLQ (redrive policy), the queue policy as a separate aws_sqs_queue_policy
    (what people usually write), event source mapping, function, role + policy, log group;
  eventbridge: bucket with EventBridge on, rule, target with retry policy + DLQ queue (policy
    inline), permission, function, role + policies, log group, on-failure queue + invoke config.
- minimal: the classic 4-resource tutorial (bench/stacks/minimal), a floor, informational.
- provider-only: the provider and one data source that makes no API call (aws_partition): its
  plan is CLI start + provider start/configure; `terraform version` is the bare CLI.

For each stack, a fresh private copy with a unique name, one full cycle per --repeat: init,
validate, plan, apply, plan again (must show no changes), destroy. Stacks run one at a time,
interleaved (module then hand-written per mode) so drift hits both alike. Wall times are medians
over the repeats; per mode the ratio module / hand-written is printed per step.

Where the time goes: `apply -json` / `destroy -json` give each resource's apply_start and
apply_complete; the timeline of every stack is printed as bars (one character per second) so
one sees which waits overlap. Each aws_sqs_queue and aws_sqs_queue_policy costs a fixed ~25 s
in the provider (it polls the queue's attributes until they settle). The chain that decided the
wall time follows the real dependencies (`terraform show -json` after apply: each resource's
dependencies): from the resource that finished last, back through the dependency that finished
last, and so on.

--what-if adds "module-direct-noqueue" (create_failure_queue = false).

Needs the emulator at AWS_ENDPOINT_URL (`make bench` starts it) and TF_CLI_CONFIG_FILE
(`make` exports build/terraformrc). Writes build/bench/deploy.json. Exits non-zero only when a
measurement failed (a terraform step failed or a re-plan showed changes).

Usage: python bench/deploy.py [--repeat 3] [--modes direct,sqs,eventbridge] [--what-if]
       [--no-minimal] [--output build/bench/deploy.json]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import re
import resource
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

from e2e import MODES, WORK, ZIP, parse_modes, private_copy, remove_copy  # noqa: E402

from tools.stack import INIT_LOCK, OVERRIDE_FILE, endpoint, provider_override  # noqa: E402

OUT = REPO / "build" / "bench"
STACKS = REPO / "bench" / "stacks"
TARGET_APPLY_RATIO = 1.1
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
# Resources with the provider's fixed wait after create (SQS attribute settling).
WAITERS = ("aws_sqs_queue", "aws_sqs_queue_policy")


class StepFailed(RuntimeError):
    """A terraform command failed; the message carries its output."""


@dataclass(frozen=True)
class Kind:
    """One stack to cycle: where its configuration is and which variables it takes."""

    name: str
    source: Path | None  # None: provider-only
    variables: dict[str, str] = field(default_factory=dict)


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

    @property
    def is_change(self) -> bool:
        """A managed resource's create/update/delete, not a data source read or a refresh
        (both belong to the plan inside the command)."""
        return self.action not in ("read", "refresh")


@dataclass
class Cycle:
    steps: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # user + sys of terraform + provider
    apply_ops: list[Op] = field(default_factory=list)
    destroy_ops: list[Op] = field(default_factory=list)
    apply_phases: dict[str, float] = field(default_factory=dict)
    destroy_phases: dict[str, float] = field(default_factory=dict)
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    replan_changes: bool | None = None
    replan_diff: list[str] = field(default_factory=list)
    provider: str | None = None
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


LAST_CPU: list[float] = [0.0]  # CPU seconds of the last terraform command (one thread only)


def terraform(directory: Path, *args: str, ok: tuple[int, ...] = (0,)) -> tuple[float, str, int]:
    """Run one terraform command; return (wall seconds, stdout, exit code). Its CPU time
    (terraform and the provider plugins it waited for) is left in LAST_CPU[0]."""
    cpu = children_cpu()
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
    LAST_CPU[0] = children_cpu() - cpu
    if proc.returncode not in ok:
        raise StepFailed(
            f"terraform {' '.join(args[:1])} in {directory} failed ({proc.returncode}):\n"
            f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return seconds, proc.stdout, proc.returncode


def init(directory: Path) -> float:
    """terraform init, holding tools/stack.py's lock: the plugin cache is not safe for
    concurrent installs (other stacks may init beside this run). Only the command is timed."""
    INIT_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with INIT_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            seconds, _, _ = terraform(directory, "init", "-input=false", "-no-color")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return seconds


def parse_ops(stdout: str, started: float) -> tuple[list[Op], float | None]:
    """Resource operations from -json lines, and when the plan inside the command was done
    (its change_summary); times relative to the epoch second `started`."""
    begun: dict[tuple[str, str], float] = {}
    ops: list[Op] = []
    plan_done: float | None = None
    for raw in stdout.splitlines():
        try:
            msg = json.loads(raw)
        except json.JSONDecodeError:
            continue
        kind = msg.get("type")
        at = datetime.fromisoformat(msg["@timestamp"]).timestamp() - started
        if kind == "change_summary" and msg["changes"].get("operation") in ("plan", None):
            plan_done = at if plan_done is None else plan_done
        if kind not in ("apply_start", "apply_complete", "refresh_start", "refresh_complete"):
            continue
        hook = msg["hook"]
        key = (hook["resource"]["addr"], hook.get("action", "refresh"))
        if kind in ("apply_start", "refresh_start"):
            begun[key] = at
        elif key in begun:
            ops.append(Op(key[0], key[1], begun[key], at, hook.get("elapsed_seconds")))
    return sorted(ops, key=lambda o: o.start), plan_done


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


def state_dependencies(directory: Path) -> dict[str, list[str]]:
    """Each managed resource instance's dependencies as recorded in the state (config
    addresses, without instance keys), from `terraform show -json`; {} when unavailable."""
    try:
        _, stdout, _ = terraform(directory, "show", "-json", "-no-color")
        document = json.loads(stdout)
    except (StepFailed, json.JSONDecodeError):
        return {}
    found: dict[str, list[str]] = {}

    def walk(module: dict[str, Any]) -> None:
        for item in module.get("resources", []):
            if item.get("mode") == "managed":
                found[item["address"]] = list(item.get("depends_on", []))
        for child in module.get("child_modules", []):
            walk(child)

    walk(document.get("values", {}).get("root_module", {}))
    return found


def base(addr: str) -> str:
    """A resource instance address without its instance keys (`x.y[0]` -> `x.y`)."""
    return re.sub(r"\[[^\]]*\]", "", addr)


def phases(ops: list[Op], wall: float, plan_done: float | None) -> dict[str, float]:
    """Split the wall time: the plan inside the command (CLI start, configuration, provider
    start, data source reads and refresh, planning: up to its change_summary), the start of
    the apply walk (the provider is started and configured again), the managed resources'
    operations, and what follows the last one (state, shutdown)."""
    managed = [o for o in ops if o.is_change]
    if not managed:
        return {"wall": wall}
    first, last = min(o.start for o in managed), max(o.end for o in managed)
    plan = first if plan_done is None or plan_done > first else plan_done
    return {
        "wall": wall,
        "plan": plan,
        "walk_start": first - plan,
        "before_first_resource": first,
        "resources": last - first,
        "after_last_resource": wall - last,
    }


def critical_chain(
    ops: list[Op], dependencies: dict[str, list[str]] | None = None, slack: float = 1.0
) -> list[Op]:
    """What the wall time waited for: from the op that finished last, back to the op it
    depended on that finished last, and so on. With the state's dependencies (apply) the
    edges are real; without them (destroy: the order is reversed and the state is gone) the
    op that finished last before the current one started, within `slack` seconds."""
    managed = [o for o in ops if o.is_change]
    if not managed:
        return []
    chain = [max(managed, key=lambda o: o.end)]
    while True:
        current = chain[-1]
        if dependencies:
            wanted = {base(d) for d in dependencies.get(current.addr, [])}
            before = [o for o in managed if base(o.addr) in wanted and o not in chain]
        else:
            before = [
                o
                for o in managed
                if o.start < current.start and o.end <= current.start + 0.05 and o not in chain
            ]
            before = [o for o in before if current.start - o.end <= slack]
        if not before:
            break
        chain.append(max(before, key=lambda o: o.end))
    return list(reversed(chain))


def timed_json(directory: Path, *args: str) -> tuple[float, list[Op], dict[str, float]]:
    started = time.time()
    seconds, stdout, _ = terraform(directory, *args)
    ops, plan_done = parse_ops(stdout, started)
    return seconds, ops, phases(ops, seconds, plan_done)


def provider_version(directory: Path) -> str | None:
    try:
        _, stdout, _ = terraform(directory, "version", "-json")
        selections: dict[str, str] = json.loads(stdout).get("provider_selections", {})
    except (StepFailed, json.JSONDecodeError):
        return None
    return selections.get("registry.terraform.io/hashicorp/aws")


def cycle(kind: Kind, url: str) -> Cycle:
    name = f"bench-dep-{uuid.uuid4().hex[:8]}"
    if kind.source is None:  # provider-only
        directory = WORK / name / "provider-only"
        directory.mkdir(parents=True)
        (directory / "main.tf").write_text(PROVIDER_ONLY)
    else:
        directory = private_copy(kind.source, name)
    (directory / OVERRIDE_FILE).write_text(provider_override(url))
    variables: list[str] = []
    if kind.source is not None:
        values = {"name": name, "package_file": str(ZIP), **kind.variables}
        for key, value in values.items():
            variables += ["-var", f"{key}={value}"]
    result = Cycle(load=(os.getloadavg()[0], 0.0))
    applied = False
    try:
        result.steps["init"] = init(directory)
        result.cpu["init"] = LAST_CPU[0]
        result.provider = provider_version(directory)
        result.steps["validate"], _, _ = terraform(directory, "validate", "-no-color")
        result.cpu["validate"] = LAST_CPU[0]
        result.steps["plan"], _, _ = terraform(
            directory, "plan", "-input=false", "-no-color", *variables
        )
        result.cpu["plan"] = LAST_CPU[0]
        if kind.source is None:
            return result
        applied = True  # a failed apply may still leave resources: destroy in any case
        wall, result.apply_ops, result.apply_phases = timed_json(
            directory, "apply", "-auto-approve", "-input=false", "-json", *variables
        )
        result.steps["apply"], result.cpu["apply"] = wall, LAST_CPU[0]
        result.dependencies = state_dependencies(directory)
        wall, stdout, code = terraform(
            directory,
            "plan",
            "-input=false",
            "-json",
            "-detailed-exitcode",
            *variables,
            ok=(0, 2),
        )
        result.steps["replan"], result.cpu["replan"] = wall, LAST_CPU[0]
        result.replan_changes = code == 2
        result.replan_diff = plan_changes(stdout)
    finally:
        if applied:
            wall, result.destroy_ops, result.destroy_phases = timed_json(
                directory, "destroy", "-auto-approve", "-input=false", "-json", *variables
            )
            result.steps["destroy"], result.cpu["destroy"] = wall, LAST_CPU[0]
        result.load = (result.load[0], os.getloadavg()[0])
        remove_copy(directory)
    return result


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def per_resource(runs: list[list[Op]]) -> dict[str, float]:
    durations: dict[str, list[float]] = {}
    for ops in runs:
        for op in ops:
            if op.is_change:
                durations.setdefault(op.addr, []).append(op.duration)
    ranked = {addr: median(d) for addr, d in durations.items()}
    return dict(sorted(ranked.items(), key=lambda kv: -kv[1]))


def rounded(op: Op) -> dict[str, Any]:
    out = asdict(op)
    out["start"], out["end"] = round(op.start, 2), round(op.end, 2)
    return out


def summarize(cycles: list[Cycle]) -> dict[str, Any]:
    steps = {
        step: {"median_s": median(runs), "runs_s": [round(r, 2) for r in runs]}
        for step in STEPS
        if (runs := [c.steps[step] for c in cycles if step in c.steps])
    }
    cpu = {
        step: median(runs)
        for step in STEPS
        if (runs := [c.cpu[step] for c in cycles if step in c.cpu])
    }
    out: dict[str, Any] = {
        "steps": steps,
        "cpu_s": cpu,
        "load_average": [[round(x, 2) for x in c.load] for c in cycles],
    }
    if any(c.apply_ops for c in cycles):
        first = cycles[0]
        out["apply_phases"] = {
            k: median([c.apply_phases[k] for c in cycles]) for k in first.apply_phases
        }
        out["apply_phases_runs"] = [
            {k: round(v, 2) for k, v in c.apply_phases.items()} for c in cycles
        ]
        out["destroy_phases"] = {
            k: median([c.destroy_phases[k] for c in cycles]) for k in first.destroy_phases
        }
        out["apply_resources_s"] = per_resource([c.apply_ops for c in cycles])
        out["destroy_resources_s"] = per_resource([c.destroy_ops for c in cycles])
        out["apply_timeline"] = [rounded(o) for o in first.apply_ops if o.is_change]
        out["destroy_timeline"] = [rounded(o) for o in first.destroy_ops]
        out["destroy_slowest_refresh"] = [
            rounded(o)
            for o in sorted(first.destroy_ops, key=lambda o: -o.duration)
            if o.action in ("read", "refresh")
        ][:3]
        out["apply_critical_chain"] = [
            rounded(o) for o in critical_chain(first.apply_ops, first.dependencies)
        ]
        out["destroy_critical_chain"] = [rounded(o) for o in critical_chain(first.destroy_ops)]
        out["resources"] = len({o.addr for o in first.apply_ops if o.is_change})
        out["waiters"] = sorted(
            o.addr for o in first.apply_ops if base(o.addr).split(".")[-2] in WAITERS
        )
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


def chain_text(chain: list[dict[str, Any]]) -> str:
    return " -> ".join(f"{short(o['addr'])} ({o['end'] - o['start']:.1f})" for o in chain)


def print_timeline(name: str, stack: dict[str, Any]) -> None:
    wall = stack["steps"]["apply"]["runs_s"][0]
    scale = max(1, math.ceil(wall / 90))  # seconds per character
    print(
        f"\n{name}: apply timeline, first cycle (s from command start; one # = {scale} s; "
        f"* = SQS settle wait resource); wall {wall:.1f} s"
    )
    for op in stack["apply_timeline"]:
        start, end = op["start"], op["end"]
        bar = " " * int(start / scale) + "#" * max(1, round((end - start) / scale))
        mark = "*" if base(op["addr"]).split(".")[-2] in WAITERS else " "
        print(f" {mark}{short(op['addr'])[:46]:46} {start:6.1f} +{end - start:5.1f} {bar}")
    print("  chain: " + chain_text(stack["apply_critical_chain"]))


def print_report(result: dict[str, Any]) -> None:
    stacks: dict[str, Any] = result["stacks"]
    print(
        f"\ndeploy on {result['endpoint']}, terraform {result['terraform']}, provider "
        f"{result.get('provider')}, median of {result['repeat']} cycle(s); "
        f"`terraform version`: {result['cli_s']} s"
    )
    names = list(stacks)
    width = max(16, *(len(n) + 2 for n in names))
    print(f"{'step (wall s)':10}" + "".join(f"{n:>{width}}" for n in names))
    for step in STEPS:
        cells = [stacks[n]["steps"].get(step, {}).get("median_s") for n in names]
        print(f"{step:10}" + "".join(f"{'-' if c is None else f'{c:.2f}':>{width}}" for c in cells))
    cpu = [stacks[n].get("cpu_s", {}).get("apply") for n in names]
    print(
        f"{'apply CPU':10}" + "".join(f"{'-' if c is None else f'{c:.2f}':>{width}}" for c in cpu)
    )
    counts = [str(stacks[n].get("resources", "-")) for n in names]
    print(f"{'resources':10}" + "".join(f"{c:>{width}}" for c in counts))

    print(f"\nper mode: module / hand-written (target: apply within {TARGET_APPLY_RATIO}x)")
    print(
        f"{'mode':12} {'apply s':>16} {'ratio':>7} {'verdict':>8} {'destroy s':>16} "
        f"{'ratio':>7} {'apply CPU s':>16} {'ratio':>7}"
    )
    for mode, m in result["modes"].items():
        a, d = m["ratios"].get("apply"), m["ratios"].get("destroy")
        ms, hs = stacks.get(m["module"], {}), stacks.get(m["handwritten"], {})
        apply_pair = "/".join(
            f"{s['steps'].get('apply', {}).get('median_s', float('nan')):.1f}" for s in (ms, hs)
        )
        destroy_pair = "/".join(
            f"{s['steps'].get('destroy', {}).get('median_s', float('nan')):.1f}" for s in (ms, hs)
        )
        cpu_pair = "/".join(
            f"{s.get('cpu_s', {}).get('apply', float('nan')):.1f}" for s in (ms, hs)
        )
        c = m["ratios"].get("apply_cpu")
        verdict = "n/a" if a is None else "PASS" if m["target"]["pass"] else "MISS"
        print(
            f"{mode:12} {apply_pair:>16} {'-' if a is None else f'{a:.2f}x':>7} {verdict:>8} "
            f"{destroy_pair:>16} {'-' if d is None else f'{d:.2f}x':>7} {cpu_pair:>16} "
            f"{'-' if c is None else f'{c:.2f}x':>7}"
        )
    print(
        "re-plan after apply: "
        + ", ".join(
            f"{n} {'CHANGES ' + str(s['replan_diff']) if s['replan_changes'] else 'no changes'}"
            for n, s in stacks.items()
            if "replan_changes" in s
        )
    )

    print(
        "\napply/destroy phases (median s): wall = plan (CLI, provider start, data sources, "
        "refresh, planning) + walk start (provider started again) + resources + after last;"
        " CPU s of terraform and the provider"
    )
    for n in names:
        for what in ("apply", "destroy"):
            p = stacks[n].get(f"{what}_phases")
            if p and "resources" in p:
                print(
                    f"  {n:24} {what:8} {p['wall']:6.2f} = {p['plan']:6.2f} + "
                    f"{p['walk_start']:5.2f} + {p['resources']:6.2f} + "
                    f"{p['after_last_resource']:5.2f}   CPU {stacks[n]['cpu_s'].get(what, 0):5.2f}"
                )

    for n in names:
        if stacks[n].get("apply_timeline"):
            print_timeline(n, stacks[n])
            print("  destroy chain: " + chain_text(stacks[n]["destroy_critical_chain"]))
            slow = stacks[n].get("destroy_slowest_refresh") or []
            if slow:
                print("  destroy, slowest refresh/reads: " + chain_text(slow).replace(" -> ", ", "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="full cycles per stack (medians)")
    parser.add_argument("--modes", type=parse_modes, default=MODES, help="comma-separated")
    parser.add_argument(
        "--what-if", action="store_true", help="add the module without its on-failure queue"
    )
    parser.add_argument(
        "--no-minimal", action="store_true", help="leave out the 4-resource tutorial stack"
    )
    parser.add_argument(
        "--output", type=Path, default=OUT / "deploy.json", help="where to write the JSON"
    )
    args = parser.parse_args()
    if not ZIP.exists():
        print(f"error: {ZIP} missing; run `make package`", file=sys.stderr)
        return 2
    if "TF_CLI_CONFIG_FILE" not in os.environ and (REPO / "build" / "terraformrc").exists():
        os.environ["TF_CLI_CONFIG_FILE"] = str(REPO / "build" / "terraformrc")

    url = endpoint()
    # Groups run back to back; a pair's order flips on every other repeat, so drift in the
    # machine's load does not always favour the same side.
    groups: list[list[Kind]] = [[Kind("provider-only", None)]]
    if not args.no_minimal:
        groups.append([Kind("minimal", STACKS / "minimal")])
    for mode in args.modes:
        groups.append(
            [
                Kind(f"module-{mode}", STACKS / "module", {"delivery": mode}),
                Kind(f"handwritten-{mode}", STACKS / f"handwritten-{mode}"),
            ]
        )
    if args.what_if:
        groups.append(
            [
                Kind(
                    "module-direct-noqueue",
                    STACKS / "module",
                    {"delivery": "direct", "create_failure_queue": "false"},
                )
            ]
        )
    kinds = [k for g in groups for k in g]

    cli_s, _, _ = terraform(REPO, "version")
    cycles: dict[str, list[Cycle]] = {k.name: [] for k in kinds}
    failed: list[str] = []
    for rep in range(args.repeat):  # interleaved, so drift hits every stack alike
        for kind in (k for g in groups for k in (g if rep % 2 == 0 else reversed(g))):
            print(f"cycle {rep + 1}/{args.repeat}: {kind.name}", flush=True)
            try:
                done = cycle(kind, url)
            except StepFailed as error:
                failed.append(f"{kind.name}: {error}")
                continue
            if done.replan_changes:
                failed.append(f"{kind.name}: plan after apply shows changes: {done.replan_diff}")
            if "apply" in done.steps:
                print(
                    f"  apply {done.steps['apply']:.1f} s, destroy {done.steps['destroy']:.1f} s "
                    f"(load {done.load[0]:.1f} -> {done.load[1]:.1f}, {os.cpu_count()} CPUs)"
                )
            cycles[kind.name].append(done)

    stacks = {k: summarize(c) for k, c in cycles.items() if c}
    modes: dict[str, Any] = {}
    for mode in args.modes:
        module, handwritten = f"module-{mode}", f"handwritten-{mode}"
        ratios: dict[str, float] = {}
        for step in STEPS:
            a = stacks.get(module, {}).get("steps", {}).get(step, {}).get("median_s")
            b = stacks.get(handwritten, {}).get("steps", {}).get(step, {}).get("median_s")
            if a is not None and b:
                ratios[step] = round(a / b, 2)
        a = stacks.get(module, {}).get("cpu_s", {}).get("apply")
        b = stacks.get(handwritten, {}).get("cpu_s", {}).get("apply")
        if a is not None and b:
            ratios["apply_cpu"] = round(a / b, 2)
        apply_ratio = ratios.get("apply")
        modes[mode] = {
            "module": module,
            "handwritten": handwritten,
            "ratios": ratios,
            "target": {
                "apply_ratio_max": TARGET_APPLY_RATIO,
                "apply_ratio": apply_ratio,
                "pass": apply_ratio is not None and apply_ratio <= TARGET_APPLY_RATIO,
            },
        }
    provider = next((c.provider for cs in cycles.values() for c in cs if c.provider), None)
    result: dict[str, Any] = {
        "endpoint": url,
        **versions(),
        "provider": provider,
        "repeat": args.repeat,
        "cli_s": round(cli_s, 2),
        "target_apply_ratio": TARGET_APPLY_RATIO,
        "modes": modes,
        "stacks": stacks,
        "failed": failed,
    }
    path: Path = args.output
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    if stacks:
        print_report(result)
    print(f"wrote {path}")
    for reason in failed:
        print(f"error: {reason}", file=sys.stderr)
    measured = all(m["ratios"].get("apply") is not None for m in modes.values())
    return 1 if failed or not measured else 0


if __name__ == "__main__":
    raise SystemExit(main())
