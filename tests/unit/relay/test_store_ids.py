"""Schema 5: a message id is unique in its conversation (and origin) without the index
``history_msg``: the store finds ids through the hashes it keeps per conversation and reads
the conversation's rows only when one may be there. A schema-4 folder is upgraded in place
(the index dropped, nothing lost) and its stored ids still stop a resend; a riding ack's
receipt names the very messages it did when its ids were read back from the rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from relay import protocol as p
from relay import storage
from relay.storage import SCHEMA_VERSION, Store


def _msg(mid: str, text: str = "มีเสื้อยืดสีแดงไหม") -> p.Message:
    return p.Message(mid, p.Text(text))


def _shopper(store: Store, shop_id: str, conv: str, mid: str) -> tuple[int, bool, int]:
    msg = _msg(mid)
    return store.add_shopper_message(shop_id, conv, msg, p.encode_obj(msg.to_obj()))


def _reply(store: Store, shop_id: str, conv: str, mid: str) -> tuple[int, bool]:
    return store.add_history(shop_id, conv, p.Origin.SHOP, _msg(mid, "มีค่ะ"))


def _rows(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM history").fetchone()[0])


def _indexes(folder: Path) -> set[str]:
    db = sqlite3.connect(folder / "relay.sqlite3")
    try:
        rows = db.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='history'"
        )
        return {str(r[0]) for r in rows}
    finally:
        db.close()


def _open_shop(folder: Path) -> tuple[Store, str, str]:
    store = Store(folder)
    shop_id, _ = store.add_shop("ร้าน")
    sid, _ = store.new_session(shop_id)
    store.commit()
    return store, shop_id, f"widget:{sid}"


def test_a_resent_id_is_not_stored_again_in_either_direction_even_after_a_restart(
    tmp_path: Path,
) -> None:
    store, shop_id, conv = _open_shop(tmp_path)
    try:
        assert _shopper(store, shop_id, conv, "m-1") == (1, True, 1)
        assert _reply(store, shop_id, conv, "m-1") == (2, True)  # the same id, the other way
        assert _shopper(store, shop_id, conv, "m-1") == (1, False, 0)
        assert _reply(store, shop_id, conv, "m-1") == (2, False)
        store.commit()
    finally:
        store.close()
    again = Store(tmp_path)
    try:
        assert _shopper(again, shop_id, conv, "m-1") == (1, False, 0)
        assert _reply(again, shop_id, conv, "m-1") == (2, False)
        assert again.find_message(shop_id, conv, p.Origin.SHOPPER, "m-1") == 1
        assert again.find_message(shop_id, conv, p.Origin.SHOP, "m-1") == 2
        assert again.find_message(shop_id, conv, p.Origin.SHOPPER, "m-2") is None
        assert _shopper(again, shop_id, conv, "m-2") == (3, True, 2)  # no seq was skipped
        again.commit()
        assert [h.message.id for h in again.history(shop_id, conv, 0)] == ["m-1", "m-1", "m-2"]
    finally:
        again.close()
    assert "history_msg" not in _indexes(tmp_path)


def test_a_schema_4_folder_is_upgraded_in_place_and_its_ids_still_stop_resends(
    tmp_path: Path,
) -> None:
    store, shop_id, conv = _open_shop(tmp_path)
    other = f"widget:{store.new_session(shop_id)[0]}"
    for i in range(1, 4):
        _shopper(store, shop_id, conv, f"w-{i}")
        _reply(store, shop_id, conv, f"r-{i}")
    _shopper(store, shop_id, other, "w-1")
    store.commit()
    store.close()
    db = sqlite3.connect(tmp_path / "relay.sqlite3")  # as a schema-4 relay left it
    db.execute("CREATE UNIQUE INDEX history_msg ON history(shop_id, conversation, origin, msg_id)")
    db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    db.commit()
    before = db.execute("SELECT * FROM history ORDER BY rowid").fetchall()
    db.close()
    assert "history_msg" in _indexes(tmp_path)

    again = Store(tmp_path)
    try:
        version = again.db.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert int(version.fetchone()[0]) == SCHEMA_VERSION == 5
        assert "history_msg" not in _indexes(tmp_path)
        assert again.db.execute("SELECT * FROM history ORDER BY rowid").fetchall() == before
        assert _shopper(again, shop_id, conv, "w-2") == (3, False, 0)
        assert _reply(again, shop_id, conv, "r-3") == (6, False)
        assert _shopper(again, shop_id, other, "w-1") == (1, False, 0)
        assert _shopper(again, shop_id, other, "w-2") == (2, True, 5)
        again.commit()
    finally:
        again.close()


def test_an_id_whose_row_was_purged_is_stored_again(tmp_path: Path) -> None:
    """The hashes kept may name rows gone since (purged): a hash found is checked against
    the rows, so such a message is stored as new, as it was with the index."""
    store, shop_id, conv = _open_shop(tmp_path)
    try:
        assert _shopper(store, shop_id, conv, "w-old") == (1, True, 1)
        store.commit()
        store.ack_stream(shop_id, 1)
        store.commit()
        store.db.execute("UPDATE history SET created_at=0")  # a year-old row
        store.purge(history_days=90)
        assert store.find_message(shop_id, conv, p.Origin.SHOPPER, "w-old") is None
        assert _shopper(store, shop_id, conv, "w-old") == (2, True, 2)
        store.commit()
        assert [h.seq for h in store.history(shop_id, conv, 0)] == [2]
    finally:
        store.close()


def test_a_riding_ack_names_the_shop_messages_the_rows_name(tmp_path: Path) -> None:
    """The ids of a receipt riding on a message (ADR 0012) come from the widget's ack in
    memory; after a restart the desktop rebuilds the very same receipt from the rows."""
    store, shop_id, conv = _open_shop(tmp_path)
    try:
        _shopper(store, shop_id, conv, "w-1")
        _reply(store, shop_id, conv, "r-1")
        store.add_history(shop_id, conv, p.Origin.SHOP, _msg("relay-away", "ไม่อยู่ค่ะ"))
        _reply(store, shop_id, conv, "r-2")
        assert store.widget_ack(shop_id, conv, 0, read=False) == []
        store.commit()
        # the widget acks r-1 .. r-2 (cseq 2..4) inside its next send
        ids = store.widget_ack(shop_id, conv, 4, read=False)
        assert ids == ["r-1", "relay-away", "r-2"]
        msg = _msg("w-2")
        cseq, is_new, seq, receipts = store.add_shopper_message_delivering(
            shop_id, conv, msg, p.encode_obj(msg.to_obj()), (0, 4)
        )
        store.commit()
        assert (cseq, is_new, seq) == (5, True, 3)
        live = [(2, p.encode(p.Receipt(conv, p.ReceiptStatus.DELIVERED, ("r-1", "r-2"), 2)))]
        assert receipts == live
    finally:
        store.close()
    again = Store(tmp_path)
    try:
        assert [i for i in again.stream_after(shop_id, 1) if i[0] == 2] == live
    finally:
        again.close()


def test_a_read_mark_riding_with_the_ack_names_what_it_covers_even_when_it_lags(
    tmp_path: Path,
) -> None:
    """A read mark riding with the widget's ack takes its ids from that ack when it covers
    them (no read back); when the shopper had not read what the widget already had, the
    read mark names those too."""
    store, shop_id, conv = _open_shop(tmp_path)
    try:
        _shopper(store, shop_id, conv, "w-1")
        _reply(store, shop_id, conv, "r-1")  # cseq 2
        # ack and read together, as an open chat sends them
        assert store.widget_ack(shop_id, conv, 2, read=False) == ["r-1"]
        assert store.widget_ack(shop_id, conv, 2, read=True) == ["r-1"]
        _shopper(store, shop_id, conv, "w-2")
        store.add_history(shop_id, conv, p.Origin.SHOP, _msg("relay-away", "ไม่อยู่ค่ะ"))
        _reply(store, shop_id, conv, "r-2")  # cseq 5
        assert store.widget_ack(shop_id, conv, 5, read=False) == ["relay-away", "r-2"]
        # (the chat was hidden: no read mark) then r-3, and the shopper opens the chat
        _reply(store, shop_id, conv, "r-3")  # cseq 6
        assert store.widget_ack(shop_id, conv, 6, read=False) == ["r-3"]
        assert store.widget_ack(shop_id, conv, 6, read=True) == ["relay-away", "r-2", "r-3"]
        assert store.conversation_state(shop_id, conv) == (6, 6)
        store.commit()
    finally:
        store.close()


def test_ids_dropped_to_bound_memory_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MSG_IDS_KEPT the conversations read first lose their ids in memory; a resend to
    one of them is still recognised (its ids are read from its rows again)."""
    monkeypatch.setattr(storage, "MSG_IDS_KEPT", 4)
    monkeypatch.setattr(storage, "MSG_IDS_IDLE", 0.0)  # (all of them idle enough to go)
    store, shop_id, first = _open_shop(tmp_path)
    try:
        convs = [first] + [f"widget:{store.new_session(shop_id)[0]}" for _ in range(3)]
        for conv in convs:
            for i in range(3):
                assert _shopper(store, shop_id, conv, f"w-{i}")[1]
        store.commit()
        for conv in convs:
            assert _shopper(store, shop_id, conv, "w-0")[:2] == (1, False)
            assert _shopper(store, shop_id, conv, "w-3")[:2] == (4, True)
        store.commit()
        assert _rows(store) == 16
    finally:
        store.close()


