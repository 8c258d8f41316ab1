"""Drive a Terraform root module against an AWS emulator: shared by the e2e tests, the demo
and the benchmarks.

Terraform runs through python-terraform; the emulator endpoint comes from AWS_ENDPOINT_URL
(set by `emulator/ctl.py env`). The module itself stays free of emulator settings: a provider
override file is written next to the root module for the run and removed afterwards.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, Terraform  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
OVERRIDE_FILE = "emulator_override.tf"
INIT_LOCK = REPO / "build" / "terraform-init.lock"
SERVICES = ("s3", "lambda", "iam", "sts", "logs", "sqs", "kms", "sns", "events", "cloudwatch")
RECORD_MESSAGE = "s3_object"  # the handler's per-record log line (handler.log contract)


class TerraformError(RuntimeError):
    """A terraform command failed; the message carries its stderr."""


def endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")


def provider_override(url: str) -> str:
    endpoints = "\n".join(f'    {s} = "{url}"' for s in SERVICES)
    return f"""# Written by tools/stack.py for a run against {url}; not part of the configuration.
provider "aws" {{
  region                      = "{REGION}"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}
"""


@dataclass
class Stack:
    """One Terraform root module (an example or a test stack) on the emulator."""

    directory: Path
    variables: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._tf = Terraform(working_dir=str(self.directory))

    @classmethod
    def copy_of(cls, source: Path, into: Path, variables: dict[str, Any] | None = None) -> Stack:
        """A working copy of the root module ``source`` in ``into`` (its own .terraform and
        state), so that several deployments of one stack can apply in parallel. Relative
        module sources are made absolute."""
        into.mkdir(parents=True, exist_ok=True)
        for path in source.iterdir():
            if path.is_file() and not path.name.startswith(("terraform.tfstate", ".terraform")):
                text = path.read_bytes()
                if path.suffix == ".tf":
                    text = re.sub(
                        rb'source\s*=\s*"(\.\.?/[^"]*)"',
                        lambda m: (
                            b'source = "%s"' % str((source / m[1].decode()).resolve()).encode()
                        ),
                        text,
                    )
                (into / path.name).write_bytes(text)
        return cls(into, dict(variables or {}))

    def _run(self, step: str, *args: Any, **kwargs: Any) -> tuple[int, str]:
        started = time.perf_counter()
        code, out, err = self._tf.cmd(*args, no_color=IsFlagged, input=False, **kwargs)
        self.timings[step] = time.perf_counter() - started
        return code, f"{out}\n{err}"

    def _check(self, step: str, *args: Any, **kwargs: Any) -> str:
        code, output = self._run(step, *args, **kwargs)
        if code != 0:
            raise TerraformError(f"terraform {step} in {self.directory} failed ({code}):\n{output}")
        return output

    def init(self) -> None:
        (self.directory / OVERRIDE_FILE).write_text(provider_override(endpoint()))
        # Terraform's plugin cache is not safe for concurrent installs ("mkdir ... file
        # exists" when two inits fill it at once): stacks applied in parallel init one by one.
        INIT_LOCK.parent.mkdir(parents=True, exist_ok=True)
        with INIT_LOCK.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._check("init", "init", upgrade=False)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def apply(self) -> dict[str, Any]:
        self._check("apply", "apply", auto_approve=IsFlagged, var=self.variables)
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        code, out, err = self._tf.cmd("output", json=IsFlagged)
        if code != 0:
            raise TerraformError(f"terraform output failed: {err}")
        return {k: v["value"] for k, v in json.loads(out).items()}

    def pending_changes(self, step: str = "plan") -> str:
        """The plan's text when it shows changes, "" when none (plan -detailed-exitcode)."""
        code, output = self._run(step, "plan", detailed_exitcode=IsFlagged, var=self.variables)
        if code not in (0, 2):
            raise TerraformError(f"terraform plan in {self.directory} failed ({code}):\n{output}")
        return output if code == 2 else ""

    def destroy_target(self, address: str) -> None:
        """Destroy one resource or module of the stack, keeping the rest."""
        self._check(
            "destroy", "destroy", auto_approve=IsFlagged, target=address, var=self.variables
        )

    def destroy(self) -> None:
        try:
            self._check("destroy", "destroy", auto_approve=IsFlagged, var=self.variables)
        finally:
            (self.directory / OVERRIDE_FILE).unlink(missing_ok=True)
            for state in self.directory.glob("terraform.tfstate*"):
                state.unlink()


def wait_for(
    probe: Callable[[], list[dict[str, Any]]],
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 60.0,
    interval: float = 0.5,
) -> list[dict[str, Any]]:
    """Poll probe() until done(result) or the timeout; return the last result either way."""
    deadline = time.monotonic() + timeout
    result = probe()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(interval)
        result = probe()
    return result


def log_records(logs: Any, group: str, message: str = RECORD_MESSAGE) -> list[dict[str, Any]]:
    """Every JSON log line with the given message in a CloudWatch log group."""
    return [line for _, line in log_lines(logs, group, message)]


def log_lines(
    logs: Any, group: str, message: str = RECORD_MESSAGE, since_ms: int | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """(event timestamp in ms, line) for every JSON log line with the given message."""
    query: dict[str, Any] = {"logGroupName": group}
    if since_ms is not None:
        query["startTime"] = since_ms
    try:
        pages = logs.get_paginator("filter_log_events").paginate(**query)
        events = [e for page in pages for e in page.get("events", [])]
    except logs.exceptions.ResourceNotFoundException:
        return []
    found = []
    for event in events:
        for text in event["message"].splitlines():
            start = text.find("{")
            if start < 0:
                continue
            try:
                value = json.loads(text[start:])
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and value.get("message") == message:
                found.append((int(event["timestamp"]), value))
    return found
