"""The LINE outbox in the relay's store: a request is kept whole under its retry key until
LINE answers it for good; newer messages never join it; old databases are migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from relay import protocol as p
from relay.storage import SCHEMA_VERSION, Store

CONV = "line:U206d25c2ea6bd87c17655609a1c37cb8"


def _queue(store: Store, shop_id: str, *ids: str) -> None:
    for i in ids:
        store.enqueue_line(shop_id, CONV, p.Message(i, p.Text(i)))
    store.commit()


def test_a_request_is_kept_whole_and_newer_messages_wait_for_their_own(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    _queue(store, shop_id, "a", "b")
    items = store.line_unbatched(shop_id)
    body = b'{"to":"U","messages":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}'
    batch = store.line_add_batch(shop_id, CONV, body, [(items[0].id, 1), (items[1].id, 1)])
    store.commit()
    _queue(store, shop_id, "c")
    assert [i.msg_id for i in store.line_unbatched(shop_id)] == ["c"]
    store.line_batch_retry_later(batch.retry_key, 123.0)
    store.commit()
    store.close()

    again = Store(tmp_path)  # a restart: the very same request, same key and bytes
    kept = again.line_open_batch(shop_id)
    assert kept is not None
    assert (kept.retry_key, kept.body, kept.parts) == (batch.retry_key, body, batch.parts)
    assert (kept.attempts, kept.next_at) == (1, 123.0)
    assert [it.msg_id for it in again.line_batch_items(kept).values()] == ["a", "b"]
    # LINE refused "b" alone: it is done, "a" goes again in a new request with "c"
    again.line_done(items[1].id)
    again.line_batch_close(kept.retry_key)
    again.commit()
    assert again.line_open_batch(shop_id) is None
    assert [i.msg_id for i in again.line_unbatched(shop_id)] == ["a", "c"]
    again.close()


def test_a_version_1_database_is_migrated(tmp_path: Path) -> None:
    store = Store(tmp_path)
    shop_id, _ = store.add_shop("ร้าน")
    _queue(store, shop_id, "old")
    store.close()
    db = sqlite3.connect(tmp_path / "relay.sqlite3")
    db.execute("DROP TABLE line_batches")
    db.execute("ALTER TABLE line_outbox DROP COLUMN batch_key")
    db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    db.execute("UPDATE line_outbox SET attempts=2")  # a version 1 relay had tried it
    db.commit()
    db.close()

    again = Store(tmp_path)
    version = again.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION == 5
    (old,) = again.line_unbatched(shop_id)
    assert (old.msg_id, old.attempts) == ("old", 2)
    assert again.line_open_batch(shop_id) is None
    again.close()
