"""tools/package.py builds byte-identical zips from identical sources."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _copy_with_noise(dest: Path, mtime: int) -> Path:
    pkg = dest / "handler"
    shutil.copytree(REPO / "handler", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"junk")
    (pkg / "stray.pyc").write_bytes(b"junk")
    (pkg / "notes.txt").write_text("not python")
    for path in pkg.rglob("*"):
        os.utime(path, (mtime, mtime))
        if path.is_file():
            path.chmod(0o600 if mtime % 2 else 0o755)
    return pkg


def _build(pkg: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "tools" / "package.py"), str(pkg), str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip


def test_zip_is_deterministic(tmp_path: Path) -> None:
    a = _copy_with_noise(tmp_path / "a", 1_000_000_001)
    b = _copy_with_noise(tmp_path / "b", 1_700_000_000)
    run_a = _build(a, tmp_path / "out-a" / "handler.zip")
    _build(b, tmp_path / "out-b" / "x.zip")
    data = (tmp_path / "out-a" / "handler.zip").read_bytes()
    assert data == (tmp_path / "out-b" / "x.zip").read_bytes()

    digest = hashlib.sha256(data).digest()
    assert f"size: {len(data)} bytes" in run_a.stdout
    assert digest.hex() in run_a.stdout
    assert base64.b64encode(digest).decode() in run_a.stdout

    with zipfile.ZipFile(tmp_path / "out-a" / "handler.zip") as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert all(n.startswith("handler/") and n.endswith(".py") for n in names)
        assert "handler/app.py" in names and "handler/__init__.py" in names
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.compress_type == zipfile.ZIP_DEFLATED
        src = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "handler").glob("*.py"))
        assert names == src
    assert not list((tmp_path / "out-a").glob(".*"))  # no temp files left behind


def test_zip_runs_in_clean_interpreter(tmp_path: Path) -> None:
    out = tmp_path / "h.zip"
    _build(REPO / "handler", out)
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]);"
        "import handler.app as a;"
        "from s3_lambda_trigger.samples import make_event;"
        "r = a.lambda_handler(make_event('put', 'b', 'k'), None);"
        "assert r['processed'] == 1, r;"
        "assert a.__file__.startswith(sys.argv[1]), a.__file__"
    )
    subprocess.run([sys.executable, "-I", "-c", code, str(out)], check=True, capture_output=True)
