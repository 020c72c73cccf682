"""RFM scores and named segments, recomputed from orders.

Each buying customer gets three scores from 1 (worst) to 5 (best):

- **Recency** — days since the last counted order: ≤ 30 → 5, ≤ 60 → 4, ≤ 120 → 3,
  ≤ 365 → 2, older → 1.
- **Frequency** — counted orders: 1 → 1, 2 → 2, 3 → 3, 4–5 → 4, 6 or more → 5.
- **Monetary** — total spent. A shop with at least :data:`QUANTILE_MIN_BUYERS` buyers scores
  by quintiles of its own buyers (the top fifth gets 5); a smaller shop, where quintiles of a
  handful of people mean nothing, uses fixed amounts: < ฿500 → 1, < ฿1,500 → 2,
  < ฿5,000 → 3, < ฿15,000 → 4, more → 5.

Fixed thresholds for recency and frequency keep the scores meaningful for a shop with ten
customers as well as one with ten thousand (quantiles of a small shop's order counts are all
ties). Counted orders are paid and neither cancelled nor refunded, as for "total spent", less
what partial refunds gave back on them.

Segments, first rule that matches (``fm`` is the mean of frequency and monetary, rounded up):

==================== =========================================================
champions            recency ≥ 4 and fm ≥ 4
new                  recency ≥ 4 and exactly one order
loyal                recency ≥ 3 and frequency ≥ 3 (buys again and again)
potential_loyalist   recency ≥ 3 (recent, not yet a regular)
cant_lose            recency ≤ 2 and fm ≥ 4 (big buyers who stopped)
at_risk              recency ≤ 2 and fm = 3
hibernating          recency = 2
lost                 recency = 1
==================== =========================================================
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.models import (
    CustomerScore,
    Order,
    OrderStatus,
    PaymentStatus,
)


class Segment(StrEnum):
    CHAMPIONS = "champions"
    LOYAL = "loyal"
    POTENTIAL_LOYALIST = "potential_loyalist"
    NEW = "new"
    AT_RISK = "at_risk"
    CANT_LOSE = "cant_lose"
    HIBERNATING = "hibernating"
    LOST = "lost"


# Upper bounds (inclusive) in days for recency 5, 4, 3, 2; older is 1.
RECENCY_DAYS = (30, 60, 120, 365)
# Lowest order count for frequency 2, 3, 4, 5.
FREQUENCY_ORDERS = (2, 3, 4, 6)
# Lowest amount (satang) for monetary 2, 3, 4, 5 when the shop is too small for quintiles.
MONETARY_SATANG = (50_000, 150_000, 500_000, 1_500_000)
QUANTILE_MIN_BUYERS = 50


@dataclass(frozen=True, slots=True)
class Score:
    customer_id: int
    recency: int
    frequency: int
    monetary: int
    segment: Segment
    last_order_at: dt.datetime
    order_count: int
    spent_satang: int


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    customers: int
    segments: dict[str, int]
    monetary_by_quintile: bool


def recency_score(days: int) -> int:
    for score, limit in zip((5, 4, 3, 2), RECENCY_DAYS, strict=True):
        if days <= limit:
            return score
    return 1


def frequency_score(orders: int) -> int:
    return 1 + sum(orders >= t for t in FREQUENCY_ORDERS)


def monetary_score(spent_satang: int, cuts: tuple[int, ...] = MONETARY_SATANG) -> int:
    """1–5 from ``cuts`` (the lowest amounts for 2, 3, 4 and 5)."""
    return 1 + sum(spent_satang >= c for c in cuts)


def segment_of(recency: int, frequency: int, monetary: int, order_count: int) -> Segment:
    fm = (frequency + monetary + 1) // 2
    if recency >= 4 and fm >= 4:
        return Segment.CHAMPIONS
    if recency >= 4 and order_count == 1:
        return Segment.NEW
    if recency >= 3 and frequency >= 3:
        return Segment.LOYAL
    if recency >= 3:
        return Segment.POTENTIAL_LOYALIST
    if fm >= 4:
        return Segment.CANT_LOSE
    if fm == 3:
        return Segment.AT_RISK
    if recency == 2:
        return Segment.HIBERNATING
    return Segment.LOST


def _quintile_cuts(amounts: list[int]) -> tuple[int, ...]:
    """The lowest amounts for monetary 2..5 so each fifth of buyers gets one score (ties go up
    together, so equal spenders always share a score)."""
    ordered = sorted(amounts)
    n = len(ordered)
    return tuple(ordered[(n * k) // 5] for k in (1, 2, 3, 4))


def score_rows(
    rows: list[tuple[int, dt.datetime, int, int]], now: dt.datetime
) -> tuple[list[Score], bool]:
    """Scores for ``(customer_id, last_order_at, order_count, spent_satang)`` rows; also
    whether monetary was scored by quintiles."""
    by_quintile = len(rows) >= QUANTILE_MIN_BUYERS
    cuts = _quintile_cuts([r[3] for r in rows]) if by_quintile else MONETARY_SATANG
    scores = []
    for cid, last, count, spent in rows:
        days = max(0, (now - last).days)
        r, f = recency_score(days), frequency_score(count)
        m = monetary_score(spent, cuts)
        scores.append(Score(cid, r, f, m, segment_of(r, f, m, count), last, count, spent))
    return scores, by_quintile


_AGGREGATE = """
    SELECT o.customer_id, MAX(o.created_at), COUNT(o.id),
        COALESCE(SUM(o.total_satang - COALESCE(r.satang, 0)), 0)
    FROM orders o JOIN customers c ON c.id = o.customer_id
    LEFT JOIN (SELECT order_id, SUM(amount_satang) AS satang FROM refunds GROUP BY order_id) r
        ON r.order_id = o.id
    WHERE c.merged_into_id IS NULL AND o.payment_status = ? AND o.status NOT IN (?, ?)
    GROUP BY o.customer_id
