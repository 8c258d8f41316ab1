"""The wheels of the requirements for a target: the cache and its stamps, download, install.

Wheels live in ``<cache>/wheels/<runtime>-<arch>/``; a stamp keyed by the requirements'
bytes and the options lists the wheels of one set of inputs, so an unchanged rebuild
runs no ``pip download``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import PackagingError
from .files import file_sha256
from .pip import run_pip, target_args
from .target import Target

CACHE_ENV = "S3_LAMBDA_TRIGGER_CACHE"
_STAMP_VERSION = 1


def check_find_links(links: Iterable[str]) -> list[str]:
    """The --find-links: URLs as they are, directories made absolute (and checked)."""
    checked = []
    for link in links:
        if "://" in link:
            checked.append(link)
        elif Path(link).exists():
            checked.append(str(Path(link).resolve()))
        else:
            raise PackagingError(f"--find-links {link}: no such directory")
    return checked


def default_cache_dir() -> Path:
    """``$S3_LAMBDA_TRIGGER_CACHE``, else ``~/.cache/s3-lambda-trigger``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "s3-lambda-trigger"


_NESTED = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)")


def _requirement_files(path: Path, seen: set[Path] | None = None) -> list[Path]:
    """``path`` and the files it includes with -r/-c, recursively (for the cache key)."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen or not path.is_file():
        return []
    seen.add(path)
    files = [path]
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        nested = _NESTED.match(line)
        if nested and "://" not in nested.group(1):
            files += _requirement_files(path.parent / nested.group(1), seen)
    return files


def _cache_key(
    requirements: Path, target: Target, find_links: Sequence[str], include_boto3: bool
) -> str:
    links = []
    for link in find_links:
        entry: list[object] = [link]
        if Path(link).is_dir():
            entry += sorted((p.name, p.stat().st_size) for p in Path(link).iterdir())
        links.append(entry)
    key = {
        "stamp": _STAMP_VERSION,
        "requirements": [file_sha256(p) for p in _requirement_files(requirements)],
        "runtime": target.runtime,
        "architecture": target.architecture,
        "platforms": list(target.platforms),
        "include_boto3": include_boto3,
        "find_links": links,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _read_stamp(stamp: Path, wheel_dir: Path) -> list[Path] | None:
    """The stamp's wheels, if the stamp is valid and every wheel is there, unchanged."""
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
        wheels = [(wheel_dir / w["file"], w["sha256"]) for w in data["wheels"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for path, digest in wheels:
        if not path.is_file() or file_sha256(path) != digest:
            return None
    return [path for path, _ in wheels]


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch_wheels(
    requirements: Path,
    target: Target,
    cache_dir: Path,
    *,
    find_links: Sequence[str] = (),
    include_boto3: bool = False,
) -> tuple[list[Path], bool]:
    """The wheels for ``requirements`` on ``target``, and whether they came from the cache.

    Wheels live in ``<cache>/wheels/<runtime>-<arch>/``; ``<cache>/stamps/<key>.json``
    lists the wheels of one set of inputs.  With a valid stamp no pip download runs.
    """
    wheel_dir = cache_dir / "wheels" / f"{target.runtime}-{target.architecture}"
    key = _cache_key(requirements, target, find_links, include_boto3)
    stamp = cache_dir / "stamps" / f"{key}.json"
    cached = _read_stamp(stamp, wheel_dir)
    if cached is not None:
        return cached, True
    wheel_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="download-", dir=cache_dir / "tmp") as tmp:
        links = [f"--find-links={link}" for link in [str(wheel_dir), *find_links]]
        args = ["download", f"--dest={tmp}", f"--requirement={requirements.resolve()}", *links]
        run_pip([*args, *target_args(target)], target, "download the wheels")
        names = sorted(p.name for p in Path(tmp).iterdir() if p.is_file())
        others = [n for n in names if not n.endswith(".whl")]
        if others:
            raise PackagingError(f"pip downloaded files that are not wheels: {', '.join(others)}")
        for name in names:
            os.replace(Path(tmp, name), wheel_dir / name)
    entries = [{"file": n, "sha256": file_sha256(wheel_dir / n)} for n in names]
    record = {"stamp": _STAMP_VERSION, "target": target.describe(), "wheels": entries}
    _write_atomic(stamp, json.dumps(record, indent=2) + "\n")
    return [wheel_dir / n for n in names], False


def install_wheels(wheels: Sequence[Path], dest: Path, target: Target) -> None:
    """``pip install --no-index --no-deps --target dest`` of exactly these wheels."""
    dest.mkdir(parents=True, exist_ok=True)
    if not wheels:
        return
    args = [
        "install",
        "--no-index",
        "--no-deps",
        "--no-compile",
        "--no-warn-script-location",
        f"--target={dest}",
        *target_args(target),
        *map(str, wheels),
    ]
    run_pip(args, target, "install the wheels")
