"""Packaging a function with dependencies: this command against plain pip + zipfile.

Same inputs for every case: requirements ``pillow==12.0.0`` and a small source package.

- ours: ``s3-lambda-trigger package --source mypkg -r requirements.txt``, cold (empty
  --cache-dir and empty pip cache) and warm (the same build again, cache filled), with
  bytecode (the default) and with --no-bytecode; x86_64, and arm64 for reference.
- naive: ``pip install --target DIR -r requirements.txt`` with the runtime's Python
  (3.13, so the wheels match python3.13), the source package copied in, and DIR zipped
  with zipfile (ZIP_DEFLATED, every file as it is); cold = fresh pip cache
  (PIP_CACHE_DIR), warm = the second run.  x86_64 only: plain pip installs wheels for
  the machine it runs on and cannot build an arm64 zip here.

Reported: wall time of each build, zip size and file count, and whether the cold and
the warm build gave the same bytes (and, for naive, which entries differ).  Needs the
network (PyPI).  No assertions.  Writes build/bench/package.json.

Usage: python bench/package.py
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from s3_lambda_trigger.packaging import Target, find_python  # noqa: E402

REQUIREMENTS = "pillow==12.0.0\n"
SOURCE = {
    "__init__.py": "from .thumbs import thumbnail\n",
    "thumbs.py": "from PIL import Image\n\n\ndef thumbnail(path, size=(128, 128)):\n"
    "    with Image.open(path) as image:\n        image.thumbnail(size)\n        return image\n",
}


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"error: {' '.join(argv[:4])} ... failed:\n{done.stderr[-3000:]}")
    return elapsed


def zip_dir(root: Path, out: Path) -> None:
    """The usual way: every file under ``root``, as it is, with zipfile."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())


def differences(a: Path, b: Path) -> dict[str, int]:
    """How two zips of the same inputs differ: entries, timestamps, contents."""
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        ia = {i.filename: i for i in za.infolist()}
        ib = {i.filename: i for i in zb.infolist()}
        common = sorted(set(ia) & set(ib))
        return {
            "only_in_one": len(set(ia) ^ set(ib)),
            "date_time": sum(ia[n].date_time != ib[n].date_time for n in common),
            "content": sum(za.read(n) != zb.read(n) for n in common),
        }


def main() -> None:
    py313 = find_python(Target("python3.13"))
    if py313 is None:
        raise SystemExit("error: no Python 3.13 found (PATH or pyenv); the naive case needs it")
    tmp = Path(tempfile.mkdtemp(prefix="bench-package-"))
    work = tmp / "project"
    (work / "mypkg").mkdir(parents=True)
    for name, text in SOURCE.items():
        (work / "mypkg" / name).write_text(text)
    (work / "requirements.txt").write_text(REQUIREMENTS)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("S3_LAMBDA_TRIGGER")}
    base_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    cases: list[dict[str, object]] = []
    pairs: dict[str, tuple[Path, Path]] = {}

    def ours(arch: str, bytecode: bool) -> None:
        label = f"ours{'' if bytecode else ', --no-bytecode'}"
        cache, pip_cache = tmp / f"cache-{arch}-{bytecode}", tmp / f"pip-{arch}-{bytecode}"
        outs = []
        for state in ("cold", "warm"):
            out = tmp / "out" / f"ours-{arch}-{bytecode}-{state}.zip"
            argv = [sys.executable, "-m", "s3_lambda_trigger", "package", "--source", "mypkg",
                    "-r", "requirements.txt", "--architecture", arch, "-o", str(out),
                    "--cache-dir", str(cache)]  # fmt: skip
            if not bytecode:
                argv.append("--no-bytecode")
            seconds = timed(argv, {**base_env, "PIP_CACHE_DIR": str(pip_cache)}, work)
            cases.append(record(label, arch, state, seconds, out))
            outs.append(out)
        pairs[f"{label} {arch}"] = (outs[0], outs[1])

    def naive() -> None:
        pip_cache = tmp / "pip-naive"
        outs = []
        for state in ("cold", "warm"):
            target = tmp / f"naive-{state}"
            argv = [py313, "-m", "pip", "install", "--quiet", "--target", str(target),
                    "-r", "requirements.txt"]  # fmt: skip
            env = {**base_env, "PIP_CACHE_DIR": str(pip_cache)}
            start = time.perf_counter()
            timed(argv, env, work)
            shutil.copytree(work / "mypkg", target / "mypkg")
            out = tmp / "out" / f"naive-{state}.zip"
            zip_dir(target, out)
            seconds = time.perf_counter() - start  # pip + zipping
            cases.append(record("naive pip + zipfile", "x86_64", state, seconds, out))
            outs.append(out)
            time.sleep(2.1)  # a later run lands in another 2-second zip timestamp
        pairs["naive pip + zipfile x86_64"] = (outs[0], outs[1])

    (tmp / "out").mkdir()
    ours("x86_64", True)
    ours("x86_64", False)
    naive()
    ours("arm64", True)

    print(f"packaging pillow==12.0.0 + a small package, python3.13; host {platform.machine()}")
    print(f"ours = s3-lambda-trigger package; naive = pip install --target ({py313}) + zipfile")
    print(f"{'case':28} {'arch':7} {'cache':5} {'seconds':>8} {'zip bytes':>11} {'files':>6}")
    for case in cases:
        print(f"{case['case']:28} {case['arch']:7} {case['cache']:5} {case['seconds']:8.2f} "
              f"{case['bytes']:11,} {case['files']:6}")  # fmt: skip
    print(f"{'naive pip + zipfile':28} {'arm64':7} {'-':5} {'n/a':>8}   "
          "plain pip installs wheels for this machine only: no arm64 zip")  # fmt: skip
    print("\ncold and warm build, same bytes?")
    identical: dict[str, object] = {}
    for label, (a, b) in pairs.items():
        same = a.read_bytes() == b.read_bytes()
        diff = differences(a, b)
        detail = "" if same else (
            f"  ({diff['date_time']} entries with other timestamps, {diff['content']} with "
            f"other contents, {diff['only_in_one']} in one zip only)"
        )  # fmt: skip
        print(f"  {label:34} {'yes' if same else 'no'}{detail}")
        identical[label] = {"identical": same, **diff}
    result = {"requirements": REQUIREMENTS.strip(), "python": py313, "host": platform.machine(),
              "cases": cases, "identical": identical}  # fmt: skip
    path = REPO / "build" / "bench" / "package.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    shutil.rmtree(tmp, ignore_errors=True)


def record(case: str, arch: str, cache: str, seconds: float, out: Path) -> dict[str, object]:
    with zipfile.ZipFile(out) as zf:
        files = len(zf.infolist())
    return {"case": case, "arch": arch, "cache": cache, "seconds": round(seconds, 2),
            "bytes": out.stat().st_size, "files": files}  # fmt: skip


if __name__ == "__main__":
    main()
