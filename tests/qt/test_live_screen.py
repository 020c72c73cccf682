"""The live selling screen on a real shop database, fed by ``record_comment`` as the relay link
will feed it (from another thread): products picked with their codes, comments appearing with
their result chips, stock left and totals, ending the live with the hold time; and it fits a
laptop and the minimum window in Thai and English."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from support.bot_shop import shopper_says
from support.geometry import layout_problems
from support.language import foreign_words, shop_data, visible_texts
from support.waiting import until

from minichat_desktop.app import live
from minichat_desktop.domain.live import checkout as live_checkout
from minichat_desktop.domain.live import selling
from minichat_desktop.domain.live.selling import Comment, Platform
from minichat_desktop.storage.db import Database
from minichat_desktop.ui.app import prepare_demo
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.live_screen import LiveScreen
from minichat_desktop.ui.main_window import MainWindow

NOW = dt.datetime(2026, 12, 6, 13, 0, tzinfo=dt.UTC)
TOO_LATE = (
    "ความเห็นนี้เก่ากว่า 7 วันแล้ว Meta ไม่ให้ตอบกลับแบบส่วนตัว ทักลูกค้าทางแชทแทน"
    " / This comment is over 7 days old: Meta allows no private reply to it any more;"
    " write to the shopper in a chat instead"
)


def chip_texts(screen: LiveScreen) -> list[str]:
    return [
        screen.comments.itemWidget(screen.comments.item(i)).chip.text()  # type: ignore[attr-defined]
        for i in range(screen.comments.count())
    ]


async def test_comments_stream_in_with_their_results_and_the_live_ends(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang="en")
    screen = LiveScreen(ctx)
    screen.resize(1100, 640)
    screen.show()
    assert screen.stack.currentIndex() == 0 and not screen.start_button.isEnabled()
    first = next(r for r, p in enumerate(screen.pickable) if p.stock >= 3)
    screen.picker.item(first, 0).setCheckState(Qt.CheckState.Checked)
    screen.picker.item(first, 4).setText("a12")  # the owner's own code, any case
    assert screen.picked_label.text() == "1 products picked" and screen.start_button.isEnabled()
    stock = screen.pickable[first].stock
    screen.name_edit.setText("Friday live")
    screen.start_button.click()
    await until(lambda: screen.stack.currentIndex() == 1)
    board = screen.board
    assert board is not None and [p.code for p in board.products] == ["A12"]

    # The relay link's thread records the comments; the screen hears of them by itself.
    texts = ["CF A12 x2", "ขอดู A12", "สวยจัง", f"CF A12 {stock}"]
    for n, text in enumerate(texts):
        comment = Comment(f"q{n}", f"fb{n}", f"Buyer {n}", text, NOW)
        await asyncio.to_thread(live.record_comment, db, board.live_id, comment)
    await until(lambda: screen.comments.count() == 4)
    assert chip_texts(screen) == [
        "Reserved A12 × 2",
        "Asked about it",
        "Not understood",
        "Sold out",
    ]
    assert screen.products.item(0, 2).text() == str(stock - 2)
    assert screen.products.item(0, 3).text() == "2"
    assert screen.total_labels["carts"].text() == "1 carts"
    assert screen.total_labels["reserved"].text().startswith("Reserved ฿")

    screen.end_spin.setValue(30)
    screen.end_button.click()
    await until(lambda: screen.board is not None and screen.board.status == "ended")
    assert screen.live_state.text().startswith("Ended · unpaid carts go back")
    assert not screen.end_button.isVisible()
    # The hold ran out: the app's timer releases the cart and the start page comes back.
    await asyncio.to_thread(
        live.release_due, db, lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=31)
    )
    await until(lambda: screen.stack.currentIndex() == 0 and screen.pickable != [])
    assert (
        next(p for p in screen.pickable if p.variant_id == board.products[0].variant_id).stock
        == stock
    )
    screen.close()


@pytest.mark.parametrize("lang", ["th", "en"])
async def test_the_running_live_fits_and_speaks_one_language(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], lang: str
) -> None:
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang=lang)
    pick = live.pickable(db)[:4]
    live_id = live.start_live(
        db,
        "ไลฟ์คืนวันศุกร์ ของเข้าใหม่",
        [live.PickedProduct(p.code, p.variant_id) for p in pick],
        60,
        "owner",
    )
    for n in range(12):
        text = ["CF " + pick[n % 4].code, f"{pick[0].code} ราคาเท่าไหร่", "555", "CF Z9"][n % 4]
        where = Platform.INSTAGRAM if n % 2 else Platform.FACEBOOK
        comment = Comment(f"s{n}", f"fb{n}", f"ลูกค้า {n}", text, NOW, where)
        outcome = live.record_comment(db, live_id, comment)
        if n == 0:  # its private reply refused: the screen says why, in the screen's language
            with db.write() as s:
                selling.reply_not_sent(s, outcome.reply_uid, TOO_LATE)
    window = MainWindow(ctx)
    window.show()
    try:
        window.show_section("live")
        for width, height in ((1366, 728), (1000, 640)):
            window.resize(width, height)
            await asyncio.sleep(0.3)
            screen = window.section_screen("live")
            assert isinstance(screen, LiveScreen) and screen.comments.count() == 12
            assert layout_problems(screen) == []
        # One language: nothing but the shop's data (names, comments, codes) in the other.
        data = shop_data(Path(db.path))
        assert foreign_words(visible_texts(window), data, lang) == []
    finally:
        window.close()
        window.deleteLater()


async def test_each_comment_shows_its_platform_and_a_refused_reply_says_why_when_it_comes(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database]
) -> None:
    """An Instagram comment says Instagram, a Facebook one Facebook; when the relay refuses a
    reply after its comment is on screen (a comment over 7 days old), that row shows why."""
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang="en")
    pick = live.pickable(db)[:1]
    live_id = live.start_live(db, "Live", [live.PickedProduct("A1", pick[0].variant_id)], 60, "o")
    screen = LiveScreen(ctx)
    screen.resize(1100, 640)
    screen.show()
    outcomes = []
    for n, where in enumerate((Platform.FACEBOOK, Platform.INSTAGRAM)):
        comment = Comment(f"c{n}", f"u{n}", f"Buyer {n}", "CF A1", NOW, where)
        outcomes.append(await asyncio.to_thread(live.record_comment, db, live_id, comment))
    await until(lambda: screen.comments.count() == 2)
    views = [screen.comments.itemWidget(screen.comments.item(i)) for i in range(2)]
    assert [v.platform.text().split(" · ")[0] for v in views] == ["Facebook", "Instagram"]  # type: ignore[attr-defined]
    assert not any(v.problem.isVisibleTo(screen) for v in views)  # type: ignore[attr-defined]
    with db.write() as s:
        assert selling.reply_not_sent(s, outcomes[1].reply_uid, TOO_LATE) == "c1"
    await until(lambda: views[1].problem.isVisibleTo(screen))  # type: ignore[attr-defined]
    assert views[1].problem.text() == (  # type: ignore[attr-defined]
        "Private reply not sent: This comment is over 7 days old: Meta allows no private reply"
        " to it any more; write to the shopper in a chat instead"
    )
    assert not views[0].problem.isVisibleTo(screen)  # type: ignore[attr-defined]
    screen.close()


async def test_the_carts_table_follows_a_checkout_in_messenger_to_the_order(
    make_ctx: Callable[..., AppContext], new_db: Callable[[], Database], tmp_path: Path
) -> None:
    """A commenter's cart reads "reserved", then which checkout question they are at in
    Messenger, then the order's number and that it awaits payment — as the shopper answers
    from the relay link's thread."""
    db = new_db()
    prepare_demo(db)
    ctx = make_ctx(db, lang="en")
    pick = next(p for p in live.pickable(db) if p.stock >= 2)
    live_id = live.start_live(db, "Live", [live.PickedProduct("A1", pick.variant_id)], 60, "o")
    await asyncio.to_thread(
        live.record_comment, db, live_id, Comment("c1", "psid-1", "Buyer", "CF A1 2", NOW)
    )
    conv, _ = shopper_says(db, "messenger:psid-1", "hello", NOW)
    screen = LiveScreen(ctx)
    screen.resize(1100, 640)
    screen.show()

    def state() -> str:
        item = screen.carts.item(0, 2)
        return item.text() if item is not None else ""

    def answer(kind: str, value: str) -> None:
        message = {"id": value, "kind": kind, "data" if kind == "postback" else "text": value}
        with db.write() as s:
            live_checkout.answer_checkout(s, conv, message, NOW, tmp_path)

    await until(lambda: state() == "Reserved, not checked out yet")
    assert screen.carts.item(0, 0).text() == "Buyer"
    await asyncio.to_thread(answer, "postback", selling.checkout_data(live_id, "psid-1"))
    await until(lambda: state() == "Checking out in Messenger: recipient's name")
    for said in ("Somchai Jaidee", "0812345678", "99/1 Sukhumvit Rd, Khlong Toei, Bangkok 10110"):
        await asyncio.to_thread(answer, "text", said)
    await until(lambda: state() == "Checking out in Messenger: shipping method")
    for data in ("ship:kerry", "pay:transfer", "checkout:confirm"):
        await asyncio.to_thread(answer, "postback", data)
    await until(lambda: state().endswith(" · awaiting payment"))
    board = screen.board
    assert board is not None and board.cart_rows[0].order_number in state()
    assert screen.carts.item(0, 1).text() == f"฿{board.cart_rows[0].total_satang / 100:,.2f}"
    screen.close()
