"""Shoppers' round avatars: their profile picture (Messenger, Instagram, LINE) cut to a circle,
or their initials on a circle tinted by who they are when there is none; the inbox's rows and
the customer panel draw them, the channel's mark on the corner.

Pictures are files the relay link kept inside the data folder's ``media/`` (``customers.picture``);
a path that leads elsewhere is never read. Each is read and cut once per size (cached by path
and modification time), so scrolling a long list reads no file twice.
"""

from __future__ import annotations

import functools
import unicodedata
import zlib
from pathlib import Path

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPainterPath, QPixmap

from minichat_desktop.ui import theme
from minichat_desktop.ui.pictures import read_picture

RATIO = 2.0  # drawn at twice the size: sharp on high-DPI screens
_LEADING_VOWELS = "เแโใไ"  # written before the consonant the name starts with


def initials(name: str) -> str:
    """What a picture-less avatar shows: a Thai name's first consonant (ส for สมหญิง, อ for
    เอ), the first letters of a Latin name's first two words (NJ for Nok Ja), "?" for
    none."""
    words = [w for w in name.split() if any(ch.isalnum() for ch in w)]
    letters: list[str] = []
    for word in words[:2]:
        ch = next(c for c in word if c.isalnum() and c not in _LEADING_VOWELS)
        if "THAI" in unicodedata.name(ch, ""):
            return ch if not letters else letters[0]
        letters.append(ch.upper())
    return "".join(letters) or "?"


def tint(key: str) -> str:
    """The colour a picture-less avatar of ``key`` (a conversation) is tinted with."""
    return theme.TILE_SWATCHES[zlib.crc32(key.encode()) % len(theme.TILE_SWATCHES)]


def picture_path(data_dir: Path | None, picture: str) -> Path | None:
    """The file of a kept picture, or None (none kept, or a path outside ``media/``)."""
    if data_dir is None or not picture:
        return None
    media = (data_dir / "media").resolve()
    path = (data_dir / picture).resolve()
    return path if path.is_relative_to(media) and path.is_file() else None


def avatar(path: Path | None, name: str, key: str, size: int) -> QPixmap:
    """A round avatar ``size`` pixels across: the picture at ``path``, or the initials of
    ``name`` on ``key``'s tint when there is none or it cannot be read."""
    if path is not None:
        try:
            pm = _round_picture(str(path), path.stat().st_mtime, size)
        except OSError:
            pm = QPixmap()
        if not pm.isNull():
            return pm
    return _initials_circle(initials(name), tint(key), size)


def _canvas(size: int) -> tuple[QPixmap, QPainter]:
    pm = QPixmap(int(size * RATIO), int(size * RATIO))
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    return pm, painter


@functools.lru_cache(maxsize=512)
def _round_picture(path: str, _mtime: float, size: int) -> QPixmap:
    source = read_picture(Path(path))
    if source.isNull():
        return source
    pm, painter = _canvas(size)
    side = int(size * RATIO)
    clip = QPainterPath()
    clip.addEllipse(QRectF(0, 0, side, side))
    painter.setClipPath(clip)
    scaled = source.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x, y = (scaled.width() - side) // 2, (scaled.height() - side) // 2
    painter.drawPixmap(QRect(0, 0, side, side), scaled, QRect(x, y, side, side))
    painter.end()
    pm.setDevicePixelRatio(RATIO)
    return pm


@functools.lru_cache(maxsize=512)
def _initials_circle(letters: str, colour: str, size: int) -> QPixmap:
    pm, painter = _canvas(size)
    side = int(size * RATIO)
    soft = QColor(colour)
    soft.setAlpha(46)  # a tint of the colour on white, the letters in the colour itself
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.WHITE))
    painter.drawEllipse(0, 0, side, side)
    painter.setBrush(soft)
    painter.drawEllipse(0, 0, side, side)
    font = QFont(QGuiApplication.font())
    font.setBold(True)
    font.setPixelSize(max(8, int(side * (0.42 if len(letters) < 2 else 0.36))))
    painter.setFont(font)
    painter.setPen(QColor(colour))
    painter.drawText(QRect(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, letters)
    painter.end()
    pm.setDevicePixelRatio(RATIO)
    return pm


def forget() -> None:
    """Drop the cached pixmaps (before Qt goes away; a picture replaced under its name)."""
    _round_picture.cache_clear()
    _initials_circle.cache_clear()
