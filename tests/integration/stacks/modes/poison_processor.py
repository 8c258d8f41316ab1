"""Test processor deployed next to the handler package: fails for keys containing "poison",
logs every other record with the default processor."""

from typing import Any

from handler.model import S3Object
from handler.processors import log_record


def process(record: S3Object, context: Any) -> None:
    if "poison" in record.key:
        raise ValueError(f"refusing poison object {record.key}")
    log_record(record, context)
