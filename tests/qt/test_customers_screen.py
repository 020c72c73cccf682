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
from PySide6.QtCore import QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QDialogButtonBox, QListWidgetItem
from sqlalchemy import delete
from support.geometry import layout_problems, overlaps
from support.waiting import until

from minichat_desktop.app import customer_book as book
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import (
    Channel,
    CustomerScore,
    Order,
    PaymentMethod,
    PaymentStatus,
)
from minichat_desktop.storage.db import Database
from minichat_desktop.ui import i18n
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.customers_board import CARD_ROLE, PIPELINE, Card
from minichat_desktop.ui.customers_screen import CustomersScreen, CustomerTableModel, MergeDialog
from minichat_desktop.ui.main_window import MainWindow


async def idle(screen: CustomersScreen) -> None:
    await asyncio.sleep(0.05)
    await until(
        lambda: (
            screen.busy == 0
            and not screen.timer.isActive()
            and not screen.segments_timer.isActive()
        )
    )
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
    assert (w.board.heads["converted"].text(), w.board.counts["converted"].text()) == (
        "ซื้อแล้ว",
        "1",
    )
    assert w.board.counts["qualified"].text() == "0"
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


def segment_of(w: CustomersScreen, name: str) -> str:
    return str(w.model.index(names(w).index(name), CustomerTableModel.SEGMENT).data())


async def test_the_first_view_shows_real_segments_computed_in_the_background(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """Segments were never computed: the screen computes them by itself, off the UI thread;
    a customer with orders is never shown as having none (meanwhile "Computing…"), and the
    first rows a person can see settle on the real segment."""
    ctx = make_ctx()
    fill(ctx)
    shown: list[str] = []
    w = CustomersScreen(ctx)
    w.model.modelReset.connect(lambda: shown.append(segment_of(w, "Nok LINE")))
    w.model.dataChanged.connect(lambda *_a: shown.append(segment_of(w, "Nok LINE")))
    w.resize(1300, 780)
    w.show()
    await until(lambda: w.model.rowCount() == 4)
    await idle(w)
    assert segment_of(w, "Nok LINE") == "มีแววเป็นขาประจำ"
    assert segment_of(w, "จอย หน้าร้าน") == "ยังไม่มีออเดอร์"  # she really has none
    assert "ยังไม่มีออเดอร์" not in shown and shown[-1] == "มีแววเป็นขาประจำ"
    assert set(shown) <= {"กำลังคำนวณ…", "มีแววเป็นขาประจำ"}
    assert w.scores_label.text().startswith("คำนวณกลุ่มลูกค้าล่าสุดเมื่อ")
    assert w.last_recompute is not None and w.last_recompute.customers == 1
    # Opened again with nothing changed: nothing is recomputed.
    again = CustomersScreen(ctx)
    await until(lambda: again.model.rowCount() == 4)
    await idle(again)
    assert again.last_recompute is None
    for screen in (w, again):
        screen.close()
        screen.deleteLater()
    await asyncio.sleep(0.05)


async def test_a_missing_segment_says_computing_never_no_orders(screen: Any) -> None:
    """The rows as read before any segment exists: a buyer's cell says "Computing…" while
    the segments are computed and "—" if that failed; one who never bought says so."""
    ctx, _w, _ids = screen
    with ctx.ops.db.write() as s:
        s.execute(delete(CustomerScore))
    model = CustomerTableModel()
    model.set_rows(ctx.ops.read_now(book.list_rows))
    by_name = {model.index(r, 0).data(): r for r in range(model.rowCount())}

    def cell(name: str) -> tuple[str, Any]:
        index = model.index(by_name[name], CustomerTableModel.SEGMENT)
        return index.data(), index.data(Qt.ItemDataRole.ForegroundRole)

    model.set_computing(True)
    assert cell("Nok LINE")[0] == "กำลังคำนวณ…"
    assert cell("Nok LINE")[1] is not None  # muted
    assert cell("จอย หน้าร้าน")[0] == "ยังไม่มีออเดอร์"
    model.set_computing(False)
    assert cell("Nok LINE")[0] == "—"


async def test_segments_follow_an_order_paid_later(screen: Any) -> None:
    """Joy buys: the orders changed, so her segment is recomputed without anyone asking."""
    ctx, w, ids = screen
    assert segment_of(w, "จอย หน้าร้าน") == "ยังไม่มีออเดอร์"

    def buy(s: Any) -> None:
        s.add(
            Order(
                number="J1",
                channel=Channel.POS,
                customer_id=ids["joy"],
                subtotal_satang=25_900,
                total_satang=25_900,
                payment_method=PaymentMethod.CASH,
                payment_status=PaymentStatus.PAID,
            )
        )

    ctx.ops.write_now(buy)
    await until(lambda: segment_of(w, "จอย หน้าร้าน") == "เพิ่งซื้อครั้งแรก")
    await idle(w)
    assert w.model.index(names(w).index("จอย หน้าร้าน"), CustomerTableModel.ORDERS).data() == "1"


async def test_the_board_has_lanes_with_names_counts_and_cards(screen: Any) -> None:
    """Each stage is a lane headed by its name and count; a card shows the name, the phone
    as 081-234-5678, the last order and what was spent."""
    _ctx, w, _ids = screen
    w.set_view("board")
    await idle(w)
    board = w.board
    assert [board.heads[s].text() for s in PIPELINE] == [
        "ลูกค้าใหม่",
        "ติดต่อแล้ว",
        "สนใจจริง",
        "ซื้อแล้ว",
        "ไม่สำเร็จ",
    ]
    assert [board.counts[s].text() for s in PIPELINE] == ["3", "0", "1", "0", "0"]
    cards = {
        c.name: c
        for c in (
            board.columns["new"].item(i).data(CARD_ROLE)
            for i in range(board.columns["new"].count())
        )
    }
    assert isinstance(cards["Nok LINE"], Card)
    assert cards["Nok LINE"].phone == "081-234-5678"
    assert cards["Nok LINE"].spent == "฿3,700.00"
    assert cards["Nok LINE"].last_order.startswith("ซื้อล่าสุด ")
    assert cards["จอย หน้าร้าน"] == Card("จอย หน้าร้าน", "", "", "")
    # a filter: each lane counts the cards it shows
    w.search.setText("พิม")
    await idle(w)
    assert [board.counts[s].text() for s in PIPELINE] == ["0", "0", "1", "0", "0"]


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_every_lane_fits_beside_the_profile_at_laptop_sizes(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], lang: str
) -> None:
    """The demo shop's board at 1366×728 and 1000×640: nothing cut off or overlapping
    (support/geometry), cards as wide as their lane, and every lane, scrolled to, is whole
    inside the board beside the profile, never under it."""
    db = new_db()
    prepare_demo(db)
    window = MainWindow(make_ctx(db, lang=lang))
    window.show()
    window.nav.setCurrentRow(window.SECTIONS.index("customers"))
    w = window.section_screen("customers")
    assert isinstance(w, CustomersScreen)
    await until(lambda: w.model.rowCount() > 0)
    w.table.selectRow(0)
    w.set_view("board")
    await idle(w)
    for width, height in ((1366, 728), (1000, 640)):
        window.resize(width, height)
        await asyncio.sleep(0.2)
        assert layout_problems(window) + overlaps(window) == []
        board = w.board
        view = QRect(board.viewport().mapTo(window, QPoint(0, 0)), board.viewport().size())
        profile = QRect(w.profile.mapTo(window, QPoint(0, 0)), w.profile.size())
        assert not view.intersects(profile) and window.rect().contains(view)
        for status, lane in board.lanes.items():
            board.ensureWidgetVisible(lane, 0, 0)
            await asyncio.sleep(0.02)
            seen = QRect(lane.mapTo(window, QPoint(0, 0)), lane.size())
            assert view.contains(seen), f"{status} at {width}×{height}"
            cards = lane.cards
            assert cards.count() > 0 or status == "lost"
            if cards.count():
                assert cards.visualItemRect(cards.item(0)).width() >= cards.viewport().width() - 8
            assert not cards.horizontalScrollBar().isVisible()
        # 19 customers bought: their lane scrolls them; the board scrolls sideways at 1000 px
        assert board.columns["converted"].verticalScrollBar().maximum() > 0
        if width == 1000:
            assert board.horizontalScrollBar().maximum() > 0
    window.close()
    window.deleteLater()
    await asyncio.sleep(0.05)