def test_conversations_that_go_on_keep_the_ids_bounded_once_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound holds while the same conversations go on (a relay's LINE chats last for
    years): it was checked only when a conversation was read, so the ids of conversations
    already read grew with every message. The least recently used go first; their resends
    are still recognised; the conversation being written keeps its ids even when it alone
    is past the bound."""
    monkeypatch.setattr(storage, "MSG_IDS_KEPT", 40)  # (each conversation: 30 ids)
    monkeypatch.setattr(storage, "MSG_IDS_IDLE", 0.0)
    store, shop_id, first = _open_shop(tmp_path)
    try:
        convs = [first] + [f"widget:{store.new_session(shop_id)[0]}" for _ in range(3)]
        for i in range(30):
            for conv in convs:
                assert _shopper(store, shop_id, conv, f"w-{i}")[1]
                assert sum(map(len, store._ids.values())) == store._msg_ids_kept
                assert store._msg_ids_kept <= 40
                assert list(store._ids)[-1] == (shop_id, conv)  # (the most recently used)
        store.commit()
        for conv in convs:
            assert _shopper(store, shop_id, conv, "w-0")[:2] == (1, False)
            assert _shopper(store, shop_id, conv, "w-29")[:2] == (30, False)
        for i in range(30, 60):  # one conversation alone past the bound
            assert _shopper(store, shop_id, first, f"w-{i}")[1]
        assert store._msg_ids_kept == len(store._ids[(shop_id, first)]) == 60
        store.commit()
        assert _rows(store) == 4 * 30 + 30
    finally:
        store.close()


def test_conversations_in_use_keep_their_ids_past_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Conversations that are all talking keep their ids past MSG_IDS_KEPT rather than drop
    them and read them back at every message (a bound on the total alone, tried: the relay
    fell to a third of a steady 1,600 round trips a second over 800 conversations)."""
    monkeypatch.setattr(storage, "MSG_IDS_KEPT", 40)
    store, shop_id, first = _open_shop(tmp_path)
    try:
        convs = [first] + [f"widget:{store.new_session(shop_id)[0]}" for _ in range(3)]
        for conv in convs:
            assert _shopper(store, shop_id, conv, "w-0")[1]
        sets = {key: id(ids) for key, ids in store._ids.items()}
        for i in range(1, 30):
            for conv in convs:
                assert _shopper(store, shop_id, conv, f"w-{i}")[1]
        assert {key: id(ids) for key, ids in store._ids.items()} == sets  # (none read again)
        assert store._msg_ids_kept == 4 * 30
        monkeypatch.setattr(storage, "MSG_IDS_IDLE", 0.0)  # now they have fallen silent
        assert _shopper(store, shop_id, first, "w-30")[1]
        assert list(store._ids) == [(shop_id, first)] and store._msg_ids_kept == 31
    finally:
        store.close()


def test_the_sessions_known_stay_bounded_and_are_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every new visitor of every shop makes a widget session: the cache of the ones known
    to exist used to keep each one made for as long as the relay ran."""
    monkeypatch.setattr(storage, "SESSIONS_KEPT", 50)
    store, shop_id, _ = _open_shop(tmp_path)
    sids = []
    for _ in range(400):
        sid, _token = store.new_session(shop_id)
        sids.append(sid)
        assert len(store._sessions) <= 50
    store.commit()
    assert all(store.has_session(shop_id, sid) for sid in sids)  # (read from the rows)
    assert len(store._sessions) <= 50
    assert not store.has_session(shop_id, "no-such-session")
    store.close()
