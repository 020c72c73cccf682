"""Look and feel: the bundled Thai font, colours, icons and the style sheet.

Qt with no Thai font draws boxes, so Sarabun (OFL, from the ``fontpkg-sarabun`` package) is
registered at start and made the application font.

This is the one design system: screens set no colours or sizes of their own (the check is
tests/unit/test_design_system.py). They mark widgets with the pieces the one style sheet
draws and take colours for what they paint from the palette below:

- ``role`` on a label: ``title`` (a page's title), ``heading`` (a section's), ``strong``
  (a bold line), ``figure`` (a number in a tile), ``big`` (the amount due), ``mono`` — set
  with :func:`role`;
- ``tone`` on a label: ``ok``, ``warn``, ``error``, ``muted``, ``faint`` — :func:`tone`
  (re-applied when it changes); :func:`problem_label` is the red line under a form;
- ``badge`` (white on a solid colour, a status) and ``chip`` (soft pill) — :func:`badge`,
  :func:`chip`;
- ``card`` on a frame or label: a white card (``"true"``) or a dashed drop area
  (``"dashed"``) — :func:`card`;
- ``scale="large"`` on an input or button (the counter's scan box, amounts, the pay button);
- ``invalid`` on an input: a red edge — :func:`mark_invalid`;
- icons from resources/icons (line icons, 24×24, stroke 1.8): :func:`icon` (in a palette
  colour too), :func:`icon_button`, :class:`StatusLabel` / :class:`StatusList` (a status line
  with its tone's check or alert icon, not "✓" in the text), :func:`message_icon` (our icon
  on a message box instead of Qt's).
"""

from __future__ import annotations

import atexit
import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QIcon, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

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
WHITE = "#FFFFFF"
PANEL = "#F0F2F5"  # hover, table headers, the chat's background, switched-off fields
LANE_BG = "#EBEEF2"  # kanban lanes, the simulator's phone
BORDER = "#CBD2D9"  # edges of inputs and buttons
FAINT = "#9AA5B1"  # disabled text, hints
HANDLE = "#C3CAD2"  # thin scrollbars' handles
GREEN_TINT = "#E6F4EF"  # a chosen row, the green chip
SELECTION = "#D9F0E8"  # selected table cells, the shopper's bubble
GREEN_SOFT = "#F3FAF7"
GREEN_EDGE = "#B7DCCF"
GREEN_DISABLED = "#9CC9BC"
AMBER_TINT = "#FDF3DC"  # low stock, the bot's bubble, the warning chip
AMBER_TEXT = "#8A5D00"
RED_TINT = "#FCE8E8"  # out of stock, the danger chip, warning boxes
BLUE = "#2563EB"  # a person answering a chat, a flow's message step

# Colours that stand for data: what they mean is fixed, so they live here too.
LINE_GREEN = "#06C755"  # LINE's brand green (the LINE channel, the preview's avatar)
LINE_CHAT_BG = "#8CABD9"  # LINE's default chat background
CHANNEL_COLORS = {
    "line": LINE_GREEN,
    "widget": "#2D7FF9",
    "pos": AMBER,
    "manual": FAINT,
    "messenger": "#0866FF",
    "instagram": "#D62976",
}
FLOW_STEP_COLORS = {
    "message": BLUE,
    "question": GREEN,
    "action": "#B7791F",
    "condition": "#7C3AED",
    "wait": "#64748B",
    "handoff": "#DC2626",
}
# Picture-less counter tiles get one of these behind their initials.
TILE_SWATCHES = ("#0E9F6E", BLUE, "#D97706", "#DB2777", "#7C3AED", "#0891B2", "#65A30D")
BROWSER_DOTS = ("#FF5F57", "#FEBC2E", "#28C840")  # the widget preview's browser window
BROWSER_BAR = "#D9DEE5"
DESKTOP_BG = "#EEF1F5"  # behind the widget preview's browser window

