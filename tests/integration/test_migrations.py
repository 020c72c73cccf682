"""Migrations: empty → head → base → head, models and migrations agree, start-up behaviour."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from minichat_desktop import paths
from minichat_desktop.domain.models import Base
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.storage import migrate
from minichat_desktop.storage.db import Database, check_integrity, restore_from

EXPECTED_TRIGGERS = {
    "products_search_ai",
    "products_search_ad",
    "products_search_au",
    "stock_movements_apply",
    "stock_movements_append_only",
}


def _objects(path: Path) -> set[tuple[str, str]]:
    con = sqlite3.connect(path)
    try:
        return {
            (t, n)
            for t, n in con.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        }
    finally:
        con.close()


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    migrate.upgrade(path)
    at_head = _objects(path)
    assert {n for t, n in at_head if t == "trigger"} == EXPECTED_TRIGGERS
    assert ("table", "product_search") in at_head
    migrate.downgrade(path, "base")
    assert {n for _t, n in _objects(path)} == {"alembic_version"}
    migrate.upgrade(path)
    assert _objects(path) == at_head


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    migrate.upgrade(path)
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, reflected, compare_to: (
                        not (type_ == "table" and name.startswith("product_search"))
                    ),
                },
            )
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_open_creates_database_with_pragmas_and_defaults(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "data")
    try:
        with db.writer.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert check_integrity(db) == "ok"
        head, _ = migrate.known_revisions()
        assert migrate.current_revision(db.path) == head
        assert migrate.upgrade_at_start(db) is None  # nothing to do the second time
    finally:
        db.dispose()


def test_a_database_from_a_newer_minichat_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    Database.open(folder).dispose()
    path = paths.database_path(folder)
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = 'f00d'")
    con.commit()
    con.close()
    with pytest.raises(UserError) as err:
        Database.open(folder)
    assert err.value.code == "db.too_new"
    assert migrate.current_revision(path) == "f00d"


NEXT_MIGRATION = """
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("categories") as batch_op:
        batch_op.add_column(sa.Column("colour", sa.String(7), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("categories") as batch_op:
        batch_op.drop_column("colour")
"""


def test_older_database_is_backed_up_then_upgraded(tmp_path: Path) -> None:
    """A newer program (one more migration) opening today's file backs it up first, with the
    data intact in the backup, then upgrades it in place."""
    import shutil

    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        from minichat_desktop.domain.catalog import products as catalog

        catalog.save_product(
            s, catalog.ProductInput(sku="A", name_th="ก", price_satang=100, category="เก่า"), "o"
        )
    db.dispose()
    newer = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, newer, ignore=shutil.ignore_patterns("__pycache__"))
    head, _ = migrate.known_revisions()
    (newer / "versions" / "9001_colour.py").write_text(NEXT_MIGRATION.replace("{head}", head))

    db = Database(paths.database_path(folder))
    try:
        made = migrate.upgrade_at_start(db, migrations=newer)
    finally:
        db.dispose()
    assert made is not None and Path(made).parent == paths.backups_dir(folder)
    assert migrate.current_revision(Path(made)) == head
    assert migrate.current_revision(paths.database_path(folder)) == "9001"
    con = sqlite3.connect(paths.database_path(folder))
    try:
        assert con.execute("SELECT name, colour FROM categories").fetchall() == [("เก่า", "")]
        # Batch mode rebuilt the table; the triggers of other tables are untouched.
        triggers = {
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        }
    finally:
        con.close()
    assert triggers == EXPECTED_TRIGGERS


def test_not_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    paths.database_path(folder).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(EnvironmentProblem) as err:
        Database.open(folder)
    assert err.value.code == "env.not_a_database"


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        from minichat_desktop.domain.catalog import products as catalog

        catalog.save_product(s, catalog.ProductInput(sku="A", name_th="ก", price_satang=1), "o")
    backup = db.backup_to(tmp_path / "b.sqlite3")
    with db.write() as s:
        catalog.save_product(s, catalog.ProductInput(sku="B", name_th="ข", price_satang=1), "o")
    db.dispose()
    restore_from(folder, backup)
    db = Database.open(folder)
    try:
        with db.read() as s:
            assert [p.sku for p in catalog.list_products(s)] == ["A"]
    finally:
        db.dispose()
    assert len(list(paths.backups_dir(folder).glob("before-restore-*.sqlite3"))) == 1
    with pytest.raises(UserError) as err:
        restore_from(folder, tmp_path / "missing.sqlite3")
    assert err.value.code == "restore.missing"


def test_head_revision_constant_is_alembics_head() -> None:
    """migrate.HEAD_REVISION (what start-up compares with, without Alembic) is the real head."""
    head, known = migrate.known_revisions()
    assert head == migrate.HEAD_REVISION
    assert head in known


def test_the_tax_point_backfill_finds_what_the_app_records(tmp_path: Path) -> None:
    """Migration 0006 gives existing orders the tax point the app would have recorded: on the
    demo shop (counter sales, paid and COD orders, refunds with their owed invoices), going
    back to 0005 and up again rebuilds every order's tax point and its basis exactly."""
    import datetime as dt

    from minichat_desktop.demo.shop import fill_demo_shop

    folder = tmp_path / "data"
    db = Database.open(folder)
    fill_demo_shop(db, seed=7, now=dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC))
    db.dispose()
    path = paths.database_path(folder)

    def points() -> list[tuple[str, str | None, str]]:
        con = sqlite3.connect(path)
        try:
            return con.execute(
                "SELECT number, tax_point_at, tax_point_basis FROM orders ORDER BY id"
            ).fetchall()
        finally:
            con.close()

    recorded = points()
    bases = {basis for _n, _at, basis in recorded}
    assert {"sale", "payment", "delivery", ""} <= bases  # COD orders: at the delivery
    migrate.downgrade(path, "0005")
    migrate.upgrade(path)
    assert points() == recorded


def test_the_builtin_flow_typo_is_fixed_by_the_upgrade(tmp_path: Path) -> None:
    """A shop upgraded from 0005 with the shipped product-finder flow gets its doubled word
    ("งบประมาณประมาณ") corrected; the rest of the flow is untouched."""
    from minichat_desktop.domain.bot.flows import builtins
    from minichat_desktop.domain.bot.flows.storage import list_flows

    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        builtins.ensure_builtin_flows(s)
    db.dispose()
    path = paths.database_path(folder)
    migrate.downgrade(path, "0005")
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT id, nodes FROM flows WHERE builtin <> ''").fetchall()
        for flow_id, nodes in rows:  # as 0.1 shipped it
            old = nodes.replace("งบประมาณเท่าไหร่คะ", "งบประมาณประมาณเท่าไหร่คะ").replace(
                "\\u0e07\\u0e1a\\u0e1b\\u0e23\\u0e30\\u0e21\\u0e32\\u0e13\\u0e40",
                "\\u0e07\\u0e1a\\u0e1b\\u0e23\\u0e30\\u0e21\\u0e32\\u0e13"
                "\\u0e1b\\u0e23\\u0e30\\u0e21\\u0e32\\u0e13\\u0e40",
            )
            con.execute("UPDATE flows SET nodes = ? WHERE id = ?", (old, flow_id))
        con.commit()
        assert any(
            "งบประมาณประมาณ" in json.dumps(json.loads(n), ensure_ascii=False)
            for (n,) in con.execute("SELECT nodes FROM flows")
        )
    finally:
        con.close()
    migrate.upgrade(path)
    db = Database.open(folder)
    try:
        with db.read() as s:
            texts = json.dumps([f.nodes for f in list_flows(s)], ensure_ascii=False, default=str)
    finally:
        db.dispose()
    assert "งบประมาณประมาณ" not in texts and "งบประมาณเท่าไหร่คะ" in texts


def test_payment_slips_upgrade_from_0006_keeps_the_orders_slips(tmp_path: Path) -> None:
    """A shop at 0006 with a slip on an order upgrades to payment_slips (indexed for the
    reuse check): the order keeps its slip path, shows "not checked" (no row: its picture was
    never read), and the next slip is recorded and checked."""
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.models import Channel, SlipCheck
    from minichat_desktop.domain.payments.slips import build_slip_qr
    from minichat_desktop.domain.sales import orders

    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        catalog.save_product(
            s, catalog.ProductInput(sku="A", name_th="ก", price_satang=100, stock=5), "o"
        )
        order = orders.place_order(
            s, orders.NewOrder(channel=Channel.LINE, lines=[orders.LineInput(1, sku="A")]), "bot"
        )
    db.dispose()
    path = paths.database_path(folder)
    migrate.downgrade(path, "0006")
    assert ("table", "payment_slips") not in _objects(path)
    con = sqlite3.connect(path)
    con.execute("UPDATE orders SET slip_path = 'media/slips/old.jpg' WHERE id = ?", (order.id,))
    con.commit()
    con.close()

    db = Database.open(folder)  # backs up, then upgrades to head
    try:
        objects = _objects(path)
        assert {
            ("table", "payment_slips"),
            ("index", "ix_payment_slips_transfer"),
            ("index", "ix_payment_slips_sha256"),
            ("index", "ix_payment_slips_order_id"),
        } <= objects
        with db.read() as s:
            before = orders.get_order(s, order.id)
        assert (before.slip_path, before.slip_check) == ("media/slips/old.jpg", None)
        payload = build_slip_qr("014", "REF0001")
        with db.write() as s:
            after = orders.attach_slip(
                s, order.id, "media/slips/new.jpg", "bot", payloads=(payload,)
            )
        assert after.slip_check is not None
        assert (after.slip_check.check, after.slip_check.trans_ref) == (SlipCheck.READ, "REF0001")
    finally:
        db.dispose()


def test_a_whole_refund_becomes_one_refund_row_on_upgrade(tmp_path: Path) -> None:
    """A 0006 database whose order was refunded whole (with its credit note) upgrades to one
    refund at the time of the refund, its lines with the discount shared by the largest
    remainder, its shipping, and the credit note; the VAT report reads the same numbers, and
    a second credit note per order is now allowed while a second tax invoice still is not."""
    import datetime as dt

    from minichat_desktop.domain import shop
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.catalog.products import ProductInput
    from minichat_desktop.domain.models import Channel, PaymentMethod
    from minichat_desktop.domain.reporting import reports
    from minichat_desktop.domain.sales import orders
    from minichat_desktop.domain.sales.orders import LineInput, NewOrder
    from minichat_desktop.domain.sql import DriverConnection

    folder = tmp_path / "data"
    db = Database.open(folder)
    paid = dt.datetime(2026, 10, 10, 3, 0, tzinfo=dt.UTC)
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(
            s, "owner", name="ร้านภาษี", tax_id="0105565123452", vat_registered=True,
            prices_include_vat=True, address="1 ถนนสีลม",
        )  # fmt: skip
        for sku, price in (("P1", 10_700), ("P2", 9_999)):
            catalog.save_product(
                s, ProductInput(sku=sku, name_th=sku, price_satang=price, stock=9), "o"
            )
        view = orders.place_order(
            s,
            NewOrder(
                channel=Channel.LINE,
                lines=[LineInput(quantity=3, sku="P1"), LineInput(quantity=1, sku="P2")],
                payment_method=PaymentMethod.BANK_TRANSFER,
                discount_satang=1_001,
                shipping_satang=5_000,
                created_at=paid,
                customer_name="สมศรี",
                ship_address="99 สุขุมวิท",
            ),
            "staff",
        )
        orders.mark_paid(s, view.id, "owner", paid_at=paid)
    db.dispose()
    path = paths.database_path(folder)
    migrate.downgrade(path, "0006")
    con = sqlite3.connect(path)
    try:  # refunded as 0006 did it: status, payment, timeline, one credit note
        con.executescript(
            """
            UPDATE orders SET status = 'refunded', payment_status = 'refunded' WHERE id = 1;
            INSERT INTO order_events (order_id, kind, status, note, actor, created_at)
            VALUES (1, 'status', 'refunded', 'ของชำรุด', 'owner', '2026-11-05 03:00:00.000000');
            INSERT INTO tax_documents (kind, number, order_id, issued_at, buyer, issued_by,
                reissues, replaces, cancel_note)
            VALUES ('full', 'INV2026-000001', 1, '2026-10-10 03:00:00', '{}', 'o', 0, '', ''),
                   ('credit_note', 'CN2026-000001', 1, '2026-11-05 03:00:00.000000',
                    '{"name": "สมศรี", "address": "99 สุขุมวิท"}', 'owner', 0, '', '');
            """
        )
        con.commit()
    finally:
        con.close()
    migrate.upgrade(path)
    con = sqlite3.connect(path)
    try:
        assert con.execute(
            "SELECT order_id, at, reason, amount_satang, vat_satang, restocked, actor,"
            " credit_note_id FROM refunds"
        ).fetchall() == [(1, "2026-11-05 03:00:00.000000", "ของชำรุด", 46_098, 3_016, 1, "owner", 2)]
        assert con.execute(
            "SELECT order_item_id, quantity, amount_satang FROM refund_lines ORDER BY id"
        ).fetchall() == [(1, 3, 32_100 - 763), (2, 1, 9_999 - 238), (None, 0, 5_000)]
        con.execute(  # a second credit note on the order is allowed now…
            "INSERT INTO tax_documents (kind, number, order_id, issued_at, buyer, issued_by,"
            " reissues, replaces, cancel_note) VALUES ('credit_note', 'CN2026-000002', 1,"
            " '2026-11-06 03:00:00', '{}', 'o', 0, '', '')"
        )
        with pytest.raises(sqlite3.IntegrityError):  # …a second tax invoice still is not
            con.execute(
                "INSERT INTO tax_documents (kind, number, order_id, issued_at, buyer, issued_by,"
                " reissues, replaces, cancel_note) VALUES ('full', 'INV2026-000002', 1,"
                " '2026-11-06 03:00:00', '{}', 'o', 0, '', '')"
            )
        con.rollback()
    finally:
        con.close()
    db = Database.open(folder)
    try:
        with db.read() as s:
            rows = reports.vat_rows(DriverConnection(s), *reports.month_range("2026-11"))
    finally:
        db.dispose()
    assert [(r[1], r[5], r[6]) for r in rows] == [("CN2026-000001", -(46_098 - 3_016), -3_016)]


def test_reworded_order_messages_stop_saying_baht_twice(tmp_path: Path) -> None:
    """An owner's saved template "{total} บาท" (written when {total} was "1,040.00") reads
    "{total}" after 0009, now that {total} is "฿1,040"; the owner's other words stay."""
    from minichat_desktop.domain.sales import order_notify
    from minichat_desktop.domain.shop import get_setting

    folder = tmp_path / "data"
    Database.open(folder).dispose()
    path = paths.database_path(folder)
    migrate.downgrade(path, "0008")
    saved = {
        "paid": "รับเงิน {order_number} แล้ว {total} บาท ขอบคุณจ้า",
        "confirmed": "ยืนยัน {order_number} ยอด ฿{total}",
        "refunded": "คืน {total}บาท ให้แล้วนะคะ",
        "shipped": "ส่งแล้ว {tracking}",
    }
    con = sqlite3.connect(path)
    con.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)",
        (order_notify.SETTINGS_KEY, json.dumps({"v": saved}, ensure_ascii=False)),
    )
    con.commit()
    con.close()
    migrate.upgrade(path)
    db = Database.open(folder)
    try:
        with db.read() as s:
            now = get_setting(s, order_notify.SETTINGS_KEY, {})
            templates = order_notify.get_templates(s)
    finally:
        db.dispose()
    assert now == {
        "paid": "รับเงิน {order_number} แล้ว {total} ขอบคุณจ้า",
        "confirmed": "ยืนยัน {order_number} ยอด {total}",
        "refunded": "คืน {total} ให้แล้วนะคะ",
        "shipped": "ส่งแล้ว {tracking}",
    }
    assert templates["paid"] == now["paid"]


