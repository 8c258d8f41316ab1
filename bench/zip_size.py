"""Size of the deployable handler zip, with and without bytecode.

The target (< 16 KiB) was set for the zip without bytecode; the default zip now carries
unchecked-hash .pyc for the runtime (faster cold starts, see bench/cold_start.py), and
the target yields to that. Writes build/bench/zip_size.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from s3_lambda_trigger.packaging import build  # noqa: E402

TARGET = 16 * 1024


def main() -> None:
    result: dict[str, object] = {"target_bytes": TARGET}
    for label, bytecode in (("without bytecode", False), ("with bytecode (default)", True)):
        out = REPO / "build" / "bench" / f"handler-{'pyc' if bytecode else 'src'}.zip"
        build(out, bytecode=bytecode, note=lambda _: None)
        data = out.read_bytes()
        with zipfile.ZipFile(out) as zf:
            infos = zf.infolist()
        print(f"\nhandler zip {label}")
        print(f"{'file':44} {'bytes':>8} {'deflated':>9}")
        for info in infos:
            print(f"{info.filename:44} {info.file_size:8} {info.compress_size:9}")
        mark = f"target < {TARGET} ({len(data) / TARGET:.0%} of it)" if not bytecode else ""
        print(f"{'zip total':44} {len(data):8}   {mark}")
        result["bytecode" if bytecode else "bytes"] = len(data)
        result["bytecode_files" if bytecode else "files"] = len(infos)
        if not bytecode:
            result["uncompressed_bytes"] = sum(i.file_size for i in infos)
            result["sha256"] = hashlib.sha256(data).hexdigest()
    path = REPO / "build" / "bench" / "zip_size.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
