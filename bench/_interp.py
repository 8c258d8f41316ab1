"""Which Python the benchmarks run on.

Default: the Lambda runtime's Python (3.13), found through pyenv, in a small venv
at build/bench/venv313 that has the pinned AWS Lambda Powertools (created on first
use with pip).  Without a pyenv 3.13 (or if the venv cannot be made), the current
interpreter.  ``--python PATH`` picks another one, e.g. ``--python .venv/bin/python``
(3.11, which has Powertools from the dev extras).

A benchmark calls ``reexec_under(choose(args.python))`` first, so that every case,
including the bare interpreter, runs on one and the same interpreter.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAMBDA_PYTHON = "3.13"
POWERTOOLS = "aws-lambda-powertools==3.37.0"  # same pin as pyproject's dev extras
VENV = REPO / "build" / "bench" / "venv313"
_CHILD = "S3LT_BENCH_INTERPRETER"  # set once we run on the chosen interpreter


def _pyenv_python() -> str | None:
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        found = sorted(glob.glob(f"{root}/versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}"))
        if found:
            return found[-1]
    return None


def _has_powertools(python: str) -> bool:
    probe = [python, "-c", "import aws_lambda_powertools"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def _venv_python() -> str | None:
    """build/bench/venv313/bin/python with Powertools, created if missing; None on failure."""
    python = VENV / "bin" / "python"
    if python.exists() and _has_powertools(str(python)):
        return str(python)
    base = _pyenv_python()
    if base is None:
        return None
    print(f"creating {VENV} ({base} + {POWERTOOLS}) ...", file=sys.stderr)
    try:
        subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, POWERTOOLS], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"could not create {VENV}: {exc}", file=sys.stderr)
        return None
    return str(python)


def choose(requested: str | None) -> str:
    """The interpreter to benchmark on (see the module docstring)."""
    if requested:
        return requested
    if sys.version_info[:2] == (3, 13) and _has_powertools(sys.executable):
        return sys.executable
    return _venv_python() or sys.executable


def reexec_under(python: str) -> None:
    """Run this benchmark again under ``python`` unless it already runs there."""
    if os.environ.get(_CHILD) == python:
        return
    os.environ[_CHILD] = python
    if not _has_powertools(python):
        raise SystemExit(f"error: {python} cannot import aws_lambda_powertools ({POWERTOOLS})")
    os.execv(python, [python, *sys.argv])


def describe() -> str:
    """E.g. ``Python 3.13.0 (/work/main/build/bench/venv313/bin/python)``."""
    return f"Python {sys.version.split()[0]} ({sys.executable})"
