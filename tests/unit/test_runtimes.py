"""The module's allowed Lambda runtimes are exactly the Pythons the handler runs on.

`runtime` in variables.tf must allow exactly ``s3_lambda_trigger.packaging.RUNTIMES``. Each of
those is proven by running the repo's handler/ on that interpreter (isolated: ``-I -S -B``, no
site-packages, sys.path = the repo + the interpreter's stdlib) on a direct S3 put event; Python
3.10 is shown failing at import, which is why python3.10 is not allowed.

Interpreters are found with pyenv (``pyenv prefix 3.X``), then ~/.pyenv/versions/3.X.*, then
``python3.X`` on PATH. A missing interpreter for a supported runtime FAILS the test (it is not
skipped): CI and this machine have 3.10 to 3.13.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from s3_lambda_trigger.packaging import RUNTIMES

REPO = Path(__file__).resolve().parents[2]

# The smallest direct S3 notification the handler accepts: one ObjectCreated:Put record.
EVENT = {
    "Records": [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "eventTime": "2024-01-01T00:00:00.000Z",
            "awsRegion": "us-east-1",
            "s3": {
                "bucket": {"name": "runtime-test-bucket"},
                "object": {"key": "incoming/runtime-test.csv", "size": 1},
            },
        }
    ]
}

# Run in the interpreter under test. Markers on stdout tell an import failure from a run failure.
PROBE = """
import json, sys
repo, event = sys.argv[1], json.loads(sys.argv[2])
sys.path = [repo, *sys.path]
import handler.app
print("IMPORTED " + handler.app.__file__, flush=True)
result = handler.app.lambda_handler(event, None)
print("RESULT " + json.dumps(result), flush=True)
"""


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _runtime_variable() -> dict[str, Any]:
    with (REPO / "variables.tf").open(encoding="utf-8") as f:
        doc = hcl2.load(f)
    for block in doc["variable"]:
        for name, body in block.items():
            if _unquote(name) == "runtime":
                return dict(body)
    raise AssertionError('variables.tf has no variable "runtime"')


def _allowed_runtimes() -> tuple[str, ...]:
    """The list in the runtime variable's `contains([...], var.runtime)` validation."""
    validations = _runtime_variable()["validation"]
    assert isinstance(validations, list)
    found = []
    for validation in validations:
        match = re.search(r"contains\(\[([^\]]*)\],\s*var\.runtime\)", validation["condition"])
        if match:
            found.append(tuple(re.findall(r'"([^"]+)"', match.group(1))))
    assert len(found) == 1, f"expected one contains([...], var.runtime) validation, got {found}"
    return found[0]


def test_allowed_runtimes_are_packaging_runtimes() -> None:
    assert _allowed_runtimes() == RUNTIMES


def test_runtime_message_and_default_name_the_allowed_runtimes() -> None:
    variable = _runtime_variable()
    (validation,) = variable["validation"]
    listed = re.search(r"use one of ([\w., ]+?)(?: \(|\.\"?$)", validation["error_message"])
    assert listed, validation["error_message"]
    assert tuple(listed.group(1).split(", ")) == RUNTIMES
    assert _unquote(str(variable["default"])) in RUNTIMES


def _interpreter(version: str) -> Path | None:
    """The python binary for "3.X", or None."""
    pyenv = shutil.which("pyenv") or str(Path.home() / ".pyenv" / "bin" / "pyenv")
    if Path(pyenv).is_file():
        proc = subprocess.run(
            [pyenv, "prefix", version], capture_output=True, text=True, check=False, timeout=60
        )
        lines = proc.stdout.split()
        prefix = lines[0] if proc.returncode == 0 and lines else ""
        if prefix and (Path(prefix) / "bin" / "python").is_file():
            return Path(prefix) / "bin" / "python"
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(versions.glob(f"{version}.*/bin/python"), reverse=True):
        return candidate
    on_path = shutil.which(f"python{version}")
    return Path(on_path) if on_path else None


def _require_interpreter(version: str) -> Path:
    python = _interpreter(version)
    if python is None:
        pytest.fail(
            f"no Python {version} interpreter found (pyenv prefix {version}, "
            f"~/.pyenv/versions/{version}.*, python{version} on PATH): it is needed to prove "
            f"the handler on that runtime. Install it, for example `pyenv install {version}`."
        )
    return python


def _probe(python: Path) -> subprocess.CompletedProcess[str]:
    # -I: no PYTHON* variables, no user site, no script dir; -S: no site-packages; -B: no .pyc
    # written into handler/. A clean environment: the default (log) processor.
    return subprocess.run(
        [str(python), "-I", "-S", "-B", "-c", PROBE, str(REPO), json.dumps(EVENT)],
        cwd=REPO,
        env={"PATH": os.defpath, "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_handler_runs_on_every_supported_runtime(runtime: str) -> None:
    version = runtime.removeprefix("python")
    python = _require_interpreter(version)
    proc = _probe(python)
    out = proc.stdout.splitlines()
    assert proc.returncode == 0, f"{python}: {proc.stderr}"
    imported = [line.removeprefix("IMPORTED ") for line in out if line.startswith("IMPORTED ")]
    assert imported == [str(REPO / "handler" / "app.py")], "handler.app must come from the repo"
    results = [
        json.loads(line.removeprefix("RESULT ")) for line in out if line.startswith("RESULT ")
    ]
    assert len(results) == 1, proc.stdout
    assert results[0]["processed"] == 1, results[0]


def test_handler_fails_to_import_on_python310() -> None:
    """The reason python3.10 is not an allowed runtime."""
    assert "python3.10" not in RUNTIMES
    assert "python3.10" not in _allowed_runtimes()
    python = _require_interpreter("3.10")
    proc = _probe(python)
    assert proc.returncode != 0, f"the handler ran on {python}: is 3.10 now supported?"
    assert "IMPORTED" not in proc.stdout, "expected the failure at import, not when handling"
    assert re.search(
        r"^(ImportError|SyntaxError|ModuleNotFoundError|AttributeError|TypeError)",
        proc.stderr,
        re.M,
    ), proc.stderr
