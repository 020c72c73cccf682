"""``minichat demo-data``, ``minichat db upgrade``, ``minichat backup FILE`` and ``minichat
restore FILE``: the data folder's database — the demo shop, its schema, backups.

``minichat backup FILE`` writes a plain SQLite copy; ``minichat backup --now`` an encrypted
backup into the backup folder (as the app does daily) and ``minichat backup --list`` lists that
folder's backups with what they hold. ``minichat restore FILE`` takes either kind; an encrypted
one is opened with the key in this computer's keyring or, with ``--recovery-phrase-stdin``, the
recovery phrase read from standard input (see :mod:`minichat_desktop.storage.backups`).

Exit codes as for every command: 0 done, 2 a user error (the demo shop into a folder that has
products, a restore while the app is open on the folder), 1 the environment (disk, locks, a
file that is not a backup).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from minichat_desktop.commands.common import (
    EXIT_OK,
    CommandSet,
    UsageError,
    holding_the_folder,
    open_db,
    print_json,
)
from minichat_desktop.errors import UserError

if TYPE_CHECKING:
    from minichat_desktop.secrets import Secrets
    from minichat_desktop.storage.backups import BackupState
    from minichat_desktop.storage.db import Database


def register(commands: CommandSet) -> None:
    commands.add("demo-data", cmd_demo_data, "fill the data folder with the demo shop")
    db = commands.group("db", "database maintenance")
    commands.add(
        "upgrade", cmd_db_upgrade, "bring the database schema up to date (backs up first)", db
    )
    backup = commands.add(
        "backup",
        cmd_backup,
        "back up the database to FILE (safe while the app runs); --now and --list work on "
        "the encrypted backups in the backup folder",
    )
    backup.add_argument("file", metavar="FILE", nargs="?", help="a plain SQLite copy to write")
    backup.add_argument(
        "--now", action="store_true", help="make an encrypted backup into the backup folder"
    )
    backup.add_argument(
        "--list", action="store_true", help="list the backup folder's backups and what they hold"
    )
    backup.add_argument(
        "--folder", metavar="DIR", help="the backup folder (default: the chosen one)"
    )
    backup.add_argument("--json", action="store_true", help="with --list: JSON")
    backup.add_argument(
        "--recovery-phrase-stdin",
        action="store_true",
        help="with --list: read the backups' recovery phrase from standard input",
    )
    restore = commands.add(
        "restore",
        cmd_restore,
        "replace the database with the backup FILE, plain or encrypted (the current one is "
        "kept aside first)",
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--recovery-phrase-stdin",
        action="store_true",
        help="read the recovery phrase of an encrypted backup from standard input (else the "
        "key in this computer's keyring is used)",
    )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from minichat_desktop.storage import migrate

    db = open_db(args)
    head, _ = migrate.known_revisions()
    print(f"database {db.path} is at schema {head}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    if sum(bool(x) for x in (args.file, args.now, args.list)) != 1:
        raise UsageError("cli.backup_what", "give one of FILE, --now or --list")
    if args.list:
        return _list_backups(args)
    db = open_db(args)
    if args.now:
        return _backup_now(args, db)
    target = db.backup_to(Path(args.file))
    print(f"backed up {db.path} to {target}")
    return EXIT_OK


def _state(data_path: Path) -> BackupState:
    from minichat_desktop.ui.context import AppContext, load_backup_state

    return load_backup_state(AppContext.settings_for(data_path))


def _backup_now(args: argparse.Namespace, db: Database) -> int:
    import datetime as dt

    from minichat_desktop.errors import EnvironmentProblem
    from minichat_desktop.secrets import Secrets
    from minichat_desktop.storage import backups
    from minichat_desktop.ui.context import AppContext, save_backup_state

    state = _state(args.data_path)
    if args.folder:
        state = backups.BackupState(folder=Path(args.folder).expanduser().resolve())
    new_state, result = backups.run(db, Secrets(args.data_path), state, dt.datetime.now(dt.UTC))
    if not args.folder:
        save_backup_state(AppContext.settings_for(args.data_path), new_state)
    if result is None:
        raise EnvironmentProblem(new_state.failed_code, new_state.failed_text)
    said = "verified" if result.verified else f"NOT verified: {result.check}"
    print(f"backed up to {result.path} ({result.size} bytes, {said})")
    return EXIT_OK


def _read_phrase_key() -> bytes:
    from minichat_desktop.storage import backups

    return backups.key_from_phrase(sys.stdin.read())


def _list_backups(args: argparse.Namespace) -> int:
    from minichat_desktop.secrets import Secrets
    from minichat_desktop.storage import backups

    folder = (
        Path(args.folder).expanduser().resolve()
        if args.folder
        else backups.folder_of(_state(args.data_path), args.data_path)
    )
    key: bytes | None
    try:
        key = (
            _read_phrase_key()
            if args.recovery_phrase_stdin
            else backups.load_key(Secrets(args.data_path), create=False)
        )
    except UserError:
        if args.recovery_phrase_stdin:
            raise
        key = None  # listed without what they hold
    rows = []
    for found in backups.list_backups(folder):
        row: dict[str, object] = {
            "file": str(found.path),
            "size": found.size,
            "taken_at": found.taken_at.isoformat(),
        }
        try:
            if key is None:
                raise UserError(backups.NO_KEY, "no backup key on this computer")
            row["manifest"] = backups.read_manifest(found.path, key).as_dict()
        except UserError as exc:
            row["manifest"] = None
            row["unreadable"] = exc.message
        rows.append(row)
    if args.json:
        print_json(rows)
        return EXIT_OK
    print(f"{len(rows)} backups in {folder}")
    for row in rows:
        m = row["manifest"]
        what = (
            f"{m['shop_name']}: {m['products']} products, {m['orders']} orders, "
            f"{m['customers']} customers"
            if isinstance(m, dict)
            else f"cannot read: {row['unreadable']}"
        )
        print(f"{row['taken_at']}  {row['size']:>12}  {Path(str(row['file'])).name}  {what}")
    return EXIT_OK


@holding_the_folder("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    from minichat_desktop.storage import backups
    from minichat_desktop.storage.db import restore_from

    source = Path(args.file).expanduser().resolve()
    if backups.is_encrypted_backup(source):
        from minichat_desktop.secrets import Secrets

        secrets = Secrets(args.data_path)
        if args.recovery_phrase_stdin:
            key = _read_phrase_key()
        else:
            key = backups.load_key(secrets, create=False)
        live, manifest = backups.restore(args.data_path, source, key)
        if args.recovery_phrase_stdin:
            _keep_key(secrets, key)
        print(
            f"backup of {manifest.shop_name!r} taken {manifest.taken_at.isoformat()}: "
            f"{manifest.products} products, {manifest.orders} orders, "
            f"{manifest.customers} customers"
        )
    else:
        if args.recovery_phrase_stdin:
            raise UsageError(
                "cli.not_encrypted", f"{source} is not encrypted: give it without a phrase"
            )
        live = restore_from(args.data_path, source)
    open_db(args)  # a backup from an older MiniChat is brought up to date now
    print(f"restored {args.file} into {live}")
    return EXIT_OK


def _keep_key(secrets: Secrets, key: bytes) -> None:
    """After a restore with the phrase on a computer with no backup key, the key is kept, so
    the next backups open with the same phrase the owner already wrote down."""
    from minichat_desktop.errors import EnvironmentProblem
    from minichat_desktop.storage import backups

    try:
        if secrets.get(backups.KEY_SECRET) is None:
            backups.store_key(secrets, key)
    except EnvironmentProblem as exc:
        print(f"warning: the backup key was not kept: {exc.message}", file=sys.stderr)


def cmd_demo_data(args: argparse.Namespace) -> int:
    from minichat_desktop.demo.chats import prepare_demo_shop

    db = open_db(args)
    if not prepare_demo_shop(db):
        raise UserError(
            "demo.not_empty",
            f"{db.path} already has products; the demo shop "
            "goes into an empty data folder (choose one with --data-dir)",
        )
    print(f"demo shop written to {db.path}")
    return EXIT_OK
