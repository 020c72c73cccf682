"""Picture files kept in the data folder read into pixmaps: the chat's pictures, slips, the
shoppers' profile pictures (the inbox and ui/avatars.py read them here)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QImageReader, QPixmap

from minichat_desktop.lazy import lazy_module

if TYPE_CHECKING:
    from minichat_desktop.sync import media
else:  # httpx comes with it: loaded after the window's first paint (minichat_desktop/lazy.py)
    media = lazy_module("minichat_desktop.sync.media")


def read_picture(path: Path) -> QPixmap:
    """A picture file read as the type its bytes say (PNG, JPEG, WebP, GIF), upright.

    The format is named on purpose: the chat's cache files have no suffix, and a reader left
    to guess asks every image plugin whether it can read the bytes; one that says yes reads a
    wrong size from a small PNG and Qt refuses it ("Rejecting image as it exceeds the current
    allocation limit"), and the PromptPay QR stayed "loading" in the chat. A null pixmap when
    the file is not a picture or cannot be read."""
    try:
        with path.open("rb") as fh:
            kind = media.sniff(fh.read(16))
    except OSError:
        return QPixmap()
    if kind is None:
        return QPixmap()
    reader = QImageReader(str(path), kind[1].lstrip(".").encode())
    reader.setAutoDetectImageFormat(False)  # this format only: no other plugin guesses
    reader.setAutoTransform(True)  # a phone photo's EXIF orientation
    image = reader.read()
    return QPixmap() if image.isNull() else QPixmap.fromImage(image)
