"""What the app does once at start after its window is shown: expired analytics events go."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from minichat_desktop.domain import analytics
from minichat_desktop.domain.models import utcnow
from minichat_desktop.ui.app import purge_analytics
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
