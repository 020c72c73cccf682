"""A flow drawn as a diagram: its steps as boxes from top to bottom, an arrow for every link
(the next step; yes / no of a condition; what happens when a question times out), and where
the flow ends. Clicking a box picks that step in the editor. Read-only: the form beside it
edits the step, and the diagram follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from minichat_desktop.ui import theme
from minichat_desktop.ui.i18n import t

BOX_H = 46.0
GAP = 30.0
TOP = 14.0
LEFT = 12.0
LANE = 16.0  # room per arrow that goes round the side
END_W = 56.0

KIND_COLOURS = {
    "message": "#2563EB",
    "question": "#0E8F6E",
    "action": "#B7791F",
    "condition": "#7C3AED",
    "wait": "#64748B",
    "handoff": "#DC2626",
}


def links_of(node: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, target id) of each link a step has; ``""`` is the end of the flow."""
    kind = node.get("type")
    if kind == "condition":
        return [(t("yes"), str(node.get("then") or "")), (t("no"), str(node.get("else") or ""))]
    out = [("", str(node.get("next") or ""))] if kind != "handoff" else []
    if kind == "question" and int(node.get("timeout_minutes") or 0) > 0:
        out.append((t("no answer"), str(node.get("timeout_next") or "")))
    return out


class FlowDiagram(QWidget):
    """Paints ``nodes`` (the editor's list of step dicts); ``picked(row)`` on a click."""

    picked = Signal(int)

    def __init__(self, summary: Callable[[dict[str, Any]], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = summary
        self.nodes: list[dict[str, Any]] = []
        self.current = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def show_nodes(self, nodes: list[dict[str, Any]], current: int) -> None:
        self.nodes = nodes
        self.current = current
        self.setMinimumHeight(int(self._height()))
        self.updateGeometry()
        self.update()

    def _height(self) -> float:
        return TOP * 2 + max(1, len(self.nodes)) * (BOX_H + GAP) + 20

    def sizeHint(self) -> QSize:
        return QSize(360, int(self._height()))

    # ------------------------------------------------------------------ geometry

    def _side_links(self) -> list[tuple[int, str, int | None, float]]:
        """Links that do not go straight to the next box: (from row, label, to row or None,
        where they leave the box: an offset from its middle, so a step's links part)."""
        rows = {str(n.get("id", "")): i for i, n in enumerate(self.nodes)}
        out: list[tuple[int, str, int | None, float]] = []
        for i, node in enumerate(self.nodes):
            links = links_of(node)
            for k, (label, target) in enumerate(links):
                to = rows.get(target) if target else None
                if to == i + 1 and not label:
                    continue  # drawn as the plain arrow down
                offset = 0.0 if len(links) == 1 else (-9.0 if k == 0 else 9.0)
                out.append((i, label, to, offset))
        return out

    def box(self, row: int) -> QRectF:
        lanes = max(1, len(self._side_links()))
        width = max(160.0, self.width() - LEFT * 2 - END_W - lanes * LANE)
        return QRectF(LEFT, TOP + row * (BOX_H + GAP), width, BOX_H)

    def row_at(self, point: QPointF) -> int:
        for i in range(len(self.nodes)):
            if self.box(i).contains(point):
                return i
        return -1

    # ------------------------------------------------------------------ input

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = self.row_at(event.position())
        if row >= 0:
            self.picked.emit(row)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        on_box = self.row_at(event.position()) >= 0
        self.setCursor(Qt.CursorShape.PointingHandCursor if on_box else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    # ------------------------------------------------------------------ painting

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.BG))
        if not self.nodes:
            p.setPen(QColor(theme.MUTED))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, t("No steps yet"))
            return
        small = QFont(self.font())
        small.setPointSizeF(max(7.5, small.pointSizeF() - 1.5))
        ink = QColor(theme.INK)
        line = QPen(QColor("#94A3B8"), 1.4)
        for i in range(len(self.nodes) - 1):  # the plain arrows down
            node = self.nodes[i]
            targets = dict((lbl, tgt) for lbl, tgt in links_of(node))
            nxt = str(self.nodes[i + 1].get("id", ""))
            if targets.get("") == nxt:
                a, b = self.box(i), self.box(i + 1)
                self._arrow(
                    p, line, [QPointF(a.center().x(), a.bottom()), QPointF(a.center().x(), b.top())]
                )
        side = self._side_links()
        for lane, (row, label, to, offset) in enumerate(side):
            self._side_arrow(p, lane, row, label, to, offset)
        fm = QFontMetrics(self.font())
        for i, node in enumerate(self.nodes):
            r = self.box(i)
            colour = QColor(KIND_COLOURS.get(str(node.get("type")), "#64748B"))
            path = QPainterPath()
            path.addRoundedRect(r, 8, 8)
            p.fillPath(path, QColor("#FFFFFF"))
            chosen = i == self.current
            p.setPen(
                QPen(QColor(theme.GREEN) if chosen else QColor("#CBD5E1"), 2.2 if chosen else 1)
            )
            p.drawPath(path)
            stripe = QPainterPath()
            stripe.addRoundedRect(QRectF(r.left(), r.top(), 6, r.height()), 3, 3)
            p.fillPath(stripe, colour)
            p.setPen(ink)
            text = fm.elidedText(
                self.summary(node), Qt.TextElideMode.ElideRight, int(r.width() - 22)
            )
            p.drawText(r.adjusted(14, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter, text)
        self._labels(p, side, small)
        p.end()

    def _labels(
        self, p: QPainter, side: list[tuple[int, str, int | None, float]], small: QFont
    ) -> None:
        """Each labelled link's name on a tag where it leaves its box (over the box's edge,
        drawn last so nothing covers it)."""
        p.setFont(small)
        fm = QFontMetrics(small)
        for row, label, _to, offset in side:
            if not label:
                continue
            r = self.box(row)
            w = fm.horizontalAdvance(label) + 10
            tag = QRectF(r.right() - w + 4, r.center().y() + offset - 8, w, 16)
            p.setPen(QPen(QColor("#CBD5E1"), 1))
            p.setBrush(QColor("#F8FAFC"))
            p.drawRoundedRect(tag, 8, 8)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QColor(theme.MUTED))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, label)
        p.setFont(self.font())

    def _side_arrow(
        self, p: QPainter, lane: int, row: int, label: str, to: int | None, offset: float
    ) -> None:
        a = self.box(row)
        x = a.right() + LANE * (lane + 1)
        start_y = a.center().y() + offset
        dashed = label == t("no answer")
        pen = QPen(
            QColor("#94A3B8"), 1.4, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        )
        if to is None:  # the end of the flow: a small pill beside the box
            end = QRectF(x + 4, start_y - 10, END_W - 8, 20)
            self._arrow(p, pen, [QPointF(a.right(), start_y), QPointF(end.left(), start_y)])
            p.setPen(QPen(QColor("#94A3B8"), 1))
            p.setBrush(QColor("#F1F5F9"))
            p.drawRoundedRect(end, 10, 10)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QColor(theme.MUTED))
            p.drawText(end, Qt.AlignmentFlag.AlignCenter, t("end"))
        else:
            b = self.box(to)
            end_y = b.center().y() - 12 + (lane % 3) * 6  # arrivals apart
            points = [
                QPointF(a.right(), start_y),
                QPointF(x, start_y),
                QPointF(x, end_y),
                QPointF(b.right(), end_y),
            ]
            self._arrow(p, pen, points)

    @staticmethod
    def _arrow(p: QPainter, pen: QPen, points: list[QPointF]) -> None:
        p.setPen(pen)
        p.drawPolyline(QPolygonF(points))
        tip, before = points[-1], points[-2]
        dx, dy = tip.x() - before.x(), tip.y() - before.y()
        length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
        ux, uy = dx / length, dy / length
        head = QPolygonF(
            [
                tip,
                QPointF(tip.x() - ux * 7 - uy * 4, tip.y() - uy * 7 + ux * 4),
                QPointF(tip.x() - ux * 7 + uy * 4, tip.y() - uy * 7 - ux * 4),
            ]
        )
        p.setBrush(pen.color())
        p.setPen(QPen(pen.color(), 1))
        p.drawPolygon(head)
        p.setBrush(Qt.BrushStyle.NoBrush)
