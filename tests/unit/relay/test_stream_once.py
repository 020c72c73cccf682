"""A shopper's message is stored once (schema 3): its history row is also its stream item, so
the desktop gets the very frame the live path sends, acks it away like any stream item, and a
data folder made by a schema-2 relay, with message rows still in its stream, keeps working."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from relay import protocol as p
from relay.storage import SCHEMA_VERSION, Store, stream_message


def _json(mid: str) -> str:
    return p.encode_obj(p.Message(mid, p.Text("มีเสื้อยืดสีแดงไหม")).to_obj())


def _shopper(store: Store, shop_id: str, conv: str, mid: str) -> tuple[int, bool, int]:
    msg = p.Message(mid, p.Text("มีเสื้อยืดสีแดงไหม"))
    return store.add_shopper_message(shop_id, conv, msg, _json(mid))


def _rows(store: Store, table: str) -> int:
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_a_shopper_message_is_one_row_and_one_stream_item(tmp_path: Path) -> None:
    store = Store(tmp_path)
    try:
        shop_id, _ = store.add_shop("ร้าน")
        sid, _ = store.new_session(shop_id)
        conv = f"widget:{sid}"
        store.commit()
        cseq, is_new, seq = _shopper(store, shop_id, conv, "w-1")
        store.push_stream(shop_id, lambda s: p.Receipt(conv, p.ReceiptStatus.SENT, ("r-1",), s))
        again = _shopper(store, shop_id, conv, "w-1")  # resent after a reconnect: not stored
        _, _, seq2 = _shopper(store, shop_id, conv, "w-2")
        store.commit()

        assert (cseq, is_new, seq) == (1, True, 1)
        assert again == (1, False, 0)
        assert seq2 == 3  # the resend took no seq: none is skipped
        assert (_rows(store, "history"), _rows(store, "stream")) == (2, 1)
        items = store.stream_after(shop_id, 0)
        assert [s for s, _ in items] == [1, 2, 3]
        # byte for byte the frame the live path sent
        assert items[0][1] == stream_message(1, conv, _json("w-1"))
        assert items[0][1] == p.encode_message_frame(1, _json("w-1"), conversation=conv)
        assert store.pending_count(shop_id) == 3
        # "delivered" shows in the widget's history only once the desktop acked the message
        assert [h.status for h in store.history(shop_id, conv, 0)] == [None, None]
        acked, delivered = store.ack_stream(shop_id, 2)
        store.commit()
        assert (acked, delivered) == (2, {conv: ["w-1"]})
        assert [h.status for h in store.history(shop_id, conv, 0)] == [
            p.ReceiptStatus.DELIVERED,
            None,
        ]
        assert [s for s, _ in store.stream_after(shop_id, acked)] == [3]
        assert store.pending_count(shop_id) == 1
    finally:
        store.close()


def test_a_schema_2_folder_keeps_its_waiting_messages(tmp_path: Path) -> None:
    """A schema-2 relay kept a copy of each message in the stream. After the upgrade the
    desktop still gets those, then the new ones, in seq order, and acks them all away."""
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    sid, _ = store.new_session(shop_id)
    conv = f"widget:{sid}"
    store.commit()
    store.close()
    db = sqlite3.connect(tmp_path / "relay.sqlite3")  # what a schema-2 relay left behind
    db.execute("DROP INDEX history_stream")
    db.execute("ALTER TABLE history DROP COLUMN seq")
    db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    old = p.encode_message_frame(1, _json("w-old"), conversation=conv)
    db.execute(
        "INSERT INTO history(shop_id, conversation, cseq, origin, msg_id, message, created_at)"
        " VALUES(?,?,1,'shopper','w-old',?,0)",
        (shop_id, conv, _json("w-old")),
    )
    db.execute(
        "INSERT INTO stream(shop_id, seq, frame, conversation, msg_id) VALUES(?,1,?,?,'w-old')",
        (shop_id, old, conv),
    )
    db.execute("UPDATE shops SET next_seq=2 WHERE id=?", (shop_id,))
    db.commit()
    db.close()

    again = Store(tmp_path)
    try:
        version = again.db.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert int(version.fetchone()[0]) == SCHEMA_VERSION == 5
        assert _shopper(again, shop_id, conv, "w-new") == (2, True, 2)
        again.commit()
        assert again.stream_after(shop_id, 0) == [
            (1, old),
            (2, stream_message(2, conv, _json("w-new"))),
        ]
        assert [h.status for h in again.history(shop_id, conv, 0)] == [None, None]
        assert again.ack_stream(shop_id, 2) == (2, {conv: ["w-old", "w-new"]})
        again.commit()
        assert again.stream_after(shop_id, 0) == []
        delivered = p.ReceiptStatus.DELIVERED
        assert [h.status for h in again.history(shop_id, conv, 0)] == [delivered, delivered]
    finally:
        again.close()


def test_purge_keeps_an_old_message_the_desktop_has_not_acked(tmp_path: Path) -> None:
    """History older than 90 days goes, but a shopper message still waiting for the desktop
    is a queue item: it stays until acked, then goes at the next purge."""
    store = Store(tmp_path)
    try:
        shop_id, _ = store.add_shop("ร้าน")
        conv = "widget:AAAAAAAAAAAAAAAA"
        for mid in ("m0", "m1", "m2"):
            _shopper(store, shop_id, conv, mid)
        store.ack_stream(shop_id, 1)
        store.commit()
        store.db.execute("UPDATE history SET created_at=created_at-100*86400")
        store.purge()
        assert [s for s, _ in store.stream_after(shop_id, 0)] == [2, 3]
        store.ack_stream(shop_id, 3)
        store.purge()
        assert _rows(store, "history") == 0
    finally:
        store.close()


def test_a_delivered_receipt_lives_on_the_messages_rows(tmp_path: Path) -> None:
    """The widget acked three shop messages (one the relay's own away notice): the receipt
    takes one seq and writes no row of its own; the desktop gets the same frame from the
    store after a reconnect, even when its page limit falls inside the receipt."""
    store = Store(tmp_path)
    try:
        shop_id, _ = store.add_shop("ร้าน")
        conv = "widget:AAAAAAAAAAAAAAAA"
        for mid in ("r-1", "relay-away-1", "r-2", "r-3"):
            store.add_history(shop_id, conv, p.Origin.SHOP, p.Message(mid, p.Text("ค่ะ")))
        store.commit()
        before = store.rows_written
        made = store.mark_delivered(shop_id, conv, 0, 3)  # the widget acked cseq 1..3
        store.commit()
        frame = p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-1", "r-2"), 1))
        assert made == (1, frame)
        assert _rows(store, "stream") == 0
        assert store.rows_written - before == 2  # the 2 rows marked (the shop's written behind)
        assert store.mark_delivered(shop_id, conv, 0, 3) is None  # nothing new: no seq taken
        _, _, seq = _shopper(store, shop_id, conv, "w-1")
        assert seq == 2
        assert store.stream_after(shop_id, 0) == [made, (2, stream_message(2, conv, _json("w-1")))]
        assert store.stream_after(shop_id, 0, limit=1) == [made]  # cut inside: read whole
        store.ack_stream(shop_id, 1)
        assert [s for s, _ in store.stream_after(shop_id, 0)] == [2]
    finally:
        store.close()


def _shop_messages(store: Store, shop_id: str, conv: str, *ids: str) -> None:
    for mid in ids:
        store.add_history(shop_id, conv, p.Origin.SHOP, p.Message(mid, p.Text("ค่ะ")))


def test_a_receipt_whose_ack_rode_in_a_message_rides_on_its_row(tmp_path: Path) -> None:
    """The widget's ack of the shop's messages came inside the shopper's next message: the
    "delivered" receipt takes the seq just before the message's and is stored on the
    message's row, so the round trip writes that one row; the desktop gets the same frames
    from the store (after a crash too), and a repeated ack makes no second receipt."""
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    conv = "widget:AAAAAAAAAAAAAAAA"
    _shop_messages(store, shop_id, conv, "r-1", "relay-away-1", "r-2")
    store.commit()
    assert store.widget_ack(shop_id, conv, 3, read=False) == ["r-1", "relay-away-1", "r-2"]
    before = store.rows_written
    msg = p.Message("w-1", p.Text("มีเสื้อยืดสีแดงไหม"))
    cseq, is_new, seq, receipt = store.add_shopper_message_delivering(
        shop_id,
        conv,
        msg,
        _json("w-1"),
        (0, 99),  # (an ack past the end counts to the end)
    )
    store.commit()
    frame = p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-1", "r-2"), 1))
    assert (cseq, is_new, seq, receipt) == (4, True, 2, [(1, frame)])
    assert store.rows_written - before == 1  # the message's row, nothing else
    message = (2, stream_message(2, conv, _json("w-1")))
    assert store.stream_after(shop_id, 0) == [(1, frame), message]
    assert store.stream_after(shop_id, 0, limit=1) == [(1, frame)]
    assert store.stream_after(shop_id, 1) == [message]

    # the relay dies (no close: counters written behind are lost); a new one rebuilds them
    again = Store(tmp_path)
    try:
        assert again.last_seq(shop_id) == 2
        assert again.conversation_state(shop_id, conv) == (3, 0)
        assert again.widget_ack(shop_id, conv, 3, read=False) == []  # repeated: no receipt
        assert again.stream_after(shop_id, 0) == [(1, frame), message]
        _, _, seq2 = _shopper(again, shop_id, conv, "w-2")
        assert seq2 == 3  # no seq reused
        # a resent message with an ack: the receipt goes on the shop's messages' rows
        _shop_messages(again, shop_id, conv, "r-3")
        resent = again.add_shopper_message_delivering(shop_id, conv, msg, _json("w-1"), (3, 6))
        again.commit()
        late = p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-3",), 4))
        assert resent == (4, False, 0, [(4, late)])
        assert [s for s, _ in again.stream_after(shop_id, 0)] == [1, 2, 3, 4]
        assert again.ack_stream(shop_id, 4) == (4, {conv: ["w-1", "w-2"]})
        again.commit()
        assert again.stream_after(shop_id, 0) == []
    finally:
        again.close()
        store.close()


def test_a_seq_is_never_reused_though_the_counters_are_written_behind(tmp_path: Path) -> None:
    """The shop's row is written behind, except in the commit that deletes acked stream rows
    (their seqs are then on no row): after a crash the next seq is past every one handed out."""
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    conv = "widget:AAAAAAAAAAAAAAAA"
    store.commit()
    for _ in range(3):
        store.push_stream(shop_id, lambda s: p.Receipt(conv, p.ReceiptStatus.READ, ("r",), s))
    _shopper(store, shop_id, conv, "w-1")
    store.commit()
    store.ack_stream(shop_id, 3)  # deletes the three stream rows
    store.commit()
    again = Store(tmp_path)
    try:
        assert (again.last_seq(shop_id), again.pending_count(shop_id)) == (4, 1)
        assert [s for s, _ in again.stream_after(shop_id, 0)] == [4]
    finally:
        again.close()
        store.close()


def test_purge_keeps_what_an_unacked_riding_receipt_names(tmp_path: Path) -> None:
    """Old history goes, but not a shop message a riding receipt the desktop has not acked
    names, nor the row it rides on; once acked, both go."""
    store = Store(tmp_path)
    try:
        shop_id, _ = store.add_shop("ร้าน")
        conv = "widget:AAAAAAAAAAAAAAAA"
        _shop_messages(store, shop_id, conv, "r-1")
        msg = p.Message("w-1", p.Text("ค่ะ"))
        store.add_shopper_message_delivering(shop_id, conv, msg, _json("w-1"), (0, 1))
        store.commit()
        store.db.execute("UPDATE history SET created_at=created_at-100*86400")
        store.purge()
        frame = p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-1",), 1))
        assert store.stream_after(shop_id, 0)[0] == (1, frame)
        store.ack_stream(shop_id, 2)
        store.purge()
        assert _rows(store, "history") == 0
        # the conversation goes on after its last rows went: its positions are not reused
        assert _shopper(store, shop_id, conv, "w-2")[0] == 3
    finally:
        store.close()


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_pages_of_the_stream_skip_nothing_with_riding_receipts(tmp_path: Path, limit: int) -> None:
    """Riding receipts are read apart from the other items; a page (the desktop's resume, a
    page at a time) never holds one from past where the other items' page was cut."""
    store = Store(tmp_path)
    try:
        shop_id, _ = store.add_shop("ร้าน")
        conv = "widget:AAAAAAAAAAAAAAAA"
        _shop_messages(store, shop_id, conv, "a-1", "a-2")
        store.mark_delivered(shop_id, conv, 0, 2)  # seq 1, on two rows
        store.push_stream(shop_id, lambda s: p.Receipt(conv, p.ReceiptStatus.READ, ("a-1",), s))
        _shop_messages(store, shop_id, conv, "b-1")
        msg = p.Message("w-0", p.Text("ค่ะ"))
        store.add_shopper_message_delivering(shop_id, conv, msg, _json("w-0"), (2, 3))
        store.commit()
        whole = store.stream_after(shop_id, 0)
        assert [s for s, _ in whole] == [1, 2, 3, 4]
        got: list[tuple[int, str]] = []
        while not got or got[-1][0] < 4:
            page = store.stream_after(shop_id, got[-1][0] if got else 0, limit)
            assert 0 < len(page) <= limit
            got += page
        assert got == whole
    finally:
        store.close()


def test_a_read_receipt_rides_too_after_the_delivered_one(tmp_path: Path) -> None:
    """The widget's ack and read mark both came inside the shopper's next message: the
    "delivered" receipt takes seq - 2, the "read" one seq - 1, both on the message's row (one
    row written); the store rebuilds both, in that order, after a crash, and the read mark."""
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    conv = "widget:AAAAAAAAAAAAAAAA"
    _shop_messages(store, shop_id, conv, "r-1", "relay-away-1", "r-2")
    store.commit()
    store.widget_ack(shop_id, conv, 3, read=False)
    assert store.widget_ack(shop_id, conv, 3, read=True) == ["r-1", "relay-away-1", "r-2"]
    before = store.rows_written
    msg = p.Message("w-1", p.Text("ค่ะ"))
    made = store.add_shopper_message_delivering(
        shop_id, conv, msg, _json("w-1"), (0, 3), (0, 3, ("r-1", "r-2"))
    )
    store.commit()
    delivered = p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-1", "r-2"), 1))
    read = p.encode(p.Receipt(conv, p.ReceiptStatus.READ, ("r-1", "r-2"), 2))
    assert made == (4, True, 3, [(1, delivered), (2, read)])
    assert store.rows_written - before == 1
    message = (3, stream_message(3, conv, _json("w-1")))
    assert store.stream_after(shop_id, 0) == [(1, delivered), (2, read), message]
    assert store.stream_after(shop_id, 1) == [(2, read), message]
    assert store.stream_after(shop_id, 0, limit=1) == [(1, delivered)]
    again = Store(tmp_path)  # the relay died: what was written behind is rebuilt
    try:
        assert again.conversation_state(shop_id, conv) == (3, 3)
        assert again.widget_ack(shop_id, conv, 3, read=True) == []
        assert again.stream_after(shop_id, 0) == [(1, delivered), (2, read), message]
        # only a read mark riding (the ack had nothing new): it takes seq - 1
        _shop_messages(again, shop_id, conv, "r-3")
        msg2 = p.Message("w-2", p.Text("ค่ะ"))
        got = again.add_shopper_message_delivering(
            shop_id, conv, msg2, _json("w-2"), None, (3, 5, ("r-3",))
        )
        again.commit()
        read2 = p.encode(p.Receipt(conv, p.ReceiptStatus.READ, ("r-3",), 4))
        assert got == (6, True, 5, [(4, read2)])
        assert [s for s, _ in again.stream_after(shop_id, 3)] == [4, 5]
    finally:
        again.close()
        store.close()
