"""``s3-lambda-trigger package``: build the function's deployment zip (and a layer zip).

    s3-lambda-trigger package -o build/handler.zip          # this project's handler only
    s3-lambda-trigger package --source src/mypkg -r requirements.txt \\
        --runtime python3.13 --architecture arm64 -o build/function.zip

What goes in, at the zip root: this project's ``handler`` package (*.py only;
``--no-handler`` leaves it out), every ``--source`` (a package directory, or one .py
module), and the third-party packages of ``-r requirements.txt``.  With
``--layer-output`` the third-party packages go to a separate layer zip under
``python/`` instead.

Third-party packages come only from wheels built for the target: ``pip download
--platform manylinux... --python-version 3.X --implementation cp --only-binary=:all:``,
then ``pip install --no-index --target`` of exactly those wheels (the approach of
Chalice's packager, without Docker), so an arm64 zip builds on an x86_64 machine.
boto3, botocore, s3transfer and jmespath are left out (the Lambda runtime has them)
unless ``--include-boto3``.  The wheels are cached per target; a stamp keyed by the
requirements' bytes and the options lists them, so a rebuild with unchanged inputs
runs no ``pip download`` and needs no network.

The zip is deterministic: entries sorted, no directory entries, fixed date
(1980-01-01 00:00), mode (0644; 0755 for files a wheel marks executable) and
create_system, DEFLATE level 9, no caches, scripts or absolute paths.  The same
inputs give the same bytes, given the same zlib, pip and (for bytecode) Python
version.  Bytecode: with an interpreter of the runtime's exact version (``--python``,
else found on PATH or through pyenv), every .py gets an unchecked-hash
``__pycache__/*.cpython-3X.pyc`` (no timestamps; PYTHONHASHSEED=0), so cold starts on
Lambda's read-only code directory do not compile.  Lambda's size limits are checked
after the build.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

RUNTIMES = ("python3.11", "python3.12", "python3.13")
ARCHITECTURES = ("x86_64", "arm64")
DEFAULT_RUNTIME = "python3.13"
DEFAULT_ARCHITECTURE = "x86_64"

#: Lambda's limits: a zip uploaded directly (not through S3), and the function plus all
#: its layers unzipped.
ZIPPED_LIMIT = 52_428_800  # 50 MB
UNZIPPED_LIMIT = 262_144_000  # 250 MB

#: Distributions the Lambda Python runtime ships; left out unless --include-boto3.
RUNTIME_PROVIDED = ("boto3", "botocore", "jmespath", "s3transfer")
CACHE_ENV = "S3_LAMBDA_TRIGGER_CACHE"

EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755
LEVEL = 9
CREATE_SYSTEM = 3  # Unix: external_attr holds a POSIX mode

_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64"}
# glibc 2.x of the runtime's OS: python3.11 runs on Amazon Linux 2, 3.12+ on AL2023.
_GLIBC_MINOR = {"python3.11": 26, "python3.12": 34, "python3.13": 34}
_STAMP_VERSION = 1
_MB = 1024 * 1024


class PackagingError(Exception):
    """An expected packaging failure; the message says what and what to do."""


# --- target ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A Lambda runtime and architecture, and the wheel tags that run there."""

    runtime: str = DEFAULT_RUNTIME
    architecture: str = DEFAULT_ARCHITECTURE

    def __post_init__(self) -> None:
        if self.runtime not in RUNTIMES:
            raise PackagingError(f"runtime {self.runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if self.architecture not in ARCHITECTURES:
            raise PackagingError(
                f"architecture {self.architecture!r}: choose one of {', '.join(ARCHITECTURES)}"
            )

    @property
    def python_version(self) -> str:
        """E.g. ``3.13``."""
        return self.runtime.removeprefix("python")

    @property
    def cache_tag(self) -> str:
        """E.g. ``cpython-313``, as in ``__pycache__/mod.cpython-313.pyc``."""
        return "cpython-" + self.python_version.replace(".", "")

    @property
    def machine(self) -> str:
        """``x86_64`` or ``aarch64``, as in wheel platform tags."""
        return _MACHINES[self.architecture]

    @property
    def platform(self) -> str:
        """The baseline platform tag, e.g. ``manylinux2014_aarch64``."""
        return f"manylinux2014_{self.machine}"

    @property
    def newest_platform(self) -> str:
        """The newest manylinux tag the runtime's glibc accepts, e.g. ``manylinux_2_34_x86_64``."""
        return f"manylinux_2_{_GLIBC_MINOR[self.runtime]}_{self.machine}"

    @property
    def platforms(self) -> tuple[str, ...]:
        """Every accepted platform tag, preferred first (what pip gets as --platform)."""
        newer = range(_GLIBC_MINOR[self.runtime], 17, -1)
        older = range(16, 4, -1) if self.machine == "x86_64" else range(0)
        return (
            *(f"manylinux_2_{m}_{self.machine}" for m in newer),
            self.platform,  # pip adds manylinux2010/manylinux1 after it on x86_64
            f"manylinux_2_17_{self.machine}",
            *(f"manylinux_2_{m}_{self.machine}" for m in older),
        )

    def describe(self) -> str:
        """E.g. ``python3.13 arm64 (platform manylinux2014_aarch64 .. manylinux_2_34_aarch64)``."""
        return (
            f"{self.runtime} {self.architecture} "
            f"(platform {self.platform} .. {self.newest_platform})"
        )


# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Archive:
    """A zip written by :func:`build`."""

    path: Path
    size: int
    unzipped_size: int
    files: int
    sha256: str
    base64_sha256: str  # what Terraform's filebase64sha256() returns


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build` wrote."""

    target: Target
    function: Archive
    layer: Archive | None
    bytecode: str | None  # the interpreter that compiled the .pyc, None for no bytecode
    wheels: tuple[str, ...]  # wheel files installed
    left_out: tuple[str, ...]  # "name version" of distributions the runtime provides
    wheels_from_cache: bool  # True when no pip download ran

    @property
    def archives(self) -> tuple[Archive, ...]:
        return (self.function,) if self.layer is None else (self.function, self.layer)


# --- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    name: str  # top-level name in the zip: package or module file name
    path: Path
    is_package: bool


def _check_sources(paths: Iterable[Path | str]) -> list[_Source]:
    found: dict[str, _Source] = {}
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
            source = _Source(path.resolve().name, path, True)
        elif path.is_file() and path.suffix == ".py":
            source = _Source(path.name, path, False)
        else:
            raise PackagingError(
                f"--source {raw}: neither a package directory (with __init__.py) nor a .py file"
            )
        top = _top_name(source.name)
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


def _top_name(name: str) -> str:
    return name.removesuffix(".py")


def _check_find_links(links: Iterable[str]) -> list[str]:
    checked = []
    for link in links:
        if "://" in link:
            checked.append(link)
        elif Path(link).exists():
            checked.append(str(Path(link).resolve()))
        else:
            raise PackagingError(f"--find-links {link}: no such directory")
    return checked


def handler_package() -> Path:
    """The directory of the ``handler`` package installed with this command."""
    here = str(Path(__file__).resolve().parent.parent)  # next to s3_lambda_trigger
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


def default_cache_dir() -> Path:
    """``$S3_LAMBDA_TRIGGER_CACHE``, else ``~/.cache/s3-lambda-trigger``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "s3-lambda-trigger"


# --- copying sources ------------------------------------------------------------------


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__" or name.endswith((".pyc", ".pyo"))


def _walk(root: Path) -> Iterator[Path]:
    """Regular files under ``root``, sorted, not following directory symlinks."""
    for parent, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(parent, name)
            if path.is_file():
                yield path


def _copy_package(src: Path, dest: Path, *, python_only: bool) -> None:
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


# --- wheels ---------------------------------------------------------------------------


def _pip_target_args(target: Target) -> list[str]:
    args = [f"--platform={tag}" for tag in target.platforms]
    return [
        *args,
        "--only-binary=:all:",
        f"--python-version={target.python_version}",
        "--implementation=cp",
    ]


def _pip(args: Sequence[str], target: Target, what: str) -> None:
    """Run pip quietly; on failure raise one PackagingError that says what to do."""
    with tempfile.TemporaryDirectory(prefix="s3-lambda-trigger-pip-") as tmp:
        log = Path(tmp, "pip.log")  # pip's debug log: the connection errors are only there
        command = [
            sys.executable,
            "-m",
            "pip",
            *args[:1],
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar=off",
            f"--log={log}",
            *args[1:],
        ]
        # --target into our staging dir: no virtualenv needed, and never --user.
        env = {**os.environ, "PIP_REQUIRE_VIRTUALENV": "0", "PIP_USER": "0"}
        done = subprocess.run(
            command, capture_output=True, text=True, errors="replace", env=env, check=False
        )
        if done.returncode != 0:
            debug = log.read_text(errors="replace") if log.is_file() else ""
            raise _pip_error(f"{done.stdout}\n{done.stderr}", debug, target, what)


_NOT_FOUND = (
    re.compile(r"No matching distribution found for (\S+)"),
    re.compile(r"Could not find a version that satisfies the requirement (\S+)"),
)
_NETWORK = re.compile(
    r"Could not fetch URL|NewConnectionError|ConnectTimeoutError|ReadTimeoutError|"
    r"ProxyError|SSLError|Max retries exceeded"
)
# The most telling part of a connection error, best first.
_NETWORK_CAUSES = (
    re.compile(r"Failed to establish a new connection: [^'\")]*"),
    re.compile(r"(?:Temporary failure in name resolution|Name or service not known)"),
    re.compile(r"(?:Network is unreachable|Connection refused|timed out|SSLError[^'\")]*)"),
    re.compile(r"(?:NewConnectionError|ConnectTimeoutError|ReadTimeoutError|ProxyError)"),
)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _pip_error(output: str, debug: str, target: Target, what: str) -> PackagingError:
    """One clear message for pip's failure (pip's last lines when it is not recognised)."""
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    network = next((line for line in debug.splitlines() if _NETWORK.search(line)), None)
    if network is not None:
        return _network_error(network, target, what)
    if "ResolutionImpossible" in output:
        start = next((i for i, line in enumerate(lines) if "conflict is caused by" in line), -1)
        causes = [line.strip() for line in lines[start + 1 :] if line.startswith("    ")]
        return PackagingError(
            f"the requirements conflict for {target.runtime} {target.architecture}: "
            f"{'; '.join(causes) or lines[-1]}; change the pins so that one version of each "
            "package satisfies them all"
        )
    for pattern in _NOT_FOUND:
        for line in lines:
            found = pattern.search(line)
            if found:
                return _no_wheel_error(found.group(1), lines, target)
    tail = "\n".join(lines[-15:])
    return PackagingError(f"pip failed to {what} for {target.describe()}; its last lines:\n{tail}")


def _network_error(line: str, target: Target, what: str) -> PackagingError:
    url = re.search(r"(?:URL|url:) (\S+?):? ", line)
    causes = (pattern.search(line) for pattern in _NETWORK_CAUSES)
    cause = next((found.group(0) for found in causes if found), "connection error")
    reason = f"{url.group(1)}: {cause}" if url else cause
    return PackagingError(
        f"pip could not reach the package index to {what} for {target.runtime} "
        f"{target.architecture} ({reason[:300]}); check the network and the index "
        "settings (PIP_INDEX_URL, pip.conf). Once the wheels are cached, a rebuild "
        "with unchanged requirements needs no network"
    )


def _no_wheel_error(requirement: str, lines: Sequence[str], target: Target) -> PackagingError:
    found = _NAME.match(requirement)
    name = found.group(0) if found else requirement
    shown = name if requirement == name else f"{name} ({requirement})"
    untrusted = [line for line in lines if "not a trusted or secure host" in line]
    hint = f" (pip: {untrusted[0].removeprefix('WARNING: ')[:300]})" if untrusted else ""
    return PackagingError(
        f"no wheel of {shown} for {target.runtime} on {target.architecture} "
        f"(CPython {target.python_version}, platform {target.platform} .. "
        f"{target.newest_platform}); Lambda needs a built wheel for the target and "
        f"source distributions are not built here. Pin a version of {name} that "
        f"publishes a manylinux wheel for {target.machine} and CPython "
        f"{target.python_version} (see its files on PyPI), build a wheel for the "
        "target yourself and pass its directory with --find-links DIR, or choose "
        f"another package{hint}"
    )


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
        "requirements": [_sha256(p) for p in _requirement_files(requirements)],
        "runtime": target.runtime,
        "architecture": target.architecture,
        "platforms": list(target.platforms),
        "include_boto3": include_boto3,
        "find_links": links,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_stamp(stamp: Path, wheel_dir: Path) -> list[Path] | None:
    """The stamp's wheels, if the stamp is valid and every wheel is there, unchanged."""
    try:
        data = json.loads(stamp.read_text(encoding="utf-8"))
        wheels = [(wheel_dir / w["file"], w["sha256"]) for w in data["wheels"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for path, digest in wheels:
        if not path.is_file() or _sha256(path) != digest:
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
        _pip([*args, *_pip_target_args(target)], target, "download the wheels")
        names = sorted(p.name for p in Path(tmp).iterdir() if p.is_file())
        others = [n for n in names if not n.endswith(".whl")]
        if others:
            raise PackagingError(f"pip downloaded files that are not wheels: {', '.join(others)}")
        for name in names:
            os.replace(Path(tmp, name), wheel_dir / name)
    entries = [{"file": n, "sha256": _sha256(wheel_dir / n)} for n in names]
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
        *_pip_target_args(target),
        *map(str, wheels),
    ]
    _pip(args, target, "install the wheels")


# --- cleaning the installed packages --------------------------------------------------


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


# --- bytecode -------------------------------------------------------------------------

_COMPILE = """
import importlib.util, json, py_compile, sys
failed = []
for source, dfile, strict in json.load(sys.stdin):
    try:
        py_compile.compile(
            source, cfile=importlib.util.cache_from_source(source), dfile=dfile,
            doraise=True, optimize=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except py_compile.PyCompileError as exc:
        if strict:
            value = exc.exc_value
            line = getattr(value, "lineno", None)
            where = f"{dfile} line {line}" if line else dfile
            failed.append(f"{where}: {exc.exc_type_name}: {getattr(value, 'msg', value)}")
json.dump(failed, sys.stdout)
"""
_PROBE = "import sys; print(sys.implementation.cache_tag)"


def _python_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # set and frozenset constants in the same order every time
    return env


def _cache_tag(python: str) -> str | None:
    try:
        done = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=30,
            env=_python_env(),
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def _candidates(version: str) -> Iterator[str]:
    yield sys.executable
    on_path = shutil.which(f"python{version}")
    if on_path:
        yield on_path
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            done = subprocess.run(
                [pyenv, "prefix", version], capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0 and done.stdout.strip():
            for prefix in done.stdout.strip().splitlines()[0].split(":"):
                yield str(Path(prefix) / "bin" / f"python{version}")
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    pattern = re.compile(rf"{re.escape(version)}\.(\d+)")
    found = []
    if root.is_dir():
        for entry in root.iterdir():
            matched = pattern.fullmatch(entry.name)
            if matched:
                found.append((int(matched.group(1)), entry / "bin" / f"python{version}"))
    for _, python in sorted(found, reverse=True):
        yield str(python)


def find_python(target: Target, explicit: str | None = None) -> str | None:
    """An interpreter of the runtime's exact Python version, or None.

    ``explicit`` (--python) must be one; else the current interpreter, ``python3.X`` on
    PATH, ``pyenv prefix 3.X`` and ``$PYENV_ROOT/versions/3.X.*`` (newest first).
    """
    if explicit:
        python = shutil.which(explicit) or explicit
        tag = _cache_tag(python)
        if tag is None:
            raise PackagingError(f"--python {explicit}: cannot run it")
        if tag != target.cache_tag:
            raise PackagingError(
                f"--python {explicit} is {tag}, but {target.runtime} needs {target.cache_tag}: "
                f"pass a Python {target.python_version} interpreter, or --no-bytecode"
            )
        return os.path.abspath(python)
    seen = set()
    for python in _candidates(target.python_version):
        if python in seen or not os.access(python, os.X_OK):
            continue
        seen.add(python)
        if _cache_tag(python) == target.cache_tag:
            return os.path.abspath(python)
    return None


def compile_trees(python: str, trees: Sequence[tuple[Path, bool]], target: Target) -> None:
    """Write an unchecked-hash .pyc next to every .py under each (root, strict) tree.

    ``co_filename`` is the path relative to the root, so no build path gets in.  A
    SyntaxError in a strict tree (your code, the handler) is an error; in dependencies it
    is skipped, as pip does.
    """
    items = [
        (str(path), path.relative_to(root).as_posix(), strict)
        for root, strict in trees
        for path in _walk(root)
        if path.suffix == ".py"
    ]
    if not items:
        return
    done = subprocess.run(
        [python, "-s", "-W", "ignore", "-c", _COMPILE],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        env=_python_env(),
        check=False,
    )
    if done.returncode != 0:
        raise PackagingError(
            f"compiling with {python} failed; its last lines:\n{done.stderr.strip()[-2000:]}"
        )
    failed: list[str] = json.loads(done.stdout)
    if failed:
        raise PackagingError(
            f"your code does not compile for {target.runtime}: {'; '.join(failed[:5])}"
            f"{' ...' if len(failed) > 5 else ''} (--no-bytecode skips this check)"
        )


# --- zip ------------------------------------------------------------------------------

Entry = tuple[str, Path, int]  # (name in the zip, file, mode)


def tree_entries(root: Path, prefix: str = "", *, keep_exec: bool = False) -> list[Entry]:
    """Every file under ``root`` as a zip entry named ``prefix + relative path``.

    Mode 0644, or 0755 for files with an executable bit when ``keep_exec`` (wheel
    contents: pip sets that bit from the wheel, so it is the same everywhere).
    """
    entries = []
    for path in _walk(root):
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
    digest = bytes.fromhex(_sha256(output))
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


# --- build ----------------------------------------------------------------------------


def _note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr)


def _top_names(root: Path) -> set[str]:
    return {_top_name(p.name) for p in root.iterdir()} if root.is_dir() else set()


@dataclass(frozen=True)
class _Plan:
    """The checked inputs of one build."""

    target: Target
    output: Path
    layer: Path | None
    sources: list[_Source]
    requirements: Path | None
    find_links: list[str]
    handler_dir: Path | None
    include_boto3: bool


def _plan(
    output: Path | str,
    *,
    sources: Sequence[Path | str],
    requirements: Path | str | None,
    target: Target,
    layer_output: Path | str | None,
    include_boto3: bool,
    handler: bool,
    find_links: Sequence[str],
) -> _Plan:
    layer = Path(layer_output) if layer_output is not None else None
    if layer is not None and layer.resolve() == Path(output).resolve():
        raise PackagingError("--layer-output must differ from --output")
    checked = _check_sources(sources)
    req = Path(requirements) if requirements is not None else None
    if req is not None and not req.is_file():
        raise PackagingError(f"-r {requirements}: no such requirements file")
    if layer is not None and req is None:
        raise PackagingError("--layer-output holds the dependencies: also pass -r requirements")
    handler_dir = handler_package() if handler else None
    if handler_dir is not None and "handler" in {_top_name(s.name) for s in checked}:
        raise PackagingError(
            "a --source is named 'handler', like this project's handler package; pass "
            "--no-handler to deploy yours instead, or rename it"
        )
    return _Plan(
        target=target,
        output=Path(output),
        layer=layer,
        sources=checked,
        requirements=req,
        find_links=_check_find_links(find_links),
        handler_dir=handler_dir,
        include_boto3=include_boto3,
    )


def _stage_code(plan: _Plan, root: Path) -> None:
    """Copy the handler and the sources to ``root`` (the function zip's root)."""
    root.mkdir()
    if plan.handler_dir is not None:
        _copy_package(plan.handler_dir, root / "handler", python_only=True)
    for source in plan.sources:
        if source.is_package:
            _copy_package(source.path, root / source.name, python_only=False)
        else:
            shutil.copyfile(source.path, root / source.name)


def _stage_dependencies(
    plan: _Plan, site: Path, cache: Path
) -> tuple[list[Path], bool, tuple[str, ...]]:
    """Install the wheels into ``site``: (wheels, whether from the cache, left out)."""
    site.mkdir()
    if plan.requirements is None:
        return [], False, ()
    wheels, from_cache = fetch_wheels(
        plan.requirements,
        plan.target,
        cache,
        find_links=plan.find_links,
        include_boto3=plan.include_boto3,
    )
    install_wheels(wheels, site, plan.target)
    left_out = clean_site(site, include_boto3=plan.include_boto3)
    return wheels, from_cache, left_out


def _bytecode_python(target: Target, python: str | None, note: Callable[[str], None]) -> str | None:
    interpreter = find_python(target, python)
    if interpreter is None:
        note(
            f"no Python {target.python_version} found (looked on PATH for "
            f"python{target.python_version} and in pyenv), so the zip has no bytecode and "
            f"every cold start of {target.runtime} compiles the code; pass --python "
            f"/path/to/python{target.python_version} to add it, or --no-bytecode to "
            "silence this note"
        )
    return interpreter


def build(
    output: Path | str,
    *,
    sources: Sequence[Path | str] = (),
    requirements: Path | str | None = None,
    runtime: str = DEFAULT_RUNTIME,
    architecture: str = DEFAULT_ARCHITECTURE,
    layer_output: Path | str | None = None,
    include_boto3: bool = False,
    handler: bool = True,
    find_links: Sequence[str] = (),
    cache_dir: Path | str | None = None,
    python: str | None = None,
    bytecode: bool = True,
    zipped_limit: int = ZIPPED_LIMIT,
    unzipped_limit: int = UNZIPPED_LIMIT,
    note: Callable[[str], None] = _note,
) -> BuildResult:
    """Build the function zip (and the layer zip); see the module docstring.

    Raises PackagingError for bad inputs, dependencies without a wheel for the target,
    and zips over Lambda's size limits (those zips are written, for a look or an upload
    through S3).
    """
    target = Target(runtime, architecture)
    plan = _plan(
        output,
        sources=sources,
        requirements=requirements,
        target=target,
        layer_output=layer_output,
        include_boto3=include_boto3,
        handler=handler,
        find_links=find_links,
    )
    interpreter = _bytecode_python(target, python, note) if bytecode else None
    cache = (Path(cache_dir) if cache_dir is not None else default_cache_dir()).resolve()
    with tempfile.TemporaryDirectory(prefix="s3-lambda-trigger-package-") as tmp:
        function_root, site = Path(tmp, "function"), Path(tmp, "site")
        _stage_code(plan, function_root)
        wheels, from_cache, left_out = _stage_dependencies(plan, site, cache)
        clash = sorted(_top_names(function_root) & _top_names(site))
        if clash:
            raise PackagingError(
                f"{', '.join(clash)}: both in your code and in the dependencies of -r "
                f"{requirements}; rename your package or drop the requirement"
            )
        if interpreter is not None:
            compile_trees(interpreter, [(function_root, True), (site, False)], target)

        function_entries = tree_entries(function_root)
        site_entries = tree_entries(site, "python/" if plan.layer else "", keep_exec=True)
        if plan.layer is None:
            function_entries += site_entries
        if not function_entries:
            raise PackagingError("nothing to put in the function zip: pass --source or -r")
        function = write_zip(function_entries, plan.output)
        layer = write_zip(site_entries, plan.layer) if plan.layer is not None else None

    result = BuildResult(
        target=target,
        function=function,
        layer=layer,
        bytecode=interpreter,
        wheels=tuple(w.name for w in wheels),
        left_out=left_out,
        wheels_from_cache=from_cache,
    )
    check_sizes(result.archives, zipped_limit=zipped_limit, unzipped_limit=unzipped_limit)
    return result


# --- command --------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "package",
        help="build the function zip: handler + your code + wheels for the target",
        description="Build a deterministic Lambda zip: this project's handler package, your "
        "--source packages/modules, and the wheels of -r requirements.txt for the target "
        "runtime and architecture (manylinux wheels: arm64 builds on x86_64, no Docker), with "
        "bytecode when a Python of the runtime's version is found. The same inputs give the "
        "same bytes.",
    )
    p.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="PATH",
        help="a package directory (with __init__.py) or a .py module, added at the zip root "
        "(repeatable)",
    )
    p.add_argument("-r", "--requirements", metavar="FILE", help="pip requirements file")
    p.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME, help="(%(default)s)")
    p.add_argument(
        "--architecture", choices=ARCHITECTURES, default=DEFAULT_ARCHITECTURE, help="(%(default)s)"
    )
    p.add_argument("-o", "--output", required=True, metavar="ZIP", help="the function zip")
    p.add_argument(
        "--layer-output",
        metavar="ZIP",
        help="put the dependencies in this layer zip (under python/) instead of the function zip",
    )
    p.add_argument(
        "--include-boto3",
        action="store_true",
        help="keep boto3, botocore, s3transfer and jmespath (left out by default: the Lambda "
        "runtime has them)",
    )
    p.add_argument(
        "--no-handler",
        dest="handler",
        action="store_false",
        help="leave out this project's handler package",
    )
    p.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR",
        help="also look for wheels here (passed to pip; repeatable)",
    )
    p.add_argument(
        "--cache-dir",
        metavar="DIR",
        help=f"wheel cache (default: ${CACHE_ENV} or ~/.cache/s3-lambda-trigger)",
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter of the runtime's Python version, for bytecode (default: found on "
        "PATH or through pyenv)",
    )
    p.add_argument(
        "--no-bytecode",
        dest="bytecode",
        action="store_false",
        help="do not add __pycache__/*.pyc",
    )


def describe(result: BuildResult) -> str:
    """The command's report: target, then path, sizes and hashes of each zip."""
    bytecode = f"{result.target.cache_tag} ({result.bytecode})" if result.bytecode else "none"
    lines = [f"target: {result.target.describe()}", f"bytecode: {bytecode}"]
    if result.wheels:
        cached = "from the cache" if result.wheels_from_cache else "downloaded"
        lines.append(f"wheels: {len(result.wheels)} ({cached})")
    if result.left_out:
        lines.append(f"left out (the Lambda runtime has them): {', '.join(result.left_out)}")
    for label, archive in (("function zip", result.function), ("layer zip", result.layer)):
        if archive is None:
            continue
        lines += [
            f"{label}: {archive.path}",
            f"  size: {archive.size} bytes",
            f"  unzipped: {archive.unzipped_size} bytes",
            f"  files: {archive.files}",
            f"  sha256: {archive.sha256}",
            f"  base64sha256: {archive.base64_sha256}",
        ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> None:
    result = build(
        args.output,
        sources=args.source,
        requirements=args.requirements,
        runtime=args.runtime,
        architecture=args.architecture,
        layer_output=args.layer_output,
        include_boto3=args.include_boto3,
        handler=args.handler,
        find_links=args.find_links,
        cache_dir=args.cache_dir,
        python=args.python,
        bytecode=args.bytecode,
    )
    print(describe(result))
