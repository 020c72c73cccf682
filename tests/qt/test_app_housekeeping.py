"""What the app does in the background once its window is shown: expired analytics events go,
scheduled broadcasts are sent when due, and customer segments are kept fresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from minichat_desktop.app import live
from minichat_desktop.demo import chats as demo_chats
from minichat_desktop.domain.activity import analytics
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import rfm
from minichat_desktop.domain.marketing import broadcasts
from minichat_desktop.domain.models import utcnow
from minichat_desktop.ui.app import (
    purge_analytics,
    refresh_segments,
    release_live_carts,
    send_due_broadcasts,
)
from minichat_desktop.ui.context import AppContext


async def test_start_purges_events_older_than_the_retention(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx()
    now = utcnow()

    def seed(session: Any) -> None:
        analytics.set_retention_days(session, 90)
        for days in (400, 91, 89, 0):
            analytics.record(
                session,
                analytics.MESSAGE_RECEIVED,
                at=now - dt.timedelta(days=days),
                data={"days": days},
            )

    ctx.ops.write_now(seed)
    assert await purge_analytics(ctx) == 2
    kept = ctx.ops.read_now(analytics.events)
    assert [e.data["days"] for e in kept] == [89, 0]
    assert await purge_analytics(ctx) == 0


async def test_a_scheduled_broadcast_is_queued_once_it_is_due(
    make_ctx: Callable[..., AppContext],
) -> None:
    """The app's scheduler round: due broadcasts go to the outbox; early ones wait."""
    ctx = make_ctx()
    now = utcnow()

    def seed(session: Any) -> tuple[int, int]:
        for n in range(3):
            convs.record_inbound(
                session,
                f"widget:shopper-{n}",
                {"id": f"in{n}", "kind": "text", "text": "สวัสดีค่ะ"},
                now - dt.timedelta(minutes=5),
            )
        due = broadcasts.create_broadcast(session, "owner", title="วันนี้", text="ลด 10% ค่ะ")
        broadcasts.schedule(session, due.id, "owner", now + dt.timedelta(seconds=1), now)
        later = broadcasts.create_broadcast(session, "owner", title="พรุ่งนี้", text="พรุ่งนี้")
        broadcasts.schedule(session, later.id, "owner", now + dt.timedelta(days=1), now)
        return due.id, later.id

    due_id, later_id = ctx.ops.write_now(seed)
    topics: list[set[str]] = []
    ctx.ops.changed.connect(topics.append)
    assert await send_due_broadcasts(ctx, now) == 0  # not yet
    in_two_seconds = now + dt.timedelta(seconds=2)
    assert await send_due_broadcasts(ctx, in_two_seconds) == 3
    assert len(ctx.ops.read_now(convs.pending_outbox)) == 3
    assert ctx.ops.read_now(broadcasts.get_broadcast, later_id).status == "scheduled"
    assert ctx.ops.read_now(broadcasts.get_broadcast, due_id).status != "scheduled"
    assert await send_due_broadcasts(ctx, in_two_seconds) == 0  # never twice
    # The screens heard what changed, without the scheduler naming it.
    assert {"broadcasts", "conversations", "outbox"} <= topics[-1]


async def test_segments_are_recomputed_when_stale(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    demo_chats.prepare_demo_shop(ctx.ops.db)
    assert await refresh_segments(ctx)  # never computed
    first = ctx.ops.read_now(rfm.last_computed)
    assert first is not None
    assert ctx.ops.read_now(rfm.segment_counts)  # the demo's buyers have segments
    assert not await refresh_segments(ctx)  # fresh
    assert await refresh_segments(ctx, max_age_s=0)
    assert ctx.ops.read_now(rfm.last_computed) > first


async def test_unpaid_live_carts_go_back_when_the_hold_runs_out(
    make_ctx: Callable[..., AppContext],
) -> None:
    """The same round releases live carts whose hold after the live ran out, and only then."""
    ctx = make_ctx()
    db = ctx.ops.db
    with db.write() as s:
        vid = (
            catalog.save_product(
                s,
                catalog.ProductInput(sku="LV-1", name_th="กระเป๋า", price_satang=9_900, stock=4),
                "o",
            )
            .variants[0]
            .id
        )
    start = utcnow()
    live_id = live.start_live(db, "", [live.PickedProduct("A1", vid)], 30, "owner", lambda: start)
    live.record_comment(db, live_id, live.Comment("c1", "fb1", "แพร", "CF A1 3", start))
    live.end_live(db, live_id, 30, lambda: start)
    assert await release_live_carts(ctx, start + dt.timedelta(minutes=29)) == 0
    topics: list[set[str]] = []
    ctx.ops.changed.connect(topics.append)
    assert await release_live_carts(ctx, start + dt.timedelta(minutes=30)) == 1
    assert ctx.ops.read_now(stock.level, vid).stock == 4
    assert {"live", "catalog"} <= topics[-1]
    assert await release_live_carts(ctx, start + dt.timedelta(minutes=31)) == 0
