"""Your code and the handler: check the --source paths, find the handler, copy them."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import PackagingError


@dataclass(frozen=True)
class Source:
    """One checked --source: a package directory or a .py module."""

    name: str  # top-level name in the zip: package or module file name
    path: Path
    is_package: bool


def check_sources(paths: Iterable[Path | str]) -> list[Source]:
    """The --source paths, checked: importable names, no two with the same top-level name."""
    found: dict[str, Source] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise PackagingError(f"--source {raw}: no such file or directory")
        if path.is_dir():
            if not (path / "__init__.py").is_file():
                raise PackagingError(
                    f"--source {raw}: a directory without __init__.py; pass a package "
                    "directory (with __init__.py) or a single .py module"
                )
            source = Source(path.resolve().name, path, True)
        elif path.is_file() and path.suffix == ".py":
            source = Source(path.name, path, False)
        else:
            raise PackagingError(
                f"--source {raw}: neither a package directory (with __init__.py) nor a .py file"
            )
        top = top_name(source.name)
        if not top.isidentifier():
            raise PackagingError(
                f"--source {raw}: {top!r} cannot be imported (not a Python identifier); rename it"
            )
        if top in found:
            raise PackagingError(
                f"--source {found[top].path} and --source {raw} both give the top-level name "
                f"{top!r} in the zip; rename one of them"
            )
        found[top] = source
    return list(found.values())


def top_name(name: str) -> str:
    """The importable name of a zip-root entry: ``mod.py`` -> ``mod``."""
    return name.removesuffix(".py")


def handler_package() -> Path:
    """The directory of the ``handler`` package installed with this command."""
    here = str(Path(__file__).resolve().parents[2])  # next to s3_lambda_trigger
    spec = importlib.machinery.PathFinder.find_spec("handler", [here])
    if spec is None:
        spec = importlib.util.find_spec("handler")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if (Path(location) / "app.py").is_file():
            return Path(location)
    raise PackagingError(
        "cannot find the handler package of s3-lambda-trigger (reinstall it), "
        "or pass --no-handler and --source for your own"
    )


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__" or name.endswith((".pyc", ".pyo"))


def copy_package(src: Path, dest: Path, *, python_only: bool) -> None:
    """Copy a package's files (only *.py if ``python_only``), without caches or dotfiles."""
    for parent, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not _skipped(d))
        for name in files:
            path = Path(parent, name)
            if _skipped(name) or not path.is_file():
                continue
            if python_only and not name.endswith(".py"):
                continue
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