def test_canned_replies_take_the_order_messages_placeholders(tmp_path: Path) -> None:
    """0011: canned replies saved as "{{order_number}}" (and the two old names) read
    "{order_number}", "{status}", "{tracking}"; a brace typed as text stays text ("{{"), the
    old default's "{{total}} บาท" loses its baht; filled in a chat, they read as before with
    the order's status in Thai and money as "฿". Down again gives the old texts back."""
    from minichat_desktop.domain.conversations import conversations as convs
    from minichat_desktop.domain.sales import order_notify

    folder = tmp_path / "data"
    Database.open(folder).dispose()
    path = paths.database_path(folder)
    migrate.downgrade(path, "0010")
    old = {
        "ยอด": "ออเดอร์ {{order_number}} ยอดชำระ {{total}} บาทค่ะ",
        "สถานะ": "คุณ{{ customer_name }} ออเดอร์ {{order_status}} เลขพัสดุ {{tracking_number}}",
        "ปีกกา": "โปร {ลด 10%} ที่ {{shop_name}} :-}",
    }
    con = sqlite3.connect(path)
    con.execute("DELETE FROM canned_responses")
    for i, (title, text) in enumerate(old.items()):
        con.execute(
            "INSERT INTO canned_responses (title, text, position) VALUES (?, ?, ?)",
            (title, text, i),
        )
    con.commit()
    con.close()
    migrate.upgrade(path)
    db = Database.open(folder)
    try:
        with db.write() as s:
            now = {c.title: c.text for c in convs.list_canned(s)}
            rec = convs.record_inbound(s, "widget:w1", {"id": "a", "kind": "text", "text": "hi"})
            assert rec is not None
            filled = order_notify.render_canned(s, now["ปีกกา"], rec.conversation.id)
    finally:
        db.dispose()
    assert now == {
        "ยอด": "ออเดอร์ {order_number} ยอดชำระ {total}ค่ะ",
        "สถานะ": "คุณ{customer_name} ออเดอร์ {status} เลขพัสดุ {tracking}",
        "ปีกกา": "โปร {{ลด 10%}} ที่ {shop_name} :-}}",
    }
    assert filled.startswith("โปร {ลด 10%} ที่ ") and filled.endswith(" :-}")
    migrate.downgrade(path, "0010")
    con = sqlite3.connect(path)
    try:
        back = dict(con.execute("SELECT title, text FROM canned_responses").fetchall())
    finally:
        con.close()
    assert back["สถานะ"] == (
        "คุณ{{customer_name}} ออเดอร์ {{order_status}} เลขพัสดุ {{tracking_number}}"
    )
    assert back["ปีกกา"] == "โปร {ลด 10%} ที่ {{shop_name}} :-}"


