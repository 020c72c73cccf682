"""A committed unit of work says what it changed: the tables it wrote (through the ORM, Core or
raw SQL on the driver connection) and the topics screens listen for; a rolled-back one says
nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from minichat_desktop.app.changes import topics_of
from minichat_desktop.domain import shop
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.catalog.products import ProductInput
from minichat_desktop.domain.models import Channel, OrderStatus
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.sales.orders import LineInput, NewOrder
from minichat_desktop.domain.sql import DriverConnection, table_written
from minichat_desktop.errors import OutOfStock
from minichat_desktop.storage.db import CHANGED, Database


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("INSERT INTO orders (a) VALUES (?)", "orders"),
        ('  insert or ignore into "customers" (a) values (1)', "customers"),
        ("UPDATE product_variants SET stock = 1", "product_variants"),
        ("UPDATE OR REPLACE settings SET value = 1", "settings"),
        ("\nDELETE FROM outbox WHERE id = 1", "outbox"),
        ("REPLACE INTO settings (key, value) VALUES (1, 2)", "settings"),
        ("SELECT * FROM orders", None),
        ("WITH x AS (SELECT 1) SELECT * FROM x", None),
        ("PRAGMA foreign_keys = ON", None),
    ],
)
def test_the_table_a_statement_writes(sql: str, table: str | None) -> None:
    assert table_written(sql) == table


def _product(db: Database, stock: int = 5) -> int:
    with db.write() as s:
        shop.ensure_defaults(s)
        view = catalog.save_product(
            s, ProductInput(sku="P1", name_th="เสื้อ", price_satang=10_000, stock=stock), "owner"
        )
    return view.variants[0].id


def _place(db: Database, qty: int = 1) -> tuple[orders.OrderView, frozenset[str]]:
    with db.write() as s:
        order = orders.place_order(
            s, NewOrder(channel=Channel.WIDGET, lines=[LineInput(quantity=qty, sku="P1")]), "bot"
        )
    return order, s.info[CHANGED]


def test_a_unit_of_work_reports_every_table_it_wrote(db: Database) -> None:
    heard: list[frozenset[str]] = []
    db.subscribe(heard.append)
    _product(db)
    order, changed = _place(db, 2)
    assert {"orders", "order_items", "stock_movements"} <= changed
    assert heard[-1] == changed
    assert {"orders", "catalog"} <= topics_of(changed)
    # Cancelling puts stock back: the catalog's figures change with the order, unasked.
    with db.write() as s:
        orders.change_status(s, order.id, OrderStatus.CANCELLED, "owner", "เปลี่ยนใจ")
    assert {"orders", "catalog"} <= topics_of(s.info[CHANGED])


def test_raw_sql_on_the_driver_connection_is_reported(db: Database) -> None:
    with db.write() as s:
        DriverConnection(s).execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)", ("x.test", '{"v": 1}')
        )
    assert s.info[CHANGED] == frozenset({"settings"})
    assert topics_of(s.info[CHANGED]) == {"shop"}


def test_reads_inside_a_write_change_nothing(db: Database) -> None:
    heard: list[frozenset[str]] = []
    db.subscribe(heard.append)
    with db.write() as s:
        s.execute(text("SELECT count(*) FROM orders")).scalar()
    assert s.info[CHANGED] == frozenset()
    assert heard == []


def test_a_rolled_back_unit_of_work_reports_nothing(db: Database) -> None:
    _product(db, stock=1)
    heard: list[frozenset[str]] = []
    db.subscribe(heard.append)
    with pytest.raises(OutOfStock):
        _place(db, 5)
    assert heard == []
    # ...and the next unit of work starts clean: only what it wrote itself.
    with db.write() as s:
        shop.put_setting(s, "x.test", 1)
    assert heard == [frozenset({"settings"})]


def test_a_failing_subscriber_does_not_undo_or_break_the_write(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_tables: frozenset[str]) -> None:
        raise RuntimeError("subscriber bug")

    heard: list[frozenset[str]] = []
    unsubscribe = db.subscribe(broken)
    db.subscribe(heard.append)
    with db.write() as s:
        shop.put_setting(s, "x.test", 2)
    assert heard == [frozenset({"settings"})]
    assert "a change subscriber failed" in caplog.text
    unsubscribe()
    with db.write() as s:
        shop.put_setting(s, "x.test", 3)
    with db.read() as s:
        assert shop.get_setting(s, "x.test") == 3
