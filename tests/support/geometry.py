"""What a person sees cut off in a window, found by walking its widgets (issue 16 item 2).

:func:`layout_problems` lists, for a shown window:

- a visible widget that reaches outside its parent's area (a pane pushed past the window's
  edge, a button half under the next one) — the contents of a scroll area may be taller
  than its viewport, never wider (unless the area says it scrolls sideways by design with
  the property ``sideways``, as the customers' pipeline board does);
- a table or list showing a horizontal scrollbar (the main lists must fit their width);
- a line edit whose grey hint (placeholder) is cut off;
- a push button narrower than its text (the "ลี่ยนสถานะ" of a clipped "เปลี่ยนสถานะ").

Each problem names the widget by its class, object name and text, so a failing test says
what to look at.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)

SLACK = 1  # px: rounding in Qt's layouts
PLACEHOLDER_PADDING = 20  # a line edit's frame and text margins


def _name(w: QWidget) -> str:
    text = w.text() if isinstance(w, QAbstractButton) else ""
    bits = [type(w).__name__, w.objectName(), repr(text) if text else ""]
    return " ".join(b for b in bits if b)


def _scroll_area_of(w: QWidget) -> QScrollArea | None:
    """The scroll area that scrolls ``w`` (it may be taller than the viewport by design)."""
    parent = w.parentWidget()
    area = parent.parentWidget() if parent is not None else None
    return area if isinstance(area, QScrollArea) and area.widget() is w else None


def _row_of_item_view(w: QWidget) -> bool:
    """A widget set on a row of a list or table (``setItemWidget``): it scrolls with the rows,
    so the last one shown may reach past the viewport's edge like any row."""
    parent = w.parentWidget()
    view = parent.parentWidget() if parent is not None else None
    return isinstance(view, QAbstractItemView) and view.viewport() is parent


def layout_problems(window: QWidget) -> list[str]:
    problems: list[str] = []
    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window) or w.isWindow():
            continue
        parent = w.parentWidget()
        if parent is None:
            continue
        g, area = w.geometry(), parent.rect()
        scroller = _scroll_area_of(w)
        if scroller is not None:
            if g.width() > area.width() + SLACK and not scroller.property("sideways"):
                problems.append(
                    f"{_name(w)} is wider than its scroll area ({g.width()} > "
                    f"{area.width()}): a horizontal scrollbar on a pane"
                )
        elif not _row_of_item_view(w) and (
            g.right() > area.right() + SLACK
            or g.bottom() > area.bottom() + SLACK
            or g.left() < -SLACK
            or g.top() < -SLACK
        ):
            problems.append(
                f"{_name(w)} at {g.getRect()} reaches outside {_name(parent)} {area.getRect()}"
            )
        if (
            isinstance(w, QAbstractItemView)
            and isinstance(w, QAbstractScrollArea)
            and w.horizontalScrollBar().isVisible()
        ):
            problems.append(f"{_name(w)} shows a horizontal scrollbar")
        if isinstance(w, QLineEdit) and not w.text() and w.placeholderText():
            needs = w.fontMetrics().horizontalAdvance(w.placeholderText()) + PLACEHOLDER_PADDING
            if needs > w.width() + SLACK:
                problems.append(
                    f"{_name(w)} cuts its hint {w.placeholderText()!r} "
                    f"({w.width()} px, it needs {needs})"
                )
        if isinstance(w, QPushButton) and w.text() and w.width() + SLACK < w.sizeHint().width():
            problems.append(
                f"{_name(w)} is {w.width()} px wide, its text needs {w.sizeHint().width()}"
            )
    return problems


def overlaps(window: QWidget) -> list[str]:
    """Visible sibling widgets drawn over each other (a combo box over a text box)."""
    found: list[str] = []
    for parent in [window, *window.findChildren(QWidget)]:
        if not parent.isVisibleTo(window) and parent is not window:
            continue
        kids = [
            k
            for k in parent.children()
            if isinstance(k, QWidget) and not k.isWindow() and k.isVisibleTo(window)
        ]
        for i, a in enumerate(kids):
            for b in kids[i + 1 :]:
                shared = a.geometry().intersected(b.geometry())
                if shared.width() > SLACK and shared.height() > SLACK:
                    found.append(
                        f"{_name(a)} {a.geometry().getRect()} overlaps {_name(b)} "
                        f"{b.geometry().getRect()} in {_name(parent)}"
                    )
    return found
