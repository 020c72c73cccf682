"""``minichat demo-data``, ``minichat db upgrade``, ``minichat backup FILE`` and ``minichat
restore FILE``: the data folder's database — the demo shop, its schema, backups.

Exit codes as for every command: 0 done, 2 a user error (the demo shop into a folder that has
products, a restore while the app is open on the folder), 1 the environment (disk, locks, a
file that is not a backup).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from minichat_desktop.commands.common import EXIT_OK, CommandSet, holding_the_folder, open_db
from minichat_desktop.errors import UserError


def register(commands: CommandSet) -> None:
    commands.add("demo-data", cmd_demo_data, "fill the data folder with the demo shop")
    db = commands.group("db", "database maintenance")
    commands.add(
        "upgrade", cmd_db_upgrade, "bring the database schema up to date (backs up first)", db
    )
    commands.add(
        "backup", cmd_backup, "back up the database to FILE (safe while the app runs)"
    ).add_argument("file", metavar="FILE")
    commands.add(
        "restore",
        cmd_restore,
        "replace the database with the backup FILE (the current one is backed up first)",
    ).add_argument("file", metavar="FILE")


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from minichat_desktop.storage import migrate

    db = open_db(args)
    head, _ = migrate.known_revisions()
    print(f"database {db.path} is at schema {head}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    db = open_db(args)
    target = db.backup_to(Path(args.file))
    print(f"backed up {db.path} to {target}")
    return EXIT_OK


@holding_the_folder("restore")
def cmd_restore(args: argparse.Namespace) -> int:
    from minichat_desktop.storage.db import restore_from

    live = restore_from(args.data_path, Path(args.file))
    open_db(args)  # a backup from an older MiniChat is brought up to date now
    print(f"restored {args.file} into {live}")
    return EXIT_OK


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
