"""The customers screen on a real database: filters, the pipeline board's drag and drop, the
profile across channels with editable notes, merging duplicates, RFM, export."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QListWidgetItem
from support.waiting import until

from minichat_desktop.app import customer_book as book
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import Channel, Order, PaymentMethod, PaymentStatus
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.customers_screen import CustomersScreen, MergeDialog


async def idle(screen: CustomersScreen) -> None:
    await asyncio.sleep(0.05)
    await until(lambda: screen.busy == 0 and not screen.timer.isActive())
    await asyncio.sleep(0.02)


def fill(ctx: AppContext) -> dict[str, int]:
    """Nok on the widget and (a separate record, same phone) on LINE with two paid orders;
    Pim on LINE, a wholesale buyer; Joy with no chat."""
    now = dt.datetime.now(dt.UTC)
    with ctx.ops.db.write() as s:
        web = convs.record_inbound(
            s,
            "widget:nok-session-1",
            {"id": "a", "kind": "text", "text": "มีเสื้อสีแดงไหม"},
            now - dt.timedelta(days=2),
        )
        line = convs.record_inbound(
            s,
            "line:U" + "c" * 32,
            {"id": "b", "kind": "text", "text": "โอนแล้วค่ะ"},
            now - dt.timedelta(hours=3),
        )
        pim = convs.record_inbound(
            s,
            "line:U" + "d" * 32,
            {"id": "c", "kind": "text", "text": "ขอราคาส่ง"},
            now - dt.timedelta(hours=5),
        )
        assert web and line and pim
        nok, nok_line, pim_id = (
            web.conversation.customer_id,
            line.conversation.customer_id,
            pim.conversation.customer_id,
        )
        assert nok and nok_line and pim_id
        customers.update_customer(s, nok, "owner", name="นก ใจดี", phone="0812345678")
        customers.update_customer(s, nok_line, "owner", name="Nok LINE")
        s.flush()
        # the same phone on the LINE record: a duplicate to merge
        from minichat_desktop.domain.models import Customer

        s.get(Customer, nok_line).phone = "0812345678"  # type: ignore[union-attr]
        customers.update_customer(
            s, pim_id, "owner", name="พิม ขายส่ง", tags=["ขายส่ง"], status="qualified"
        )
        for i, baht in enumerate((1_200, 2_500)):
            s.add(
                Order(
                    number=f"Q{i}",
                    channel=Channel.LINE,
                    customer_id=nok_line,
                    subtotal_satang=baht * 100,
                    total_satang=baht * 100,
                    payment_method=PaymentMethod.PROMPTPAY,
                    payment_status=PaymentStatus.PAID,
                    created_at=now - dt.timedelta(days=5 * (i + 1)),
                )
            )
        joy = customers.create_customer(s, "owner", name="จอย หน้าร้าน").id
    return {"nok": nok, "nok_line": nok_line, "pim": pim_id, "joy": joy}


@pytest.fixture
async def screen(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> AsyncIterator[tuple[AppContext, CustomersScreen, dict[str, int]]]:
    ctx = make_ctx()
    ids = fill(ctx)
    w = CustomersScreen(ctx)
    w.resize(1300, 780)
    w.show()
    await until(lambda: w.model.rowCount() == 4)
    await idle(w)
    yield ctx, w, ids
    w.timer.stop()
    await idle(w)
    w.close()
    w.deleteLater()
    await asyncio.sleep(0.05)


def names(w: CustomersScreen) -> list[str]:
    return [w.model.index(r, 0).data() for r in range(w.model.rowCount())]


async def test_filters_by_tag_status_segment_and_search(screen: Any) -> None:
    _ctx, w, _ids = screen
    w.tag_filter.setCurrentIndex(w.tag_filter.findData("ขายส่ง"))
    await idle(w)
    assert names(w) == ["พิม ขายส่ง"]
    w.tag_filter.setCurrentIndex(0)
    w.status_filter.setCurrentIndex(w.status_filter.findData("new"))
    await idle(w)
    assert sorted(names(w)) == sorted(["จอย หน้าร้าน", "Nok LINE", "นก ใจดี"])
    w.status_filter.setCurrentIndex(0)
    await w.recompute()
    await idle(w)
    w.segment_filter.setCurrentIndex(w.segment_filter.findData("potential_loyalist"))
    await idle(w)
    assert names(w) == ["Nok LINE"]
    assert w.model.index(0, 3).data() == "มีแววเป็นขาประจำ"
    assert w.model.index(0, 5).data() == "3,700.00"
    w.segment_filter.setCurrentIndex(0)
    w.search.setText("081-234")
    await idle(w)
    assert sorted(names(w)) == ["Nok LINE", "นก ใจดี"]
    assert w.count_label.text() == "ลูกค้า 2 คน"


async def test_dropping_a_card_on_another_column_moves_the_customer(screen: Any) -> None:
    ctx, w, ids = screen
    w.set_view("board")
    source = w.board.columns["qualified"]
    assert source.count() == 1
    item: QListWidgetItem = source.item(0)
    mime = source.mimeData([item])
    target = w.board.columns["converted"]
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    target.dropEvent(drop)
    await until(lambda: w.board.columns["converted"].count() == 1)
    await idle(w)
    assert w.board.columns["qualified"].count() == 0
    assert w.board.heads["converted"].text() == "ซื้อแล้ว (1)"
    with ctx.ops.db.read() as s:
        assert customers.get_customer(s, ids["pim"]).status == "converted"
    # a drop back on its own column changes nothing
    same = w.board.columns["converted"]
    back = same.mimeData([same.item(0)])  # kept alive: the event does not own it
    same.dropEvent(
        QDropEvent(
            QPointF(5, 5),
            Qt.DropAction.MoveAction,
            back,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )
    await idle(w)
    assert same.count() == 1


async def test_profile_edits_tags_notes_and_opt_out(screen: Any) -> None:
    ctx, w, ids = screen
    await w.open_customer(ids["pim"])
    p = w.profile
    assert p.title.text() == "พิม ขายส่ง"
    assert p.conv_title.text() == "แชททุกช่องทาง (1)"
    assert p.conversations.item(0).text().startswith("LINE · ")
    p.tags.setText("ขายส่ง, vip")
    p.notes.setPlainText("ส่งของทุกวันศุกร์")
    p.opted_out.setChecked(True)
    p.save_button.click()
    await idle(w)
    with ctx.ops.db.read() as s:
        c = customers.get_customer(s, ids["pim"])
    assert (c.tags, c.notes, c.opted_out) == (("ขายส่ง", "vip"), "ส่งของทุกวันศุกร์", True)
    assert p.tags.text() == "ขายส่ง, vip"


async def test_merging_duplicates_shows_both_channels_in_one_profile(screen: Any) -> None:
    _ctx, w, _ids = screen
    task = asyncio.ensure_future(w.find_duplicates())
    await until(lambda: isinstance(w.dialog, MergeDialog))
    dialog = w.dialog
    assert isinstance(dialog, MergeDialog)
    assert dialog.group_list.itemText(0) == "0812345678 — 2 รายชื่อ"
    assert len(dialog.radios) == 2 and dialog.radios[0].isChecked()
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    await task
    await idle(w)
    assert sorted(names(w)) == sorted(["จอย หน้าร้าน", "พิม ขายส่ง", "นก ใจดี"])
    p = w.profile
    assert p.title.text() == "นก ใจดี"
    assert p.conversations.count() == 2
    assert p.orders.rowCount() == 2
    assert p.facts.values[0].text() == "฿3,700.00"


async def test_export_follows_the_filters(screen: Any, tmp_path: Path) -> None:
    ctx, w, _ids = screen
    w.status_filter.setCurrentIndex(w.status_filter.findData("qualified"))
    await idle(w)
    result = await w.export_to(tmp_path / "c.xlsx")
    assert result is not None and result.rows == 1
    ws = load_workbook(tmp_path / "c.xlsx").active
    assert ws is not None
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["พิม ขายส่ง"]
    bad = await w.export_to(tmp_path / "c.txt")
    assert bad is None
    assert w.message is not None and w.message.text() == "ส่งออกได้เฉพาะไฟล์ .xlsx หรือ .csv"
    with ctx.ops.db.read() as s:
        assert book.count_rows(s) == 4


async def test_double_clicking_a_chat_asks_to_open_it(screen: Any, qtbot: Any) -> None:
    _ctx, w, ids = screen
    await w.open_customer(ids["pim"])
    item = w.profile.conversations.item(0)
    with qtbot.waitSignal(w.conversation_opened, timeout=2000) as got:
        w.profile.conversations.itemDoubleClicked.emit(item)
    assert got.args == [int(item.data(Qt.ItemDataRole.UserRole))]


async def test_a_shop_without_customers_says_how_they_come(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """No customers at all: a line saying they come by themselves from chats and sales, in the
    list's place; once there is one, the list."""
    ctx = make_ctx()
    w = CustomersScreen(ctx)
    w.resize(1300, 780)
    w.show()
    await until(lambda: w.empty.isVisible())
    assert not w.stack.isVisible() and w.empty.title.text() == "ยังไม่มีลูกค้า"
    assert not w.empty.button.isVisible()
    fill(ctx)
    ctx.ops.changed.emit({"customers"})
    await until(lambda: w.model.rowCount() == 4)
    await idle(w)
    assert w.stack.isVisible() and not w.empty.isVisible()
    w.timer.stop()
    await idle(w)
    w.close()
    w.deleteLater()
    await asyncio.sleep(0.05)
