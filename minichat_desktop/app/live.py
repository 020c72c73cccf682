"""Live selling use cases: what the relay link calls for each comment under a live, and what the
live screen runs (start, end, the board, checkout, releasing unpaid carts on a timer).

Each call is one unit of work on the shop database's single writer, so comments arriving on
several threads at once are worked one after another: first come, first served, never
oversold (see :mod:`minichat_desktop.domain.live.selling`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from minichat_desktop.domain.live import board as board_mod
from minichat_desktop.domain.live import selling
from minichat_desktop.domain.live.board import Board, Pickable
from minichat_desktop.domain.live.selling import Comment, Outcome, PickedProduct
from minichat_desktop.domain.models import utcnow
from minichat_desktop.domain.sql import UnitOfWork

__all__ = [
    "Board",
    "Comment",
    "Outcome",
    "Pickable",
    "PickedProduct",
    "board",
    "checkout",
    "current_board",
    "end_live",
    "pickable",
    "record_comment",
    "release_due",
    "start_live",
]

Clock = Callable[[], dt.datetime]


def record_comment(
    uow: UnitOfWork, live_id: int, comment: Comment, clock: Clock = utcnow
) -> Outcome:
    """Work one comment of the live ``live_id`` (the relay link's entry point): reserve, queue
    the private reply to ``comment:<comment_id>``; a redelivered comment changes nothing."""
    with uow.write() as session:
        return selling.record_comment(session, live_id, comment, now=clock())


def start_live(
    uow: UnitOfWork,
    title: str,
    products: Sequence[PickedProduct],
    release_minutes: int,
    actor: str,
    clock: Clock = utcnow,
) -> int:
    with uow.write() as session:
        return selling.start_live(session, title, products, release_minutes, actor, clock())


def end_live(
    uow: UnitOfWork, live_id: int, release_minutes: int, clock: Clock = utcnow
) -> dt.datetime:
    """End the live; returns when its unpaid carts go back to the shelf. With 0 minutes they
    go back now."""
    with uow.write() as session:
        at = selling.end_live(session, live_id, release_minutes, clock())
    if release_minutes == 0:
        release_due(uow, clock)
    return at


def release_due(uow: UnitOfWork, clock: Clock = utcnow) -> int:
    """Release the carts of ended lives whose time has come (the app calls this on a timer)."""
    with uow.write() as session:
        return selling.release_due(session, clock())


def checkout(uow: UnitOfWork, live_id: int, commenter_id: str, actor: str) -> int:
    """Turn a commenter's cart into an order (the owner does it for them); returns its id."""
    with uow.write() as session:
        return selling.checkout(session, live_id, commenter_id, actor).id


def pickable(uow: UnitOfWork) -> list[Pickable]:
    with uow.read() as session:
        return board_mod.pickable(session)


def board(uow: UnitOfWork, live_id: int) -> Board:
    with uow.read() as session:
        return board_mod.board(session, live_id)


def current_board(uow: UnitOfWork) -> Board | None:
    """The running live's board, else the ended one still holding carts, else None."""
    with uow.read() as session:
        return board_mod.current(session)
