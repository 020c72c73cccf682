"""Settings → Website widget: its look and texts with a live preview, the sites allowed to embed
it, and keeping the relay's copy in step with the one stored in the shop.

The shop database is the source of truth (``widget.config``, ``widget.allowed_origins``, read
and written through :mod:`minichat_desktop.app.settings`).
Saving pushes the config to the relay when online; when offline, the relay link sends the
stored one after the relay's next ``welcome`` if the relay's copy differs
(:mod:`minichat_desktop.app.relay_link`), and this page says so."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt, QUrl, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.app import settings
from minichat_desktop.domain import shop
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dialogs import choose_color
from minichat_desktop.ui.settings_common import (
    Page,
    Tone,
    alive,
    button_row,
    form,
    frame_ref,
    primary,
    report,
)
from relay import protocol as p

log = logging.getLogger(__name__)


def _readable_on(color: QColor) -> QColor:
    """White or ink, whichever reads better on ``color``."""
    r, g, b = color.redF(), color.greenF(), color.blueF()
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return QColor(theme.WHITE) if luminance < 0.62 else QColor(theme.INK)


class WidgetPreview(QWidget):
    """A drawn mock of the widget on a web page: the open chat panel (header in the shop's
    colour, the welcome bubble, the input bar) above the launcher bubble, on the chosen side."""

    LAUNCHER = 52
    MARGIN = 16
    PANEL_W = 250

    def __init__(self) -> None:
        super().__init__()
        self.config = p.WidgetConfig()
        self.placeholder = "พิมพ์ข้อความ…"
        self.setMinimumSize(QSize(320, 440))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

    def set_config(self, config: p.WidgetConfig) -> None:
        self.config = config
        self.update()

    def welcome_text(self) -> str:
        c = self.config
        return c.welcome_en if c.language == "en" and c.welcome_en else c.welcome_th

    def launcher_rect(self) -> QRect:
        s = self.LAUNCHER
        y = self.height() - self.MARGIN - s
        x = self.MARGIN if self.config.position == "left" else self.width() - self.MARGIN - s
        return QRect(x, y, s, s)

    def colour_point(self) -> QPoint:
        """A point of the launcher that is always the shop's colour (left of the icon)."""
        r = self.launcher_rect()
        return QPoint(r.left() + 8, r.center().y())

    def panel_rect(self) -> QRect:
        launcher = self.launcher_rect()
        w = min(self.PANEL_W, self.width() - 2 * self.MARGIN)
        top = self.MARGIN + 26
        bottom = launcher.top() - 12
        x = self.MARGIN if self.config.position == "left" else self.width() - self.MARGIN - w
        return QRect(x, top, w, max(120, bottom - top))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        color = QColor(self.config.color)
        if not color.isValid():
            color = QColor(p.WidgetConfig().color)
        on_color = _readable_on(color)
        self._page(painter)
        self._panel(painter, color, on_color)
        self._launcher(painter, color, on_color)
        painter.end()

    def _page(self, painter: QPainter) -> None:
        """A pale web page behind the widget, so the position reads at a glance."""
        r = self.rect()
        painter.fillRect(r, QColor(theme.DESKTOP_BG))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.WHITE))
        painter.drawRect(QRect(0, 0, r.width(), 22))
        painter.setBrush(QColor(theme.BROWSER_BAR))
        for i, w in enumerate((0.55, 0.8, 0.7, 0.85, 0.5, 0.75, 0.6)):
            painter.drawRoundedRect(
                QRectF(self.MARGIN, 36 + i * 22, (r.width() - 2 * self.MARGIN) * w, 9), 4, 4
            )
        for dot, c in enumerate(theme.BROWSER_DOTS):
            painter.setBrush(QColor(c))
            painter.drawEllipse(QPointF(12 + dot * 12, 11), 4, 4)

    def _panel(self, painter: QPainter, color: QColor, on_color: QColor) -> None:
        panel = self.panel_rect()
        # shadow, then the card
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 28))
        painter.drawRoundedRect(QRectF(panel).translated(0, 3), 14, 14)
        painter.setBrush(QColor(theme.WHITE))
        painter.drawRoundedRect(QRectF(panel), 14, 14)

        header_h = 56
        header = QPainterPath()
        header.addRoundedRect(QRectF(panel.x(), panel.y(), panel.width(), header_h + 14), 14, 14)
        clip = QPainterPath()
        clip.addRect(QRectF(panel.x(), panel.y(), panel.width(), header_h))
        painter.setBrush(color)
        painter.drawPath(header.intersected(clip))

        # avatar: the shop's first letter in a circle
        avatar = QRectF(panel.x() + 12, panel.y() + 12, 32, 32)
        painter.setBrush(on_color)
        painter.drawEllipse(avatar)
        name = self.config.shop_name.strip() or "?"
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(11)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, name[:1])

        painter.setPen(on_color)
        metrics = QFontMetrics(font)
        text_x = int(avatar.right()) + 10
        name_w = panel.right() - text_x - 12
        painter.drawText(
            QRect(text_x, panel.y() + 9, name_w, 22),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_w),
        )
        small = QFont(self.font())
        small.setPointSizeF(8.5)
        painter.setFont(small)
        painter.drawText(
            QRect(text_x, panel.y() + 29, name_w, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "● ออนไลน์" if self.config.language == "th" else "● Online",
        )

        # the welcome bubble
        body = QFont(self.font())
        body.setPointSizeF(9.5)
        painter.setFont(body)
        max_w = panel.width() - 60
        text_rect = QFontMetrics(body).boundingRect(
            QRect(0, 0, max_w, 2000), int(Qt.TextFlag.TextWordWrap), self.welcome_text()
        )
        bubble = QRect(
            panel.x() + 12,
            panel.y() + header_h + 14,
            text_rect.width() + 22,
            min(text_rect.height() + 16, panel.height() - header_h - 70),
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.PANEL))
        painter.drawRoundedRect(QRectF(bubble), 12, 12)
        painter.setPen(QColor(theme.INK))
        painter.drawText(
            bubble.adjusted(11, 8, -11, -8),
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft),
            self.welcome_text(),
        )

        # the input bar with a send button in the shop's colour
        bar = QRect(panel.x() + 10, panel.bottom() - 46, panel.width() - 20, 36)
        painter.setPen(QPen(QColor(theme.BORDER), 1))
        painter.setBrush(QColor(theme.WHITE))
        painter.drawRoundedRect(QRectF(bar), 18, 18)
        painter.setPen(QColor(theme.FAINT))
        painter.drawText(
            bar.adjusted(14, 0, -40, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            self.placeholder if self.config.language == "th" else "Type a message…",
        )
        send = QRectF(bar.right() - 31, bar.top() + 5, 26, 26)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(send)
        arrow = QPainterPath()
        c = send.center()
        arrow.moveTo(c.x() - 5, c.y() - 6)
        arrow.lineTo(c.x() + 6, c.y())
        arrow.lineTo(c.x() - 5, c.y() + 6)
        arrow.lineTo(c.x() - 2, c.y())
        arrow.closeSubpath()
        painter.setBrush(on_color)
        painter.drawPath(arrow)

    def _launcher(self, painter: QPainter, color: QColor, on_color: QColor) -> None:
        r = QRectF(self.launcher_rect())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 35))
        painter.drawEllipse(r.translated(0, 2))
        painter.setBrush(color)
        painter.drawEllipse(r)
        # a speech bubble icon
        icon = QPainterPath()
        ix, iy = r.x() + 15, r.y() + 15
        icon.addRoundedRect(QRectF(ix, iy, 22, 16), 6, 6)
        tail = QPainterPath()
        tail.moveTo(ix + 5, iy + 14)
        tail.lineTo(ix + 3, iy + 22)
        tail.lineTo(ix + 12, iy + 15)
        tail.closeSubpath()
        painter.setBrush(on_color)
        painter.drawPath(icon.united(tail))
        painter.setBrush(color)
        for k in range(3):
            painter.drawEllipse(QPointF(ix + 6 + k * 5, iy + 8), 1.6, 1.6)


