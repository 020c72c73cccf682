"""The flows editor on a real database: the built-ins listed, a new flow of two steps made
with the forms, saved, read back; a validation error shown in Thai on the step at fault."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from support.waiting import until

from minichat_desktop.domain.bot import flows
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.flows_editor import FlowsScreen


def make_screen(qtbot: Any, ctx: AppContext) -> FlowsScreen:
    screen = FlowsScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1200, 800)
    screen.show()
    return screen


async def test_builtins_listed_with_badge_and_switch(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
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
    views = ctx.ops.read_now(flows.list_flows)
    assert [v.enabled for v in views] == [True, False, True]


async def test_create_two_steps_save_reload(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    screen.new_flow()
    screen.name.setText("ขอเบอร์")
    screen.trigger_type.setCurrentIndex(screen.trigger_type.findData("keyword"))
    screen.keywords.setText("สมัครสมาชิก, member")
    # Step 1: a message (made by "new flow"); step 2: a phone question.
    screen.fields["text"].setPlainText("ยินดีต้อนรับค่ะ")
    first = screen.flows[0].id
    screen.fields["buttons"].setPlainText(f"ช่วยเลือกสินค้า = {first}")
    screen.add_kind.setCurrentIndex(screen.add_kind.findData("question"))
    screen.add_btn.click()
    assert screen.node_list.count() == 2 and screen.current == 1
    screen.fields["text"].setPlainText("ขอเบอร์โทรค่ะ")
    screen.fields["var"].setText("phone")
    screen.fields["kind"].setCurrentIndex(screen.fields["kind"].findData("phone"))
    screen.save_btn.click()
    await until(lambda: screen.status.text() == "บันทึกแล้ว")
    saved = [v for v in ctx.ops.read_now(flows.list_flows) if v.name == "ขอเบอร์"]
    assert len(saved) == 1
    flow = saved[0]
    assert flow.trigger == {"type": "keyword", "keywords": ["สมัครสมาชิก", "member"]}
    assert [(n["type"], n["text"], n["next"]) for n in flow.nodes] == [
        ("message", "ยินดีต้อนรับค่ะ", "n2"),
        ("question", "ขอเบอร์โทรค่ะ", ""),
    ]
    assert flow.nodes[1]["kind"] == "phone" and flow.nodes[1]["var"] == "phone"
    assert flow.nodes[0]["buttons"] == [{"label": "ช่วยเลือกสินค้า", "flow": first}]
    # A fresh screen shows it as saved.
    again = make_screen(qtbot, ctx)
    row = next(i for i, v in enumerate(again.flows) if v.id == flow.id)
    again.flow_list.setCurrentRow(row)
    assert again.name.text() == "ขอเบอร์"
    assert again.keywords.text() == "สมัครสมาชิก, member"
    assert again.node_list.count() == 2
    again.node_list.setCurrentRow(1)
    assert again.fields["text"].toPlainText() == "ขอเบอร์โทรค่ะ"
    assert again.fields["kind"].currentData() == "phone"
    again.node_list.setCurrentRow(0)
    assert again.fields["buttons"].toPlainText() == f"ช่วยเลือกสินค้า = {first}"


async def test_validation_error_in_thai_on_the_step(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    before = ctx.ops.read_now(flows.list_flows)
    screen.flow_list.setCurrentRow(0)  # product discovery
    screen.node_list.setCurrentRow(1)
    screen.fields["text"].setPlainText("")
    screen.node_list.setCurrentRow(0)  # the edit is kept while moving about
    screen.save_btn.click()
    await until(lambda: bool(screen.error.text()))
    assert screen.error.text() == "ขั้นที่ 2 (color): ข้อความ ต้องกรอก"
    assert screen.current == 1  # the step at fault is shown
    await asyncio.sleep(0)
    assert ctx.ops.read_now(flows.list_flows) == before  # nothing stored


async def test_the_diagram_draws_the_links_and_picks_a_step(
    qtbot: Any, make_ctx: Callable[..., AppContext]
) -> None:
    """The review flow's diagram: a box per step, the condition's yes / no, the question's
    no-answer link; a click on a box opens that step's form."""
    from PySide6.QtTest import QTest

    from minichat_desktop.ui.flow_diagram import links_of

    ctx = make_ctx()
    screen = make_screen(qtbot, ctx)
    row = next(i for i, v in enumerate(screen.flows) if v.builtin == flows.BUILTIN_REVIEW)
    screen.flow_list.setCurrentRow(row)
    diagram = screen.diagram
    assert diagram.nodes is screen.nodes and diagram.current == 0
    kinds = [n["type"] for n in screen.nodes]
    cond = kinds.index("condition")
    assert [label for label, _ in links_of(screen.nodes[cond])] == ["ใช่", "ไม่ใช่"]
    assert ("ไม่ตอบ", "") in links_of(screen.nodes[0])  # asked, no answer: the flow ends
    side = diagram._side_links()
    assert {(r, label) for r, label, _to, _o in side} >= {
        (cond, "ใช่"),
        (cond, "ไม่ใช่"),
        (0, "ไม่ตอบ"),
    }
    image = diagram.grab().toImage()
    box = diagram.box(cond)
    stripe = image.pixelColor(int(box.left()) + 2, int(box.center().y()))
    assert stripe.name().upper() == "#7C3AED"  # a condition's colour
    QTest.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=box.center().toPoint())
    assert screen.node_list.currentRow() == cond and screen.current == cond
    assert diagram.current == cond
    assert "field" in screen.fields  # the condition's form
