"""Build a deterministic Lambda zip of a Python package directory.

Usage: python tools/package.py handler build/handler.zip

Only *.py files, sorted entries, fixed timestamp (1980-01-01 00:00:00), fixed
mode 0644, ZIP_DEFLATED at level 9, the package directory at the zip root.
The same sources give the same bytes (given the same zlib implementation).
Prints the path, size in bytes, sha256 (hex) and base64 sha256 (what
Terraform's filebase64sha256() returns).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tempfile
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)
MODE = 0o100644  # regular file, rw-r--r--
LEVEL = 9


def sources(package: Path) -> list[tuple[str, Path]]:
    """(archive name, path) for every *.py file under ``package``, sorted by name."""
    found = []
    for path in package.rglob("*.py"):
        rel = path.relative_to(package)
        if "__pycache__" in rel.parts or not path.is_file():
            continue
        found.append((f"{package.name}/{rel.as_posix()}", path))
    return sorted(found)


def build(package: Path, output: Path) -> bytes:
    """Write the zip to ``output`` atomically and return its bytes."""
    package = package.resolve()
    if not (package / "__init__.py").is_file():
        raise SystemExit(f"error: {package} is not a Python package (no __init__.py)")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w") as zf:
            for name, path in sources(package):
                info = zipfile.ZipInfo(name, date_time=EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so external_attr means a POSIX mode
                info.external_attr = MODE << 16
                zf.writestr(info, path.read_bytes(), compresslevel=LEVEL)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output.read_bytes()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tools/package.py PACKAGE_DIR OUTPUT.zip", file=sys.stderr)
        return 2
    output = Path(argv[1])
    data = build(Path(argv[0]), output)
    digest = hashlib.sha256(data).digest()
    print(f"path: {output}")
    print(f"size: {len(data)} bytes")
    print(f"sha256: {digest.hex()}")
    print(f"base64sha256: {base64.b64encode(digest).decode()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
