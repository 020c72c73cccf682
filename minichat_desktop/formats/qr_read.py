"""Every QR code in a picture, read offline (zxing-cpp): payment slips, forwarded PromptPay QRs.

Shoppers send what their phone makes: a banking app's screenshot (1080×2340 PNG/JPEG/WebP), a
photo of a screen or a printed slip (up to ~4000 px, 5 MB, turned by an EXIF tag), forwarded
and recompressed by a chat app. A slip's QR is small (a few percent of the picture), so one
pass may miss it. :func:`read_qr_codes` therefore tries, until one finds something or the time
is up:

1. the picture upright (EXIF orientation applied), in grey, at most :data:`FIRST_SIDE` px on its
   long side (zxing also tries smaller scales itself);
2. full resolution, when step 1 scaled it down;
3. likely regions — the corners and bands where banking apps put the QR (bottom and top halves,
   each quadrant), each enlarged to about :data:`REGION_SIDE` px so a small QR has pixels to
   spare, and the whole picture enlarged when it is small.

The work is bounded: a file over :data:`MAX_BYTES` or :data:`MAX_PIXELS` is not decoded; passes
stop at the deadline (what was found so far is returned). Nothing raises to the caller: a file
that is not a picture, truncated or corrupt gives a :class:`QrScan` with ``problem`` set. Pure
functions: no Qt, no database; safe on any thread.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

MAX_BYTES: Final = 25 * 1024 * 1024  # a phone's photo is 2-8 MB; anything larger is not a slip
MAX_PIXELS: Final = 60_000_000  # ~ 9000 × 6700: past any phone camera, short of a bomb
FIRST_SIDE: Final = 1600
REGION_SIDE: Final = 1400
DEADLINE_SECONDS: Final = 4.0
_QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True, slots=True)
class QrScan:
    """What a picture holds: the QR texts (in the order found, no repeats) and the file's
    SHA-256; ``problem`` says why nothing could be looked at — ``""`` (the picture was read,
    with or without QRs), ``"missing"`` (no such file or unreadable on disk), ``"too_large"``,
    ``"not_image"`` (not a picture, truncated or corrupt)."""

    texts: tuple[str, ...]
    sha256: str
    problem: str = ""
    passes: int = 0  # how many decoding passes ran (bench, logs)


def read_qr_file(path: str | Path, *, deadline: float = DEADLINE_SECONDS) -> QrScan:
    """:func:`read_qr_codes` over a file's bytes; a file that cannot be read → ``missing``."""
    try:
        target = Path(path)
        if target.stat().st_size > MAX_BYTES:
            return QrScan((), "", "too_large")
        data = target.read_bytes()
    except OSError as exc:
        log.info("qr: %s not read: %s", path, exc)
        return QrScan((), "", "missing")
    return read_qr_codes(data, deadline=deadline)


def read_qr_codes(data: bytes, *, deadline: float = DEADLINE_SECONDS) -> QrScan:
    """Every QR in the picture ``data`` (JPEG, PNG, WebP, anything Pillow opens), trying
    harder passes until one finds a QR or ``deadline`` seconds have gone."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        return QrScan((), digest, "too_large")
    image = _open(data)
    if isinstance(image, str):
        return QrScan((), digest, image)
    stop = time.monotonic() + deadline
    passes = 0
    found: list[str] = []
    try:
        for view in _views(image):
            passes += 1
            for text in _decode(view):
                if text not in found:
                    found.append(text)
            if found or time.monotonic() > stop:
                break
    except (OSError, ValueError, MemoryError) as exc:  # a file that fails half-way through
        log.info("qr: picture failed while decoding: %s", exc)
        return QrScan(tuple(found), digest, "" if found else "not_image", passes)
    return QrScan(tuple(found), digest, "", passes)


def _open(data: bytes) -> Image.Image | str:
    """The picture upright in grey, or the problem's name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                return "too_large"
            image.load()
            upright = ImageOps.exif_transpose(image)
            return upright.convert("L")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        return "too_large"
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("qr: not a picture: %s", exc)
        return "not_image"


def _scaled(image: Image.Image, longest: int) -> Image.Image:
    side = max(image.size)
    if side == longest:
        return image
    factor = longest / side
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)


def _views(image: Image.Image) -> Iterator[Image.Image]:
    """The passes of the module docstring, cheapest first."""
    w, h = image.size
    side = max(w, h)
    yield _scaled(image, FIRST_SIDE) if side > FIRST_SIDE else image
    if side > FIRST_SIDE:
        yield image
    if side < REGION_SIDE:
        yield _scaled(image, REGION_SIDE * 2)
    # Regions overlap by a sixth so a QR on a border is whole in one of them.
    boxes = [
        (0, h // 2 - h // 6, w, h),  # bottom half: most slips put the QR low
        (0, 0, w, h // 2 + h // 6),  # top half
        (w // 2 - w // 6, h // 2 - h // 6, w, h),  # bottom right
        (0, h // 2 - h // 6, w // 2 + w // 6, h),  # bottom left
        (w // 2 - w // 6, 0, w, h // 2 + h // 6),  # top right
        (0, 0, w // 2 + w // 6, h // 2 + h // 6),  # top left
    ]
    for box in boxes:
        yield _scaled(image.crop(box), REGION_SIDE)


def _decode(view: Image.Image) -> list[str]:
    # One format, named alone: zxing-cpp 3 deprecates combining formats with "|", 2.x has
    # no tuples; slips carry a regular QR.
    found = zxingcpp.read_barcodes(view, formats=_QR_ONLY)
    return [b.text for b in found if b.valid and b.text]
