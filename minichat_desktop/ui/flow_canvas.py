"""The flow canvas: steps as cards (a coloured stripe by kind, the step's name, a one-line
summary, one labelled row per output with its port on the right edge) joined by curved
links from an output to the next card's left edge.

The canvas never changes the flow itself: it says what the owner did — picked a step,
dropped a new one, moved cards, dragged a link from a port onto a card, asked to delete —
through signals, and the screen turns each into an undoable change and calls
:meth:`FlowCanvas.show_nodes` again. Output labels are drawn inside their card, so no label
ever lies over another box.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QMenu,
    QStyleOptionGraphicsItem,
    QWidget,
)

from minichat_desktop.ui import flow_steps as steps
from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t

MIME = "application/x-minichat-flow-step"
KIND_COLOURS = theme.FLOW_STEP_COLORS
HEAD_H = 58.0
ROW_H = 24.0
PORT_R = 6.0
MIN_FIT = 0.7  # smaller, and the cards' text can no longer be read


def step_mime(kind: str) -> QMimeData:
    """What a palette entry carries when dragged onto the canvas."""
    data = QMimeData()
    data.setData(MIME, kind.encode())
    return data


class StepCard(QGraphicsObject):
    """One step. Moves with the mouse; its outputs are the rows at its bottom."""

    def __init__(self, canvas: FlowCanvas, node: dict[str, Any], nodes: list[dict[str, Any]]):
        super().__init__()
        self.canvas = canvas
        self.node_id = str(node["id"])
        self.kind = str(node.get("type", ""))
        self.title = steps.step_title(node, steps.answers(nodes))
        self.summary = steps.summary(node, nodes)
        self.outputs = steps.outputs(node)
        self.first = node is nodes[0]
        self.broken = False
        self.height = steps.card_height(node)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        return QRectF(-PORT_R, -PORT_R, steps.CARD_W + 2 * PORT_R, self.height + 2 * PORT_R)

    def body(self) -> QRectF:
        return QRectF(0, 0, steps.CARD_W, self.height)

    def port(self, key: str) -> QPointF:
        """Where an output's link starts (scene coordinates)."""
        for i, (k, _label) in enumerate(self.outputs):
            if k == key:
                return self.mapToScene(QPointF(steps.CARD_W, HEAD_H + ROW_H * i + ROW_H / 2))
        return self.mapToScene(QPointF(steps.CARD_W, HEAD_H / 2))

    def entry(self) -> QPointF:
        """Where links arrive (scene coordinates)."""
        return self.mapToScene(QPointF(0, HEAD_H / 2))

    def port_at(self, scene_pos: QPointF) -> str:
        """The output whose row or port is under a point, or ``""``."""
        p = self.mapFromScene(scene_pos)
        for i, (key, _label) in enumerate(self.outputs):
            row = QRectF(
                steps.CARD_W * 0.45, HEAD_H + ROW_H * i, steps.CARD_W * 0.55 + 2 * PORT_R, ROW_H
            )
            if row.contains(p):
                return key
        return ""

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        body = self.body()
        colour = QColor(KIND_COLOURS.get(self.kind, theme.MUTED))
        if self.broken:
            outline = QPen(QColor(theme.RED), 2.5)
        elif self.isSelected():
            outline = QPen(QColor(theme.GREEN), 2.5)
        else:
            outline = QPen(QColor(theme.LINE_COLOR), 1)
        painter.setPen(outline)
        painter.setBrush(QBrush(QColor(theme.WHITE)))
        painter.drawRoundedRect(body, 8, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(1, 1, 6, self.height - 2), 3, 3)
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(theme.INK))
        metrics = QFontMetrics(font)
        text_w = int(steps.CARD_W - 22)
        left = 14
        if self.first:  # where the flow starts: our play icon before the title
            painter.drawPixmap(left, 4 + (26 - 12) // 2, theme.icon_pixmap("play", theme.GREEN, 12))
            left += 16
        painter.drawText(
            QRectF(left, 4, text_w - (left - 14), 26),
            Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, text_w - (left - 14)),
        )
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(QColor(theme.MUTED))
        painter.drawText(
            QRectF(14, 29, text_w, 24),
            Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(font).elidedText(self.summary, Qt.TextElideMode.ElideRight, text_w),
        )
        self._paint_outputs(painter, font)
        painter.setPen(QPen(colour, 1.5))
        painter.setBrush(QColor(theme.WHITE))
        painter.drawEllipse(QPointF(0, HEAD_H / 2), PORT_R - 1, PORT_R - 1)

    def _paint_outputs(self, painter: QPainter, font: QFont) -> None:
        metrics = QFontMetrics(font)
        for i, (_key, label) in enumerate(self.outputs):
            y = HEAD_H + ROW_H * i
            painter.setPen(QPen(QColor(theme.LINE_COLOR), 1))
            painter.drawLine(QPointF(8, y), QPointF(steps.CARD_W - 8, y))
            painter.setPen(QColor(theme.INK))
            width = int(steps.CARD_W - 30)
            painter.drawText(
                QRectF(12, y, width, ROW_H),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, width),
            )
            painter.setPen(QPen(QColor(theme.GREEN_DARK), 1.5))
            painter.setBrush(QColor(theme.GREEN))
            painter.drawEllipse(QPointF(steps.CARD_W, y + ROW_H / 2), PORT_R, PORT_R)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.canvas.card_moved(self.node_id)
        return super().itemChange(change, value)


