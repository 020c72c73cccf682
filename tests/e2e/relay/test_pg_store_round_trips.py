"""The PostgreSQL store's fewer round trips (relay/store_pg.py) against a real PostgreSQL
server: what a widget's ack, a desktop's ack and a commit's notifications do is what the
SQLite store does (the same calls, the same answers), whatever the store saves on the way —
the counters kept under the shop's lock, one statement for a stream ack, one notification
for a commit's events.

The PostgreSQL server is Debian's, started once for this module (tests/support/postgres.py);
each test has a database of its own. Two PgStore objects on one database stand for two relay
processes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.postgres import PostgresServer
from support.waiting import until

from relay import protocol as p
from relay.storage import NotFound, Store
from relay.store_pg import MAX_PAYLOAD, PgStore


@pytest.fixture
def stores(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Store, PgStore, PgStore]]:
    """A SQLite store and two PostgreSQL stores (two processes) on one new database."""
    monkeypatch.setenv("MINICHAT_RELAY_KEY", "zGcV7GqfM8LqEJmF2vJ8ZtX4Xj0hS0n3wE8m0p3Yq1s=")
    url = postgres.new_database()
    made = (Store(tmp_path / "sqlite"), PgStore(url, tmp_path / "a"), PgStore(url, tmp_path / "b"))
    yield made
    for store in made:
        store.close()


def _conversation(store: Store, replies: int) -> tuple[str, str]:
    """A shop, a widget session with one shopper message and ``replies`` shop messages
    (committed): (shop id, conversation)."""
    shop_id, _ = store.add_shop("ร้านทดสอบ")
    sid, _ = store.new_session(shop_id)
    conv = f"widget:{sid}"
    hello = p.Message("s1", p.Text("สวัสดีค่ะ"))
    store.add_shopper_message(shop_id, conv, hello, p.encode_obj(hello.to_obj()))
    for i in range(replies):
        store.add_history(shop_id, conv, p.Origin.SHOP, p.Message(f"r{i}", p.Text("ได้ค่ะ")))
    store.commit()
    return shop_id, conv


def _acks(store: Store, shop_id: str, conv: str) -> list[Any]:
    """A widget's acks and read marks as relay/app.py's _widget_ack makes them (the state
    read before and after each, the delivered receipt: up to the ack, or up to the new state
    when it rode in a send), then the desktop's stream acks; every answer, in order,
    committed in two transactions."""
    seen: list[Any] = []
    acks = ((2, False, False), (1, False, False), (3, True, False), (5, False, True))
    for seq, read, riding in (*acks, (9, False, False), (9, True, False)):
        had = store.conversation_state(shop_id, conv)
        ids = store.widget_ack(shop_id, conv, seq, read=read)
        now = store.conversation_state(shop_id, conv)
        up_to = now[0] if riding else seq
        made = None if read or not ids else store.mark_delivered(shop_id, conv, had[0], up_to)
        seen.append((had, ids, now, made))
        if seq == 3:
            store.commit()
    seen.append(store.conversation_state(shop_id, "widget:nobody"))
    seen.append(store.widget_ack(shop_id, "widget:nobody", 4, read=False))
    seen.append(store.conversation_state(shop_id, "widget:nobody"))
    for seq in (1, 1, 3, 99, 2):
        seen.append(store.ack_stream(shop_id, seq))
    store.commit()
    seen.append(store.pending_count(shop_id))
    seen.append(store.stream_after(shop_id, 0))
    return seen


def test_widget_and_desktop_acks_answer_as_on_sqlite(
    stores: tuple[Store, PgStore, PgStore],
) -> None:
    """The same acks on both stores give the same answers: the counters a widget ack leaves,
    the ids it covers, the delivered receipts (seq and frame) and what a stream ack delivers
    and leaves in the stream, also for a conversation that does not exist and an ack past the
    end."""
    sqlite, pg, _ = stores
    shop_s, conv_s = _conversation(sqlite, 6)
    shop_p, conv_p = _conversation(pg, 6)
    got_s = _acks(sqlite, shop_s, conv_s)
    got_p = _acks(pg, shop_p, conv_p)
    assert repr(got_p).replace(conv_p, "C") == repr(got_s).replace(conv_s, "C")
    assert got_p[0][1] == ["r0"]  # (the script does cover messages)
    assert got_p[-6] != got_p[-5]  # and the stream ack does move


def test_a_receipt_made_by_an_ack_and_not_asked_for_reaches_the_desktop_from_the_stream(
    stores: tuple[Store, PgStore, PgStore],
) -> None:
    """The "delivered" receipt a widget's ack makes is handed to the mark_delivered that
    follows it with the ack's old value; asked for from another value, it is not handed
    out twice (that call finds nothing new) but is in the stream for the desktop."""
    _, pg, _ = stores
    shop_id, conv = _conversation(pg, 4)
    assert pg.widget_ack(shop_id, conv, 3, read=False) == ["r0", "r1"]
    assert pg.mark_delivered(shop_id, conv, 1, 3) is None
    pg.commit()
    stream = pg.stream_after(shop_id, 1)
    assert [seq for seq, _ in stream] == [2]
    receipt = p.decode_to_desktop(stream[0][1])
    assert isinstance(receipt, p.Receipt)
    assert (receipt.status, receipt.ids) == (p.ReceiptStatus.DELIVERED, ("r0", "r1"))


def test_a_process_waiting_for_a_shop_another_holds_counts_the_wait(
    stores: tuple[Store, PgStore, PgStore],
) -> None:
    """B's write to a shop whose lock A's open transaction holds waits until A commits: B
    counts one lock taken and the seconds it waited (more than none)."""
    _, a, b = stores
    shop_id, _ = _conversation(a, 0)
    a.set_presence(shop_id, p.Presence.AWAY)  # A holds the shop's lock until its COMMIT
    before = b.lock_wait
    writer = threading.Thread(target=b.set_presence, args=(shop_id, p.Presence.ONLINE))
    writer.start()
    deadline = time.monotonic() + 20
    while not _waiting_for_lock(a):
        assert time.monotonic() < deadline, "B never waited for the shop's lock"
        time.sleep(0.01)
    a.commit()
    writer.join(20)
    b.commit()
    assert b.lock_wait[0] == before[0] + 1
    assert b.lock_wait[1] > before[1]
    assert b.shop(shop_id).presence is p.Presence.ONLINE


def _waiting_for_lock(store: PgStore) -> bool:
    """Whether a session waits for an advisory lock now (another connection than the open
    transaction's: run on a new one)."""
    with psycopg.connect(store.url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND NOT granted"
        ).fetchone()
    return row is not None and int(row[0]) > 0


def test_a_stream_ack_of_an_unknown_shop_is_not_found(
    stores: tuple[Store, PgStore, PgStore],
) -> None:
    _, pg, _ = stores
    with pytest.raises(NotFound):
        pg.ack_stream("shop_nonexistent", 3)
    pg.commit()


def test_counters_another_process_moved_meanwhile_make_no_wrong_receipt(
    stores: tuple[Store, PgStore, PgStore],
) -> None:
    """Process A keeps a conversation's counters as it last saw them; process B then acks
    further. A's next ack, made from A's older view as relay/app.py makes it, covers only
    what is new since B's and its receipt holds just that; within A's transaction the
    counters are exact again."""
    _, a, b = stores
    shop_id, conv = _conversation(a, 5)  # cseq 1: the shopper's s1; 2..6: r0..r4
    assert a.widget_ack(shop_id, conv, 2, read=False) == ["r0"]
    assert a.mark_delivered(shop_id, conv, 0, 2) is not None
    a.commit()
    assert a.conversation_state(shop_id, conv) == (2, 0)
    assert b.widget_ack(shop_id, conv, 4, read=False) == ["r1", "r2"]
    assert b.mark_delivered(shop_id, conv, 2, 4) is not None
    b.commit()
    had = a.conversation_state(shop_id, conv)[0]
    assert had == 2  # (A's view: behind)
    assert a.widget_ack(shop_id, conv, 5, read=False) == ["r3"]
    made = a.mark_delivered(shop_id, conv, had, 5)
    assert made is not None
    receipt = p.decode_to_desktop(made[1])
    assert isinstance(receipt, p.Receipt) and receipt.ids == ("r3",)
    assert a.conversation_state(shop_id, conv) == (5, 0)
    a.commit()
    assert b.widget_ack(shop_id, conv, 6, read=True) == ["r0", "r1", "r2", "r3", "r4"]
    b.commit()
    assert [seq for seq, _ in b.stream_after(shop_id, 1)] == [2, 3, 4]  # three receipts


def test_a_commits_events_reach_the_other_process_in_order_and_not_itself(
    stores: tuple[Store, PgStore, PgStore], arun: Any
) -> None:
    """600 events of one commit (more than one notification holds) reach process B whole and
    in order, each with the commit's time; process A's own listener gets none of them; a lone
    event later arrives as before."""
    _, a, b = stores
    shop_id, conv = _conversation(a, 0)
    text = "ข้อความยาว " * 20

    async def go() -> None:
        got_a: list[dict[str, Any]] = []
        got_b: list[dict[str, Any]] = []
        listeners = [
            asyncio.create_task(a.listen(got_a.append)),
            asyncio.create_task(b.listen(got_b.append)),
        ]
        await asyncio.sleep(0)  # both connect and LISTEN before the commit
        await until(lambda: _listening(a) >= 2, timeout=20)
        for n in range(600):
            a.notify({"k": "frame", "s": shop_id, "sid": conv, "text": f"{n} {text}"})
        a.commit()
        await until(lambda: len(got_b) >= 600, timeout=20)
        a.notify({"k": "stream", "s": shop_id, "seq": 7})
        a.commit()
        await until(lambda: len(got_b) == 601, timeout=20)
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        assert [int(e["text"].split()[0]) for e in got_b[:600]] == list(range(600))
        assert all(e["from"] == a.process_id and isinstance(e["at"], float) for e in got_b)
        assert got_b[600]["k"] == "stream" and got_b[600]["seq"] == 7
        assert got_a == []

    assert 600 * len(text.encode()) > 2 * MAX_PAYLOAD  # (several notifications' worth)
    arun(go())


def _listening(store: PgStore) -> int:
    """How many connections LISTEN on the relay's channel (pg_listening_channels is per
    session: counted from pg_stat_activity's LISTEN statements)."""
    row = store.query(
        "SELECT count(*) FROM pg_stat_activity WHERE datname=current_database()"
        " AND query LIKE 'LISTEN %'"
    ).fetchone()
    return int(row[0])
