"""Size of the deployable zip (target < 16 KiB). Writes build/bench/zip_size.json."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools.package import build  # noqa: E402

TARGET = 16 * 1024


def main() -> None:
    out = REPO / "build" / "bench" / "handler.zip"
    data = build(REPO / "handler", out)
    with zipfile.ZipFile(out) as zf:
        infos = zf.infolist()
    print(f"{'file':28} {'bytes':>8} {'deflated':>9}")
    for info in infos:
        print(f"{info.filename:28} {info.file_size:8} {info.compress_size:9}")
    print(f"{'zip total':28} {len(data):8}   target < {TARGET} ({len(data) / TARGET:.0%} of it)")
    result = {
        "bytes": len(data),
        "target_bytes": TARGET,
        "files": len(infos),
        "uncompressed_bytes": sum(i.file_size for i in infos),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    path = REPO / "build" / "bench" / "zip_size.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
