"""Pictures for LINE: JPEG/PNG originals untouched, others converted, a preview ≤ 1 MB."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from relay import line_images as li


def _noise(fmt: str, size: tuple[int, int], mode: str = "RGB", **save: object) -> bytes:
    img = Image.effect_noise(size, 80).convert(mode)
    if mode == "RGBA":
        img.putalpha(128)  # see-through for real: encoders keep the alpha channel
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_a_jpeg_goes_as_it_is_with_a_small_separate_preview() -> None:
    jpeg = _noise("JPEG", (2000, 1500), quality=92)
    assert li.MAX_PREVIEW < len(jpeg) < li.MAX_ORIGINAL  # too big to be its own preview
    ready = li.prepare(jpeg, "image/jpeg")
    assert ready.original is None
    pv = ready.preview
    assert len(pv.data) <= li.MAX_PREVIEW
    assert (pv.mime, _open(pv.data).format) == ("image/jpeg", "JPEG")
    assert (pv.width, pv.height) == (1024, 768) == _open(pv.data).size


@pytest.mark.parametrize(
    ("fmt", "mode", "mime", "made"),
    [
        ("WEBP", "RGB", "image/webp", "JPEG"),
        ("GIF", "P", "image/gif", "JPEG"),
        ("WEBP", "RGBA", "image/webp", "PNG"),  # transparency kept
    ],
)
def test_other_types_are_converted_to_jpeg_or_png(
    fmt: str, mode: str, mime: str, made: str
) -> None:
    data = _noise(fmt, (300, 200), mode)
    ready = li.prepare(data, mime)
    assert ready.original is not None
    assert _open(ready.original.data).format == made
    assert (ready.original.width, ready.original.height) == (300, 200)
    assert _open(ready.preview.data).format == made


def test_a_png_over_10_mb_is_made_to_fit() -> None:
    png = _noise("PNG", (2600, 2000))
    assert len(png) > li.MAX_ORIGINAL
    ready = li.prepare(png, "image/png")
    assert ready.original is not None
    assert len(ready.original.data) <= li.MAX_ORIGINAL
    assert len(ready.preview.data) <= li.MAX_PREVIEW


def test_bytes_that_are_no_picture_are_refused() -> None:
    with pytest.raises(li.NotAPicture):
        li.prepare(b"not an image", "image/png")
