"""Pictures made fit for LINE's image message: LINE fetches the original (JPEG or PNG, at most
10 MB) and a separate preview (JPEG or PNG, at most 1 MB), both over https
(developers.line.biz/en/reference/messaging-api/#image-message).

Pure functions over bytes (Pillow); the relay stores what they return as new media. An
original that is already JPEG or PNG and small enough is never re-encoded: it goes
byte-identical, under its own media URL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

LINE_TYPES = ("image/jpeg", "image/png")
MAX_ORIGINAL = 10 * 1024 * 1024
MAX_PREVIEW = 1024 * 1024
PREVIEW_SIDE = 1024  # pixels on the long side: sharp in a chat bubble, far below 1 MB


class NotAPicture(ValueError):
    """The bytes are not an image Pillow can read."""


@dataclass(frozen=True, slots=True)
class Picture:
    data: bytes
    mime: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ForLine:
    """``original`` is None when the stored file goes as it is."""

    original: Picture | None
    preview: Picture


def prepare(data: bytes, mime: str) -> ForLine:
    """What LINE needs for one stored picture. Raises :class:`NotAPicture`."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            original = None
            if mime not in LINE_TYPES or len(data) > MAX_ORIGINAL:
                original = _convert(img)
            preview = _preview(img)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise NotAPicture(f"cannot read the picture: {exc}") from exc
    return ForLine(original, preview)


def _flat(img: Image.Image) -> Image.Image:
    """The first frame in RGB or RGBA (GIF and WebP may be animated or paletted)."""
    img.seek(0)
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    return img.convert("RGBA" if has_alpha else "RGB")


def _encode(img: Image.Image, limit: int, quality: int) -> Picture:
    """JPEG (PNG when the picture has transparency) of at most ``limit`` bytes, lowering the
    quality, then the size, until it fits."""
    while True:
        buf = io.BytesIO()
        if img.mode == "RGBA":
            img.save(buf, "PNG", optimize=True)
            mime = "image/png"
        else:
            img.save(buf, "JPEG", quality=quality, optimize=True)
            mime = "image/jpeg"
        if buf.tell() <= limit or max(img.size) <= 64:
            return Picture(buf.getvalue(), mime, img.width, img.height)
        if mime == "image/jpeg" and quality > 50:
            quality -= 20
            continue
        img = img.resize((max(1, img.width * 3 // 4), max(1, img.height * 3 // 4)))


def _convert(img: Image.Image) -> Picture:
    return _encode(_flat(img), MAX_ORIGINAL, 90)


def _preview(img: Image.Image) -> Picture:
    small = ImageOps.exif_transpose(_flat(img))
    small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    return _encode(small, MAX_PREVIEW, 75)  # a preview is seen small: lighter is better
