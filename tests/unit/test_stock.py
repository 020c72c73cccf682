"""Stock ledger: the level is the sum of the movements and never goes below zero."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from minichat_desktop import paths
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog import stock
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import MovementReason, StockMovement
from minichat_desktop.errors import NotFound, OutOfStock, UserError
from minichat_desktop.storage.db import Database


def _variant(db: Database, qty: int = 5, track: bool = True) -> int:
    with db.write() as s:
        view = catalog.save_product(
            s,
            ProductInput(
                sku="V1", name_th="ของ", price_satang=100, stock=qty, track_inventory=track
            ),
            "owner",
        )
    return view.variants[0].id


def test_adjustment_needs_a_reason_and_records_who(db: Database) -> None:
    vid = _variant(db)
    with pytest.raises(UserError) as err, db.write() as s:
        stock.adjust_stock(s, vid, -1, MovementReason.ADJUSTMENT, "staff", "  ")
    assert err.value.code == "stock.reason_required"
    with db.write() as s:
        lvl = stock.adjust_stock(s, vid, -2, MovementReason.ADJUSTMENT, "staff", "ของเสีย")
    assert lvl.stock == 3
    with db.read() as s:
        last = s.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
        assert last is not None
        assert (last.quantity, last.reason, last.actor, last.note) == (
            -2,
            "adjustment",
            "staff",
            "ของเสีย",
        )
        ledger = catalog.movements(s, catalog.get_product_by_sku(s, "V1").id)
    assert [(m.quantity, m.reason) for m in ledger] == [(-2, "adjustment"), (5, "adjustment")]


def test_cannot_take_more_than_there_is(db: Database) -> None:
    vid = _variant(db, 3)
    with pytest.raises(OutOfStock) as err, db.write() as s:
        stock.adjust_stock(s, vid, -4, MovementReason.ADJUSTMENT, "staff", "นับผิด")
    assert err.value.params == {"sku": "V1", "available": 3, "requested": 4}
    with db.read() as s:
        assert stock.level(s, vid).stock == 3


def test_stock_count_sets_the_level(db: Database) -> None:
    vid = _variant(db, 3)
    with db.write() as s:
        assert stock.set_stock(s, vid, 10, "staff").stock == 10
        assert stock.set_stock(s, vid, 10, "staff").stock == 10  # no zero movement
        with pytest.raises(UserError):
            stock.set_stock(s, vid, -1, "staff")
    with db.read() as s:
        assert stock.ledger_sums(s) == {vid: 10}


def test_untracked_products_take_no_movements(db: Database) -> None:
    vid = _variant(db, 0, track=False)
    with db.write() as s:
        stock.record_movements(s, {vid: -50}, MovementReason.SALE, "pos")
    with db.read() as s:
        assert stock.level(s, vid).stock == 0 and stock.ledger_sums(s) == {}


def test_unknown_variant(db: Database) -> None:
    with pytest.raises(NotFound), db.write() as s:
        stock.record_movements(s, {999: 1}, MovementReason.IMPORT, "x")


def test_the_database_itself_refuses_negative_stock_and_ledger_edits(db: Database) -> None:
    """Even SQL that bypasses the domain cannot oversell or rewrite history."""
    vid = _variant(db, 2)
    con = sqlite3.connect(paths.database_path(db.path.parent))
    try:
        with pytest.raises(sqlite3.IntegrityError, match="stock_nonnegative"):
            con.execute(
                "INSERT INTO stock_movements (variant_id, quantity, reason, actor, note,"
                " created_at) VALUES (?, -3, 'sale', 'x', '', '2026-01-01')",
                (vid,),
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE stock_movements SET quantity = 100")
    finally:
        con.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deltas=st.lists(st.integers(-6, 6).filter(bool), max_size=30))
def test_level_equals_ledger_sum_and_stays_non_negative(new_db: object, deltas: list[int]) -> None:
    db = new_db()  # type: ignore[operator]
    vid = _variant(db, 0)
    expected = 0
    for d in deltas:
        try:
            with db.write() as s:
                stock.adjust_stock(s, vid, d, MovementReason.ADJUSTMENT, "t", "test")
            expected += d
        except OutOfStock:
            assert expected + d < 0
    with db.read() as s:
        assert stock.level(s, vid).stock == expected == stock.ledger_sums(s).get(vid, 0)
