"""Running pip for a target, and its failures as one PackagingError that says what to do."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import PackagingError
from .target import Target


def target_args(target: Target) -> list[str]:
    """pip's options for wheels of ``target`` only (platform tags, version, cp, binary)."""
    args = [f"--platform={tag}" for tag in target.platforms]
    return [
        *args,
        "--only-binary=:all:",
        f"--python-version={target.python_version}",
        "--implementation=cp",
    ]


def run_pip(args: Sequence[str], target: Target, what: str) -> None:
    """Run pip quietly; on failure raise one PackagingError that says what to do."""
    with tempfile.TemporaryDirectory(prefix="s3-lambda-trigger-pip-") as tmp:
        log = Path(tmp, "pip.log")  # pip's debug log: the connection errors are only there
        command = [
            sys.executable,
            "-m",
            "pip",
            *args[:1],
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar=off",
            f"--log={log}",
            *args[1:],
        ]
        # --target into our staging dir: no virtualenv needed, and never --user.
        env = {**os.environ, "PIP_REQUIRE_VIRTUALENV": "0", "PIP_USER": "0"}
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", env=env, check=False
        )
        if done.returncode != 0:
            debug = log.read_text(errors="replace") if log.is_file() else ""
            raise _pip_error(f"{done.stdout}\n{done.stderr}", debug, target, what)


_NOT_FOUND = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"Could not find a version that satisfies the requirement (\S+)"),
)
_NETWORK = re.compile(
    r"Could not fetch URL|NewConnectionError|ConnectTimeoutError|ReadTimeoutError|"
    r"ProxyError|SSLError|Max retries exceeded"
)
# The most telling part of a connection error, best first.
_NETWORK_CAUSES = (
    re.compile(r"Failed to establish a new connection: [^'\")]*"),
    re.compile(r"(?:Temporary failure in name resolution|Name or service not known)"),
    re.compile(r"(?:Network is unreachable|Connection refused|timed out|SSLError[^'\")]*)"),
    re.compile(r"(?:NewConnectionError|ConnectTimeoutError|ReadTimeoutError|ProxyError)"),
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _pip_error(output: str, debug: str, target: Target, what: str) -> PackagingError:
    """One clear message for pip's failure (pip's last lines when it is not recognised)."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    network = next((line for line in debug.splitlines() if _NETWORK.search(line)), None)
    if network is not None:
        return _network_error(network, target, what)
    if "ResolutionImpossible" in output:
        start = next((i for i, line in enumerate(lines) if "conflict is caused by" in line), -1)
        causes = [line.strip() for line in lines[start + 1 :] if line.startswith("    ")]
        return PackagingError(
            f"the requirements conflict for {target.runtime} {target.architecture}: "
            f"{'; '.join(causes) or lines[-1]}; change the pins so that one version of each "
            "package satisfies them all"
        )
    for pattern in _NOT_FOUND:
        for line in lines:
            found = pattern.search(line)
            if found:
                return _no_wheel_error(found.group(1), lines, target)
    tail = "\n".join(lines[-15:])
    return PackagingError(f"pip failed to {what} for {target.describe()}; its last lines:\n{tail}")


def _network_error(line: str, target: Target, what: str) -> PackagingError:
    url = re.search(r"(?:URL|url:) (\S+?):? ", line)
    causes = (pattern.search(line) for pattern in _NETWORK_CAUSES)
    cause = next((found.group(0) for found in causes if found), "connection error")
    reason = f"{url.group(1)}: {cause}" if url else cause
    return PackagingError(
        f"pip could not reach the package index to {what} for {target.runtime} "
        f"{target.architecture} ({reason[:300]}); check the network and the index "
        "settings (PIP_INDEX_URL, pip.conf). Once the wheels are cached, a rebuild "
        "with unchanged requirements needs no network"
    )


def _no_wheel_error(requirement: str, lines: Sequence[str], target: Target) -> PackagingError:
    found = _NAME.match(requirement)
    name = found.group(0) if found else requirement
    shown = name if requirement == name else f"{name} ({requirement})"
    untrusted = [line for line in lines if "not a trusted or secure host" in line]
    hint = f" (pip: {untrusted[0].removeprefix('WARNING: ')[:300]})" if untrusted else ""
    return PackagingError(
        f"no wheel of {shown} for {target.runtime} on {target.architecture} "
        f"(CPython {target.python_version}, platform {target.platform} .. "
        f"{target.newest_platform}); Lambda needs a built wheel for the target and "
        f"source distributions are not built here. Pin a version of {name} that "
        f"publishes a manylinux wheel for {target.machine} and CPython "
        f"{target.python_version} (see its files on PyPI), build a wheel for the "
        "target yourself and pass its directory with --find-links DIR, or choose "
        f"another package{hint}"
    )
