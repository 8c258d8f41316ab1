"""Deterministic zips (sorted, fixed dates and modes, DEFLATE 9) and Lambda's size limits."""

from __future__ import annotations

import base64
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import PackagingError
from .files import file_sha256, walk

#: Lambda's limits: a zip uploaded directly (not through S3), and the function plus all
#: its layers unzipped.
ZIPPED_LIMIT = 52_428_800  # 50 MB
UNZIPPED_LIMIT = 262_144_000  # 250 MB

EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755
LEVEL = 9
CREATE_SYSTEM = 3  # Unix: external_attr holds a POSIX mode

_MB = 1024 * 1024


@dataclass(frozen=True)
class Archive:
    """A zip written by :func:`write_zip`."""

    path: Path
    size: int
    unzipped_size: int
    files: int
    sha256: str
    base64_sha256: str  # what Terraform's filebase64sha256() returns


Entry = tuple[str, Path, int]  # (name in the zip, file, mode)


def tree_entries(root: Path, prefix: str = "", *, keep_exec: bool = False) -> list[Entry]:
    """Every file under ``root`` as a zip entry named ``prefix + relative path``.

    Mode 0644, or 0755 for files with an executable bit when ``keep_exec`` (wheel
    contents: pip sets that bit from the wheel, so it is the same everywhere).
    """
    entries = []
    for path in walk(root):
        mode = FILE_MODE
        if keep_exec and path.suffix != ".pyc" and path.stat().st_mode & 0o111:
            mode = EXEC_MODE
        entries.append((prefix + path.relative_to(root).as_posix(), path, mode))
    return entries


def write_zip(entries: Iterable[Entry], output: Path) -> Archive:
    """Write a deterministic zip atomically (temp file + rename) and describe it."""
    items = sorted(entries)
    names = [name for name, _, _ in items]
    if len(set(names)) != len(names):
        raise PackagingError(f"{output}: duplicate entries in the zip")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    unzipped = 0
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
            for name, path, mode in items:
                info = zipfile.ZipInfo(name, date_time=EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = CREATE_SYSTEM
                info.external_attr = (0o100000 | mode) << 16  # regular file
                data = path.read_bytes()
                unzipped += len(data)
                zf.writestr(info, data, compresslevel=LEVEL)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    digest = bytes.fromhex(file_sha256(output))
    return Archive(
        path=output,
        size=output.stat().st_size,
        unzipped_size=unzipped,
        files=len(items),
        sha256=digest.hex(),
        base64_sha256=base64.b64encode(digest).decode(),
    )


def _mb(size: int) -> str:
    return f"{size / _MB:.1f} MB ({size:,} bytes)"


def check_sizes(
    archives: Sequence[Archive],
    *,
    zipped_limit: int = ZIPPED_LIMIT,
    unzipped_limit: int = UNZIPPED_LIMIT,
) -> None:
    """Raise PackagingError when Lambda would refuse these zips (function first, then layer)."""
    for archive in archives:
        if archive.size > zipped_limit:
            raise PackagingError(
                f"{archive.path} is {_mb(archive.size)} zipped, over Lambda's "
                f"{_mb(zipped_limit)} limit for a zip uploaded directly; move the "
                "dependencies into a layer with --layer-output LAYER.zip, drop packages the "
                "function does not need, or upload the zip to S3 and deploy it from there"
            )
    total = sum(archive.unzipped_size for archive in archives)
    if total > unzipped_limit:
        what = "the function and its layer" if len(archives) > 1 else "the function"
        raise PackagingError(
            f"{what} unzip to {_mb(total)}, over Lambda's {_mb(unzipped_limit)} limit for a "
            "function and all its layers together; drop packages the function does not need "
            "(the largest are listed by `unzip -l`), or deploy it as a container image"
        )
