"""The flow builder on a real database, driven with the mouse and keyboard: the built-ins
listed and laid out on the canvas, a flow built from nothing (palette clicks, typing into
the forms, a placeholder chip, a condition's two branches connected by dragging from its
ports), undo and redo, the problems naming steps by their names, Delete, save and reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QMenu, QMessageBox, QPushButton
from support.waiting import until

from minichat_desktop.domain.bot import flows
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.flow_canvas import StepCard
from minichat_desktop.ui.flows_editor import FlowsScreen


def make_screen(qtbot: Any, ctx: AppContext) -> FlowsScreen:
    screen = FlowsScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1300, 760)
    screen.show()
    screen.activateWindow()
    return screen


def click_palette(screen: FlowsScreen, kind: str) -> None:
    palette = screen.step_palette
    row = next(
        i for i in range(palette.count()) if palette.item(i).data(Qt.ItemDataRole.UserRole) == kind
    )
    rect = palette.visualItemRect(palette.item(row))
    QTest.mouseClick(palette.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def card(screen: FlowsScreen, node_id: str) -> StepCard:
    return screen.canvas.cards[node_id]


def on_view(screen: FlowsScreen, scene_point: Any) -> QPoint:
    return screen.canvas.mapFromScene(scene_point)


def drag(screen: FlowsScreen, start: QPoint, end: QPoint) -> None:
    viewport = screen.canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(viewport, (start + end) / 2)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def connect(screen: FlowsScreen, source: str, key: str, target: str) -> None:
    """Drag from an output's port onto another card."""
    port = on_view(screen, card(screen, source).port(key)) - QPoint(3, 0)
    goal = on_view(screen, card(screen, target).mapToScene(card(screen, target).body().center()))
    drag(screen, port, goal)


def click_card(screen: FlowsScreen, node_id: str) -> None:
    c = card(screen, node_id)
    point = on_view(screen, c.mapToScene(c.body().center().x(), 15))
    QTest.mouseClick(screen.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)


def type_text(widget: Any, text: str) -> None:
    """Key presses carrying Thai text (QTest.keyClicks knows only ASCII keys)."""
    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def pick(box: QComboBox, label: str) -> None:
    box.setCurrentIndex(box.findText(label))


