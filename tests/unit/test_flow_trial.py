"""The flow simulator's trial (app/flow_trial.py): the bot runs the flow on the shop's real
catalog and PromptPay, and the shop's database is left exactly as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

from minichat_desktop import paths
from minichat_desktop.app.flow_trial import TRIAL_FOLDER, FlowTrial, Turn
from minichat_desktop.demo.shop import fill_demo_shop
from minichat_desktop.domain.bot.flows import builtins
from minichat_desktop.storage.db import Database
from relay import protocol as p

NOW = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)


def _clock() -> dt.datetime:
    return NOW


def _fingerprint(path: Path) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of all its rows (in rowid order)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
            )
        ]
        out = {}
        for table in tables:
            digest = hashlib.sha256()
            rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            for row in rows:
                digest.update(repr(row).encode())
            out[table] = (len(rows), digest.hexdigest())
        return out
    finally:
        con.close()


def _buttons(turn: Turn) -> list[p.Button]:
    last = turn.said[-1]
    body_buttons = getattr(last.body, "buttons", ()) if last.body is not None else ()
    return list(last.quick) or list(body_buttons)


def _sku(db: Database) -> str:
    with db.peek() as con:
        row = con.execute(
            "SELECT v.sku FROM product_variants v JOIN products p ON p.id = v.product_id"
            " WHERE v.stock > 2 AND p.active ORDER BY v.id LIMIT 1"
        ).fetchone()
    return str(row[0])


def test_a_checkout_discount_and_tag_flow_leaves_the_shop_database_unchanged(
    db: Database,
) -> None:
    """A flow that puts a product in the cart, gives a discount code, tags the customer, sets
    their stage and checks out runs to a placed order with the PromptPay QR — in the copy: the
    shop's every table keeps its rows, and no file is left in the data folder's trial/."""
    fill_demo_shop(db, seed=7, now=NOW)
    data_dir = db.path.parent
    nodes: list[dict[str, Any]] = [
        {"id": "add", "type": "action", "action": "add_to_cart", "sku": _sku(db), "next": "off"},
        {"id": "off", "type": "action", "action": "apply_discount", "percent": 10, "next": "tag"},
        {"id": "tag", "type": "action", "action": "tag_customer", "tag": "ลองซื้อ", "next": "st"},
        {"id": "st", "type": "action", "action": "set_status", "status": "qualified", "next": "co"},
        {"id": "co", "type": "action", "action": "checkout"},
    ]
    db.checkpoint()
    before = _fingerprint(db.path)
    before_bytes = db.path.read_bytes()
    trial = FlowTrial.open(
        db, data_dir, "สั่งด่วน", {"type": "keyword", "keywords": ["สั่งเลย"]}, nodes, clock=_clock
    )
    try:
        turn = trial.say("สั่งเลยค่ะ")
        assert [s.step for s in turn.said] == ["", "add", "co"]
        assert isinstance(turn.said[1].body, p.CartSummary)
        for words in ("สมชาย ใจดี", "0812345678", "99/1 ถ.สุขุมวิท แขวงคลองเตย กรุงเทพฯ 10110"):
            turn = trial.say(words)
        for _ in range(3):  # shipping, payment, confirm: the first button each time
            turn = trial.press(_buttons(turn)[0])
        qr = [s for s in turn.said if s.image_path]
        assert len(qr) == 1 and Path(qr[0].image_path).is_file()
        assert Path(qr[0].image_path).is_relative_to(trial.folder)
        assert "฿" in qr[0].caption
        with trial.db.peek() as con:
            assert con.execute("SELECT count(*) FROM discount_codes").fetchone()[0] >= 1
            placed = con.execute(
                "SELECT discount_satang FROM orders ORDER BY id DESC LIMIT 1"
            ).fetchone()
            assert placed[0] > 0  # the flow's 10 % code went on the order
            tags = con.execute("SELECT tags FROM customers ORDER BY id DESC LIMIT 1").fetchone()
            assert "ลองซื้อ" in json.loads(tags[0])
    finally:
        trial.close()
    assert _fingerprint(db.path) == before
    db.checkpoint()
    assert db.path.read_bytes() == before_bytes
    assert list((data_dir / TRIAL_FOLDER).iterdir()) == []
    assert not (paths.media_dir(data_dir) / "qr").exists()


def test_the_review_flow_waits_skips_time_and_hands_a_low_rating_over(db: Database) -> None:
    """The built-in review request starts on "the order reached the shopper" with the shop's
    latest order, waits three days for an answer (skipping the time ends it quietly), and a
    one-star answer on a restarted trial is handed over to a person."""
    fill_demo_shop(db, seed=7, now=NOW)
    with db.write() as s:
        flows = {f.builtin: f for f in builtins.ensure_builtin_flows(s)}
    review = flows[builtins.BUILTIN_REVIEW]
    with db.peek() as con:
        latest = con.execute("SELECT number FROM orders ORDER BY id DESC LIMIT 1").fetchone()[0]
    trial = FlowTrial.open(
        db, db.path.parent, review.name, review.trigger, review.nodes, flow_id=review.id
    )
    try:
        turn = trial.start()
        first = turn.said[0].body
        assert isinstance(first, p.Text) and latest in first.text
        assert turn.waiting is not None and turn.waiting.kind == "answer"
        assert turn.waiting.minutes == 3 * 24 * 60
        turn = trial.skip_time()
        assert turn.said == () and turn.ended and turn.waiting is None
    finally:
        trial.close()
    trial = FlowTrial.open(
        db, db.path.parent, review.name, review.trigger, review.nodes, flow_id=review.id
    )
    try:
        one_star = _buttons(trial.start())[-1]
        assert one_star.label == "⭐"
        turn = trial.press(one_star)
        assert turn.handed_off and turn.ended
        assert [s.step for s in turn.said] == ["", "sorry"]
    finally:
        trial.close()


def test_a_scratch_copy_left_behind_is_swept_at_the_next_open(db: Database) -> None:
    """A trial folder nothing wrote to for over an hour (the app quit with a trial open) is
    deleted when the next trial opens; the new one stays until it is closed."""
    left = db.path.parent / TRIAL_FOLDER / "trial-left"
    left.mkdir(parents=True)
    (left / "minichat.sqlite3").write_bytes(b"x" * 1000)
    old = time.time() - 2 * 3600
    for path in (left / "minichat.sqlite3", left):
        os.utime(path, (old, old))
    nodes: list[dict[str, Any]] = [{"id": "a", "type": "message", "text": "สวัสดีค่ะ"}]
    trial = FlowTrial.open(db, db.path.parent, "ทักทาย", {"type": "button"}, nodes)
    try:
        assert not left.exists()
        assert [p.name for p in (db.path.parent / TRIAL_FOLDER).iterdir()] == [trial.folder.name]
        assert [s.step for s in trial.start().said] == ["a"]
    finally:
        trial.close()
    assert not trial.folder.exists()
