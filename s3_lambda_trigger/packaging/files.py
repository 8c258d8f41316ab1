"""File helpers shared by the zip, the bytecode and the wheel cache."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path


def walk(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, sorted, not following directory symlinks."""
    for parent, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(parent, name)
            if path.is_file():
                yield path


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
