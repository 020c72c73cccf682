"""The broadcasts screen on a real database: live recipient count and LINE quota, a bad
message refused with what was typed kept, send now with results, scheduling and cancelling."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QMessageBox
from support.waiting import until

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.ui.broadcasts_screen import BroadcastsScreen
from minichat_desktop.ui.context import AppContext


async def idle(w: BroadcastsScreen) -> None:
    await asyncio.sleep(0.05)
    await until(lambda: w.busy == 0 and not w.timer.isActive())
    await asyncio.sleep(0.02)


def fill(ctx: AppContext) -> dict[str, int]:
    now = dt.datetime.now(dt.UTC)
    ids = {}
    with ctx.ops.db.write() as s:
        for key, ref, name, tags, out in (
            ("web", "widget:web-session-1", "เว็บ หนึ่ง", ["vip"], False),
            ("line1", "line:U" + "1" * 32, "ไลน์ หนึ่ง", ["vip"], False),
            ("line2", "line:U" + "2" * 32, "ไลน์ สอง", ["vip"], False),
            ("quiet", "widget:quiet-session", "ไม่รับข่าว", ["vip"], True),
        ):
            rec = convs.record_inbound(
                s, ref, {"id": key, "kind": "text", "text": "สวัสดี"}, now - dt.timedelta(hours=1)
            )
            assert rec is not None and rec.conversation.customer_id is not None
            cid = rec.conversation.customer_id
            customers.update_customer(s, cid, "owner", name=name, tags=tags, opted_out=out)
            ids[key] = cid
        bc.store_line_quota(s, now.strftime("%Y-%m"), 499, 500, False, now)
    return ids


@pytest.fixture
async def screen(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> AsyncIterator[tuple[AppContext, BroadcastsScreen, dict[str, int]]]:
    ctx = make_ctx()
    ids = fill(ctx)
    w = BroadcastsScreen(ctx)
    w.resize(1300, 860)
    w.show()
    await idle(w)
    yield ctx, w, ids
    w.timer.stop()
    await idle(w)
    w.close()
    w.deleteLater()
    await asyncio.sleep(0.05)


def tick(list_widget: Any, data: Any) -> None:
    for i in range(list_widget.count()):
        if list_widget.item(i).data(Qt.ItemDataRole.UserRole) == data:
            list_widget.item(i).setCheckState(Qt.CheckState.Checked)
            return
    raise AssertionError(f"no item {data!r}")


async def answer(w: BroadcastsScreen, ok: bool) -> str:
    await until(lambda: isinstance(w.dialog, QMessageBox))
    box = w.dialog
    assert isinstance(box, QMessageBox)
    text = box.text()
    box.button(QMessageBox.StandardButton.Ok if ok else QMessageBox.StandardButton.Cancel).click()
    return text


async def test_live_count_quota_and_send_now_with_results(screen: Any) -> None:
    ctx, w, _ids = screen
    tick(w.tags, "vip")
    await idle(w)
    assert w.reach.text() == "ผู้รับ 3 คน: หน้าเว็บ 1 คน, LINE 2 คน"
    assert w.left_out.text().startswith("ไม่ได้รับ: ขอไม่รับข่าวสาร 1 คน")
    assert w.quota.text() == (
        "ต้องใช้ข้อความ LINE 2 ข้อความ เดือนนี้เหลือ 1 จาก 500 ผู้รับทาง LINE 1 คนจะถูกข้ามเพราะโควตาไม่พอ"
    )
    w.name.setText("โปรวันศุกร์")
    w.text.setPlainText("ลด 10% วันนี้ค่ะ")
    task = asyncio.ensure_future(w.send())
    confirm = await answer(w, ok=True)
    assert confirm.splitlines()[1] == "ผู้รับทาง LINE 1 คนจะถูกข้ามเพราะโควตาไม่พอ"
    report = await task
    assert isinstance(report, bc.SendReport) and report.queued == 2
    await idle(w)
    assert w.table.rowCount() == 1 and w.table.item(0, 1).text() == "ส่งแล้ว"
    w.table.selectRow(0)
    await idle(w)
    results = {
        w.results.item(r, 0).text(): w.results.item(r, 2).text()
        for r in range(w.results.rowCount())
    }
    assert sorted(results.values()) == sorted(
        ["รอเซิร์ฟเวอร์รับ", "รอเซิร์ฟเวอร์รับ", "ข้าม: ขอไม่รับข่าวสาร", "ข้าม: โควตา LINE หมด"]
    )
    assert results["ไม่รับข่าว"] == "ข้าม: ขอไม่รับข่าวสาร"
    with ctx.ops.db.read() as s:
        assert len(convs.pending_outbox(s)) == 2


async def test_an_empty_message_is_refused_and_what_was_typed_stays(screen: Any) -> None:
    ctx, w, _ids = screen
    w.name.setText("ยังไม่เขียน")
    await w.send()
    assert w.feedback.text() == "พิมพ์ข้อความหรือเลือกสินค้าอย่างน้อยหนึ่งรายการ"
    assert w.name.text() == "ยังไม่เขียน"
    with ctx.ops.db.read() as s:
        assert bc.list_broadcasts(s) == []


async def test_schedule_then_cancel(screen: Any) -> None:
    ctx, w, _ids = screen
    w.text.setPlainText("พรุ่งนี้มีของใหม่")
    w.when_later.setChecked(True)
    later = QDateTime.currentDateTime().addSecs(2 * 3600)
    w.when.setDateTime(later)
    task = asyncio.ensure_future(w.send())
    text = await answer(w, ok=True)
    assert text.splitlines()[-1].startswith("จะส่งเมื่อ ")
    view = await task
    assert isinstance(view, bc.BroadcastView) and view.status == "scheduled"
    await idle(w)
    assert w.table.item(0, 1).text() == "ตั้งเวลาไว้"
    w.table.selectRow(0)
    await idle(w)
    assert w.cancel_button.isEnabled()
    cancelled = await w.cancel_selected()
    assert cancelled is not None and cancelled.status == "cancelled"
    await idle(w)
    assert w.table.item(0, 1).text() == "ยกเลิกแล้ว"
    with ctx.ops.db.write() as s:
        assert bc.send_due(s, dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)).queued == 0


async def test_answering_not_yet_keeps_a_draft(screen: Any) -> None:
    ctx, w, _ids = screen
    w.text.setPlainText("ร่างไว้ก่อน")
    task = asyncio.ensure_future(w.send())
    await answer(w, ok=False)
    assert await task is None
    with ctx.ops.db.read() as s:
        (b,) = bc.list_broadcasts(s)
    assert (b.status, b.text) == ("draft", "ร่างไว้ก่อน")


async def test_first_view_says_what_will_appear_and_previews_the_message_in_line(
    screen: Any,
) -> None:
    """Nothing sent yet: a sentence in the list's place (not two blank tables), nothing to
    edit or cancel; the message and the picked cards show as a LINE chat would; the send
    button is in sight at a laptop's height, not below the fold."""
    _ctx, w, _ids = screen
    assert w.empty.isVisible() and not w.table.isVisible() and not w.results_box.isVisible()
    assert w.empty.title.text() == "ยังไม่มีบรอดแคสต์"
    assert not w.edit_button.isEnabled() and not w.cancel_button.isEnabled()
    assert "แบบที่ลูกค้าเห็นใน LINE" in w.line_preview.bubble.text()  # the hint

    with _ctx.ops.db.write() as s:
        catalog.save_product(
            s, catalog.ProductInput(sku="MUG", name_th="แก้วมัค", price_satang=15_000), "owner"
        )
    await w.on_changed({"catalog"})
    await idle(w)
    w.text.setPlainText("ลด 10% วันนี้ค่ะ 🎉\nถึงเที่ยงคืน")
    tick(w.products, w.products.item(0).data(Qt.ItemDataRole.UserRole))
    assert w.line_preview.bubble.text() == "ลด 10% วันนี้ค่ะ 🎉\nถึงเที่ยงคืน"
    name, price = w.products.item(0).text().split("  ·  ")
    assert [c.text() for c in w.line_preview.cards] == [f"{name}\n{price}"]

    w.resize(1150, 690)  # the screen's room in a 1366×728 window
    await asyncio.sleep(0.1)
    corner = w.send_button.mapTo(w, w.send_button.rect().bottomRight())
    assert w.send_button.isVisible() and w.rect().contains(corner)
