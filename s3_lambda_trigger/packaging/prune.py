"""Make a ``pip install --target`` directory fit for a zip: no scripts, caches, boto3 & co."""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

#: Distributions the Lambda Python runtime ships; left out unless --include-boto3.
RUNTIME_PROVIDED = ("boto3", "botocore", "jmespath", "s3transfer")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _dist_name_version(dist_info: Path) -> tuple[str, str]:
    name, version = dist_info.name.removesuffix(".dist-info"), ""
    if "-" in name:
        name, version = name.rsplit("-", 1)
    metadata = dist_info / "METADATA"
    if metadata.is_file():
        for line in metadata.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.lower() == "name":
                name = value.strip()
            elif key.lower() == "version":
                version = value.strip()
    return name, version


def _record_paths(dist_info: Path) -> list[str]:
    record = dist_info / "RECORD"
    if not record.is_file():
        return []
    with record.open(encoding="utf-8", newline="") as fh:
        return [row[0] for row in csv.reader(fh) if row]


def _inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` if that stays inside ``root`` and ``relative`` is relative."""
    if os.path.isabs(relative):
        return None
    path = Path(os.path.normpath(root / relative))
    return path if path.is_relative_to(root) and path != root else None


def _remove_distribution(site: Path, dist_info: Path) -> None:
    for relative in _record_paths(dist_info):
        path = _inside(site, relative)
        if path is not None and (path.is_file() or path.is_symlink()):
            path.unlink()
    shutil.rmtree(dist_info, ignore_errors=True)


def _rewrite_record(site: Path, dist_info: Path) -> None:
    """Drop the RECORD lines of files that are no longer there (scripts, caches...)."""
    record = dist_info / "RECORD"
    if not record.is_file():
        return
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = []
    for line in lines:
        row = next(csv.reader([line]), [])
        path = _inside(site, row[0]) if row else None
        if path is not None and path.is_file():
            kept.append(line)
    if kept != lines:
        record.write_text("".join(kept), encoding="utf-8")


def _prune_empty_dirs(root: Path) -> None:
    for parent, _dirs, _files in sorted(os.walk(root), key=lambda w: -len(w[0])):
        path = Path(parent)
        if path != root and not any(path.iterdir()):
            path.rmdir()


def clean_site(site: Path, *, include_boto3: bool = False) -> tuple[str, ...]:
    """Make a ``pip install --target`` directory fit for a zip; returns what was left out.

    Removes ``bin/`` (scripts have this machine's shebang), caches, ``direct_url.json``
    (absolute paths), and, unless ``include_boto3``, the distributions the runtime
    provides (their files listed in ``*.dist-info/RECORD``).
    """
    shutil.rmtree(site / "bin", ignore_errors=True)
    for path in sorted(site.rglob("__pycache__"), reverse=True):
        shutil.rmtree(path, ignore_errors=True)
    for pattern in ("*.pyc", "*.pyo"):
        for path in site.rglob(pattern):
            path.unlink()
    left_out = []
    provided = {_normalize(n) for n in RUNTIME_PROVIDED}
    for dist_info in sorted(site.glob("*.dist-info")):
        (dist_info / "direct_url.json").unlink(missing_ok=True)
        name, version = _dist_name_version(dist_info)
        if not include_boto3 and _normalize(name) in provided:
            _remove_distribution(site, dist_info)
            left_out.append(f"{name} {version}".strip())
    for dist_info in sorted(site.glob("*.dist-info")):
        _rewrite_record(site, dist_info)
    _prune_empty_dirs(site)
    return tuple(left_out)