async def test_a_clicked_card_opens_the_profile_and_the_board_follows_the_language(
    screen: Any,
) -> None:
    """Clicking Nok's card shows her profile and highlights that card alone; in English the
    lanes and cards speak English."""
    _ctx, w, ids = screen
    w.set_view("board")
    await idle(w)
    lane = w.board.columns["new"]
    item = next(
        lane.item(i)
        for i in range(lane.count())
        if lane.item(i).data(Qt.ItemDataRole.UserRole) == ids["nok_line"]
    )
    lane.itemClicked.emit(item)
    await idle(w)
    assert w.profile.title.text() == "Nok LINE"
    selected = [
        i.data(Qt.ItemDataRole.UserRole)
        for c in w.board.columns.values()
        for i in c.selectedItems()
    ]
    assert selected == [ids["nok_line"]]
    i18n.set_language("en")
    await idle(w)
    assert w.board.heads["new"].text() == "New lead"
    card = next(
        lane.item(i).data(CARD_ROLE)
        for i in range(lane.count())
        if lane.item(i).data(Qt.ItemDataRole.UserRole) == ids["nok_line"]
    )
    assert card.last_order.startswith("Last order ") and card.spent == "฿3,700.00"
    assert [i.data(Qt.ItemDataRole.UserRole) for i in lane.selectedItems()] == [ids["nok_line"]]


async def test_dragging_a_card_near_the_boards_edge_scrolls_it(screen: Any) -> None:
    """On a narrow window the lanes do not all fit: a card dragged to the board's right edge
    scrolls it towards the last lanes, to its left edge back."""
    _ctx, w, _ids = screen
    w.resize(900, 640)
    w.set_view("board")
    await idle(w)
    board = w.board
    bar = board.horizontalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    viewport = board.viewport()
    lane = board.columns["new"]
    right = viewport.mapToGlobal(QPoint(viewport.width() - 10, 40))
    lane.dragged_over.emit(right)
    lane.dragged_over.emit(right)
    assert bar.value() == 48
    lane.dragged_over.emit(viewport.mapToGlobal(QPoint(10, 40)))
    assert bar.value() == 24
    lane.dragged_over.emit(viewport.mapToGlobal(QPoint(viewport.width() // 2, 40)))
    assert bar.value() == 24
