"""The counter's quick tiles: the shop's favourite (or best-selling) items as a grid of cards
that re-flows with the window, with a tab per category above it.

A tile shows the product's picture (or, without one, its first letter on a colour of its
own, so tiles are told apart at a glance as on Loyverse or Shopify POS), the full name on up
to two lines, the option (size, colour) and the price. A tile never overlaps another: the
grid is as many columns as fit (never fewer than two) and scrolls when there are more rows
than room.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPixmap,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QGridLayout,
    QScrollArea,
    QSizePolicy,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from minichat_desktop.domain.sales.pos import Sellable
from minichat_desktop.domain.thai import format_baht
from minichat_desktop.ui import theme

__all__ = ["QuickGrid", "QuickTile"]

# Placeholder colours (a picture-less product keeps the same one: picked by its id).
SWATCHES = theme.TILE_SWATCHES


class QuickTile(QAbstractButton):
    """One sellable item as a card; clicking it adds the item to the bill."""

    WIDTH = 124
    HEIGHT = 90
    PICTURE = 32

    def __init__(self, item: Sellable, picture: QPixmap | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.item = item
        self.picture = picture
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(QSize(100, self.HEIGHT))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(f"{item.label} · {item.sku} · {format_baht(item.price_satang, True)}")
        # The text a test or a screen reader reads: name, option, price on their own lines.
        self.setText("\n".join((item.name, item.variant_title or " ", self.price_text())))
        self.setAccessibleName(f"{item.label} {self.price_text()}")

    def price_text(self) -> str:
        return format_baht(self.item.price_satang, symbol=True)

    def sizeHint(self) -> QSize:
        return QSize(self.WIDTH, self.HEIGHT)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Name (bold, up to two lines) over the option, the price at the bottom left and the
        picture (or initial) at the bottom right."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        border = theme.GREEN if self.underMouse() or self.isDown() else theme.LINE_COLOR
        p.setPen(QColor(border))
        p.setBrush(QColor(theme.GREEN_TINT if self.isDown() else theme.WHITE))
        p.drawRoundedRect(r, 8, 8)
        pad, width = 8, self.width() - 16
        base = QFont(self.font())
        name_font = QFont(base)
        name_font.setWeight(QFont.Weight.DemiBold)
        p.setPen(QColor(theme.INK))
        y = draw_lines(p, name_font, self.item.name, QRect(pad, 6, width, 0), 2)
        p.setFont(base)
        p.setPen(QColor(theme.MUTED))
        option = QFontMetrics(base).elidedText(
            self.item.variant_title, Qt.TextElideMode.ElideRight, width
        )
        p.drawText(QRect(pad, y, width, 20), Qt.AlignmentFlag.AlignLeft, option)
        pic = QRect(self.width() - pad - self.PICTURE, self.height() - pad - self.PICTURE,
                    self.PICTURE, self.PICTURE)  # fmt: skip
        self._draw_picture(p, pic)
        price_font = QFont(base)
        price_font.setBold(True)
        price_font.setPointSizeF(base.pointSizeF() + 1)
        p.setFont(price_font)
        p.setPen(QColor(theme.GREEN_DARK))
        bottom = QRect(pad, self.height() - 28, pic.left() - 2 * pad, 22)
        p.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.price_text())  # fmt: skip
        if self.item.track_inventory and self.item.stock <= 0:
            p.setFont(base)
            p.setPen(QColor(theme.RED))
            p.drawText(QRect(pad, self.height() - 46, width, 18), Qt.AlignmentFlag.AlignLeft,
                       self.tr("Out of stock"))  # fmt: skip
        p.end()

    def _draw_picture(self, p: QPainter, box: QRect) -> None:
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(box), 6, 6)
        p.save()
        p.setClipPath(clip)
        if self.picture is not None and not self.picture.isNull():
            scaled = self.picture.scaled(
                box.size(),
                Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
            p.drawPixmap(box, scaled, QRect(0, 0, box.width(), box.height()))
        else:
            colour = SWATCHES[zlib.crc32(str(self.item.product_id).encode()) % len(SWATCHES)]
            p.fillRect(box, QColor(colour))
            letter = QFont(self.font())
            letter.setBold(True)
            letter.setPointSizeF(self.font().pointSizeF() + 2)
            p.setFont(letter)
            p.setPen(QColor(theme.WHITE))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, _initial(self.item.name))
        p.restore()


def draw_lines(p: QPainter, font: QFont, text: str, box: QRect, most: int) -> int:
    """``text`` wrapped to ``box``'s width by Qt's line breaker (which breaks Thai between
    words, though Thai writes no spaces), at most ``most`` lines, the last one elided if more
    would be needed; returns the y below the last line drawn."""
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    fm = QFontMetrics(font)
    layout.beginLayout()
    lines: list[tuple[int, int]] = []
    while len(lines) < most:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(box.width())
        lines.append((line.textStart(), line.textLength()))
    layout.endLayout()
    p.setFont(font)
    y = box.y()
    for n, (start, length) in enumerate(lines):
        piece = text[start : start + length] if n < len(lines) - 1 else text[start:]
        piece = fm.elidedText(piece.strip(), Qt.TextElideMode.ElideRight, box.width())
        p.drawText(QRect(box.x(), y, box.width(), fm.lineSpacing()), Qt.AlignmentFlag.AlignLeft,
                   piece)  # fmt: skip
        y += fm.lineSpacing()
    return y


def _initial(name: str) -> str:
    """The letter a picture-less tile shows: the first consonant or letter of the name
    (a leading Thai vowel such as เ or โ is skipped; it is not where the word starts)."""
    for ch in name.strip():
        if ch.isalnum() and ch not in "เแโใไ":
            return ch.upper()
    return "•"


class QuickGrid(QWidget):
    """The tiles under a row of category tabs ("ทั้งหมด" first); clicking a tile emits
    :attr:`picked` with its item."""

    picked = Signal(object)

    def __init__(self, picture_of: Callable[[Sellable], QPixmap | None]) -> None:
        super().__init__()
        self.picture_of = picture_of
        self.items: list[Sellable] = []
        self.tiles: list[QuickTile] = []
        self.all_label = ""
        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.setUsesScrollButtons(True)
        self.tabs.currentChanged.connect(lambda _i: self._show())
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(0, 0, 4, 0)
        self.grid.setSpacing(6)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.area.setWidget(self.inner)
        self.area.viewport().installEventFilter(self)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(4)
        col.addWidget(self.tabs)
        col.addWidget(self.area, 1)
        self._columns = 0

    def set_all_label(self, text: str) -> None:
        self.all_label = text
        if self.tabs.count():
            self.tabs.setTabText(0, text)

    def set_items(self, items: Sequence[Sellable]) -> None:
        current = self.tabs.tabData(self.tabs.currentIndex()) if self.tabs.count() else None
        self.items = list(items)
        for tile in self.tiles:
            tile.deleteLater()
        self.tiles = []
        for item in self.items:
            tile = QuickTile(item, self.picture_of(item), self.inner)
            tile.clicked.connect(lambda _c=False, it=item: self.picked.emit(it))
            self.tiles.append(tile)
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        categories = sorted({i.category for i in self.items if i.category})
        self.tabs.addTab(self.all_label)
        self.tabs.setTabData(0, None)
        for name in categories:
            self.tabs.setTabData(self.tabs.addTab(name), name)
        self.tabs.setVisible(len(categories) > 1)
        self.tabs.setCurrentIndex(categories.index(current) + 1 if current in categories else 0)
        self.tabs.blockSignals(False)
        self._columns = 0
        self._show()

    def shown_tiles(self) -> list[QuickTile]:
        """The tiles of the chosen category, in order."""
        wanted = self.tabs.tabData(self.tabs.currentIndex()) if self.tabs.count() else None
        return [t for t in self.tiles if wanted is None or t.item.category == wanted]

    def _show(self) -> None:
        shown = self.shown_tiles()
        columns = self._fit_columns()
        self._columns = columns
        while self.grid.count():
            self.grid.takeAt(0)
        for tile in self.tiles:
            tile.setVisible(tile in shown)
        for n, tile in enumerate(shown):
            self.grid.addWidget(tile, n // columns, n % columns)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def _fit_columns(self) -> int:
        width = self.area.viewport().width() - 4
        return max(2, (width + 6) // (QuickTile.WIDTH + 6))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self._fit_columns() != self._columns:
            self._show()
        return False


def picture_loader(
    data_dir: Path, size: int = QuickTile.PICTURE * 2
) -> Callable[[Sellable], QPixmap | None]:
    """Reads an item's first picture, scaled once (tiles are re-made on every refresh)."""
    cache: dict[str, QPixmap | None] = {}

    def load(item: Sellable) -> QPixmap | None:
        if not item.image:
            return None
        if item.image not in cache:
            pm = QPixmap(str(data_dir / item.image))
            cache[item.image] = (
                None
                if pm.isNull()
                else pm.scaled(
                    size,
                    size,
                    Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        return cache[item.image]

    return load