async def test_builtins_listed_and_laid_out_on_the_canvas(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    """The built-ins, switched on and off from the list; the review flow (stored without
    positions) laid out with no card over another, its outputs named."""
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    labels = [screen.flow_list.item(i).text() for i in range(screen.flow_list.count())]
    assert labels == [
        "ช่วยเลือกสินค้า  · ในตัว",
        "เตือนตะกร้าค้าง  · ในตัว",
        "ขอรีวิวหลังได้รับสินค้า  · ในตัว",
    ]
    assert screen.badge.text() == "โฟลว์ในตัว" and not screen.delete_btn.isEnabled()
    screen.flow_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert [v.enabled for v in ctx.ops.read_now(flows.list_flows)] == [True, False, True]
    screen.flow_list.setCurrentRow(2)
    cards = screen.canvas.cards
    assert [c.title for c in cards.values()][:3] == ["คะแนนรีวิว", "บันทึกคะแนนรีวิว", "เงื่อนไข"]
    assert cards["thanks"].title == "ขอบคุณมากสำหรับ คะแนน…"
    assert [label for _k, label in cards["ask"].outputs][-1] == "ไม่ตอบ"
    assert [label for _k, label in cards["low"].outputs] == ["ใช่", "ไม่ใช่"]
    assert cards["low"].summary == "คะแนนรีวิว น้อยกว่าหรือเท่ากับ 2"
    boxes = [c.mapRectToScene(c.body()) for c in cards.values()]
    assert not any(a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert len(screen.canvas.link_items) == 4 and screen.found == []


async def test_build_a_flow_from_nothing_connect_undo_save_reload(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    screen.new_flow()
    type_text(screen.name, "ถามความพอใจ")
    type_text(screen.keywords, "รีวิว")
    # A message with the customer's name as a chip.
    click_palette(screen, "message")
    assert len(screen.nodes) == 1 and screen.selected == screen.nodes[0]["id"]
    text = screen.form.fields["text_edit"]
    text.setFocus()
    type_text(text, "สวัสดีค่ะ คุณ")
    names = [a.text() for a in screen.form.fields["text_insert"].menu().actions()]
    assert names[:3] == ["ชื่อลูกค้า", "เลขออเดอร์", "โค้ดส่วนลด"]
    screen.form.fields["text_insert"].menu().actions()[0].trigger()
    assert text.chips() == ["ชื่อลูกค้า"] and "{" not in text.toPlainText()
    type_text(text, " {promo}")  # typed on after the chip: a brace typed stays text
    hello = screen.nodes[0]
    assert hello["text"] == "สวัสดีค่ะ คุณ{customer_name} {{promo}}"
    # A question with two answer buttons, after the message.
    click_palette(screen, "question")
    question = screen.nodes[1]
    assert screen.nodes[0]["next"] == question["id"]
    form = screen.form
    type_text(form.fields["step_name"], "ถามคะแนน")
    form.fields["text_edit"].setFocus()
    type_text(form.fields["text_edit"], "พอใจไหมคะ")
    rows = form.fields["choices"]
    for answer in ("พอใจ", "ไม่พอใจ"):
        QTest.mouseClick(rows.add_btn, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
        type_text(rows.lines[-1], answer)  # type: ignore[attr-defined]
    pick(form.fields["kind"], "เลือกจากปุ่มคำตอบเท่านั้น")
    question = screen.nodes[1]
    assert question["choices"] == [
        {"label": "พอใจ", "value": "พอใจ"},
        {"label": "ไม่พอใจ", "value": "ไม่พอใจ"},
    ]
    # A condition on that answer, from drop-downs named in words.
    click_palette(screen, "condition")
    cond_id = screen.nodes[2]["id"]
    assert screen.nodes[1]["next"] == cond_id
    type_text(screen.form.fields["step_name"], "ตรวจคำตอบ")
    pick(screen.form.fields["field"], "ถามคะแนน")
    screen.form.show_step(screen.node(cond_id), screen.nodes)  # the value list follows
    pick(screen.form.fields["op"], "เท่ากับ")
    pick(screen.form.fields["value"], "ไม่พอใจ")
    cond = screen.node(cond_id)
    assert cond is not None
    assert (cond["field"], cond["op"], cond["value"]) == (
        f"state.{question['var']}",
        "eq",
        "ไม่พอใจ",
    )
    # Two ends, then the branches by mouse.
    click_palette(screen, "handoff")
    sorry = screen.nodes[3]["id"]
    screen.form.fields["text_edit"].setFocus()
    type_text(screen.form.fields["text_edit"], "ขอโทษค่ะ")
    screen.canvas.scene().clearSelection()
    click_palette(screen, "message")
    thanks = screen.nodes[4]["id"]
    screen.form.fields["text_edit"].setFocus()
    type_text(screen.form.fields["text_edit"], "ขอบคุณค่ะ")
    screen.canvas.fit()
    problems = [screen.problem_list.item(i).text() for i in range(screen.problem_list.count())]
    assert "ขั้น “ตรวจคำตอบ”: ยังไม่ได้เชื่อมทาง ‘ใช่’" in problems
    assert card(screen, cond_id).broken
    screen.save_btn.click()
    await until(lambda: screen.status.text() == "ยังบันทึกไม่ได้: แก้ขั้นที่ขอบสีแดงก่อน")
    assert screen.selected == cond_id  # the first step at fault is shown
    connect(screen, cond_id, "then", sorry)
    connect(screen, cond_id, "else", thanks)
    cond = screen.node(cond_id)
    assert cond is not None and (cond["then"], cond["else"]) == (sorry, thanks)
    assert screen.found == [] and not card(screen, cond_id).broken
    assert not screen.problem_list.isVisible()
    # Undo takes the last link away, redo puts it back.
    screen.canvas.setFocus()
    QTest.keyClick(screen.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert screen.node(cond_id)["else"] == ""  # type: ignore[index]
    QTest.keyClick(screen.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert screen.node(cond_id)["else"] == thanks  # type: ignore[index]
    QTest.keyClick(
        screen.canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert screen.undo_stack.canUndo() and not screen.undo_stack.canRedo()
    # A card moved by mouse keeps its place.
    moved = card(screen, thanks)
    before = moved.pos()
    start = on_view(screen, moved.mapToScene(moved.body().center().x(), 15))
    drag(screen, start, start + QPoint(0, 60))
    assert screen.node(thanks)["pos"][1] > before.y() + 20  # type: ignore[index]
    screen.save_btn.click()
    await until(lambda: screen.status.text() == "บันทึกแล้ว")
    saved = next(v for v in ctx.ops.read_now(flows.list_flows) if v.name == "ถามความพอใจ")
    assert saved.trigger == {"type": "keyword", "keywords": ["รีวิว"]}
    stored = {n["id"]: n for n in saved.nodes}
    assert [n["type"] for n in saved.nodes] == [
        "message",
        "question",
        "condition",
        "handoff",
        "message",
    ]
    assert stored[cond_id]["then"] == sorry and stored[cond_id]["else"] == thanks
    assert stored[question["id"]]["step_name"] == "ถามคะแนน"
    assert stored[question["id"]]["kind"] == "choice"
    assert all(isinstance(n["pos"], list) and len(n["pos"]) == 2 for n in saved.nodes)
    # A fresh screen shows it as saved, positions and all.
    again = make_screen(qtbot, ctx)
    again.flow_list.setCurrentRow(next(i for i, v in enumerate(again.flows) if v.id == saved.id))
    assert again.canvas.cards[thanks].pos().y() == stored[thanks]["pos"][1]
    assert again.canvas.cards[cond_id].title == "ตรวจคำตอบ"
    assert again.canvas.cards[cond_id].summary == "ถามคะแนน เท่ากับ ไม่พอใจ"
    click_card(again, saved.nodes[0]["id"])
    assert again.form.fields["text_edit"].chips() == ["ชื่อลูกค้า"]  # type: ignore[attr-defined]
    await try_it(again, qtbot)


async def try_it(screen: FlowsScreen, qtbot: Any) -> None:
    """The saved flow, run in the screen's "ลองคุย" tab: the keyword starts it, an answer
    button takes the condition's "yes" branch to the hand-over; leaving the tab drops the
    scratch copy of the shop's data."""
    screen.show()
    screen.side_tabs.setCurrentWidget(screen.simulator)
    sim = screen.simulator
    await until(lambda: sim.trial is not None and not sim.busy)
    folder = sim.trial.folder  # type: ignore[union-attr]
    seen = sim.turns
    sim.input.setText("รีวิว")
    sim.send()
    await until(lambda: sim.turns > seen and not sim.busy)
    said = [
        label.text() for label in sim.chat.findChildren(QLabel) if label.objectName() == "SimShop"
    ]
    assert said[0] == "สวัสดีค่ะ คุณลูกค้า {promo}" and said[-1] == "พอใจไหมคะ"
    seen = sim.turns
    [unhappy] = [b for b in sim.findChildren(QPushButton) if b.text() == "ไม่พอใจ"]
    unhappy.click()
    await until(lambda: sim.turns > seen and not sim.busy)
    said = [
        label.text() for label in sim.chat.findChildren(QLabel) if label.objectName() == "SimShop"
    ]
    assert said[-1] == "ขอโทษค่ะ"
    screen.side_tabs.setCurrentIndex(0)
    assert sim.trial is None and not folder.exists()


async def test_delete_key_removes_a_step_and_undo_brings_it_back(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    screen.flow_list.setCurrentRow(1)  # the abandoned cart: remind → discount → cart → offer
    ids = [n["id"] for n in screen.nodes]
    click_card(screen, "cart")
    assert screen.selected == "cart"
    QTest.keyClick(screen.canvas.viewport(), Qt.Key.Key_Delete)
    assert [n["id"] for n in screen.nodes] == ["remind", "discount", "offer"]
    assert screen.node("discount")["next"] == ""  # type: ignore[index]
    problems = [p.text for p in screen.found]
    assert problems == [f"ขั้น “{card(screen, 'offer').title}”: ไม่มีขั้นไหนเชื่อมมาถึง (เชื่อมหรือลบขั้นนี้)"]
    screen.undo_btn.click()
    assert [n["id"] for n in screen.nodes] == ids and screen.found == []
    # A link deleted from its context menu.
    link = next(i for i in screen.canvas.link_items if i.source == "remind")
    middle = screen.canvas.mapFromScene(link.path().pointAtPercent(0.5))
    menu_event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, middle, screen.canvas.viewport().mapToGlobal(middle)
    )
    QApplication.sendEvent(screen.canvas.viewport(), menu_event)
    menu = screen.canvas.findChildren(QMenu)[-1]
    assert [a.text() for a in menu.actions()] == ["ลบเส้นเชื่อม"]
    menu.actions()[0].trigger()
    menu.close()
    assert screen.node("remind")["next"] == ""  # type: ignore[index]
    assert screen.found[0].text.startswith("ขั้น “ให้โค้ดส่วนลด”: ไม่มีขั้นไหนเชื่อมมาถึง")


async def test_a_domain_problem_names_the_step(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    """What only the domain checks (a discount over 90 %) is told on the step, by name, and
    nothing is stored."""
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    before = ctx.ops.read_now(flows.list_flows)
    screen.flow_list.setCurrentRow(1)
    click_card(screen, "discount")
    screen.form.fields["percent"].setValue(90)  # type: ignore[attr-defined]
    nodes = [dict(n) for n in screen.nodes]
    nodes[1]["valid_hours"] = 99999
    screen.apply(nodes, "discount", rebuild_form=True)
    screen.save_btn.click()
    await until(lambda: bool(screen.status.text()))
    assert screen.status.text() == "ขั้น “ให้โค้ดส่วนลด”: อายุโค้ด (ชั่วโมง) ไม่ถูกต้อง"
    assert screen.selected == "discount"
    assert ctx.ops.read_now(flows.list_flows) == before


async def test_drop_from_the_palette_and_undo_a_form_edit(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    """A step dropped from the palette lands where it was dropped; typing into its form is
    one undoable change; every built-in opens with no problem."""
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    for row in range(3):
        screen.flow_list.setCurrentRow(row)
        assert screen.found == []
    screen.new_flow()
    palette = screen.step_palette
    wait_row = next(
        i
        for i in range(palette.count())
        if palette.item(i).data(Qt.ItemDataRole.UserRole) == "wait"
    )
    mime = palette.mimeData([palette.item(wait_row)])
    where = QPoint(120, 90)
    viewport = screen.canvas.viewport()
    dropped = screen.canvas.mapToScene(where)
    for kind in (QDragEnterEvent, QDropEvent):  # the drag comes in, then drops
        event = kind(
            QPointF(where),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(viewport, event)
    assert [n["type"] for n in screen.nodes] == ["wait"]
    assert screen.nodes[0]["pos"] == [round(dropped.x()), round(dropped.y())]
    assert screen.canvas.cards[screen.nodes[0]["id"]].title == "รอ 1 วัน"
    span = screen.form.fields["minutes"]
    span.hours.setValue(3)  # type: ignore[attr-defined]
    assert screen.nodes[0]["minutes"] == 27 * 60
    type_text(screen.form.fields["step_name"], "พักก่อน")
    assert screen.canvas.cards[screen.nodes[0]["id"]].title == "พักก่อน"
    screen.undo_btn.click()  # the name, typed letter by letter, goes in one step
    assert "step_name" not in screen.nodes[0] and screen.nodes[0]["minutes"] == 27 * 60
    assert screen.form.fields["step_name"].text() == ""  # type: ignore[attr-defined]
    screen.undo_btn.click()
    assert screen.nodes[0]["minutes"] == 24 * 60
    assert screen.form.fields["minutes"].minutes() == 24 * 60  # type: ignore[attr-defined]


async def test_an_action_form_offers_the_shops_own_lists(
    qtbot: Any, make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """Picking what an action does shows its fields as pickers: a product from the catalogue
    (stored as its SKU), a status from the pipeline by name."""
    db = new_db()
    prepare_demo(db)
    screen = make_screen(qtbot, make_ctx(db))
    screen.new_flow()
    click_palette(screen, "action")
    pick(screen.form.fields["action"], "ตั้งสถานะลูกค้า")  # type: ignore[arg-type]
    await until(lambda: "status" in screen.form.fields)
    assert screen.nodes[0]["status"] == "qualified"  # what the drop-down shows first
    pick(screen.form.fields["status"], "ซื้อแล้ว")  # type: ignore[arg-type]
    assert screen.nodes[0]["action"] == "set_status" and screen.nodes[0]["status"] == "converted"
    assert screen.canvas.cards[screen.nodes[0]["id"]].summary == "ซื้อแล้ว"
    pick(screen.form.fields["action"], "ใส่ตะกร้า")  # type: ignore[arg-type]
    await until(lambda: "sku" in screen.form.fields)
    product = screen.form.fields["sku"]
    assert isinstance(product, QComboBox) and product.count() > 1
    product.setCurrentIndex(1)
    sku, name = product.itemData(1), product.itemText(1)
    assert screen.nodes[0]["sku"] == sku and sku not in name
    assert "status" not in screen.nodes[0] and screen.nodes[0]["quantity"] == 1
    assert screen.found == []


async def test_leaving_a_flow_with_unsaved_changes_asks_first(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    """Another flow picked while this one has changes not saved: the owner is asked; "Keep
    editing" keeps the changes and the flow, "Discard changes" moves on. A flow without
    changes is left without a question."""
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    first, second = screen.flows[0], screen.flows[1]

    def question() -> QMessageBox | None:
        shown = [b for b in screen.findChildren(QMessageBox) if b.isVisible()]
        return shown[-1] if shown else None

    screen.flow_list.setCurrentRow(1)  # nothing changed: no question
    assert screen.flow_id == second.id and question() is None
    screen.flow_list.setCurrentRow(0)
    screen.name.setText("ช่วยเลือกสินค้า แบบใหม่")
    screen.flow_list.setCurrentRow(1)
    await until(lambda: question() is not None)
    box = question()
    assert box is not None and "ช่วยเลือกสินค้า แบบใหม่" in box.text()
    assert screen.flow_id == first.id and screen.flow_list.currentRow() == 0
    box.button(QMessageBox.StandardButton.No).click()  # keep editing
    await until(lambda: question() is None)
    assert screen.flow_id == first.id and screen.name.text() == "ช่วยเลือกสินค้า แบบใหม่"
    screen.flow_list.setCurrentRow(1)
    await until(lambda: question() is not None)
    box = question()
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()  # discard
    await until(lambda: screen.flow_id == second.id)
    assert screen.flow_list.currentRow() == 1 and screen.name.text() == second.name
