"""Bytecode: find an interpreter of the runtime's Python version, compile .pyc with it.

Unchecked-hash ``__pycache__/*.cpython-3X.pyc`` (no timestamps; PYTHONHASHSEED=0), so a
cold start on Lambda's read-only code directory does not compile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from .errors import PackagingError
from .files import walk
from .target import Target

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
        for path in walk(root)
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
