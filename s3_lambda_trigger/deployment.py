"""What backfill and redrive act on: Terraform outputs and state, AWS clients, error messages.

boto3 is imported inside the functions (the CLI starts without it). AWS_ENDPOINT_URL,
AWS_PROFILE, AWS_REGION and the other standard variables are honoured by boto3 itself, so
the same commands run against an emulator (``eval "$(python emulator/ctl.py env)"``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


class OperationError(Exception):
    """An expected failure of backfill or redrive: printed as ``error: <message>``, exit 1."""


def terraform_json(directory: Path, *args: str) -> Any:
    """``terraform -chdir=DIR <args> -json``, parsed."""
    binary = shutil.which("terraform")
    if binary is None:
        raise OperationError(
            "terraform is not on PATH; install it, or pass --bucket/--function/--prefix "
            "instead of --terraform-dir"
        )
    if not directory.is_dir():
        raise OperationError(f"--terraform-dir {directory}: no such directory")
    proc = subprocess.run(
        [binary, f"-chdir={directory}", *args, "-json"],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        detail = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        raise OperationError(f"terraform {' '.join(args)} in {directory} failed: {detail}")
    try:
        return json.loads(proc.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise OperationError(
            f"terraform {' '.join(args)} in {directory}: not JSON ({exc})"
        ) from exc


def terraform_outputs(directory: Path) -> dict[str, Any]:
    """The root module's outputs, name -> value (null outputs are left out)."""
    raw = terraform_json(directory, "output")
    outputs = {k: v.get("value") for k, v in raw.items() if isinstance(v, dict)}
    if not outputs:
        raise OperationError(
            f"terraform output in {directory} is empty: run terraform apply there first"
        )
    return {k: v for k, v in outputs.items() if v is not None}


def session(region: str | None) -> Any:
    """A boto3 session with credentials and a region, or an OperationError saying what to set."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415

    s = boto3.session.Session(region_name=region) if region else boto3.session.Session()
    if s.get_credentials() is None:
        raise OperationError(
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run `aws configure` / `aws sso login`"
        )
    if not s.region_name:
        raise OperationError("no AWS region: pass --region or set AWS_REGION")
    return s


def client(
    sess: Any, service: str, pool: int = 10, attempts: int = 8, read_timeout: int = 70
) -> Any:
    """A client with a connection pool for ``pool`` threads and standard-mode retries
    (throttling and 5xx answers are retried with back-off by botocore)."""
    from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

    config = Config(
        max_pool_connections=max(pool, 10),
        retries={"mode": "standard", "max_attempts": attempts},
        connect_timeout=10,
        read_timeout=read_timeout,
    )
    return sess.client(service, config=config)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def describe(exc: BaseException) -> str:
    """One line for an AWS call that failed: code and message, or the exception."""
    code = error_code(exc)
    if code is not None:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message") or ""
        return f"{code}: {message}".rstrip(": ")
    name = type(exc).__name__
    if name == "NoCredentialsError":
        return "no AWS credentials found"
    return f"{name}: {exc}"


def endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None
