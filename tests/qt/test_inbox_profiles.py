"""Shoppers' pictures and channel marks in the inbox (issue 19): each conversation row shows its
channel's own mark (web chat, LINE, Messenger, Instagram) on a round avatar — the shopper's
profile picture, or their initials on a tinted circle — and the customer panel shows the
picture and the name. Real widgets offscreen on a real database and real picture files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QStyleOptionViewItem
from support.waiting import until

from minichat_desktop.domain import inbox_reads
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers
from minichat_desktop.domain.models import IdentityKind
from minichat_desktop.storage.db import Database
from minichat_desktop.ui import avatars, theme
from minichat_desktop.ui.chat_models import (
    AVATAR,
    ROLE_AVATAR,
    ConversationDelegate,
    ConversationListModel,
)
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.inbox import InboxScreen

RED = (230, 20, 20)
KINDS = {
    "line": IdentityKind.LINE,
    "messenger": IdentityKind.MESSENGER,
    "instagram": IdentityKind.INSTAGRAM,
}


def _chat(db: Database, ref: str, name: str = "", picture: str | None = None) -> int:
    with db.write() as s:
        rec = convs.record_inbound(s, ref, {"id": f"{ref}-1", "kind": "text", "text": "สวัสดี"})
        assert rec is not None
        convs.mark_read(s, rec.conversation.id)
        channel, _, user = ref.partition(":")
        if channel in KINDS:
            customers.set_channel_profile(s, KINDS[channel], user, name, picture)
        return rec.conversation.id


def _picture(data_dir: Path, name: str) -> str:
    folder = data_dir / "media" / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (80, 60), RED).save(folder / name, "JPEG")
    return f"media/profiles/{name}"


def _near(c: QColor, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(
        abs(a - b) <= tolerance for a, b in zip((c.red(), c.green(), c.blue()), rgb, strict=True)
    )


def _centre(img: QImage) -> QColor:
    return img.pixelColor(img.width() // 2, img.height() // 2)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    c = QColor(hex_colour)
    return c.red(), c.green(), c.blue()


def _row_image(model: ConversationListModel, row: int) -> QImage:
    """The delegate's painting of one row, 320×64, on a white canvas."""
    delegate = ConversationDelegate()
    pm = QPixmap(320, ConversationDelegate.HEIGHT)
    pm.fill(QColor(theme.WHITE))
    painter = QPainter(pm)
    option = QStyleOptionViewItem()
    option.rect = QRect(0, 0, 320, ConversationDelegate.HEIGHT)
    delegate.paint(painter, option, model.index(row))
    painter.end()
    return pm.toImage()


def _share(img: QImage, box: QRect, rgb: tuple[int, int, int]) -> float:
    """How much of ``box`` in ``img`` is the colour ``rgb`` (the web chat's blue and
    Messenger's are close: a small tolerance tells them apart)."""
    hits = sum(
        _near(img.pixelColor(x, y), rgb, 12)
        for x in range(box.left(), box.right() + 1)
        for y in range(box.top(), box.bottom() + 1)
    )
    return hits / (box.width() * box.height())


def test_initials_take_a_thai_names_first_consonant_and_latin_initials() -> None:
    """สมหญิง → ส; a leading vowel is skipped (เอ๋ → อ); Latin names give two letters; a
    name with no letters gives "?"."""
    assert avatars.initials("สมหญิง ใจดี") == "ส"
    assert avatars.initials("เอ๋ ขายดี") == "อ"
    assert avatars.initials("nok ja") == "NJ"
    assert avatars.initials("pim.pim") == "P"
    assert avatars.initials("Messenger user #def6") == "MU"
    assert avatars.initials("  ") == "?"


