"""Customers: one person across channels (phone, LINE, widget, walk-in), their pipeline
status, tags, notes, and what they have spent; merging duplicates.

A customer is reached through identities (``phone:0812345678``, ``line:U4af…``,
``widget:<session>``); each identity belongs to exactly one customer. Merging moves the
identities and orders of the duplicate to the customer kept and marks the duplicate merged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from minichat_desktop.domain.models import (
    AuditEntry,
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    Order,
    OrderStatus,
    PaymentStatus,
    PipelineStatus,
    Refund,
    utcnow,
)
from minichat_desktop.domain.thai import ThaiFormatError, normalize_phone
from minichat_desktop.errors import NotFound, UserError


@dataclass(frozen=True, slots=True)
class CustomerView:
    id: int
    name: str
    phone: str
    email: str
    status: str
    tags: tuple[str, ...]
    notes: str
    address: str
    subdistrict: str
    district: str
    province: str
    postcode: str
    tax_id: str
    branch: str
    opted_out: bool
    identities: tuple[tuple[str, str], ...]
    total_spent_satang: int
    order_count: int
    created_at: dt.datetime
    last_contacted_at: dt.datetime | None
    picture: str = ""  # their profile picture: a file inside the data folder ("" for none)


_EDITABLE = {
    "name",
    "phone",
    "email",
    "status",
    "tags",
    "notes",
    "address",
    "subdistrict",
    "district",
    "province",
    "postcode",
    "tax_id",
    "branch",
    "opted_out",
}


def _spent(session: Session, ids: list[int]) -> dict[int, tuple[int, int]]:
    """(total spent, order count) per customer: paid orders that were not cancelled or
    refunded, less what partial refunds gave back on them."""
    if not ids:
        return {}
    back = (
        select(Refund.order_id, func.sum(Refund.amount_satang).label("satang"))
        .group_by(Refund.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Order.customer_id,
            func.coalesce(func.sum(Order.total_satang - func.coalesce(back.c.satang, 0)), 0),
            func.count(Order.id),
        )
        .outerjoin(back, back.c.order_id == Order.id)
        .where(
            Order.customer_id.in_(ids),
            Order.payment_status == PaymentStatus.PAID,
            Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]),
        )
        .group_by(Order.customer_id)
    )
    return {cid: (int(total), int(n)) for cid, total, n in rows if cid is not None}


def _views(session: Session, customers: list[Customer]) -> list[CustomerView]:
    spent = _spent(session, [c.id for c in customers])
    return [
        CustomerView(
            id=c.id,
            name=c.name,
            phone=c.phone,
            email=c.email,
            status=c.status,
            tags=tuple(c.tags),
            notes=c.notes,
            address=c.address,
            subdistrict=c.subdistrict,
            district=c.district,
            province=c.province,
            postcode=c.postcode,
            tax_id=c.tax_id,
            branch=c.branch,
            opted_out=c.opted_out,
            identities=tuple(sorted((i.kind, i.value) for i in c.identities)),
            total_spent_satang=spent.get(c.id, (0, 0))[0],
            order_count=spent.get(c.id, (0, 0))[1],
            created_at=c.created_at,
            last_contacted_at=c.last_contacted_at,
            picture=c.picture,
        )
        for c in customers
    ]


def _clean_phone(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalize_phone(raw)
    except ThaiFormatError as exc:
        raise UserError("customer.invalid_phone", str(exc), field="phone", value=raw) from exc


def _load(session: Session, customer_id: int) -> Customer:
    c = session.scalar(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.identities))
    )
    if c is None:
        raise NotFound("customer.not_found", f"no customer with id {customer_id}", id=customer_id)
    if c.merged_into_id is not None:
        return _load(session, c.merged_into_id)
    return c


def get_customer(session: Session, customer_id: int) -> CustomerView:
    """The customer (following a merge to the customer kept)."""
    return _views(session, [_load(session, customer_id)])[0]


def find_by_identity(session: Session, kind: IdentityKind, value: str) -> CustomerView | None:
    cid = session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.kind == kind, CustomerIdentity.value == value
        )
    )
    return None if cid is None else get_customer(session, cid)


def find_or_create(
    session: Session, kind: IdentityKind, value: str, actor: str, *, name: str = "", phone: str = ""
) -> CustomerView:
    """The customer with this identity, created (status new) if unknown. A phone number given
    with another identity links to an existing customer with that phone."""
    value = value.strip()
    if kind == IdentityKind.PHONE:
        value = _clean_phone(value)
    if not value:
        raise UserError("customer.empty_identity", f"the {kind} identity is empty")
    found = find_by_identity(session, kind, value)
    if found is not None:
        return found
    phone = _clean_phone(phone) if phone else (value if kind == IdentityKind.PHONE else "")
    customer = None
    if phone:
        cid = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == IdentityKind.PHONE, CustomerIdentity.value == phone
            )
        )
        if cid is not None:
            customer = _load(session, cid)
    if customer is None:
        customer = _new_customer(session, actor, name, phone)
    if not any(i.kind == kind and i.value == value for i in customer.identities):
        customer.identities.append(CustomerIdentity(kind=kind, value=value))
    session.flush()
    return get_customer(session, customer.id)


def _new_customer(session: Session, actor: str, name: str, phone: str) -> Customer:
    """A new customer (with its phone as an identity when given), audited."""
    customer = Customer(name=name.strip(), phone=phone, identities=[])
    if phone:
        customer.identities.append(CustomerIdentity(kind=IdentityKind.PHONE, value=phone))
    session.add(customer)
    session.flush()
    session.add(
        AuditEntry(
            actor=actor,
            action="customer.create",
            entity="customer",
            entity_id=str(customer.id),
            changes={"name": [None, name]},
        )
    )
    return customer


def create_customer(
    session: Session, actor: str, *, name: str, phone: str = "", **fields: Any
) -> CustomerView:
    if not name.strip():
        raise UserError("customer.name_required", "a customer needs a name", field="name")
    phone = _clean_phone(phone)
    if phone:
        existing = find_by_identity(session, IdentityKind.PHONE, phone)
        if existing is not None:
            raise UserError(
                "customer.phone_taken",
                f"{phone} belongs to {existing.name or 'customer ' + str(existing.id)}",
                field="phone",
                customer_id=existing.id,
            )
    customer = _new_customer(session, actor, name, phone)
    session.flush()
    if fields:
        return update_customer(session, customer.id, actor, **fields)
    return get_customer(session, customer.id)


def update_customer(session: Session, customer_id: int, actor: str, **changes: Any) -> CustomerView:
    """Edit fields. Raises :class:`UserError` naming the bad field; nothing changes then."""
    unknown = set(changes) - _EDITABLE
    if unknown:
        field = sorted(unknown)[0]
        raise UserError("customer.unknown_field", f"no customer field {field}", field=field)
    c = _load(session, customer_id)
    if "status" in changes and changes["status"] not in PipelineStatus.__members__.values():
        raise UserError(
            "customer.bad_status", f"unknown pipeline status {changes['status']!r}", field="status"
        )
    if "phone" in changes:
        changes["phone"] = _clean_phone(changes["phone"])
    if "tags" in changes:
        changes["tags"] = list(dict.fromkeys(t.strip() for t in changes["tags"] if t.strip()))
    new_phone = changes.get("phone")
    has_phone = any(i.kind == IdentityKind.PHONE and i.value == new_phone for i in c.identities)
    if new_phone and not has_phone:
        owner = session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.kind == IdentityKind.PHONE, CustomerIdentity.value == new_phone
            )
        )
        if owner is not None and owner != c.id:
            raise UserError(
                "customer.phone_taken",
                f"{new_phone} belongs to another customer; merge the two instead",
                field="phone",
                customer_id=owner,
            )
    diff = {k: [getattr(c, k), v] for k, v in changes.items() if getattr(c, k) != v}
    for k, v in changes.items():
        setattr(c, k, v.strip() if isinstance(v, str) and k != "notes" else v)
    if new_phone and not has_phone:
        c.identities.append(CustomerIdentity(kind=IdentityKind.PHONE, value=new_phone))
    if diff:
        session.add(
            AuditEntry(
                actor=actor,
                action="customer.update",
                entity="customer",
                entity_id=str(c.id),
                changes=diff,
            )
        )
    session.flush()
    return get_customer(session, c.id)


def set_channel_profile(
    session: Session, kind: IdentityKind, value: str, name: str, picture: str | None
) -> int:
    """What a shopper's platform says of them (Messenger, Instagram, LINE): the name fills
    the customer's only when they have none (what the owner typed is never replaced); the
    picture (a file inside the data folder; None: leave as it is, "" : none) replaces the one
    kept. The customer is made when unknown. Returns the customer's id."""
    view = find_or_create(session, kind, value, "relay")
    customer = _load(session, view.id)
    name = " ".join(name.split())[:200]
    if name and not customer.name.strip():
        update_customer(session, customer.id, "relay", name=name)
    if picture is not None and customer.picture != picture:
        customer.picture = picture
    session.flush()
    return customer.id


