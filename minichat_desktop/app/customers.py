"""Customer use cases for the screens: the filtered list with the board's counts, the choices
of the filter bar, saving a profile, and finding and merging duplicates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from minichat_desktop.app import customer_book as book
from minichat_desktop.app.customer_book import CustomerRow, Profile
from minichat_desktop.domain.customers import customers, rfm
from minichat_desktop.domain.customers.customers import CustomerView

LIST_LIMIT = 1000  # rows the list shows; the total still counts them all


@dataclass(frozen=True, slots=True)
class CustomerList:
    """Up to :data:`LIST_LIMIT` matching customers, how many match in all, and the number of
    customers in each pipeline status (every status present, 0 included)."""

    rows: tuple[CustomerRow, ...]
    total: int
    pipeline_counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """The tags to filter by and when the RFM segments were last computed (None: never)."""

    tags: tuple[str, ...]
    segments_computed_at: dt.datetime | None


def list_customers(
    session: Session,
    *,
    search: str = "",
    status: str | None = None,
    tag: str | None = None,
    segment: str | None = None,
) -> CustomerList:
    """Customers (newest first) matching every filter given, with the board's counts."""
    rows = book.list_rows(
        session, search=search, status=status, tag=tag, segment=segment, limit=LIST_LIMIT
    )
    total = (
        book.count_rows(session, search=search, status=status, tag=tag, segment=segment)
        if len(rows) >= LIST_LIMIT
        else len(rows)
    )
    return CustomerList(tuple(rows), total, book.pipeline_counts(session))


def filter_choices(session: Session) -> FilterChoices:
    """What the filter bar offers."""
    return FilterChoices(tuple(book.known_tags(session)), rfm.last_computed(session))


def save_profile(
    session: Session, customer_id: int, actor: str, changes: dict[str, Any]
) -> Profile:
    """Edit the customer's fields and return the whole profile; raises :class:`UserError`
    naming the bad field (nothing changes then)."""
    customers.update_customer(session, customer_id, actor, **changes)
    return book.profile(session, customer_id)


def find_duplicates(session: Session) -> list[list[CustomerView]]:
    """Groups of customers who are likely one person, oldest first in each group."""
    return [
        [customers.get_customer(session, cid) for cid in group]
        for group in book.duplicate_groups(session)
    ]


def merge_duplicates(
    session: Session, keep: int, duplicates: list[int], actor: str
) -> CustomerView:
    """Fold every duplicate into ``keep``, all or nothing; returns the customer kept."""
    view = customers.get_customer(session, keep)
    for dup in duplicates:
        view = customers.merge_customers(session, keep, dup, actor)
    return view
