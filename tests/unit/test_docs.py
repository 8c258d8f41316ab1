"""The README's inputs/outputs tables match variables.tf and outputs.tf."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_reference_is_generated_from_the_module() -> None:
    result = subprocess.run(
        [sys.executable, "tools/docs.py", "--check"],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_readme_lists_every_variable_and_output() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for source, kind in (("variables.tf", "variable"), ("outputs.tf", "output")):
        for line in (REPO / source).read_text().splitlines():
            if line.startswith(f'{kind} "'):
                name = line.split('"')[1]
                assert f"| `{name}` |" in readme, f"{kind} {name} missing from README"
