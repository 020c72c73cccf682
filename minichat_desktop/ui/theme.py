"""Look and feel: the bundled Thai font, colours, icons and the style sheet.

Qt with no Thai font draws boxes, so Sarabun (OFL, from the ``fontpkg-sarabun`` package) is
registered at start and made the application font.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QPushButton

from minichat_desktop import paths

log = logging.getLogger(__name__)

FONT_FAMILY = "Sarabun"
ICONS = paths.project_root() / "resources" / "icons"
_ICON_URL = ICONS.as_posix()  # style sheets want forward slashes, on Windows too

THAI_SAMPLE = "ปั้ญญ์ฤๅ"  # stacked marks above and below: the height a Thai line needs
GREEN = "#0E8F6E"
GREEN_DARK = "#0B6E55"
INK = "#1F2933"
MUTED = "#616E7C"
LINE_COLOR = "#E4E7EB"
BG = "#F5F7FA"
RED = "#D64545"
AMBER = "#C98A0B"


def font_files() -> list[Path]:
    import fontpkg_sarabun

    folder = Path(fontpkg_sarabun.__file__).parent / "files"
    wanted = ("Regular", "Medium", "SemiBold", "Bold", "Italic")
    return [folder / f"Sarabun-{w}.ttf" for w in wanted if (folder / f"Sarabun-{w}.ttf").exists()]


def register_fonts() -> str:
    """Register the bundled Thai font; returns its family name. Raises RuntimeError when no
    file could be loaded (Thai would draw as boxes)."""
    families: set[str] = set()
    for f in font_files():
        fid = QFontDatabase.addApplicationFont(str(f))
        if fid >= 0:
            families.update(QFontDatabase.applicationFontFamilies(fid))
    if FONT_FAMILY not in families:
        raise RuntimeError("the bundled Thai font (Sarabun) could not be loaded")
    return FONT_FAMILY


def apply(app: QApplication) -> None:
    family = register_fonts()
    font = QFont(family, 10)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE)
    app.setWindowIcon(icon("minichat"))


def icon(name: str) -> QIcon:
    return QIcon(str(ICONS / f"{name}.svg"))


def dot(color: str, size: int = 10) -> QPixmap:
    """A filled circle, e.g. the connection indicator."""
    pm = QPixmap(QSize(size, size))
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    return pm


STYLE = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QWidget {{ color: {INK}; }}
#Sidebar {{ background: #FFFFFF; border-right: 1px solid {LINE_COLOR}; }}
#Sidebar QListWidget {{ border: none; background: transparent; font-size: 11pt; outline: none; }}
#Sidebar QListWidget::item {{ padding: 10px 12px; border-radius: 8px; margin: 2px 8px; }}
#Sidebar QListWidget::item:selected {{ background: #E6F4EF; color: {GREEN_DARK}; }}
#Sidebar QListWidget::item:hover:!selected {{ background: #F0F2F5; }}
#Brand {{ font-size: 15pt; font-weight: 700; color: {GREEN_DARK}; padding: 14px 16px 6px 16px; }}
#ShopName {{ color: {MUTED}; padding: 0 16px 12px 16px; }}
QLineEdit, QPlainTextEdit, QTextEdit, QComboBox {{
    background: #FFFFFF; border: 1px solid #CBD2D9; border-radius: 6px; padding: 5px 8px; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus {{
    border: 1px solid {GREEN}; }}
QAbstractSpinBox {{ background: #FFFFFF; border: 1px solid #CBD2D9; border-radius: 6px;
    padding: 5px 26px 5px 8px; }}
QAbstractSpinBox:focus {{ border: 1px solid {GREEN}; }}
QComboBox {{ padding-right: 28px; }}
QComboBox::drop-down, QDateTimeEdit::drop-down {{ subcontrol-origin: padding;
    subcontrol-position: center right; width: 26px; border: none; }}
QComboBox::down-arrow, QDateTimeEdit::down-arrow {{ image: url({_ICON_URL}/chevron-down.svg);
    width: 12px; height: 12px; }}
QComboBox::down-arrow:disabled, QDateTimeEdit::down-arrow:disabled {{
    image: url({_ICON_URL}/chevron-down-disabled.svg); }}
QComboBox QAbstractItemView {{ background: #FFFFFF; border: 1px solid {LINE_COLOR};
    selection-background-color: #D9F0E8; selection-color: {INK}; outline: none; }}
QAbstractSpinBox::up-button {{ subcontrol-origin: border; subcontrol-position: top right;
    width: 22px; border: none; border-left: 1px solid {LINE_COLOR};
    border-top-right-radius: 6px; }}
QAbstractSpinBox::down-button {{ subcontrol-origin: border; subcontrol-position: bottom right;
    width: 22px; border: none; border-left: 1px solid {LINE_COLOR};
    border-bottom-right-radius: 6px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{
    background: #F0F2F5; }}
QAbstractSpinBox::up-arrow {{ image: url({_ICON_URL}/chevron-up.svg); width: 10px;
    height: 10px; }}
QAbstractSpinBox::down-arrow {{ image: url({_ICON_URL}/chevron-down.svg); width: 10px;
    height: 10px; }}
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off {{ image: none; }}
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {{ image: none; }}
QDateTimeEdit[calendarPopup="true"]::drop-down {{ subcontrol-origin: padding;
    subcontrol-position: center right; width: 26px; border: none; }}
QDateTimeEdit[calendarPopup="true"]::down-arrow,
QDateTimeEdit[calendarPopup="true"]::down-arrow:off {{
    image: url({_ICON_URL}/chevron-down.svg); width: 12px; height: 12px; }}
QPushButton {{ background: #FFFFFF; border: 1px solid #CBD2D9; border-radius: 6px;
    padding: 6px 14px; }}
QPushButton:hover {{ background: #F0F2F5; }}
QPushButton:disabled {{ color: #9AA5B1; }}
QPushButton[primary="true"] {{ background: {GREEN}; color: white; border: 1px solid {GREEN}; }}
QPushButton[primary="true"]:hover {{ background: {GREEN_DARK}; }}
QPushButton[primary="true"]:disabled {{ background: #9CC9BC; border-color: #9CC9BC; }}
QPushButton[danger="true"] {{ color: {RED}; border-color: {RED}; }}
QPushButton#FieldButton {{ padding: 2px 10px; border-radius: 11px; color: {GREEN_DARK};
    background: #F3FAF7; border: 1px solid #B7DCCF; }}
QPushButton#FieldButton:hover {{ background: #E6F4EF; }}
QTableView, QListView, QTreeView {{ background: #FFFFFF; border: 1px solid {LINE_COLOR};
    border-radius: 6px; gridline-color: {LINE_COLOR}; selection-background-color: #D9F0E8;
    selection-color: {INK}; }}
QHeaderView::section {{ background: #F0F2F5; border: none; border-bottom: 1px solid {LINE_COLOR};
    padding: 6px; font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {LINE_COLOR}; border-radius: 6px; background: #FFFFFF; }}
QTabBar::tab {{ padding: 7px 14px; background: transparent; border: none;
    border-bottom: 2px solid transparent; color: {MUTED}; }}
QTabBar::tab:hover {{ color: {INK}; }}
QTabBar::tab:selected {{ color: {GREEN_DARK}; border-bottom: 2px solid {GREEN};
    font-weight: 600; }}
QStatusBar {{ background: #FFFFFF; border-top: 1px solid {LINE_COLOR}; }}
QProgressBar {{ background: {LINE_COLOR}; border: none; border-radius: 4px; }}
QProgressBar::chunk {{ background: {GREEN}; border-radius: 4px; }}
QGroupBox {{ border: 1px solid {LINE_COLOR}; border-radius: 8px; margin-top: 14px;
    background: #FFFFFF; padding: 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; font-weight: 600; }}
#Muted {{ color: {MUTED}; }}
/* A scroll area that only makes room (a form in a tab): it takes its container's colour. */
QScrollArea#Plain, QScrollArea#Plain > QWidget > QWidget {{ background: transparent; }}
#Title {{ font-size: 14pt; font-weight: 700; }}
#Badge {{ background: {RED}; color: white; border-radius: 9px; padding: 0 6px; font-size: 8pt; }}
#Card {{ background: #FFFFFF; border: 1px solid {LINE_COLOR}; border-radius: 8px; }}
#Lane {{ background: #EBEEF2; border-radius: 8px; }}
#Lane QListView {{ background: transparent; border: none; }}
#LaneTitle {{ font-weight: 600; }}
QLabel[chip="count"] {{ background: #FFFFFF; color: {MUTED}; border-radius: 9px;
    padding: 1px 8px; font-weight: 600; }}
#Board, #BoardLanes {{ background: transparent; }}
#Lane QScrollBar:vertical, #Board > QScrollBar:horizontal {{ background: transparent;
    border: none; margin: 0; }}
#Lane QScrollBar:vertical {{ width: 8px; }}
#Board > QScrollBar:horizontal {{ height: 10px; }}
#Lane QScrollBar::handle:vertical {{ background: #C3CAD2; border-radius: 4px; min-height: 28px; }}
#Board > QScrollBar::handle:horizontal {{ background: #C3CAD2; border-radius: 5px;
    min-width: 40px; }}
#Lane QScrollBar::add-line, #Lane QScrollBar::sub-line, #Board > QScrollBar::add-line,
#Board > QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
#Lane QScrollBar::add-page, #Lane QScrollBar::sub-page, #Board > QScrollBar::add-page,
#Board > QScrollBar::sub-page {{ background: transparent; }}
#BigAmount {{ font-size: 26pt; font-weight: 700; }}
#WarningBox {{ color: {RED}; background: #FCE8E8; border-radius: 8px; padding: 8px 12px; }}
QLabel[chip="ok"] {{ background: #E6F4EF; color: {GREEN_DARK}; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
QLabel[chip="warn"] {{ background: #FDF3DC; color: #8A5D00; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
QLabel[chip="danger"] {{ background: #FCE8E8; color: {RED}; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
/* The flow simulator's phone: the shop's bubbles white on the left, the shopper's green. */
#SimPhone {{ background: #EBEEF2; border-radius: 8px; }}
#SimShop {{ background: #FFFFFF; border-radius: 12px; padding: 6px 10px; }}
#SimShopper {{ background: #D9F0E8; border-radius: 12px; padding: 6px 10px; }}
#SimCard {{ background: #FFFFFF; border: 1px solid {LINE_COLOR}; border-radius: 8px; }}
#SimStep, #SimNote {{ color: {MUTED}; font-size: 8pt; }}
#SimPicture {{ background: {LINE_COLOR}; border-radius: 6px; color: {MUTED}; }}
#SimPrice {{ color: {GREEN_DARK}; font-weight: 600; }}
QPushButton[quick="true"] {{ border: 1px solid {GREEN}; color: {GREEN_DARK};
    border-radius: 12px; padding: 3px 10px; }}
"""


def push_button(
    slot: Callable[[], object], text: str = "", *, primary: bool = False
) -> QPushButton:
    """A button that runs ``slot`` when clicked; ``primary`` gives it the style of the one
    action a screen or dialog leads with."""
    button = QPushButton(text)
    if primary:
        button.setProperty("primary", True)
    button.clicked.connect(slot)
    return button
