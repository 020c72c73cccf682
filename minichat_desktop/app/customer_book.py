"""The customers screen's reads: the list with RFM segments and filters, a customer's whole
profile (conversations on every channel, orders, spend, scores), the pipeline board's counts,
and the export to Excel or CSV (:func:`export_customers`: the rows here, the file written by
``formats.exporter``).

A merged duplicate's conversations still point at the duplicate (merging moves identities
and orders), so a profile gathers the conversations of every customer merged into it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.conversations import conversations as convs
from minichat_desktop.domain.customers import customers, rfm
from minichat_desktop.domain.customers.customers import CustomerView
from minichat_desktop.domain.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    CustomerScore,
    IdentityKind,
    Order,
    PipelineStatus,
)
from minichat_desktop.domain.thai import ThaiFormatError, normalize_phone
from minichat_desktop.formats import exporter

NO_SEGMENT: Final = "none"  # filter value: customers who never bought
_EXPORT_BATCH: Final = 500


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer: CustomerView
    segment: str  # "" when the customer has no counted order
    recency: int
    frequency: int
    monetary: int
    last_order_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class OrderLine:
    id: int
    number: str
    created_at: dt.datetime
    channel: str
    status: str
    payment_status: str
    total_satang: int


@dataclass(frozen=True, slots=True)
class Profile:
    row: CustomerRow
    conversations: tuple[convs.ConversationView, ...]
    orders: tuple[OrderLine, ...]
    merged_ids: tuple[int, ...]  # duplicates folded into this customer


def _tag_forms(tag: str) -> set[str]:
    return {json.dumps(tag), json.dumps(tag, ensure_ascii=False)}


def _filtered(search: str, status: str | None, tag: str | None, segment: str | None) -> Any:
    stmt = select(Customer.id).where(Customer.merged_into_id.is_(None))
    if status:
        stmt = stmt.where(Customer.status == status)
    if tag:
        text = func.cast(Customer.tags, type_=Customer.notes.type)
        stmt = stmt.where(or_(*(func.instr(text, f) > 0 for f in _tag_forms(tag))))
    if segment == NO_SEGMENT:
        stmt = stmt.where(
            ~select(CustomerScore.customer_id)
            .where(CustomerScore.customer_id == Customer.id)
            .exists()
        )
    elif segment:
        stmt = stmt.join(CustomerScore, CustomerScore.customer_id == Customer.id).where(
            CustomerScore.segment == segment
        )
    q = search.strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        conds = [Customer.name.contains(q), Customer.email.contains(q), Customer.notes.contains(q)]
        if len(digits) >= 3:
            conds.append(Customer.phone.contains(digits))
        stmt = stmt.where(or_(*conds))
    return stmt


def _rows(session: Session, ids: list[int]) -> list[CustomerRow]:
    if not ids:
        return []
    people = session.scalars(
        select(Customer).where(Customer.id.in_(ids)).options(selectinload(Customer.identities))
    ).all()
    by_id = {v.id: v for v in customers._views(session, list(people))}
    scores = rfm.scores_of(session, ids)
    out = []
    for cid in ids:
        view = by_id.get(cid)
        if view is None:
            continue
        sc = scores.get(cid)
        out.append(
            CustomerRow(
                view,
                sc.segment.value if sc else "",
                sc.recency if sc else 0,
                sc.frequency if sc else 0,
                sc.monetary if sc else 0,
                sc.last_order_at if sc else None,
            )
        )
    return out


def list_rows(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[CustomerRow]:
    """Customers (newest first) matching every filter given; search looks in names, e-mail,
    notes and phone digits."""
    stmt = _filtered(search, status, tag, segment).order_by(Customer.id.desc())
    ids = list(session.scalars(stmt.limit(limit).offset(offset)))
    return _rows(session, ids)


def count_rows(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
) -> int:
    sub = _filtered(search, status, tag, segment).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


def pipeline_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Customer.status, func.count())
        .where(Customer.merged_into_id.is_(None))
        .group_by(Customer.status)
    )
    counts = dict.fromkeys((s.value for s in PipelineStatus), 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def known_tags(session: Session) -> list[str]:
    seen: set[str] = set()
    for tags in session.scalars(select(Customer.tags).where(Customer.merged_into_id.is_(None))):
        seen.update(tags or ())
    return sorted(seen)


def profile(session: Session, customer_id: int) -> Profile:
    """Everything about one customer (following a merge to the customer kept)."""
    view = customers.get_customer(session, customer_id)
    merged = list(session.scalars(select(Customer.id).where(Customer.merged_into_id == view.id)))
    # duplicates of duplicates (merged before their keeper was merged)
    frontier = list(merged)
    while frontier:
        more = list(
            session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(frontier)))
        )
        merged += more
        frontier = more
    owners = [view.id, *merged]
    conv_ids = list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.customer_id.in_(owners))
            .order_by(func.coalesce(Conversation.last_message_at, Conversation.created_at).desc())
        )
    )
    conversations = tuple(convs.get_conversation(session, cid) for cid in conv_ids)
    orders = tuple(
        OrderLine(
            o.id, o.number, o.created_at, o.channel, o.status, o.payment_status, o.total_satang
        )
        for o in session.scalars(
            select(Order)
            .where(Order.customer_id.in_(owners))
            .order_by(Order.created_at.desc())
            .limit(200)
        )
    )
    return Profile(_rows(session, [view.id])[0], conversations, orders, tuple(merged))


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+66|0)(?:[\s-]?\d){8,9}(?!\d)")


# Chat identities: one person writing on several of these shows as one customer per channel.
CHAT_KINDS: Final = (
    IdentityKind.LINE,
    IdentityKind.WIDGET,
    IdentityKind.MESSENGER,
    IdentityKind.INSTAGRAM,
)


def duplicate_groups(session: Session) -> list[list[int]]:
    """Customers who are likely one person, oldest first in each group: the same phone
    number, or a phone written in one customer's notes (a shopper who gave it in a chat) that
    is another customer's phone, or the same name on different chat channels (the Messenger
    profile's name and the LINE one's)."""
    groups = [list(g) for g in customers.duplicate_groups(session)]
    seen = {cid for g in groups for cid in g}
    _notes_phone_groups(session, groups, seen)
    _same_name_groups(session, groups, seen)
    return groups


def _notes_phone_groups(session: Session, groups: list[list[int]], seen: set[int]) -> None:
    by_phone = {
        phone: cid
        for cid, phone in session.execute(
            select(Customer.id, Customer.phone).where(
                Customer.phone != "", Customer.merged_into_id.is_(None)
            )
        )
    }
    for cid, notes in session.execute(
        select(Customer.id, Customer.notes).where(
            Customer.notes != "", Customer.merged_into_id.is_(None)
        )
    ):
        for found in _PHONE_IN_TEXT.findall(notes):
            try:
                phone = normalize_phone(found)
            except ThaiFormatError:
                continue
            other = by_phone.get(phone)
            if other is not None and other != cid and cid not in seen and other not in seen:
                groups.append(sorted((cid, other)))
                seen.update((cid, other))


def _same_name_groups(session: Session, groups: list[list[int]], seen: set[int]) -> None:
    """Customers with the same name (spaces and letter case aside) reached on different chat
    channels, none of them in a group yet. Two on the same channel are two people: a channel
    gives each person one identity."""
    kinds: dict[str, dict[int, set[str]]] = {}
    rows = session.execute(
        select(Customer.id, Customer.name, CustomerIdentity.kind)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(
            Customer.name != "",
            Customer.merged_into_id.is_(None),
            CustomerIdentity.kind.in_(CHAT_KINDS),
        )
        .order_by(Customer.id)
    )
    for cid, name, kind in rows:
        key = " ".join(name.casefold().split())
        kinds.setdefault(key, {}).setdefault(cid, set()).add(str(kind))
    for members in kinds.values():
        group: list[int] = []
        used: set[str] = set()
        for cid, channels in members.items():
            if cid not in seen and not channels & used:
                group.append(cid)
                used |= channels
        if len(group) > 1:
            groups.append(group)
            seen.update(group)


def set_status(session: Session, customer_id: int, status: str, actor: str) -> CustomerView:
    """Move a customer along the pipeline (the board's drag and drop)."""
    return customers.update_customer(session, customer_id, actor, status=status)


def set_statuses(
    session: Session, customer_ids: list[int], status: str, actor: str
) -> list[CustomerView]:
    """Move several customers (cards dropped together) in one unit of work: all or none."""
    return [set_status(session, cid, status, actor) for cid in customer_ids]


def export_rows(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
) -> Iterator[CustomerRow]:
    """Every customer matching the filters (as :func:`list_rows`), oldest first, read 500 at
    a time: what an export writes, without holding a big shop's whole list in memory."""
    ids = list(session.scalars(_filtered(search, status, tag, segment).order_by(Customer.id)))
    for start in range(0, len(ids), _EXPORT_BATCH):
        yield from _rows(session, ids[start : start + _EXPORT_BATCH])


__all__ = [
    "CHAT_KINDS",
    "CustomerRow",
    "OrderLine",
    "Profile",
    "count_rows",
    "duplicate_groups",
    "export_rows",
    "known_tags",
    "list_rows",
    "pipeline_counts",
    "profile",
    "set_status",
    "set_statuses",
]


def customer_values(row: CustomerRow) -> list[Any]:
    """A customer's row of the export, in ``exporter.CUSTOMER_COLUMNS``' order."""
    c = row.customer
    channels = sorted({exporter.CHANNEL_TH.get(k, k) for k, _v in c.identities if k in CHAT_KINDS})
    return [
        c.id,
        c.name,
        c.phone,
        c.email,
        exporter.PIPELINE_TH.get(c.status, c.status),
        exporter.SEGMENT_TH.get(row.segment, ""),
        row.recency or None,
        row.frequency or None,
        row.monetary or None,
        c.order_count,
        c.total_spent_satang,
        row.last_order_at,
        ", ".join(channels),
        ", ".join(c.tags),
        "ใช่" if c.opted_out else "",
        c.province,
        c.notes,
        c.created_at,
    ]


def export_customers(
    session: Session,
    path: Path,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
) -> exporter.ExportResult:
    """Write the customers matching the filters (as the customers screen lists them, oldest
    first) to ``path`` (``.xlsx`` or ``.csv``). Raises ``export.unsupported_format`` for
    another extension and ``env.export_failed`` when the file cannot be written."""
    rows = export_rows(session, search=search, status=status, tag=tag, segment=segment)
    return exporter.write_customers((customer_values(r) for r in rows), path)