class WidgetPage(Page):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        row = QHBoxLayout()
        row.setSpacing(20)
        self.body.addLayout(row, 1)

        left = QVBoxLayout()
        self.look_box = QGroupBox()
        f = self.look_form = form()
        self.look_box.setLayout(f)
        self.shop_name = QLineEdit()
        self.shop_name.setMaxLength(100)
        self.color = QLineEdit()
        self.color.setMaxLength(7)
        self.color.setFixedWidth(100)
        self.pick_color = QToolButton()
        self.pick_color.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.pick_color.clicked.connect(self.on_pick_color)
        color_row = QHBoxLayout()
        color_row.addWidget(self.color)
        color_row.addWidget(self.pick_color)
        color_row.addStretch(1)
        self.position = QComboBox()
        self.position.setMaximumWidth(260)
        self.position.addItem("", "right")
        self.position.addItem("", "left")
        self.language = QComboBox()
        self.language.setMaximumWidth(260)
        self.language.addItem("ไทย", "th")
        self.language.addItem("English", "en")
        self.logo_url = QLineEdit()
        self.look_labels = [QLabel() for _ in range(5)]
        look_fields: tuple[QWidget | QLayout, ...] = (
            self.shop_name,
            color_row,
            self.position,
            self.language,
            self.logo_url,
        )
        for label, field in zip(self.look_labels, look_fields, strict=True):
            f.addRow(label, field)
        left.addWidget(self.look_box)

        self.texts_box = QGroupBox()
        grid = QGridLayout(self.texts_box)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        self.welcome_th = self._text_edit()
        self.welcome_en = self._text_edit()
        self.away_th = self._text_edit()
        self.away_en = self._text_edit()
        self.text_heads = [QLabel(objectName="Muted") for _ in range(2)]
        self.text_labels = [QLabel() for _ in range(2)]
        grid.addWidget(self.text_heads[0], 0, 1)
        grid.addWidget(self.text_heads[1], 0, 2)
        for r, (label, th, en) in enumerate(
            (
                (self.text_labels[0], self.welcome_th, self.welcome_en),
                (self.text_labels[1], self.away_th, self.away_en),
            ),
            start=1,
        ):
            grid.addWidget(label, r, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            grid.addWidget(th, r, 1)
            grid.addWidget(en, r, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        left.addWidget(self.texts_box)

        self.origins_box = QGroupBox()
        ob = QVBoxLayout(self.origins_box)
        self.origins_help = QLabel(objectName="Muted")
        self.origins_help.setWordWrap(True)
        self.origins = QPlainTextEdit()
        self.origins.setTabChangesFocus(True)
        self.origins.setFixedHeight(54)
        ob.addWidget(self.origins_help)
        ob.addWidget(self.origins)
        left.addWidget(self.origins_box)

        self.save = primary(QPushButton())
        self.save.clicked.connect(self.on_save)
        left.addLayout(button_row(self.save))
        left.addStretch(1)
        row.addLayout(left, 3)

        right = QVBoxLayout()
        self.preview_title = QLabel()
        theme.role(self.preview_title, "strong")
        self.preview = WidgetPreview()
        self.preview.setMinimumWidth(330)
        self.preview_state = QComboBox()
        self.preview_state.addItem("", "welcome")
        self.preview_state.addItem("", "away")
        head = QHBoxLayout()
        head.addWidget(self.preview_title, 1)
        head.addWidget(self.preview_state)
        right.addLayout(head)
        right.addWidget(self.preview, 1)
        row.addLayout(right, 2)

        for edit in (self.shop_name, self.color, self.logo_url):
            edit.textChanged.connect(self.update_preview)
        for text in (self.welcome_th, self.welcome_en, self.away_th, self.away_en):
            text.textChanged.connect(self.update_preview)
        for combo in (self.position, self.language, self.preview_state):
            combo.currentIndexChanged.connect(self.update_preview)

        self.retranslate()
        self.load()
        ctx.signals.caught_up_sig.connect(self.on_caught_up)

    @staticmethod
    def _text_edit() -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setTabChangesFocus(True)
        edit.setFixedHeight(64)
        return edit

    def retranslate(self) -> None:
        self.title.setText(self.tr("Website chat widget"))
        self.intro.setText(
            self.tr(
                "How the chat bubble looks on your website and what it says. The preview "
                "shows it as shoppers will see it."
            )
        )
        self.look_box.setTitle(self.tr("Look"))
        for label, text in zip(
            self.look_labels,
            (
                self.tr("Shop name"),
                self.tr("Colour"),
                self.tr("Position"),
                self.tr("First language"),
                self.tr("Logo URL"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.pick_color.setText(self.tr("Choose…"))
        self.position.setItemText(0, self.tr("Bottom right"))
        self.position.setItemText(1, self.tr("Bottom left"))
        self.logo_url.setPlaceholderText("https://…/logo.png " + self.tr("(optional)"))
        self.texts_box.setTitle(self.tr("Texts"))
        self.text_heads[0].setText(self.tr("Thai"))
        self.text_heads[1].setText(self.tr("English"))
        self.text_labels[0].setText(self.tr("Welcome"))
        self.text_labels[1].setText(self.tr("Away"))
        self.origins_box.setTitle(self.tr("Websites allowed to show the widget"))
        self.origins_help.setText(
            self.tr("One address a line. Empty: only the relay's test page; *: any site.")
        )
        self.origins.setPlaceholderText("https://myshop.co.th")
        self.save.setText(self.tr("Save widget"))
        self.preview_title.setText(self.tr("Preview"))
        self.preview_state.setItemText(0, self.tr("Shop online"))
        self.preview_state.setItemText(1, self.tr("Shop away"))

    # ------------------------------------------------------------------ loading

    def load(self) -> None:
        stored = self.ctx.ops.read_now(settings.load_widget_settings)
        raw, origins = stored.config, stored.origins
        if raw is None:
            config = p.WidgetConfig(
                shop_name=self.ctx.ops.read_now(shop.get_profile).name or "ร้านค้า"
            )
        else:
            try:
                config = p.WidgetConfig.from_obj(raw)
            except p.ProtocolError:
                log.warning("stored widget config is invalid; showing the defaults")
                config = p.WidgetConfig()
        self.show_config(config)
        self.origins.setPlainText("\n".join(origins or []))

    def show_config(self, c: p.WidgetConfig) -> None:
        self.shop_name.setText(c.shop_name)
        self.color.setText(c.color)
        self.position.setCurrentIndex(max(0, self.position.findData(c.position)))
        self.language.setCurrentIndex(max(0, self.language.findData(c.language)))
        self.logo_url.setText(c.logo_url or "")
        self.welcome_th.setPlainText(c.welcome_th)
        self.welcome_en.setPlainText(c.welcome_en)
        self.away_th.setPlainText(c.away_th)
        self.away_en.setPlainText(c.away_en)
        self.update_preview()

    def form_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "shop_name": self.shop_name.text().strip(),
            "color": self.color.text().strip(),
            "position": self.position.currentData(),
            "language": self.language.currentData(),
            "welcome_th": self.welcome_th.toPlainText().strip(),
            "welcome_en": self.welcome_en.toPlainText().strip(),
            "away_th": self.away_th.toPlainText().strip(),
            "away_en": self.away_en.toPlainText().strip(),
        }
        if self.logo_url.text().strip():
            obj["logo_url"] = self.logo_url.text().strip()
        return obj

    def origins_list(self) -> list[str]:
        return [o.strip() for o in self.origins.toPlainText().split() if o.strip()]

    def update_preview(self) -> None:
        obj = self.form_obj()
        color = QColor(obj["color"])
        if not (color.isValid() and len(obj["color"]) == 7):
            obj["color"] = self.preview.config.color  # keep the last good colour while typing
            theme.mark_invalid(self.color, True)
        else:
            theme.mark_invalid(self.color, False)
        obj.pop("logo_url", None)
        if self.preview_state.currentData() == "away":
            obj["welcome_th"], obj["welcome_en"] = obj["away_th"], obj["away_en"]
        try:
            config = p.WidgetConfig.from_obj(obj)
        except p.ProtocolError:
            return
        swatch = QPixmap(18, 18)
        swatch.fill(QColor(config.color))
        self.pick_color.setIcon(QIcon(swatch))
        self.preview.set_config(config)

    @asyncSlot()
    async def on_pick_color(self) -> None:
        start = QColor(self.color.text().strip())
        chosen = await choose_color(
            self,
            start if start.isValid() else QColor(p.WidgetConfig().color),
            self.tr("Widget colour"),
        )
        if chosen is not None and chosen.isValid():
            self.color.setText(chosen.name().upper())

    # ------------------------------------------------------------------ saving and pushing

    def validated(self) -> tuple[p.WidgetConfig, tuple[str, ...]]:
        """The form as a config and origins, or UserError saying what to fix."""
        obj = self.form_obj()
        try:
            config = p.WidgetConfig.from_obj(obj)
        except p.ProtocolError as exc:
            where = str(exc)
            if "color" in where:
                text = self.tr("The colour must look like #06C755.")
            elif "logo_url" in where:
                text = self.tr("The logo URL must start with https:// (or http://).")
            else:
                text = self.tr("Please check the widget texts: {problem}").format(problem=where)
            raise UserError("widget.invalid", text) from exc
        if config.logo_url and QUrl(config.logo_url).scheme() not in ("http", "https"):
            raise UserError(
                "widget.invalid", self.tr("The logo URL must start with https:// (or http://).")
            )
        try:
            origins = p.parse_origins(list(self.origins_list()))
        except p.ProtocolError as exc:
            raise UserError(
                "widget.invalid_origin",
                self.tr(
                    "Each website must be an address like https://myshop.co.th (no path), or *."
                ),
            ) from exc
        return config, origins

    @asyncSlot()
    async def on_save(self) -> None:
        await self.save_now()

    async def save_now(self) -> bool:
        try:
            config, origins = self.validated()
        except UserError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        self.save.setEnabled(False)
        try:
            await self.ctx.ops.write(
                settings.store_widget_settings,
                config.to_obj(),
                list(origins),
            )
        except DomainError as exc:
            self.feedback.say(report(self, exc), Tone.ERROR)
            return False
        finally:
            self.save.setEnabled(True)
        self.show_config(config)
        self.origins.setPlainText("\n".join(origins))
        if await self.push(config, origins):
            self.feedback.say(self.tr("Saved and sent: visitors see the new look now."))
        else:
            self.feedback.say(
                self.tr(
                    "Saved. MiniChat is offline, so the widget gets the new look when the "
                    "connection to the relay is back."
                ),
                Tone.INFO,
            )
        return True

    async def push(self, config: p.WidgetConfig, origins: tuple[str, ...] | None) -> bool:
        relay = self.ctx.relay
        if relay is None or not relay.online:
            return False
        sent = await relay.send_live(p.SetWidgetConfig(frame_ref("cfg"), config, origins))
        if sent:
            log.info("widget config pushed to the relay")
        return sent

    @Slot(object)
    def on_caught_up(self, sent: tuple[str, ...]) -> None:
        """The relay link sent the stored config after the relay welcomed it back."""
        if "widget" in sent and alive(self) and self.feedback.tone is Tone.INFO:
            self.feedback.say(self.tr("The relay is back: the widget now has the new look."))
