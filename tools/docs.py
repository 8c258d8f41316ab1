"""Render the README's inputs/outputs tables from variables.tf and outputs.tf (python-hcl2).

`python tools/docs.py` rewrites the block between the TF_DOCS markers in README.md;
`python tools/docs.py --check` exits 1 when the README differs (a unit test runs it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import hcl2

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def _text(value: Any) -> str:
    """python-hcl2 keeps string literals quoted and expressions in ${...}: undo both."""
    if isinstance(value, str):
        if len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    return json.dumps(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_text(k): _plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    return value


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return [(_text(name), body) for block in parsed.get(kind, []) for name, body in block.items()]


def render() -> str:
    rows = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|---|---|---|---|:---:|",
    ]
    for name, body in _blocks(REPO / "variables.tf", "variable"):
        value = body.get("default")
        shown = json.dumps(_text(value)) if isinstance(value, str) else json.dumps(_plain(value))
        default = f"`{_cell(shown)}`" if "default" in body else ""
        description = _cell(_text(body.get("description", "")))
        kind = _cell(_text(body.get("type", "any")))
        required = "no" if default else "yes"
        rows.append(f"| `{name}` | {description} | `{kind}` | {default} | {required} |")
    rows += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in _blocks(REPO / "outputs.tf", "output"):
        rows.append(f"| `{name}` | {_cell(_text(body.get('description', '')))} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    readme = REPO / "README.md"
    current = readme.read_text(encoding="utf-8")
    if BEGIN not in current or END not in current:
        print(f"error: README.md lacks the {BEGIN} ... {END} markers", file=sys.stderr)
        return 1
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    wanted = f"{head}{BEGIN}\n{render()}\n{END}{tail}"
    if "--check" in argv:
        if wanted != current:
            print(
                "README.md inputs/outputs are out of date: run `python tools/docs.py`",
                file=sys.stderr,
            )
            return 1
        return 0
    readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
