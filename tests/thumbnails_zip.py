"""Build examples/thumbnails' zip with the packaging command, as its README does (shared by
tests/unit/test_thumbnails_zip.py and tests/integration/test_thumbnails.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "thumbnails"


def build_thumbnails_zip(
    output: Path, architecture: str = "x86_64", cache: Path | None = None
) -> str:
    """Package thumbnails/ with requirements.txt for python3.13; return the printed sha256."""
    args = [sys.executable, "-m", "s3_lambda_trigger", "package", "--source", "thumbnails",
            "-r", "requirements.txt", "--runtime", "python3.13",
            "--architecture", architecture, "--output", str(output)]  # fmt: skip
    if cache is not None:
        args += ["--cache-dir", str(cache)]
    run = subprocess.run(args, cwd=EXAMPLE, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    [digest] = [x.strip() for x in run.stdout.splitlines() if x.strip().startswith("sha256:")]
    return digest