# ``tone`` name → its colour, for what is painted rather than styled.
TONE_COLORS = {
    "ok": GREEN_DARK,
    "done": GREEN_DARK,
    "warn": AMBER,
    "error": RED,
    "muted": MUTED,
    "faint": FAINT,
    "": INK,
}
# ``badge`` name → the pill's colour (the style sheet's badge rules use the same).
BADGE_COLORS = {
    "ok": GREEN,
    "done": GREEN_DARK,
    "warn": AMBER,
    "error": RED,
    "muted": MUTED,
    "": INK,
}


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
    app.aboutToQuit.connect(icon_pixmap.cache_clear)


# A conversation's channel → its mark in resources/icons (drawn for us in the set's style, in
# the brand colours of CHANNEL_COLORS; no downloaded artwork).
CHANNEL_ICONS = {
    "widget": "widget",
    "line": "line",
    "messenger": "messenger",
    "instagram": "instagram",
}


def channel_icon(channel: str) -> QIcon:
    """The mark of a conversation's channel (the web chat's for one this version lacks)."""
    return icon(CHANNEL_ICONS.get(channel, "widget"))


def icon(name: str, color: str | None = None, size: int = 16) -> QIcon:
    """One of our line icons (resources/icons/<name>.svg); ``color`` redraws its strokes in
    a palette colour (a green check on a line that says it worked)."""
    if color is None:
        return QIcon(str(ICONS / f"{name}.svg"))
    return QIcon(icon_pixmap(name, color, size))


@functools.cache
def icon_pixmap(name: str, color: str = INK, size: int = 16) -> QPixmap:
    """:func:`icon` as a pixmap ``size`` pixels square, sharp on high-DPI screens (drawn once
    per name, colour and size)."""
    from PySide6.QtCore import QByteArray
    from PySide6.QtSvg import QSvgRenderer

    svg = (ICONS / f"{name}.svg").read_text(encoding="utf-8")
    svg = svg.replace('stroke="#1f2933"', f'stroke="{color}"')
    ratio = 2.0
    pm = QPixmap(QSize(int(size * ratio), int(size * ratio)))
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter)
    painter.end()
    pm.setDevicePixelRatio(ratio)
    return pm


# The cache holds Qt pixmaps: empty it while Qt is still there (at exit, Python would free
# them in any order, after the application object, and Qt may crash the process then).
atexit.register(icon_pixmap.cache_clear)


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


def restyle(widget: QWidget, **properties: object) -> None:
    """Set dynamic properties the style sheet selects on (``tone="error"``) and draw the
    widget again: Qt only re-reads a property selector when the widget is polished anew."""
    for name, value in properties.items():
        widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def role[W: QWidget](widget: W, name: str) -> W:
    """A label's part on the page: ``title``, ``heading``, ``strong``, ``figure``, ``big``
    or ``mono``; ``labelled`` on a progress bar that shows its percentage.
    Returns the widget, so it can be written where the label is made."""
    restyle(widget, role=name)
    return widget


def tone[W: QWidget](widget: W, name: str | None) -> W:
    """A label's colour by what it says: ``ok``, ``warn``, ``error``, ``muted``, ``faint``;
    ``None`` or ``""`` for the ordinary ink."""
    restyle(widget, tone=name or "")
    return widget


def badge(label: QLabel, name: str) -> QLabel:
    """A status as white text on a solid pill: ``ok``, ``done``, ``warn``, ``error``,
    ``muted`` (``""``: dark)."""
    restyle(label, badge=name or "neutral")
    return label


def chip(label: QLabel, name: str) -> QLabel:
    """A soft pill: ``ok`` (green), ``warn`` (amber), ``danger`` (red), ``count`` (a lane's
    number)."""
    if label.property("chip") != name:
        restyle(label, chip=name)
    return label


def card[W: QWidget](widget: W, kind: str = "true") -> W:
    """A white card with a thin edge; ``kind="dashed"``: a dashed place for a picture,
    ``"picture"``: a thumbnail's frame (no padding)."""
    restyle(widget, card=kind)
    return widget


def large[W: QWidget](widget: W) -> W:
    """The large text of the counter's scan box, amounts typed at the till and the pay
    button."""
    restyle(widget, scale="large")
    return widget


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A red edge on an input whose text cannot be used."""
    restyle(widget, invalid=invalid)


def problem_label(*, strong: bool = True) -> QLabel:
    """The red, wrapping line under a form that says what is wrong (plain text)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    tone(label, "error")
    if strong:
        role(label, "strong")
    return label


