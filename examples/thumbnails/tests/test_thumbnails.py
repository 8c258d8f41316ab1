"""The thumbnail processor, tested locally: a mocked bucket (moto), every delivery shape.

Run: pytest examples/thumbnails/tests   (needs `pip install "s3-lambda-trigger[testing]" pillow`)
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from thumbnails import process, thumbnail_name

from handler import ProcessingError
from s3_lambda_trigger.testing import SHAPES, MockBucket


@pytest.fixture
def s3_output_prefix() -> str:
    return "thumbnails/"  # as output_prefix in main.tf


def image(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("shape", SHAPES)
def test_png_and_jpeg_get_a_thumbnail(s3_bucket: MockBucket, shape: str) -> None:
    for key, fmt, size, expected in [
        ("uploads/cat.png", "PNG", (300, 200), (128, 85)),
        ("uploads/My Photos/café ü 1.jpg", "JPEG", (400, 300), (128, 96)),
    ]:
        event = s3_bucket.put(key, image(fmt, size), shape=shape)  # type: ignore[arg-type]
        assert s3_bucket.invoke(process, event)["failed"] == 0
        with Image.open(io.BytesIO(s3_bucket.get("thumbnails/" + key[8:]))) as thumb:
            assert (thumb.format, thumb.size) == (fmt, expected)


def test_corrupt_image_fails_the_event(s3_bucket: MockBucket) -> None:
    event = s3_bucket.put("uploads/broken.png", b"not an image")
    with pytest.raises(ProcessingError, match="UnidentifiedImageError"):
        s3_bucket.invoke(process, event)
    assert s3_bucket.keys("thumbnails/") == []


def test_other_formats_are_refused(s3_bucket: MockBucket) -> None:
    event = s3_bucket.put("uploads/cat.png", image("GIF", (10, 10)))
    with pytest.raises(ProcessingError):
        s3_bucket.invoke(process, event)


@pytest.mark.parametrize(
    "key", ["uploads/../../etc/passwd.png", "uploads/a\nb.png", "uploads/" + "x" * 1000 + ".png"]
)
def test_untrusted_keys_stay_s3_keys(s3_bucket: MockBucket, key: str) -> None:
    event = s3_bucket.put(key, image("PNG", (50, 50)))
    assert s3_bucket.invoke(process, event)["processed"] == 1
    [written] = s3_bucket.keys("thumbnails/")
    assert written == "thumbnails/" + thumbnail_name(key, "PNG")
    assert len(written.encode()) <= 1024


def test_long_names_become_a_hash() -> None:
    name = thumbnail_name("uploads/" + "é" * 600 + ".png", "PNG")
    assert len(name) == 64 + 4 and name.endswith(".png")