class LinkItem(QGraphicsPathItem):
    """A link from one card's output to another card; selectable, so it can be deleted."""

    def __init__(self, source: str, key: str, target: str) -> None:
        super().__init__()
        self.source, self.key, self.target = source, key, target
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.setPen(QPen(QColor(theme.MUTED), 2))

    def route(self, start: QPointF, end: QPointF) -> None:
        path = QPainterPath(start)
        bend = max(50.0, abs(end.x() - start.x()) / 2)
        path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
        # The arrow head, pointing into the card.
        path.moveTo(end - QPointF(9, 5))
        path.lineTo(end)
        path.lineTo(end - QPointF(9, -5))
        self.setPath(path)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = theme.GREEN if self.isSelected() else theme.MUTED
        self.setPen(QPen(QColor(colour), 3 if self.isSelected() else 2))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self.pen())
        painter.drawPath(self.path())


class FlowCanvas(QGraphicsView):
    """The steps of one flow; see the module docstring for what it signals."""

    picked = Signal(str)  # a step's id, "" for none
    add_requested = Signal(str, QPointF)  # kind, where (scene)
    moved = Signal(dict)  # id -> [x, y] of the cards that moved
    link_requested = Signal(str, str, str)  # source id, output key, target id
    delete_requested = Signal(list, list)  # step ids, [(source id, key)] of links
    first_requested = Signal(str)  # make this step the one the flow starts with

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAcceptDrops(True)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setBackgroundBrush(QColor(theme.BG))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.cards: dict[str, StepCard] = {}
        self.link_items: list[LinkItem] = []
        self._linking: tuple[str, str] | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._pressed: dict[str, QPointF] = {}
        self._showing = False
        self._fitted = False
        self.scene().selectionChanged.connect(self._selection_changed)

    # ------------------------------------------------------------------ showing

    def show_nodes(self, nodes: list[dict[str, Any]], broken: set[str], selected: str) -> None:
        """Draw the steps (each must have a ``pos``), red where ``broken``, ``selected``
        picked."""
        self._showing = True
        self.scene().clear()
        self.cards, self.link_items = {}, []
        for node in nodes:
            card = StepCard(self, node, nodes)
            x, y = node.get("pos") or [0, 0]
            card.setPos(float(x), float(y))
            card.broken = card.node_id in broken
            self.scene().addItem(card)
            self.cards[card.node_id] = card
        for node in nodes:
            for key, target in steps.links(node):
                if target in self.cards:
                    item = LinkItem(str(node["id"]), key, target)
                    self.scene().addItem(item)
                    self.link_items.append(item)
        self._route_all()
        if selected in self.cards:
            self.cards[selected].setSelected(True)
        rect = self.scene().itemsBoundingRect().adjusted(-200, -150, 400, 300)
        self.scene().setSceneRect(rect)
        self._showing = False

    def _route_all(self) -> None:
        for item in self.link_items:
            src, dst = self.cards[item.source], self.cards[item.target]
            item.route(src.port(item.key), dst.entry())

    def card_moved(self, node_id: str) -> None:
        if self._showing:
            return
        for item in self.link_items:
            if node_id in (item.source, item.target):
                item.route(self.cards[item.source].port(item.key), self.cards[item.target].entry())

    def selected_step(self) -> str:
        for item in self.scene().selectedItems():
            if isinstance(item, StepCard):
                return item.node_id
        return ""

    def _selection_changed(self) -> None:
        if not self._showing:
            self.picked.emit(self.selected_step())

    # ------------------------------------------------------------------ zoom

    def zoom(self, factor: float) -> None:
        self._fitted = False
        scale = self.transform().m11() * factor
        if 0.25 <= scale <= 2.5:
            self.scale(factor, factor)

    def fit(self) -> None:
        """As much of the flow as stays readable: the whole of it when it fits at 70 % or
        more (never magnified past life size), else 70 % from the first step on."""
        self._fitted = True
        rect = self.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if rect.isEmpty():
            return
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1 or scale < MIN_FIT:
            self.resetTransform()
            if scale < MIN_FIT:
                self.scale(MIN_FIT, MIN_FIT)
                view = self.mapToScene(self.viewport().rect()).boundingRect()
                self.centerOn(rect.left() + view.width() / 2, rect.center().y())
            else:
                self.centerOn(rect.center())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:  # fitted, then the window changed: fit again
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------ mouse

    def _card_at(self, scene_pos: QPointF) -> StepCard | None:
        for item in self.scene().items(scene_pos):
            if isinstance(item, StepCard):
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        card = self._card_at(scene_pos)
        if event.button() == Qt.MouseButton.LeftButton and card is not None:
            key = card.port_at(scene_pos)
            if key:
                self._linking = (card.node_id, key)
                self._rubber = QGraphicsPathItem()
                self._rubber.setPen(QPen(QColor(theme.GREEN), 2, Qt.PenStyle.DashLine))
                self._rubber.setZValue(5)
                self.scene().addItem(self._rubber)
                event.accept()
                return
        super().mousePressEvent(event)
        self._pressed = {nid: c.pos() for nid, c in self.cards.items()}

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._linking is not None and self._rubber is not None:
            source, key = self._linking
            start = self.cards[source].port(key)
            end = self.mapToScene(event.position().toPoint())
            path = QPainterPath(start)
            path.lineTo(end)
            self._rubber.setPath(path)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._linking is not None:
            source, key = self._linking
            self._linking = None
            if self._rubber is not None:
                self.scene().removeItem(self._rubber)
                self._rubber = None
            card = self._card_at(self.mapToScene(event.position().toPoint()))
            if card is not None and card.node_id != source:
                self.link_requested.emit(source, key, card.node_id)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        moved = {
            nid: [round(c.pos().x()), round(c.pos().y())]
            for nid, c in self.cards.items()
            if nid in self._pressed and c.pos() != self._pressed[nid]
        }
        self._pressed = {}
        if moved:
            self.moved.emit(moved)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
            event.accept()
            return
        super().keyPressEvent(event)

    def delete_selected(self) -> None:
        items = self.scene().selectedItems()
        ids = [i.node_id for i in items if isinstance(i, StepCard)]
        lines = [[i.source, i.key] for i in items if isinstance(i, LinkItem)]
        if ids or lines:
            self.delete_requested.emit(ids, lines)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        scene_pos = self.mapToScene(event.pos())
        menu = QMenu(self)
        hit = [i for i in self.scene().items(scene_pos) if isinstance(i, StepCard | LinkItem)]
        if hit:
            self.scene().clearSelection()
            hit[0].setSelected(True)
            if isinstance(hit[0], StepCard):
                card_id = hit[0].node_id
                first = QAction(t("Start the flow here"), menu)
                first.triggered.connect(lambda: self.first_requested.emit(card_id))
                menu.addAction(first)
                label = t("Delete step")
            else:
                label = t("Delete link")
            remove = QAction(label, menu)
            remove.triggered.connect(self.delete_selected)
            menu.addAction(remove)
        else:
            for kind, name in steps.kind_names().items():
                add = QAction(t("Add: {kind}").format(kind=name), menu)
                add.triggered.connect(lambda _=False, k=kind: self.add_requested.emit(k, scene_pos))
                menu.addAction(add)
        menu.popup(event.globalPos())

    # ------------------------------------------------------------------ drops

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not event.mimeData().hasFormat(MIME):
            super().dropEvent(event)
            return
        kind = bytes(event.mimeData().data(MIME).data()).decode()
        self.add_requested.emit(kind, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