def touch_contacted(session: Session, customer_id: int, when: dt.datetime | None = None) -> None:
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(last_contacted_at=when or utcnow())
    )


def list_customers(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[CustomerView]:
    stmt = (
        select(Customer)
        .where(Customer.merged_into_id.is_(None))
        .options(selectinload(Customer.identities))
        .order_by(Customer.id.desc())
    )
    if status:
        stmt = stmt.where(Customer.status == status)
    if tag:
        stmt = stmt.where(
            func.instr(func.cast(Customer.tags, type_=Customer.notes.type), f'"{tag}"') > 0
        )
    q = search.strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        conds = [Customer.name.contains(q), Customer.email.contains(q)]
        if len(digits) >= 3:
            conds.append(Customer.phone.contains(digits))
        stmt = stmt.where(or_(*conds))
    return _views(session, list(session.scalars(stmt.limit(limit).offset(offset))))


def duplicate_groups(session: Session) -> list[list[int]]:
    """Customers that share a phone number (candidates to merge), oldest first."""
    rows = session.execute(
        select(Customer.phone, func.group_concat(Customer.id))
        .where(Customer.phone != "", Customer.merged_into_id.is_(None))
        .group_by(Customer.phone)
        .having(func.count(Customer.id) > 1)
    )
    return [sorted(int(x) for x in ids.split(",")) for _phone, ids in rows]


def merge_customers(session: Session, keep_id: int, duplicate_id: int, actor: str) -> CustomerView:
    """Fold ``duplicate_id`` into ``keep_id``: identities, orders, tags and notes move over;
    empty fields of the kept customer are filled from the duplicate; the duplicate is marked
    merged (and its id keeps resolving to the kept customer)."""
    if keep_id == duplicate_id:
        raise UserError("customer.merge_self", "choose two different customers")
    keep = _load(session, keep_id)
    dup = _load(session, duplicate_id)
    if keep.id == dup.id:
        raise UserError("customer.merge_self", "these customers are already merged")
    for ident in list(dup.identities):
        dup.identities.remove(ident)
        session.flush()
        if not any(i.kind == ident.kind and i.value == ident.value for i in keep.identities):
            keep.identities.append(
                CustomerIdentity(kind=ident.kind, value=ident.value, created_at=ident.created_at)
            )
    session.execute(update(Order).where(Order.customer_id == dup.id).values(customer_id=keep.id))
    # the duplicate's chats are the kept customer's now (the inbox shows their name)
    session.execute(
        update(Conversation).where(Conversation.customer_id == dup.id).values(customer_id=keep.id)
    )
    for f in (
        "name",
        "phone",
        "email",
        "address",
        "subdistrict",
        "district",
        "province",
        "postcode",
        "tax_id",
        "branch",
        "picture",
    ):
        if not getattr(keep, f) and getattr(dup, f):
            setattr(keep, f, getattr(dup, f))
    keep.tags = list(dict.fromkeys([*keep.tags, *dup.tags]))
    if dup.notes.strip():
        keep.notes = (keep.notes + "\n" + dup.notes).strip()
    order = list(PipelineStatus)
    if (
        order.index(PipelineStatus(dup.status)) > order.index(PipelineStatus(keep.status))
        and dup.status != PipelineStatus.LOST
    ):
        keep.status = dup.status
    keep.opted_out = keep.opted_out or dup.opted_out
    dup.merged_into_id = keep.id
    session.add(
        AuditEntry(
            actor=actor,
            action="customer.merge",
            entity="customer",
            entity_id=str(keep.id),
            changes={"merged": [dup.id, keep.id]},
        )
    )
    session.flush()
    return get_customer(session, keep.id)
