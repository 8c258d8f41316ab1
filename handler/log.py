"""Dependency-free structured logging: one JSON object per line on stdout."""

import json
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}

# Where lines go; None means sys.stdout at call time (what CloudWatch Logs captures).
stream: "TextIO | None" = None


def enabled(level: str) -> bool:
    """True if ``level`` passes the LOG_LEVEL threshold (default INFO)."""
    threshold = LEVELS.get(os.environ.get("LOG_LEVEL", "INFO").strip().upper(), 20)
    return LEVELS[level] >= threshold


def emit(level: str, message: str, **fields: object) -> None:
    """Write ``{"level": level, "message": message, **fields}`` as one JSON line."""
    if not enabled(level):
        return
    line = json.dumps(
        {"level": level, "message": message, **fields},
        ensure_ascii=False,
        default=str,
        separators=(",", ":"),
    )
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()
