"""A processor for s3-lambda-trigger: a thumbnail of every uploaded JPEG or PNG.

The module runs ``process(record, context)`` for each object created under
``uploads/`` ending ``.jpg`` or ``.png``; it reads the image, shrinks it to fit
128 x 128 (keeping its aspect ratio and format) and writes it under the module's
``output_prefix`` (``thumbnails/``), at the same path below it.

Object keys are untrusted input: they name S3 objects only and never a local file
(nothing here touches the disk); a name too long for S3 is replaced by a hash.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image

from handler import log, objects
from handler.model import S3Object

SIZE = (128, 128)
INPUT_PREFIX = "uploads/"
MAX_INPUT_BYTES = 20 * 1024 * 1024  # larger uploads fail (on-failure queue), never OOM
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}


def thumbnail_name(key: str, image_format: str) -> str:
    """The thumbnail's name below the output prefix: the key below ``uploads/``.

    S3 allows 1024 bytes per key and output prefixes may be longer than ``uploads/``:
    a name that would not fit becomes the SHA-256 of the key (plus the extension).
    """
    name = key.removeprefix(INPUT_PREFIX)
    if len(name.encode()) > 900:
        extension = ".jpg" if image_format == "JPEG" else ".png"
        name = hashlib.sha256(key.encode()).hexdigest() + extension
    return name


def make_thumbnail(data: bytes) -> tuple[bytes, str, tuple[int, int]]:
    """(thumbnail bytes, format, size); raises for anything that is not a JPEG or PNG."""
    with Image.open(io.BytesIO(data), formats=list(CONTENT_TYPES)) as image:
        image_format = str(image.format)
        image.thumbnail(SIZE)
        out = io.BytesIO()
        image.save(out, format=image_format)
        return out.getvalue(), image_format, image.size


def process(record: S3Object, context: Any) -> None:
    """The processor: S3_EVENT_PROCESSOR = "thumbnails:process"."""
    if record.size is not None and record.size > MAX_INPUT_BYTES:
        raise ValueError(f"{record.key!r} is {record.size} bytes; the limit is {MAX_INPUT_BYTES}")
    with objects.open_object(record) as body:
        data = body.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"{record.key!r} is larger than {MAX_INPUT_BYTES} bytes")
    thumbnail, image_format, size = make_thumbnail(data)
    key = objects.write_output(
        thumbnail_name(record.key, image_format),
        thumbnail,
        content_type=CONTENT_TYPES[image_format],
    )
    log.emit(
        "INFO",
        "thumbnail_written",
        source=record.key,
        key=key,
        width=size[0],
        height=size[1],
        idempotencyKey=record.idempotency_key,
    )
