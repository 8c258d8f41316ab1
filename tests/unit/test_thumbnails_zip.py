"""examples/thumbnails packaged for both architectures: reproducible, and really for the target.

The emulator runs x86_64 only, so the arm64 zip is checked by inspection: the wheel tags of
its dependencies and the ELF machine of every shared library. Each architecture is built
twice from clean caches (two pip downloads) and must give the same bytes.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from tests.thumbnails_zip import build_thumbnails_zip

ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
WHEEL_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}


def build(out: Path, cache: Path, architecture: str) -> str:
    digest = build_thumbnails_zip(out, architecture, cache)
    assert digest == f"sha256: {hashlib.sha256(out.read_bytes()).hexdigest()}"  # printed = written
    return digest


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_example_zip_is_reproducible_and_for_its_target(tmp_path: Path, architecture: str) -> None:
    first = build(tmp_path / "a" / "function.zip", tmp_path / "cache-a", architecture)
    second = build(tmp_path / "b" / "function.zip", tmp_path / "cache-b", architecture)
    assert first == second  # two clean builds (separate downloads), same bytes

    with zipfile.ZipFile(tmp_path / "a" / "function.zip") as zf:
        names = zf.namelist()
        assert "thumbnails/__init__.py" in names and "handler/app.py" in names
        assert "PIL/Image.py" in names and not any(n.startswith("boto3/") for n in names)
        assert "thumbnails/__pycache__/__init__.cpython-313.pyc" in names
        [wheel] = [n for n in names if n.startswith("pillow-") and n.endswith(".dist-info/WHEEL")]
        tags = [t for t in zf.read(wheel).decode().splitlines() if t.startswith("Tag:")]
        assert tags and all(t.endswith(WHEEL_ARCH[architecture]) for t in tags), tags
        assert all("cp313" in t for t in tags), tags
        shared = [n for n in names if n.endswith(".so") or ".so." in n]
        assert len(shared) > 5, names
        for name in shared:
            header = zf.read(name)[:20]
            assert header[:4] == b"\x7fELF", name
            machine = int.from_bytes(header[18:20], "little")
            assert machine == ELF_MACHINE[architecture], f"{name}: e_machine {machine}"