def test_each_row_shows_its_channels_mark_on_a_round_avatar(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """The Messenger, Instagram, LINE and web chat rows each carry their brand's mark on the
    avatar's corner; a kept picture fills the avatar's circle (its corners stay clear), and a
    shopper with none shows their initials on their tint."""
    ctx = make_ctx()
    db = ctx.ops.db
    pic = _picture(ctx.data_dir, "somying.jpg")
    _chat(db, "messenger:2233445566778899", "สมหญิง ใจดี", pic)
    _chat(db, "instagram:17841400000000001", "Nok Shop Lover")
    _chat(db, "line:U206d25c2ea6bd87c17655609a1c37cb8", "ต้นกล้า")
    _chat(db, "widget:profileWidget01")
    rows = ctx.ops.peek(inbox_reads.conversation_page, limit=10)
    model = ConversationListModel(ctx.data_dir)
    model.reset(rows, more=False)
    by_channel = {r.channel: i for i, r in enumerate(rows)}
    assert set(by_channel) == {"messenger", "instagram", "line", "widget"}

    photo = model.data(model.index(by_channel["messenger"]), ROLE_AVATAR).toImage()
    side = photo.width()
    assert side == int(AVATAR * avatars.RATIO)
    assert _near(photo.pixelColor(side // 2, side // 2), RED)
    assert photo.pixelColor(1, 1).alpha() == 0  # round: the square's corner is clear

    plain = model.data(model.index(by_channel["instagram"]), ROLE_AVATAR).toImage()
    assert not _near(plain.pixelColor(side // 2, side // 4), RED)
    assert plain.pixelColor(1, 1).alpha() == 0

    top = (ConversationDelegate.HEIGHT - AVATAR) // 2
    mark = QRect(10 + AVATAR - 16 + 3, top + AVATAR - 16 + 3, 16, 16)
    for channel, colour in theme.CHANNEL_COLORS.items():
        if channel not in by_channel:
            continue
        img = _row_image(model, by_channel[channel])
        brand = _rgb(colour) if channel != "widget" else _rgb(theme.BLUE)
        assert _share(img, mark, brand) > 0.25, channel
        others = [c for c in ("messenger", "instagram", "line") if c != channel]
        for other in others:
            assert _share(img, mark, _rgb(theme.CHANNEL_COLORS[other])) < 0.05, (channel, other)


async def test_the_customer_panel_shows_the_picture_and_the_name(
    make_ctx: Callable[..., AppContext], qtbot: Any
) -> None:
    """Opening a Messenger chat shows the customer's picture and name with the channel's
    word; a LINE chat of a shopper with no picture shows their initials."""
    ctx = make_ctx()
    db = ctx.ops.db
    pic = _picture(ctx.data_dir, "mali.jpg")
    fb = _chat(db, "messenger:9988776655443322", "Mali Sriwan", pic)
    line = _chat(db, "line:Uaaaabbbbccccddddeeeeffff00001111", "ต้นกล้า")
    screen = InboxScreen(ctx)
    screen.resize(1366, 728)
    screen.show()
    await asyncio.sleep(0)
    screen.open_conversation(fb)
    panel = screen.customer
    assert (panel.who.full_text(), panel.channel.text()) == ("Mali Sriwan", "Messenger")
    shown = panel.picture.pixmap().toImage()
    assert _near(shown.pixelColor(shown.width() // 2, shown.height() // 2), RED)
    screen.open_conversation(line)
    assert (panel.who.full_text(), panel.channel.text()) == ("ต้นกล้า", "LINE")
    initials = panel.picture.pixmap().toImage()
    assert not _near(initials.pixelColor(initials.width() // 2, initials.height() // 4), RED)
    # the relay link stores pictures later: the rows shown and the open chat's panel follow
    later, other = _picture(ctx.data_dir, "tonkla.jpg"), _picture(ctx.data_dir, "mali2.jpg")
    with db.write() as s:
        customers.set_channel_profile(
            s, IdentityKind.LINE, "Uaaaabbbbccccddddeeeeffff00001111", "Tonkla", later
        )
        customers.set_channel_profile(s, IdentityKind.MESSENGER, "9988776655443322", "", other)
    ctx.signals.conversations_changed_sig.emit([line, fb])
    rows = screen.list_model.rows
    await until(lambda: rows[screen.list_model.row_of(fb)].customer_picture == other)
    await until(lambda: rows[screen.list_model.row_of(line)].customer_picture == later)
    await until(lambda: _near(_centre(panel.picture.pixmap().toImage()), RED))
    assert panel.who.full_text() == "ต้นกล้า"  # the name the shop had stays
    await asyncio.sleep(0.5)
    screen.close()
    screen.deleteLater()
    await asyncio.sleep(0.05)