def test_the_builtin_flows_wording_reaches_existing_shops(tmp_path: Path) -> None:
    """A shop at 0011 with the built-in flows as shipped then gets the new wording on upgrade
    (the budget question, the size button, the discount offer); a text the owner reworded
    is kept, and a downgrade puts the older wording back."""
    from minichat_desktop.domain.bot.flows import builtins
    from minichat_desktop.domain.bot.flows.storage import list_flows, save_flow

    folder = tmp_path / "data"
    db = Database.open(folder)
    with db.write() as s:
        flows = {f.builtin: f for f in builtins.ensure_builtin_flows(s)}
        review = flows[builtins.BUILTIN_REVIEW]
        nodes = [
            {**n, "text": "ขอบคุณที่อุดหนุนร้านเรานะ ให้ดาวหน่อย"} if n["id"] == "ask" else n
            for n in review.nodes
        ]
        save_flow(s, review.name, review.trigger, nodes, flow_id=review.id)
    db.dispose()
    path = paths.database_path(folder)

    def texts() -> str:
        con = sqlite3.connect(path)
        try:
            rows = con.execute("SELECT nodes FROM flows ORDER BY id").fetchall()
        finally:
            con.close()
        return json.dumps([json.loads(n) for (n,) in rows], ensure_ascii=False)

    migrate.downgrade(path, "0011")
    old = texts()
    assert "งบประมาณเท่าไหร่คะ (พิมพ์ตัวเลขเป็นบาทได้เลย)" in old
    assert '{"label": "ไม่ระบุ", "value": ""}' in old and "ไซส์ไหนก็ได้" not in old
    assert "ให้โค้ด {discount_code}" in old
    migrate.upgrade(path)
    db = Database.open(folder)
    try:
        with db.read() as s:
            now = json.dumps([f.nodes for f in list_flows(s)], ensure_ascii=False)
    finally:
        db.dispose()
    assert "มีงบประมาณเท่าไหร่คะ (พิมพ์เป็นตัวเลขได้เลย เช่น 500)" in now
    assert '"label": "ไซส์ไหนก็ได้"' in now and '"label": "ไม่ระบุ"' not in now
    assert "รับโค้ด {discount_code} ลดเพิ่ม {discount_percent}% ไปเลยค่ะ" in now
    assert "ขอบคุณที่อุดหนุนร้านเรานะ ให้ดาวหน่อย" in now  # the owner's words
    assert "ได้รับสินค้าจากออเดอร์" not in now and "ได้รับสินค้าออเดอร์" not in now