# A message box's kind → our icon and its colour (Qt's own icons are another style).
MESSAGE_ICONS = {
    "info": ("info", GREEN),
    "question": ("question", GREEN),
    "warn": ("alert", AMBER),
    "error": ("alert", RED),
}


def message_icon(box: QMessageBox, kind: str) -> None:
    """Give a message box our icon for ``kind`` (``info``, ``question``, ``warn``, ``error``),
    kept as its ``kind`` property for whoever reads the box."""
    name, color = MESSAGE_ICONS[kind]
    box.setIconPixmap(icon_pixmap(name, color, 40))
    box.setProperty("kind", kind)


# A status line's icon by its tone: our set's check, alert and cross, never "✓" or "⚠".
TONE_ICONS = {"ok": "check", "warn": "alert", "error": "alert"}


class StatusLabel(QLabel):
    """A wrapping line that says how something went, in its tone's colour and with its
    tone's icon drawn at the start of the first line (:meth:`say`)."""

    ICON = 16
    GAP = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.status_tone: str | None = None
        role(self, "strong")

    def say(self, text: str, tone_name: str | None) -> None:
        """``tone_name``: ``ok``, ``warn``, ``error`` (with an icon), ``muted`` or None."""
        self.status_tone = tone_name
        has_icon = tone_name in TONE_ICONS and bool(text)
        self.setContentsMargins(self.ICON + self.GAP if has_icon else 0, 0, 0, 0)
        tone(self, tone_name)
        self.setText(text)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        name = TONE_ICONS.get(self.status_tone or "")
        if name is None or not self.text():
            return
        top = max(0, (self.fontMetrics().height() - self.ICON) // 2)
        painter = QPainter(self)
        painter.drawPixmap(
            0, top, icon_pixmap(name, TONE_COLORS[self.status_tone or ""], self.ICON)
        )
        painter.end()


class StatusList(QWidget):
    """Checks one under another, each a :class:`StatusLabel` with its own icon (the relay
    answers / the key is accepted / the shop's name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[StatusLabel] = []
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.setSpacing(2)

    def show_lines(self, lines: Sequence[tuple[str, str | None]]) -> None:
        """``lines``: each line's text and tone (``ok``, ``error``, ``warn`` or None)."""
        for row in self.rows:
            self.column.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for text, tone_name in lines:
            row = StatusLabel()
            row.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            row.say(text, tone_name)
            self.column.addWidget(row)
            self.rows.append(row)

    def setText(self, text: str) -> None:
        self.show_lines([(text, None)] if text else [])

    def text(self) -> str:
        """The lines as a person reads them, one a line."""
        return "\n".join(row.text() for row in self.rows)


def frame_card() -> QFrame:
    """An empty :func:`card` frame to lay things out in."""
    return card(QFrame())


STYLE = f"""
QMainWindow, QDialog {{ background: {BG}; }}
QWidget {{ color: {INK}; }}
#Sidebar {{ background: {WHITE}; border-right: 1px solid {LINE_COLOR}; }}
#Sidebar QListWidget {{ border: none; background: transparent; font-size: 11pt; outline: none; }}
#Sidebar QListWidget::item {{ padding: 10px 12px; border-radius: 8px; margin: 2px 8px; }}
#Sidebar QListWidget::item:selected {{ background: {GREEN_TINT}; color: {GREEN_DARK}; }}
#Sidebar QListWidget::item:hover:!selected {{ background: {PANEL}; }}
#Brand {{ font-size: 15pt; font-weight: 700; color: {GREEN_DARK}; padding: 14px 16px 6px 16px; }}
#ShopName {{ color: {MUTED}; padding: 0 16px 12px 16px; }}
QLineEdit, QPlainTextEdit, QTextEdit, QComboBox {{
    background: {WHITE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 8px; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus {{
    border: 1px solid {GREEN}; }}
QAbstractSpinBox {{ background: {WHITE}; border: 1px solid {BORDER}; border-radius: 6px;
    padding: 5px 26px 5px 8px; }}
QAbstractSpinBox:focus {{ border: 1px solid {GREEN}; }}
QComboBox {{ padding-right: 28px; }}
QComboBox::drop-down, QDateTimeEdit::drop-down {{ subcontrol-origin: padding;
    subcontrol-position: center right; width: 26px; border: none; }}
QComboBox::down-arrow, QDateTimeEdit::down-arrow {{ image: url({_ICON_URL}/chevron-down.svg);
    width: 12px; height: 12px; }}
QComboBox::down-arrow:disabled, QDateTimeEdit::down-arrow:disabled {{
    image: url({_ICON_URL}/chevron-down-disabled.svg); }}
QComboBox QAbstractItemView {{ background: {WHITE}; border: 1px solid {LINE_COLOR};
    selection-background-color: {SELECTION}; selection-color: {INK}; outline: none; }}
QAbstractSpinBox::up-button {{ subcontrol-origin: border; subcontrol-position: top right;
    width: 22px; border: none; border-left: 1px solid {LINE_COLOR};
    border-top-right-radius: 6px; }}
QAbstractSpinBox::down-button {{ subcontrol-origin: border; subcontrol-position: bottom right;
    width: 22px; border: none; border-left: 1px solid {LINE_COLOR};
    border-bottom-right-radius: 6px; }}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {{
    background: {PANEL}; }}
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
QPushButton {{ background: {WHITE}; border: 1px solid {BORDER}; border-radius: 6px;
    padding: 6px 14px; }}
QPushButton:hover {{ background: {PANEL}; }}
QPushButton:disabled {{ color: {FAINT}; }}
QPushButton[primary="true"] {{ background: {GREEN}; color: {WHITE}; border: 1px solid {GREEN}; }}
QPushButton[primary="true"]:hover {{ background: {GREEN_DARK}; }}
QPushButton[primary="true"]:disabled {{ background: {GREEN_DISABLED};
    border-color: {GREEN_DISABLED}; }}
QPushButton[danger="true"] {{ color: {RED}; border-color: {RED}; }}
QPushButton#FieldButton {{ padding: 2px 10px; border-radius: 11px; color: {GREEN_DARK};
    background: {GREEN_SOFT}; border: 1px solid {GREEN_EDGE}; }}
QPushButton#FieldButton:hover {{ background: {GREEN_TINT}; }}
QTableView, QListView, QTreeView {{ background: {WHITE}; border: 1px solid {LINE_COLOR};
    border-radius: 6px; gridline-color: {LINE_COLOR}; selection-background-color: {SELECTION};
    selection-color: {INK}; }}
QHeaderView::section {{ background: {PANEL}; border: none; border-bottom: 1px solid {LINE_COLOR};
    padding: 6px; font-weight: 600; }}
QTabWidget::pane {{ border: 1px solid {LINE_COLOR}; border-radius: 6px; background: {WHITE}; }}
QTabBar::tab {{ padding: 7px 14px; background: transparent; border: none;
    border-bottom: 2px solid transparent; color: {MUTED}; }}
QTabBar::tab:hover {{ color: {INK}; }}
QTabBar::tab:selected {{ color: {GREEN_DARK}; border-bottom: 2px solid {GREEN};
    font-weight: 600; }}
QStatusBar {{ background: {WHITE}; border-top: 1px solid {LINE_COLOR}; }}
QProgressBar {{ background: {LINE_COLOR}; border: none; border-radius: 4px; }}
QProgressBar::chunk {{ background: {GREEN}; border-radius: 4px; }}
QGroupBox {{ border: 1px solid {LINE_COLOR}; border-radius: 8px; margin-top: 14px;
    background: {WHITE}; padding: 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; font-weight: 600; }}
#Muted {{ color: {MUTED}; }}
/* A scroll area that only makes room (a form in a tab): it takes its container's colour. */
QScrollArea#Plain, QScrollArea#Plain > QWidget > QWidget {{ background: transparent; }}
#Badge {{ background: {RED}; color: {WHITE}; border-radius: 9px; padding: 0 6px; font-size: 8pt; }}
#Card {{ background: {WHITE}; border: 1px solid {LINE_COLOR}; border-radius: 8px; }}
#Lane {{ background: {LANE_BG}; border-radius: 8px; }}
#Lane QListView {{ background: transparent; border: none; }}
#LaneTitle {{ font-weight: 600; }}
QLabel[chip="count"] {{ background: {WHITE}; color: {MUTED}; border-radius: 9px;
    padding: 1px 8px; font-weight: 600; }}
#Board, #BoardLanes {{ background: transparent; }}
#Lane QScrollBar:vertical, #Board > QScrollBar:horizontal {{ background: transparent;
    border: none; margin: 0; }}
#Lane QScrollBar:vertical {{ width: 8px; }}
#Board > QScrollBar:horizontal {{ height: 10px; }}
#Lane QScrollBar::handle:vertical {{ background: {HANDLE}; border-radius: 4px; min-height: 28px; }}
#Board > QScrollBar::handle:horizontal {{ background: {HANDLE}; border-radius: 5px;
    min-width: 40px; }}
#Lane QScrollBar::add-line, #Lane QScrollBar::sub-line, #Board > QScrollBar::add-line,
#Board > QScrollBar::sub-line {{ width: 0; height: 0; border: none; }}
#Lane QScrollBar::add-page, #Lane QScrollBar::sub-page, #Board > QScrollBar::add-page,
#Board > QScrollBar::sub-page {{ background: transparent; }}
#WarningBox {{ color: {RED}; background: {RED_TINT}; border-radius: 8px; padding: 8px 12px; }}
QLabel[chip="ok"] {{ background: {GREEN_TINT}; color: {GREEN_DARK}; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
QLabel[chip="warn"] {{ background: {AMBER_TINT}; color: {AMBER_TEXT}; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
QLabel[chip="danger"] {{ background: {RED_TINT}; color: {RED}; border-radius: 11px;
    padding: 3px 12px; font-weight: 600; }}
/* The flow simulator's phone: the shop's bubbles white on the left, the shopper's green. */
#SimPhone {{ background: {LANE_BG}; border-radius: 8px; }}
#SimShop {{ background: {WHITE}; border-radius: 12px; padding: 6px 10px; }}
#SimShopper {{ background: {SELECTION}; border-radius: 12px; padding: 6px 10px; }}
#SimCard {{ background: {WHITE}; border: 1px solid {LINE_COLOR}; border-radius: 8px; }}
#SimStep, #SimNote {{ color: {MUTED}; font-size: 8pt; }}
#SimPicture {{ background: {LINE_COLOR}; border-radius: 6px; color: {MUTED}; }}
#SimPrice {{ color: {GREEN_DARK}; font-weight: 600; }}
QToolButton[popupMode="2"] {{ padding-right: 18px; }}
QToolButton::menu-indicator {{ image: url({_ICON_URL}/chevron-down.svg); width: 10px;
    height: 10px; subcontrol-origin: padding; subcontrol-position: center right;
    right: 4px; }}
QPushButton[iconOnly="true"] {{ padding: 6px 8px; }}
QPushButton[quick="true"] {{ border: 1px solid {GREEN}; color: {GREEN_DARK};
    border-radius: 12px; padding: 3px 10px; }}
/* The pieces screens use (see the module's docstring). */
#Title, QLabel[role="title"] {{ font-size: 14pt; font-weight: 700; }}
QLabel[role="heading"] {{ font-size: 11pt; font-weight: 700; }}
QLabel[role="strong"] {{ font-weight: 600; }}
QLabel[role="figure"] {{ font-size: 17pt; font-weight: 700; }}
#BigAmount, QLabel[role="big"] {{ font-size: 26pt; font-weight: 700; }}
QLabel[role="mono"] {{ font-family: monospace; font-size: 12pt; }}
/* A tone wins over #Muted: a muted hint that turns into a warning shows the warning. */
QLabel[tone="ok"], QLabel[tone="done"], QLabel#Muted[tone="ok"] {{ color: {GREEN_DARK}; }}
QLabel[tone="warn"], QLabel#Muted[tone="warn"] {{ color: {AMBER}; }}
QLabel[tone="error"], QLabel#Muted[tone="error"] {{ color: {RED}; }}
QLabel[tone="muted"] {{ color: {MUTED}; }}
QLabel[tone="faint"], QLabel#Muted[tone="faint"] {{ color: {FAINT}; }}
QLabel[badge="ok"], QLabel[badge="done"], QLabel[badge="warn"], QLabel[badge="error"],
QLabel[badge="muted"], QLabel[badge="neutral"] {{ color: {WHITE}; background: {INK};
    border-radius: 10px; padding: 2px 10px; font-weight: 600; }}
QLabel[badge="ok"] {{ background: {GREEN}; }}
QLabel[badge="done"] {{ background: {GREEN_DARK}; }}
QLabel[badge="warn"] {{ background: {AMBER}; }}
QLabel[badge="error"] {{ background: {RED}; }}
QLabel[badge="muted"] {{ background: {MUTED}; }}
QFrame[card="true"] {{ background: {WHITE}; border: 1px solid {LINE_COLOR}; border-radius: 8px; }}
QLabel[card="true"] {{ padding: 8px; }}
QLabel[card="dashed"] {{ border: 1px dashed {LINE_COLOR}; }}
QLabel[card="picture"] {{ background: {WHITE}; border: 1px solid {LINE_COLOR};
    border-radius: 6px; }}
QLineEdit[scale="large"] {{ font-size: 16pt; padding: 6px; }}
QPushButton[scale="large"] {{ font-size: 16pt; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"], QPlainTextEdit[invalid="true"] {{
    border: 1px solid {RED}; }}
QProgressBar[role="labelled"] {{ border: 1px solid {LINE_COLOR}; border-radius: 5px;
    background: {WHITE}; text-align: center; height: 18px; }}
QCalendarWidget QToolButton#qt_calendar_monthbutton {{ padding-right: 16px; }}
QCalendarWidget QToolButton#qt_calendar_monthbutton::menu-indicator {{
    subcontrol-position: right center; }}
/* The chat: the conversation on a grey page, the list rows drawn by their delegate. */
QListView#Messages {{ background: {PANEL}; }}
/* How a broadcast looks in LINE: LINE's blue page, white bubbles and cards. */
#LinePreview {{ background: {LINE_CHAT_BG}; border-radius: 10px; }}
#LineBubble, #LineCard {{ background: {WHITE}; border-radius: 14px; }}
#LineName {{ color: {WHITE}; font-size: 9pt; }}
#LineAvatar {{ background: {LINE_GREEN}; color: {WHITE}; border-radius: 16px; font-weight: 700; }}
/* Settings: the page list matches the main sidebar; group box titles sit above the frame
   (Thai vowels and tone marks need the height); switched-off fields look switched off. */
#SettingsNav {{ background: {WHITE}; border-right: 1px solid {LINE_COLOR};
    padding-top: 10px; outline: 0; font-size: 10.5pt; }}
#SettingsNav::item {{ padding: 8px 12px; border-radius: 6px; margin: 1px 8px; }}
#SettingsNav::item:selected {{ background: {GREEN_TINT}; color: {GREEN_DARK}; }}
#SettingsNav::item:hover:!selected {{ background: {PANEL}; }}
#SettingsScreen QScrollArea, #SettingsScreen QScrollArea > QWidget > QWidget {{
    background: {BG}; }}
#SettingsScreen QGroupBox {{ margin-top: 22px; padding: 10px 10px 8px 10px; }}
#SettingsScreen QGroupBox::title {{ subcontrol-origin: margin; subcontrol-position: top left;
    left: 4px; top: 0px; padding: 0 4px 2px 4px; }}
#SettingsScreen QTableView::item {{ padding: 2px 8px; }}
#SettingsScreen QLineEdit:disabled, #SettingsScreen QComboBox:disabled,
#SettingsScreen QPlainTextEdit:disabled, #SettingsScreen QAbstractSpinBox:disabled {{
    background: {PANEL}; color: {FAINT}; }}
#SettingsScreen QDateEdit {{ background: {WHITE}; border: 1px solid {BORDER};
    border-radius: 6px; padding: 4px 6px; }}
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


def icon_button(slot: Callable[[], object], name: str, tip: str = "") -> QPushButton:
    """A button that is only one of our icons (``tip`` says what it does), as narrow as the
    icon needs."""
    button = push_button(slot)
    button.setIcon(icon(name))
    button.setToolTip(tip)
    button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    restyle(button, iconOnly=True)
    return button
