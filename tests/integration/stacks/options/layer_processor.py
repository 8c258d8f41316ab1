"""Test processor shipped in a Lambda layer (python/layer_processor.py): logs each record with
the default processor, plus where the module lets the function write."""

import json
import os
from typing import Any

from handler.model import S3Object
from handler.processors import log_record


def process(record: S3Object, context: Any) -> None:
    log_record(record, context)
    output = f"{os.environ.get('S3_OUTPUT_BUCKET')}/{os.environ.get('S3_OUTPUT_PREFIX')}"
    print(json.dumps({"message": "layer_processor", "key": record.key, "output": output}))
