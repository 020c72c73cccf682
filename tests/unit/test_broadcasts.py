"""Broadcasts: audience, opt-outs, one message per customer, LINE quota, batches, results."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import func, select

from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers, rfm
from minichat_desktop.domain.marketing import broadcasts as bc
from minichat_desktop.domain.marketing.broadcasts import Audience
from minichat_desktop.domain.models import (
    Channel,
    IdentityKind,
    Order,
    OutboxItem,
    PaymentMethod,
    PaymentStatus,
)
from minichat_desktop.errors import UserError
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
_n = itertools.count(1)


def _chat(s: Any, ref: str, minutes_ago: int) -> int:
    """A conversation started by the shopper ``minutes_ago``; returns the customer id."""
    rec = convs.record_inbound(
        s,
        ref,
        {"id": f"in{next(_n)}", "kind": "text", "text": "สวัสดีค่ะ"},
        NOW - dt.timedelta(minutes=minutes_ago),
    )
    assert rec is not None and rec.conversation.customer_id is not None
    return rec.conversation.customer_id


def _line(i: int) -> str:
    return f"line:U{i:032x}"


def _paid(s: Any, customer_id: int, baht: int) -> None:
    s.add(
        Order(
            number=f"B{next(_n):05d}",
            channel=Channel.LINE,
            customer_id=customer_id,
            subtotal_satang=baht * 100,
            total_satang=baht * 100,
            payment_method=PaymentMethod.PROMPTPAY,
            payment_status=PaymentStatus.PAID,
            created_at=NOW - dt.timedelta(days=2),
        )
    )


@pytest.fixture
def shop(db: Database) -> dict[str, int]:
    """Six customers: Nok on the widget and later LINE (one person), Pim on LINE (vip),
    Dao on the widget (vip, opted out), Mee who blocked the shop on LINE (vip), a walk-in
    (vip, no chat) and Joy on the widget (not vip)."""
    with db.write() as s:
        nok = _chat(s, "widget:nok-session-1", 300)
        nok_line = _chat(s, _line(1), 20)
        customers.update_customer(s, nok, "owner", name="นก", phone="0812345678", tags=["vip"])
        customers.merge_customers(s, nok, nok_line, "owner")
        pim = _chat(s, _line(2), 60)
        customers.update_customer(s, pim, "owner", name="พิม", tags=["vip", "ลูกค้าประจำ"])
        dao = _chat(s, "widget:dao-session-1", 30)
        customers.update_customer(s, dao, "owner", name="ดาว", tags=["vip"], opted_out=True)
        mee = _chat(s, _line(3), 10)
        customers.update_customer(s, mee, "owner", name="มี่", tags=["vip"])
        convs.record_notice(s, _line(3), "unfollow", NOW)
        walkin = customers.create_customer(s, "owner", name="หน้าร้าน", tags=["vip"]).id
        joy = _chat(s, "widget:joy-session-1", 5)
        customers.update_customer(s, joy, "owner", name="จอย", status="qualified")
        shirt = catalog.save_product(
            s,
            ProductInput(
                sku="TS-RED",
                name_th="เสื้อยืดสีแดง",
                price_satang=25900,
                stock=5,
                images=["https://shop.example/red.jpg"],
            ),
            "owner",
        ).id
        mug = catalog.save_product(
            s, ProductInput(sku="MUG", name_th="แก้วมัค", price_satang=15000, stock=0), "owner"
        ).id
    return dict(nok=nok, pim=pim, dao=dao, mee=mee, walkin=walkin, joy=joy, shirt=shirt, mug=mug)


def test_audience_one_recipient_each_in_their_latest_chat(
    db: Database, shop: dict[str, int]
) -> None:
    """Tag vip: Nok gets it once, on LINE (her latest chat); Pim on LINE; Dao opted out and
    Mee blocked the shop are left out on purpose; the walk-in has no chat."""
    with db.write() as s:
        pre = bc.preview_audience(s, Audience(tags=("vip",)), NOW)
        assert (pre.matched, pre.widget, pre.line, pre.opted_out, pre.unfollowed) == (5, 0, 2, 1, 1)
        assert (pre.unreachable, pre.recipients, pre.quota, pre.over_quota) == (1, 2, None, 0)
        b = bc.create_broadcast(
            s, "owner", title="ลดราคา", text="ลด 20% วันนี้เท่านั้นค่ะ", audience=Audience(tags=("vip",))
        )
        bc.send_now(s, b.id, "owner", NOW)
        report = bc.send_due(s, NOW)
        assert (report.queued, report.started, report.finished, report.more) == (
            2,
            (b.id,),
            (b.id,),
            False,
        )
        res = bc.results(s, b.id)
    by_customer = {r.customer_id: (r.channel, r.status, r.detail) for r in res.recipients}
    assert by_customer == {
        shop["nok"]: ("line", "queued", ""),
        shop["pim"]: ("line", "queued", ""),
        shop["dao"]: ("widget", "skipped", "opted_out"),
        shop["mee"]: ("line", "skipped", "unfollowed"),
    }
    assert res.counts == {"queued": 2, "skipped": 2}
    assert res.broadcast.status == "sent" and res.broadcast.sent_at == NOW
    with db.read() as s:
        frames = [f for _uid, f in convs.pending_outbox(s)]
    assert sorted(f["conversation"] for f in frames) == [_line(1), _line(2)]
    assert {f["message"]["text"] for f in frames} == {"ลด 20% วันนี้เท่านั้นค่ะ"}


def test_filters_combine_segment_status_and_channel(db: Database, shop: dict[str, int]) -> None:
    with db.write() as s:
        _paid(s, shop["pim"], 900)
        _paid(s, shop["joy"], 500)
        rfm.recompute(s, NOW)
        assert bc.preview_audience(s, Audience(segments=("new",)), NOW).recipients == 2
        only_widget = Audience(segments=("new",), channels=("widget",))
        assert bc.preview_audience(s, only_widget, NOW).widget == 1
        qualified = Audience(segments=("new",), statuses=("qualified",))
        pre = bc.preview_audience(s, qualified, NOW)
        assert (pre.matched, pre.widget, pre.line) == (1, 1, 0)
        assert bc.preview_audience(s, Audience(tags=("ลูกค้าประจำ",)), NOW).line == 1
        assert bc.preview_audience(s, Audience(), NOW).recipients == 3  # nok, pim, joy


def test_product_cards_with_the_text_as_intro(db: Database, shop: dict[str, int]) -> None:
    with db.write() as s:
        b = bc.create_broadcast(
            s,
            "owner",
            title="",
            text="สินค้าใหม่ค่ะ",
            product_ids=[shop["shirt"], shop["mug"]],
            audience=Audience(statuses=("qualified",)),
        )
        assert b.title == "สินค้าใหม่ค่ะ" and b.product_ids == (shop["shirt"], shop["mug"])
        bc.send_now(s, b.id, "owner", NOW)
        assert bc.send_due(s, NOW).queued == 1
        ((_uid, frame),) = convs.pending_outbox(s)
    msg = frame["message"]
    assert (msg["kind"], msg["text"]) == ("carousel", "สินค้าใหม่ค่ะ")
    shirt, mug = msg["cards"]
    assert (shirt["title"], shirt["price_satang"], shirt["in_stock"]) == ("เสื้อยืดสีแดง", 25900, True)
    assert shirt["image_url"] == "https://shop.example/red.jpg"
    assert mug["in_stock"] is False
    assert [b["data"] for b in mug["buttons"]] == [f"product:detail:{shop['mug']}"]


def test_line_quota_caps_pushes_and_counts_what_was_queued(
    db: Database, shop: dict[str, int]
) -> None:
    """With one push left, the preview says one recipient is over; sending pushes to the
    most recent LINE chat and skips the other; the quota then counts that push."""
    with db.write() as s:
        bc.store_line_quota(s, "2026-11", 499, 500, False, NOW - dt.timedelta(hours=1))
        pre = bc.preview_audience(s, Audience(tags=("vip",), channels=("line",)), NOW)
        assert (pre.line, pre.quota.remaining, pre.over_quota) == (2, 1, 1)  # type: ignore[union-attr]
        b = bc.create_broadcast(
            s,
            "owner",
            title="x",
            text="โปรใหม่",
            audience=Audience(tags=("vip",), channels=("line",)),
        )
        bc.send_now(s, b.id, "owner", NOW)
        bc.send_due(s, NOW)
        res = bc.results(s, b.id)
        quota = bc.line_quota(s, NOW + dt.timedelta(minutes=1))
    got = {r.customer_id: (r.status, r.detail) for r in res.recipients}
    assert got[shop["nok"]] == ("queued", "")  # her LINE chat is the most recent
    assert got[shop["pim"]] == ("skipped", "line_quota")
    assert quota is not None and (quota.used, quota.remaining) == (500, 0)
    with db.read() as s:
        # a new month starts from zero
        nxt = bc.line_quota(s, dt.datetime(2026, 12, 1, 1, tzinfo=dt.UTC))
        assert nxt is not None and (nxt.month, nxt.used, nxt.limit) == ("2026-12", 0, 500)


def test_batches_and_results_follow_message_states(db: Database, shop: dict[str, int]) -> None:
    with db.write() as s:
        b = bc.create_broadcast(s, "owner", title="t", text="สวัสดีค่ะ")
        bc.send_now(s, b.id, "owner", NOW)
        first = bc.send_due(s, NOW, limit=2)
        assert (first.queued, first.more, first.finished) == (2, True, ())
        assert bc.get_broadcast(s, b.id).status == "sending"
        second = bc.send_due(s, NOW, limit=2)
        assert (second.queued, second.more, second.finished) == (1, False, (b.id,))
        assert bc.send_due(s, NOW).queued == 0
        assert s.scalar(select(func.count(OutboxItem.id))) == 3
        rows = {r.customer_id: r for r in s.scalars(select(bc.BroadcastRecipient))}
        convs.mark_accepted(s, [r.message_uid for r in rows.values() if r.status == "sent"])
        joy = rows[shop["joy"]]
        convs.apply_receipt(s, joy.conversation_ref, "read", [joy.message_uid])
        pim = rows[shop["pim"]]
        convs.mark_failed(s, pim.message_uid)
        res = bc.results(s, b.id)
    assert res.counts == {"sent": 1, "read": 1, "failed": 1, "skipped": 2}
    assert res.reached == 2


def test_scheduled_waits_and_cancel_stops_it(db: Database, shop: dict[str, int]) -> None:
    later = NOW + dt.timedelta(hours=2)
    with db.write() as s:
        b = bc.create_broadcast(s, "owner", title="พรุ่งนี้", text="พบกันพรุ่งนี้")
        b = bc.schedule(s, b.id, "owner", later, NOW)
        assert (b.status, b.scheduled_at) == ("scheduled", later)
        assert bc.next_due(s) == later
        assert bc.send_due(s, NOW).queued == 0
        b = bc.update_broadcast(s, b.id, "owner", text="แก้ข้อความแล้ว")
        assert b.text == "แก้ข้อความแล้ว"
        bc.cancel(s, b.id, "owner")
        assert bc.send_due(s, later).queued == 0
        with pytest.raises(UserError) as err:
            bc.cancel(s, b.id, "owner")
        assert err.value.code == "broadcast.not_cancellable"
        with pytest.raises(UserError) as err:
            bc.update_broadcast(s, b.id, "owner", text="x")
        assert err.value.code == "broadcast.not_editable"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"text": "  "}, "broadcast.empty"),
        ({"text": "x" * 5001}, "broadcast.too_long"),
        ({"text": "😀" * 2501}, "broadcast.too_long"),  # 5,002 UTF-16 units, as LINE counts
        ({"text": "x", "audience": Audience(segments=("vip",))}, "broadcast.bad_segment"),
        ({"text": "x", "audience": Audience(statuses=("hot",))}, "broadcast.bad_status"),
        ({"text": "x", "audience": Audience(channels=())}, "broadcast.no_channel"),
        ({"product_ids": [999]}, "product.not_found"),
    ],
)
def test_bad_broadcasts_are_refused_and_nothing_is_stored(
    db: Database, kwargs: dict[str, Any], code: str
) -> None:
    with pytest.raises(UserError) as err, db.write() as s:
        bc.create_broadcast(s, "owner", title="t", **kwargs)
    assert err.value.code == code
    with db.read() as s:
        assert bc.list_broadcasts(s) == []


def test_thai_tags_match_however_they_are_stored(db: Database) -> None:
    with db.write() as s:
        c = _chat(s, "widget:tag-session-1", 1)
        customers.update_customer(s, c, "owner", tags=["ลูกค้าประจำ"])
        found = customers.find_by_identity(s, IdentityKind.WIDGET, "tag-session-1")
        assert found is not None and found.tags == ("ลูกค้าประจำ",)
        assert bc.preview_audience(s, Audience(tags=("ลูกค้าประจำ",)), NOW).widget == 1
        assert bc.known_tags(s) == ["ลูกค้าประจำ"]
