"""Test processor for the operations stack: fails for keys that contain one of the
comma-separated markers in FAIL_MARKERS, logs every other record with the default processor."""

import os
from typing import Any

from handler.model import S3Object
from handler.processors import log_record


def process(record: S3Object, context: Any) -> None:
    markers = [m for m in os.environ.get("FAIL_MARKERS", "").split(",") if m]
    if any(m in record.key for m in markers):
        raise ValueError(f"refusing {record.key} (FAIL_MARKERS={','.join(markers)})")
    log_record(record, context)
