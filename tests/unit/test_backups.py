"""Encrypted backups on real SQLite files: written, verified, rotated, restored; refused with a
wrong key, a mistyped phrase or a damaged file, with nothing changed; consistent while orders
are being placed."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from minichat_desktop import paths
from minichat_desktop.domain import shop
from minichat_desktop.domain.activity import notifications
from minichat_desktop.domain.catalog import products as catalog
from minichat_desktop.domain.models import Channel
from minichat_desktop.domain.sales import orders
from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.secrets import Secrets
from minichat_desktop.storage import backups
from minichat_desktop.storage.db import Database

NOW = dt.datetime(2026, 12, 6, 1, 30, tzinfo=dt.UTC)


def fill(db: Database, n_orders: int = 1) -> None:
    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "owner", name="ร้านทดสอบ")
        catalog.save_product(
            s,
            catalog.ProductInput(
                sku="TS-RED", name_th="เสื้อยืดสีแดง", price_satang=25900, stock=10_000
            ),
            "owner",
        )
    for _ in range(n_orders):
        place(db)


def place(db: Database) -> None:
    with db.write() as s:
        orders.place_order(
            s,
            orders.NewOrder(
                channel=Channel.LINE,
                customer_name="สมชาย",
                lines=[
                    orders.LineInput(quantity=1, sku="TS-RED"),
                    orders.LineInput(quantity=2, sku="TS-RED"),
                ],
            ),
            "bot",
        )


def counts(file: Path) -> tuple[int, int]:
    con = sqlite3.connect(file)
    try:
        return (
            con.execute("SELECT count(*) FROM orders").fetchone()[0],
            con.execute("SELECT count(*) FROM products").fetchone()[0],
        )
    finally:
        con.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    f = tmp_path / "usb"
    f.mkdir()
    return f


# ---------------------------------------------------------------------------- phrases


def test_recovery_phrase_round_trips_and_reads_forgivingly() -> None:
    """14 groups of 4; case, spaces, dashes and 0/1 for O/I do not matter."""
    key = backups.new_key()
    phrase = backups.recovery_phrase(key)
    groups = phrase.split("-")
    assert len(groups) == 14 and all(len(g) == 4 for g in groups)
    sloppy = " ".join(groups).lower().replace("o", "0").replace("i", "1")
    assert backups.key_from_phrase(sloppy) == key


def test_a_mistyped_phrase_is_refused_as_a_typo() -> None:
    phrase = backups.recovery_phrase(bytes(range(32)))
    wrong = ("B" if phrase[0] != "B" else "C") + phrase[1:]
    with pytest.raises(UserError) as exc:
        backups.key_from_phrase(wrong)
    assert exc.value.code == backups.BAD_PHRASE and "typo" in exc.value.message
    with pytest.raises(UserError) as short:
        backups.key_from_phrase(phrase[:-5])
    assert short.value.code == backups.BAD_PHRASE


def test_the_key_is_made_once_and_kept_in_the_keyring(tmp_path: Path) -> None:
    secrets = Secrets(tmp_path)
    key = backups.load_key(secrets)
    assert backups.load_key(secrets) == key and len(key) == 32
    with pytest.raises(UserError) as exc:
        backups.load_key(Secrets(tmp_path / "other"), create=False)
    assert exc.value.code == backups.NO_KEY


# ---------------------------------------------------------------------- write, verify, restore


def test_a_backup_is_written_verified_and_restored(
    new_db: Callable[[], Database], folder: Path
) -> None:
    """The manifest says what it holds; restoring it keeps the current file aside."""
    db = new_db()
    fill(db, n_orders=3)
    key = backups.new_key()
    result = backups.make_backup(db, folder, key, NOW)
    assert result.verified and result.check == "ok"
    assert result.path.name == f"minichat-{backups.key_id(key).hex()}-20261206-013000.mcbak"
    m = backups.read_manifest(result.path, key)
    assert (m.shop_name, m.products, m.orders, m.customers, m.taken_at) == (
        "ร้านทดสอบ",
        1,
        3,
        0,
        NOW,
    )
    assert "ร้านทดสอบ".encode() not in result.path.read_bytes()  # the name is not in clear
    place(db)  # after the backup: gone once restored
    target = new_db()
    target.dispose()
    live, restored = backups.restore(target.path.parent, result.path, key)
    assert counts(live) == (3, 1) and restored == m
    db_dir = db.path.parent
    place(db)
    live2, _ = backups.restore(db_dir, result.path, key)
    assert counts(live2) == (3, 1)
    kept = list(paths.backups_dir(db_dir).glob("before-restore-*.sqlite3"))
    assert [counts(k) for k in kept] == [(5, 1)]  # the current file was kept aside first


def test_a_wrong_key_or_phrase_is_refused_and_nothing_changes(
    new_db: Callable[[], Database], folder: Path
) -> None:
    db = new_db()
    fill(db, n_orders=2)
    result = backups.make_backup(db, folder, backups.new_key(), NOW)
    other = new_db()
    fill(other, n_orders=1)
    other.dispose()
    before = other.path.read_bytes()
    wrong = backups.key_from_phrase(backups.recovery_phrase(backups.new_key()))
    with pytest.raises(UserError) as exc:
        backups.restore(other.path.parent, result.path, wrong)
    assert exc.value.code == backups.WRONG_KEY
    assert "recovery phrase" in exc.value.message
    with pytest.raises(UserError) as listing:
        backups.read_manifest(result.path, wrong)
    assert listing.value.code == backups.WRONG_KEY
    assert other.path.read_bytes() == before
    assert not paths.backups_dir(other.path.parent).exists()


@pytest.mark.parametrize("damage", ["flip", "truncate", "cut_at_chunk", "append"])
def test_a_damaged_backup_is_refused_with_a_clear_message(
    new_db: Callable[[], Database], folder: Path, damage: str
) -> None:
    db = new_db()
    fill(db, n_orders=2)
    key = backups.new_key()
    result = backups.make_backup(db, folder, key, NOW)
    data = bytearray(result.path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        del data[len(data) - 100 :]
    elif damage == "cut_at_chunk":
        # A whole file's worth of header and manifest, no chunks: cut where a chunk begins.
        m_len = int.from_bytes(data[17 + 12 : 17 + 16], "big")
        del data[17 + 16 + m_len :]
    else:
        data += b"\x00" * 40
    result.path.write_bytes(bytes(data))
    other = new_db()
    other.dispose()
    before = other.path.read_bytes()
    with pytest.raises(UserError) as exc:
        backups.restore(other.path.parent, result.path, key)
    assert exc.value.code == backups.CORRUPT
    assert "is damaged" in exc.value.message and "choose another backup" in exc.value.message
    assert other.path.read_bytes() == before
    with backups._scratch(db) as tmp:
        assert backups.verify(result.path, key, tmp) != "ok"


def test_a_backup_from_a_newer_minichat_is_refused_before_anything_changes(
    new_db: Callable[[], Database], folder: Path
) -> None:
    db = new_db()
    fill(db)
    db.dispose()
    con = sqlite3.connect(db.path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    key = backups.new_key()
    result = backups.make_backup(db, folder, key, NOW)
    other = new_db()
    other.dispose()
    before = other.path.read_bytes()
    with pytest.raises(UserError) as exc:
        backups.restore(other.path.parent, result.path, key)
    assert exc.value.code == backups.NEWER_FORMAT and "schema 9999" in exc.value.message
    assert other.path.read_bytes() == before


def test_a_file_that_is_not_a_backup_is_named_so(tmp_path: Path) -> None:
    junk = tmp_path / "photo.mcbak"
    junk.write_bytes(b"\x89PNG\r\n" + b"x" * 100)
    with pytest.raises(UserError) as exc:
        backups.read_manifest(junk, backups.new_key())
    assert exc.value.code == backups.NOT_A_BACKUP


def test_a_backup_taken_while_orders_are_placed_is_consistent(
    new_db: Callable[[], Database], folder: Path
) -> None:
    """Another thread places orders (each of two lines, 3 pieces) all along: every backup
    passes integrity_check and holds one committed state — whole orders, stock to match."""
    db = new_db()
    fill(db, n_orders=1)
    key = backups.new_key()
    stop = threading.Event()
    placed = [0]

    def shopper() -> None:
        while not stop.is_set():
            place(db)
            placed[0] += 1

    worker = threading.Thread(target=shopper)
    worker.start()
    results = []
    try:
        for i in range(4):
            results.append(backups.make_backup(db, folder, key, NOW + dt.timedelta(days=i)))
    finally:
        stop.set()
        worker.join()
    assert placed[0] > 0
    for result in results:
        assert result.verified
        with backups._scratch(db) as tmp:
            plain, manifest = backups.open_backup(result.path, key, tmp)
            con = sqlite3.connect(plain)
            n_orders, n_items, pieces = con.execute(
                "SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items),"
                " (SELECT sum(quantity) FROM order_items)"
            ).fetchone()
            stock = con.execute("SELECT sum(stock) FROM product_variants").fetchone()[0]
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            con.close()
        assert n_orders == manifest.orders
        assert (n_items, pieces, stock) == (2 * n_orders, 3 * n_orders, 10_000 - 3 * n_orders)


# ---------------------------------------------------------------------------- rotation


def _year() -> list[dt.datetime]:
    """A backup every day of 2026 at 02:00 UTC (09:00 in Bangkok), and a second one at
    15:00 UTC (22:00) on Sundays."""
    start = dt.datetime(2026, 1, 1, 2, tzinfo=dt.UTC)
    times = []
    for day in range(365):
        t = start + dt.timedelta(days=day)
        times.append(t)
        if t.weekday() == 6:
            times.append(t.replace(hour=15))
    return times


def test_rotation_keeps_7_daily_4_weekly_12_monthly_over_a_year() -> None:
    keep = backups.to_keep(_year())
    bkk = sorted(t.astimezone(backups.BANGKOK) for t in keep)
    last = dt.date(2026, 12, 31)
    daily = {last - dt.timedelta(days=i) for i in range(7)}
    assert {t.date() for t in bkk} >= daily
    # The newest of each of the last 4 ISO weeks: Thu 31 Dec (week 53), Sun 27, 20, 13 Dec (22:00).
    for sunday in (27, 20, 13):
        assert dt.datetime(2026, 12, sunday, 15, tzinfo=dt.UTC) in keep
    # The newest of each month (Bangkok calendar), for all 12 months: 31 May is a Sunday, so
    # its 22:00 backup.
    for month in range(1, 13):
        newest = max(t for t in _year() if t.astimezone(backups.BANGKOK).month == month)
        assert newest in keep
    assert dt.datetime(2026, 5, 31, 15, tzinfo=dt.UTC) in keep
    # 7 days (25-31 Dec); weeks 53 and 52 are already there (31 Dec, and 27 Dec's newest),
    # so 2 more weeks; December's newest is a daily one, so 11 more months (31 Jan-30 Nov).
    assert len(keep) == 7 + 2 + 11


def test_rotating_every_day_keeps_what_rotating_once_keeps() -> None:
    """The rule is stable: applied after each backup, as the app does, it ends with the same
    set as applied once at the end of the year (nothing the rule wants was deleted early)."""
    kept: list[dt.datetime] = []
    for t in _year():
        kept = sorted(backups.to_keep([*kept, t]))
    assert set(kept) == backups.to_keep(_year())


def test_a_few_backups_are_all_kept() -> None:
    times = [NOW - dt.timedelta(days=40 * i) for i in range(5)]
    assert backups.to_keep(times) == set(times)


def test_rotation_in_the_folder_deletes_only_this_keys_old_backups(
    new_db: Callable[[], Database], folder: Path
) -> None:
    db = new_db()
    fill(db)
    key, other_key = backups.new_key(), backups.new_key()
    foreign = backups.make_backup(db, folder, other_key, NOW - dt.timedelta(days=300)).path
    stranger = folder / "holiday.jpg"
    stranger.write_bytes(b"not ours")
    for day in range(20):
        backups.make_backup(db, folder, key, NOW - dt.timedelta(days=19 - day))
    mine = backups.list_backups(folder, key)
    assert {b.taken_at for b in mine} == backups.to_keep(
        [NOW - dt.timedelta(days=d) for d in range(20)]
    )
    assert len(mine) < 20 and foreign.exists() and stranger.exists()


# ---------------------------------------------------------------------------- the schedule


def test_due_daily_and_an_hour_after_a_failure() -> None:
    s = backups.BackupState()
    assert backups.due(s, NOW)
    done = backups.BackupState(last_at=NOW)
    assert not backups.due(done, NOW + dt.timedelta(hours=23))
    assert backups.due(done, NOW + dt.timedelta(days=1))
    failed = backups.BackupState(last_at=NOW, failed_at=NOW + dt.timedelta(days=1))
    assert not backups.due(failed, NOW + dt.timedelta(days=1, minutes=59))
    assert backups.due(failed, NOW + dt.timedelta(days=1, hours=1))


def test_state_round_trips_through_text() -> None:
    s = backups.BackupState(
        folder=Path("/media/usb"),
        last_at=NOW,
        last_path="/media/usb/x.mcbak",
        last_size=1234,
        last_verified=True,
        last_check="ok",
        failed_at=NOW,
        failed_code="c",
        failed_text="t",
    )
    assert backups.BackupState.from_strings(s.to_strings()) == s
    assert backups.BackupState.from_strings({}) == backups.BackupState()


def test_a_missing_folder_is_a_notification_not_a_silent_skip(
    new_db: Callable[[], Database], tmp_path: Path
) -> None:
    db = new_db()
    fill(db)
    secrets = Secrets(db.path.parent)
    state = backups.BackupState(folder=tmp_path / "unplugged")
    state, result = backups.run(db, secrets, state, NOW)
    assert result is None and state.failed_code == backups.FOLDER_MISSING
    assert not (tmp_path / "unplugged").exists()  # never created where a drive was
    state, _ = backups.run(db, secrets, state, NOW + dt.timedelta(hours=1))  # told once a day
    with db.read() as s:
        told = notifications.list_notifications(s)
    told = [n for n in told if n.kind == "backup"]
    assert [(n.title, n.title_en) for n in told] == [("สำรองข้อมูลไม่สำเร็จ", "Backup failed")]
    assert "unplugged" in told[0].body and "Settings → Backups" in told[0].body
    (tmp_path / "unplugged").mkdir()
    state, result = backups.run(db, secrets, state, NOW + dt.timedelta(hours=2))
    assert result is not None and state.last_verified and state.failed_code == ""
    assert state.last_size == result.path.stat().st_size


def test_a_full_folder_is_refused_before_writing(
    new_db: Callable[[], Database], folder: Path
) -> None:
    """A folder with less free space than the database raises backup.folder_full (checked
    with the real free space: a database bigger than it cannot be made here, so the check is
    driven through its own function)."""
    with pytest.raises(EnvironmentProblem) as exc:
        backups._check_folder(folder, 1 << 62)
    assert exc.value.code == backups.FOLDER_FULL and "full" in exc.value.message


def test_no_folder_chosen_backs_up_beside_the_database(new_db: Callable[[], Database]) -> None:
    db = new_db()
    fill(db)
    _state, result = backups.run(db, Secrets(db.path.parent), backups.BackupState(), NOW)
    assert result is not None
    assert result.path.parent == backups.default_folder(db.path.parent)
