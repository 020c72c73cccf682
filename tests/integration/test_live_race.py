"""The issue's race: a live with 200 comments from 50 commenters racing for a product with 10 in
stock, worked through ``record_comment`` from several threads against one real SQLite file.
Exactly 10 are reserved, every other comment is told "sold out", every comment is answered once,
and the stock ledger agrees with the level."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from minichat_desktop.app import live
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.live.selling import Comment, PickedProduct, Result
from minichat_desktop.domain.models import LiveCartItem, OutboxItem, ProductVariant
from minichat_desktop.storage.db import Database

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def test_200_comments_from_50_commenters_race_for_10_in_stock(db: Database) -> None:
    with db.write() as s:
        vid = (
            catalog.save_product(
                s, ProductInput(sku="DRESS-12", name_th="เดรส", price_satang=39_000, stock=10), "o"
            )
            .variants[0]
            .id
        )
    live_id = live.start_live(db, "ไลฟ์", [PickedProduct("A12", vid)], 60, "owner")
    texts = ["CF A12", "cf a12", "F A12", "เอา A12 1 ตัว"]
    comments = [
        Comment(f"{n}_{k}", f"fb{n}", f"ลูกค้า {n}", texts[k], T0 + dt.timedelta(seconds=k))
        for n in range(50)
        for k in range(4)
    ]
    random.Random(19).shuffle(comments)
    # Meta redelivers: a tenth of the comments arrive twice, on other threads.
    deliveries = comments + comments[::10]
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda c: live.record_comment(db, live_id, c), deliveries))

    first = [o for o in outcomes if not o.duplicate]
    assert len(first) == 200 and sum(o.duplicate for o in outcomes) == 20
    units = sum(o.quantity for o in first if o.result is Result.RESERVED)
    by_result = {r: sum(o.result is r for o in first) for r in {o.result for o in first}}
    assert units == 10 and by_result == {Result.RESERVED: 10, Result.SOLD_OUT: 190}
    with db.read() as s:
        assert s.scalar(select(ProductVariant.stock).where(ProductVariant.id == vid)) == 0
        assert s.scalar(select(func.sum(LiveCartItem.quantity))) == 10
        frames = s.scalars(select(OutboxItem.frame)).all()
        assert stock.ledger_sums(s, [vid]) == {vid: 0}
    recipients = [f["conversation"] for f in frames]
    assert sorted(recipients) == sorted(f"comment:{c.comment_id}" for c in comments)
    sold_out = [f for f in frames if "หมดแล้ว" in f["message"]["text"]]
    reserved = [f for f in frames if f["message"]["kind"] == "buttons"]
    assert (len(sold_out), len(reserved)) == (190, 10)
    # Every commenter is answered once on each of their comments: 50 people, 4 answers each.
    author = {f"comment:{c.comment_id}": c.commenter_id for c in comments}
    per_commenter: dict[str, int] = {}
    for r in recipients:
        per_commenter[author[r]] = per_commenter.get(author[r], 0) + 1
    assert len(per_commenter) == 50 and set(per_commenter.values()) == {4}
