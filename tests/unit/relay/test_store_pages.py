"""The relay's SQLite file uses 4 KB pages when new (half the WAL frames, so half the write
calls, of 1 KB pages under load); a folder an older relay made with 1 KB pages opens and
works as it is, its pages unchanged (no silent rewrite of a big file at start)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from relay import protocol as p
from relay.storage import Store


def _page_size(folder: Path) -> int:
    db = sqlite3.connect(folder / "relay.sqlite3")
    try:
        return int(db.execute("PRAGMA page_size").fetchone()[0])
    finally:
        db.close()


def _round_trip(store: Store) -> list[int]:
    shop_id, _ = store.add_shop("ร้าน")
    sid, _ = store.new_session(shop_id)
    conv = f"widget:{sid}"
    msg = p.Message("w-1", p.Text("มีเสื้อยืดสีแดงไหม"))
    store.add_shopper_message(shop_id, conv, msg, p.encode_obj(msg.to_obj()))
    store.add_history(shop_id, conv, p.Origin.SHOP, p.Message("r-1", p.Text("มีค่ะ")))
    store.commit()
    return [s for s, _ in store.stream_after(shop_id, 0)]


def _works_then_page_size(folder: Path) -> int:
    """Open the folder's store, relay a round trip through it, close it: its page size."""
    store = Store(folder)
    try:
        assert _round_trip(store) == [1]
    finally:
        store.close()
    return _page_size(folder)


def test_a_new_store_has_4_kb_pages(tmp_path: Path) -> None:
    assert _works_then_page_size(tmp_path) == 4096


def test_a_store_made_with_1_kb_pages_keeps_them_and_works(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "relay.sqlite3")
    db.execute("PRAGMA page_size=1024")
    db.execute("PRAGMA journal_mode=WAL")  # (as an older relay left it)
    db.close()
    assert _works_then_page_size(tmp_path) == 1024
