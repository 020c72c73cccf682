"""Check uploaded pictures by their content, never by their name or declared type."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # 40 MP: any phone photo or slip screenshot; stops decompression bombs
MAX_SIDE = 12_000


class ImageRejected(ValueError):
    """Not an acceptable picture; the message says why (short, lower-case)."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    mime: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes (magic numbers), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def check_image(data: bytes, max_bytes: int) -> ImageInfo:
    """Validate a picture: size, magic bytes, a decodable header, sane pixel dimensions."""
    if not data:
        raise ImageRejected("image: empty")
    if len(data) > max_bytes:
        raise ImageRejected(f"image: too large ({len(data)} bytes, max {max_bytes})")
    mime = sniff(data)
    if mime is None:
        raise ImageRejected("image: not a jpeg, png, webp or gif")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                fmt = img.format
                if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                    raise ImageRejected(f"image: too many pixels ({width}x{height})")
                img.verify()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image: too many pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected("image: corrupt or unreadable") from exc
    if _FORMATS.get(fmt or "") != mime:
        raise ImageRejected("image: content does not match its type")
    if width < 1 or height < 1:
        raise ImageRejected("image: no pixels")
    return ImageInfo(mime, width, height)