"""
_INSERT = """
    INSERT INTO customer_scores (customer_id, recency, frequency, monetary, segment,
        last_order_at, order_count, spent_satang, computed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _stored(when: dt.datetime) -> str:
    """A time as the UTCDateTime columns store it (naive UTC text)."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def recompute(session: Session, now: dt.datetime) -> RecomputeResult:
    """Replace every customer's score from their counted orders (one aggregate query, one bulk
    insert, both straight on the driver: 100k orders take well under a second). Customers
    without a counted order get no score (no segment)."""
    session.flush()  # the driver does not autoflush
    conn = session.connection()
    raw = conn.exec_driver_sql(
        _AGGREGATE,
        (PaymentStatus.PAID.value, OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value),
    ).all()
    texts = {int(cid): last for cid, last, _n, _s in raw}
    rows = [
        (int(cid), dt.datetime.fromisoformat(last).replace(tzinfo=dt.UTC), int(n), int(spent))
        for cid, last, n, spent in raw
    ]
    scores, by_quintile = score_rows(rows, now)
    session.execute(delete(CustomerScore))
    if scores:
        computed = _stored(now)
        conn.exec_driver_sql(
            _INSERT,
            [
                (
                    sc.customer_id,
                    sc.recency,
                    sc.frequency,
                    sc.monetary,
                    sc.segment.value,
                    texts[sc.customer_id],
                    sc.order_count,
                    sc.spent_satang,
                    computed,
                )
                for sc in scores
            ],
        )
    session.expire_all()
    counts = Counter(sc.segment.value for sc in scores)
    return RecomputeResult(len(scores), dict(counts), by_quintile)


# Recency moves with the calendar: scores older than this are recomputed even if no order changed.
MAX_AGE = dt.timedelta(hours=12)


def stale(session: Session, now: dt.datetime, max_age: dt.timedelta = MAX_AGE) -> bool:
    """Whether the stored scores no longer tell the truth: never computed while someone has
    an order, an order written (placed, paid, cancelled, refunded, moved by a merge) since
    they were computed, or computed longer than ``max_age`` before ``now``."""
    computed = last_computed(session)
    changed = session.scalar(select(func.max(Order.updated_at)))
    if computed is None:
        return changed is not None
    return (changed is not None and changed > computed) or now - computed > max_age


def refresh(
    session: Session, now: dt.datetime, max_age: dt.timedelta = MAX_AGE
) -> RecomputeResult | None:
    """:func:`recompute` when the scores are :func:`stale`, else nothing (and nothing is
    written, so no screen refreshes for it); what a screen calls when it first shows the
    segments and after orders change."""
    return recompute(session, now) if stale(session, now, max_age) else None


def scores_of(session: Session, customer_ids: list[int]) -> dict[int, Score]:
    """The stored scores of these customers (those without orders are absent)."""
    if not customer_ids:
        return {}
    out: dict[int, Score] = {}
    for chunk in range(0, len(customer_ids), 900):
        ids = customer_ids[chunk : chunk + 900]
        for row in session.scalars(select(CustomerScore).where(CustomerScore.customer_id.in_(ids))):
            out[row.customer_id] = _score(row)
    return out


def _score(row: CustomerScore) -> Score:
    return Score(
        row.customer_id,
        row.recency,
        row.frequency,
        row.monetary,
        Segment(row.segment),
        row.last_order_at or row.computed_at,
        row.order_count,
        row.spent_satang,
    )


def segment_counts(session: Session) -> dict[str, int]:
    """How many customers are in each segment (as last computed)."""
    rows = session.execute(
        select(CustomerScore.segment, func.count()).group_by(CustomerScore.segment)
    )
    return {seg: int(n) for seg, n in rows}


def last_computed(session: Session) -> dt.datetime | None:
    return session.scalar(select(func.max(CustomerScore.computed_at)))


def customers_in_segments(session: Session, segments: list[str]) -> list[int]:
    return list(
        session.scalars(
            select(CustomerScore.customer_id).where(CustomerScore.segment.in_(segments))
        )
    )
