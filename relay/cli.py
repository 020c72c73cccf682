"""``minichat-relay``: run the relay and administer its shops.

Exit codes: 0 success, 2 a user error (the message says what), 1 an environment error.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from relay import backup, rekey
from relay import protocol as p
from relay import version as relay_version
from relay.meta_store import MetaCredentials, MetaStore
from relay.serve_lock import FolderBusy, ServeLock
from relay.storage import (
    KeyProblem,
    LineCredentials,
    NotFound,
    SchemaMismatch,
    Store,
    StoreError,
    existing_key,
    key_source,
)

EXIT_OK, EXIT_ENV, EXIT_USER = 0, 1, 2

ENV_METRICS_PORT = "MINICHAT_RELAY_METRICS_PORT"
ENV_STORE = "MINICHAT_RELAY_STORE"
# The database password alone, in a file (a Docker secret, a systemd credential): the same
# file PostgreSQL's image reads as POSTGRES_PASSWORD_FILE, so one secret serves both.
ENV_STORE_PASSWORD_FILE = "MINICHAT_RELAY_STORE_PASSWORD_FILE"
STORE_HELP = (
    "where the relay keeps its state: a postgresql://user@host:port/db URL shared by several "
    f"relay processes, else the SQLite file in the data folder (default: ${ENV_STORE}, else "
    f"SQLite). The password: ${ENV_STORE_PASSWORD_FILE} (a file holding it), or libpq's "
    "PGPASSFILE; never on the command line. Every process needs the same relay key "
    "($MINICHAT_RELAY_KEY)"
)
ENV_LINE_SECRET = "MINICHAT_LINE_CHANNEL_SECRET"
ENV_LINE_TOKEN = "MINICHAT_LINE_CHANNEL_TOKEN"
ENV_META_SECRET = "MINICHAT_META_APP_SECRET"
ENV_META_TOKEN = "MINICHAT_META_PAGE_TOKEN"
ENV_META_VERIFY = "MINICHAT_META_VERIFY_TOKEN"
MAX_CREDENTIAL = 1000  # LINE's secrets are 32 characters and its long-lived tokens about 172


class UserError(Exception):
    """Something the operator can fix; the message says what."""


def default_data_dir() -> Path:
    env = os.environ.get("MINICHAT_RELAY_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("minichat-relay", appauthor=False))


def _serve_options(s: argparse.ArgumentParser) -> None:
    """The options of ``serve``."""
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8080, help="port (0 = any free port; default 8080)")
    s.add_argument(
        "--public-url",
        default=os.environ.get("MINICHAT_RELAY_PUBLIC_URL"),
        help="the https URL shoppers and LINE reach this relay at (default: http://HOST:PORT)",
    )
    s.add_argument(
        "--demo-page", action="store_true", help="serve GET /demo/{shop_id}, a page with the widget"
    )
    s.add_argument(
        "--max-upload", type=int, default=p.MAX_IMAGE_BYTES, help="largest image in bytes"
    )
    s.add_argument(
        "--shopper-rate", type=float, default=2.0, help="messages/s per shopper (0 = no limit)"
    )
    s.add_argument(
        "--shopper-burst", type=float, default=20.0, help="burst of messages per shopper"
    )
    s.add_argument(
        "--ip-rate", type=float, default=2.0, help="widget connections/s per IP (0 = no limit)"
    )
    s.add_argument(
        "--ip-burst", type=float, default=60.0, help="burst of widget connections per IP"
    )
    s.add_argument(
        "--ip-sockets",
        type=int,
        default=500,
        help="widget connections open at once per IP (0 = no limit)",
    )
    s.add_argument(
        "--keep-free-mb",
        type=int,
        default=1024,
        help="refuse shoppers' pictures that would leave less free disk (SQLite; 0 = no check)",
    )
    s.add_argument(
        "--stop-at-stdin-eof",
        action="store_true",
        help="stop when standard input closes (a relay started by an app, on a pipe, dies with it)",
    )
    # (also after ``serve``; the subcommand's value wins only when given)
    s.add_argument("--store", default=argparse.SUPPRESS, help=STORE_HELP)
    s.add_argument(
        "--trust-proxy",
        action="store_true",
        help="take the client IP from X-Forwarded-For (only behind your own proxy)",
    )
    s.add_argument(
        "--metrics-port",
        default=os.environ.get(ENV_METRICS_PORT),
        help="serve Prometheus metrics at http://METRICS_HOST:PORT/metrics, a listener of its "
        f"own (default: ${ENV_METRICS_PORT}, else none; 0 = any free port)",
    )
    s.add_argument(
        "--metrics-host",
        default=os.environ.get("MINICHAT_RELAY_METRICS_HOST", "127.0.0.1"),
        help="address of the metrics listener (default 127.0.0.1: keep it off the internet)",
    )
    s.add_argument(
        "--drain-grace",
        type=float,
        default=0.0,
        help="seconds between SIGTERM and closing the sockets, while /readyz answers 503 so a "
        "load balancer stops sending new clients (default 0; a second SIGTERM cuts it short)",
    )
    s.add_argument(
        "--lock-wait",
        type=float,
        default=10.0,
        help="seconds to wait for another relay serving the same data folder to stop (it may "
        "be draining) before giving up; one relay per SQLite folder (default 10)",
    )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="minichat-relay",
        description="The MiniChat relay: connects shoppers (web widget, LINE) to shop desktops.",
    )
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the relay database and key (default: $MINICHAT_RELAY_DATA_DIR or the "
        "user data folder)",
    )
    ap.add_argument(
        "--log-level",
        default=os.environ.get("MINICHAT_RELAY_LOG_LEVEL", "INFO"),
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (logs go to stderr)",
    )
    ap.add_argument("--store", default=os.environ.get(ENV_STORE) or None, help=STORE_HELP)
    ap.add_argument(
        "--version", action=_Version, nargs=0, help="the relay's version and table layouts"
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser(
        "serve",
        help="run the relay (HTTP and WebSocket on one port)",
        description="Run the relay until SIGTERM. Prints one JSON line with the bound address.",
    )
    _serve_options(s)

    shops = sub.add_parser(
        "shops", help="administer shops", description="Administer the shops of this relay."
    )
    ss = shops.add_subparsers(dest="shops_command", required=True, metavar="SUBCOMMAND")
    a = ss.add_parser("add", help="create a shop; prints its id and token (shown once)")
    a.add_argument("name", help="the shop's name")
    ls = ss.add_parser("list", help="list shops")
    ls.add_argument("--json", action="store_true", help="one JSON object per line")
    r = ss.add_parser("rotate-token", help="issue a new token (the old one stops working at once)")
    r.add_argument("shop_id")
    ln = ss.add_parser(
        "line",
        help="set (or clear) the shop's LINE channel secret and access token",
        description="Set the shop's LINE channel secret and channel access token. They are read "
        f"from ${ENV_LINE_SECRET} and ${ENV_LINE_TOKEN}, or, when those are unset, from "
        "standard input (asked for without echo on a terminal; else two lines: the secret, "
        "then the token). Never from the command line, where `ps` and the shell history "
        "would show them.",
    )
    ln.add_argument("shop_id")
    # The old options are kept only to refuse them with a message saying what to do instead.
    ln.add_argument("--channel-secret", help=argparse.SUPPRESS)
    ln.add_argument("--channel-token", help=argparse.SUPPRESS)
    ln.add_argument("--clear", action="store_true", help="disconnect LINE")
    _meta_parser(ss)
    o = ss.add_parser("origins", help="show or set the web origins allowed to embed the widget")
    o.add_argument("shop_id")
    o.add_argument(
        "origins", nargs="*", help="e.g. https://shop.example (or * for any); none: show"
    )
    o.add_argument("--clear", action="store_true", help="allow only the relay's own demo page")
    rm = ss.add_parser("remove", help="delete a shop and everything queued for it")
    rm.add_argument("shop_id")
    rm.add_argument("--yes", action="store_true", help="really delete")
    _backup_parsers(sub)
    _move_parser(sub)
    sub.add_parser(
        "rotate-key",
        help="seal every shop's credentials again with the relay's first key",
        description="Seal every shop's LINE and Facebook/Instagram credentials again with the"
        " first of the relay's keys ($MINICHAT_RELAY_KEY, $MINICHAT_RELAY_KEY_FILE or relay.key:"
        " one key per line, the new one first; every one opens). To change the key: give every"
        " relay process the new key and then the old one, restart them, run this, then drop"
        " the old key and restart again (docs/deploy.md). Nothing changes when a credential"
        " opens with none of the keys.",
    )
    return ap


class _Version(argparse.Action):
    """``--version``, worked out only when asked (it may load psycopg to say the PostgreSQL
    layout: no other command pays for that)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        print(relay_version.describe())
        parser.exit()


def _backup_parsers(sub: Any) -> None:
    """``backup DEST`` and ``restore BACKUP [--forget-credentials]`` (relay/backup.py)."""
    b = sub.add_parser(
        "backup",
        help="copy the SQLite store to a new file (safe while the relay serves)",
        description="Copy the relay's SQLite database to a new file with SQLite's online"
        " backup: one consistent snapshot, taken while the relay serves, checked, in one file."
        " The relay key is not in it: keep a copy of the key apart. On PostgreSQL (--store),"
        " use pg_dump.",
    )
    b.add_argument(
        "dest",
        help="a new file, a folder (the file is relay-<UTC time>.sqlite3), or - for standard"
        " output",
    )
    b.add_argument(
        "--keep",
        type=int,
        metavar="N",
        help="with a folder: then delete all but the newest N backups this command made there",
    )
    r = sub.add_parser(
        "restore",
        help="put a backup in place of the SQLite store (with the relay stopped)",
        description="Put a backup made by `minichat-relay backup` in place of the relay's"
        " SQLite database. No relay may serve the data folder meanwhile. The database it"
        " replaces is kept beside it as relay.sqlite3.before-restore-<UTC time>. On"
        " PostgreSQL (--store), use pg_restore.",
    )
    r.add_argument("backup", help="the backup file, or - for standard input")
    r.add_argument(
        "--forget-credentials",
        action="store_true",
        help="restore without the shops' LINE and Facebook credentials (when the key that"
        " sealed them is lost): set them again afterwards with shops line / shops meta",
    )


def _move_parser(sub: Any) -> None:
    """``move-to URL [--yes]`` (relay/move.py)."""
    m = sub.add_parser(
        "move-to",
        help="move the SQLite store's whole state into an empty PostgreSQL database",
        description="Copy everything the relay keeps in the data folder's SQLite database"
        " (shops and their tokens, credentials, widget sessions, conversations, what each"
        " desktop has still to get, LINE and Facebook sends pending) into an empty PostgreSQL"
        " database, in one transaction, and check it reads back the same. With the relay"
        " stopped. The data folder is left as it is. Without --yes: only the check, nothing"
        f" is copied. The database password as for --store (${ENV_STORE_PASSWORD_FILE} or"
        " PGPASSFILE); the relay key as for serve: the same key serves the new store.",
    )
    m.add_argument("url", help="the new store: postgresql://user@host:port/database (empty)")
    m.add_argument("--yes", action="store_true", help="really move (else: check only)")


def _meta_parser(ss: Any) -> None:
    """``shops meta SHOP_ID [--clear]``."""
    mt = ss.add_parser(
        "meta",
        help="set (or clear) the shop's Facebook Page / Instagram credentials",
        description="Set the shop's Meta app secret, Page access token and webhook verify token, "
        f"read from ${ENV_META_SECRET}, ${ENV_META_TOKEN} and ${ENV_META_VERIFY} (never from "
        "the command line, where `ps` and the shell history would show them).",
    )
    mt.add_argument("shop_id")
    mt.add_argument("--clear", action="store_true", help="disconnect Facebook and Instagram")


def _open(args: argparse.Namespace) -> Store:
    data_dir = args.data_dir or default_data_dir()
    url = args.store
    if not url:
        return Store(data_dir)
    if not url.startswith(("postgresql://", "postgres://")):
        raise UserError(
            f"--store: {url.split('://', 1)[0]!r} is not a store this relay knows; give a"
            " postgresql://user@host:port/database URL (or none, for SQLite)"
        )
    try:
        from relay.store_pg import PgStore
    except ImportError as exc:
        raise UserError(
            f"--store postgresql://…: psycopg is not installed ({exc});"
            " pip install 'psycopg[binary]'"
        ) from exc
    return PgStore(url, data_dir, _store_password(url))


def _store_password(url: str) -> str | None:
    """The database password from ``$MINICHAT_RELAY_STORE_PASSWORD_FILE`` (None: not set;
    libpq then looks in PGPASSFILE / ~/.pgpass). Trailing line ends are dropped, as the
    PostgreSQL image does with its POSTGRES_PASSWORD_FILE. The errors name the file, never
    what is in it."""
    path = os.environ.get(ENV_STORE_PASSWORD_FILE)
    if not path:
        return None
    if urlsplit(url).password:
        raise UserError(
            f"--store: the URL has a password and ${ENV_STORE_PASSWORD_FILE} is set too;"
            " keep the password in the file only (postgresql://user@host:port/database)"
        )
    try:
        password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise UserError(
            f"cannot read the database password file {path} (${ENV_STORE_PASSWORD_FILE}):"
            f" {why}; it must be readable by the relay's user"
        ) from exc
    if not password:
        raise UserError(
            f"the database password file {path} (${ENV_STORE_PASSWORD_FILE}) is empty;"
            " write the password of the store's user in it"
        )
    return password


def _shop_json(shop: Any, store: Store) -> dict[str, Any]:
    return {
        "shop_id": shop.id,
        "name": shop.name,
        "created_at": shop.created_at,
        "line_configured": shop.line_configured,
        "meta_configured": MetaStore(store).configured(shop.id),
        "allowed_origins": list(shop.allowed_origins),
        "pending_for_desktop": store.pending_count(shop.id),
    }


def _shops(args: argparse.Namespace) -> int:
    store = _open(args)
    try:
        cmd = args.shops_command
        if cmd == "add":
            name = args.name.strip()
            if not name or len(name) > 200:
                raise UserError("name: must be 1-200 characters")
            shop_id, token = store.add_shop(name)
            print(f"Created shop {shop_id}. Keep the token: it is shown only this once.")
            print(json.dumps({"shop_id": shop_id, "token": token}))
        elif cmd == "list":
            shops = store.shops()
            for shop in shops:
                if args.json:
                    print(json.dumps(_shop_json(shop, store), ensure_ascii=False))
                else:
                    line = "LINE" if shop.line_configured else "-"
                    print(f"{shop.id}\t{shop.name}\t{line}\t{store.pending_count(shop.id)} waiting")
            if not shops and not args.json:
                print("no shops yet: minichat-relay shops add NAME")
        elif cmd == "rotate-token":
            token = store.rotate_token(args.shop_id)
            print(f"New token for {args.shop_id}; the old one no longer works.")
            print(json.dumps({"shop_id": args.shop_id, "token": token}))
        elif cmd == "line":
            if args.channel_secret is not None or args.channel_token is not None:
                raise UserError(
                    "--channel-secret and --channel-token are no longer taken: on the command "
                    f"line they show in `ps` and the shell history. Set ${ENV_LINE_SECRET} and "
                    f"${ENV_LINE_TOKEN}, or leave them unset and type the two values when asked "
                    "(or pipe them in, one per line)"
                )
            store.shop(args.shop_id)  # an unknown shop is refused before asking for secrets
            store.set_line(args.shop_id, None if args.clear else _line_credentials())
            store.commit()
            print(json.dumps({"shop_id": args.shop_id, "line_configured": not args.clear}))
        elif cmd == "meta":
            store.shop(args.shop_id)
            MetaStore(store).set_credentials(args.shop_id, None if args.clear else _meta_env())
            store.commit()
            print(json.dumps({"shop_id": args.shop_id, "meta_configured": not args.clear}))
        elif cmd == "origins":
            if args.clear or args.origins:
                try:
                    origins = () if args.clear else p.parse_origins(list(args.origins))
                except p.ProtocolError as exc:
                    raise UserError(str(exc)) from exc
                store.set_origins(args.shop_id, origins)
                store.commit()
            shop = store.shop(args.shop_id)
            print(json.dumps({"shop_id": shop.id, "allowed_origins": list(shop.allowed_origins)}))
        elif cmd == "remove":
            if not args.yes:
                raise UserError("this deletes the shop and its queued messages: add --yes")
            store.remove_shop(args.shop_id)
            print(json.dumps({"shop_id": args.shop_id, "removed": True}))
        return EXIT_OK
    except NotFound as exc:
        raise UserError(f"no such shop: {exc.args[0]} (see: minichat-relay shops list)") from exc
    finally:
        store.close()


def _backup(args: argparse.Namespace) -> int:
    """``backup`` and ``restore`` of the SQLite store (relay/backup.py); ``-``: the backup on
    standard output / input (the messages then go to standard error)."""
    if args.store:
        raise UserError(
            f"{args.command}: this relay keeps its state in PostgreSQL (--store): back it up"
            " with pg_dump and restore it with pg_restore (docs/deploy.md, Backups)"
        )
    data_dir = args.data_dir or default_data_dir()
    try:
        if args.command == "backup":
            return _backup_to(data_dir, args)
        if args.backup == "-":
            done, aside = backup.restore_from(
                data_dir, sys.stdin.buffer, forget_credentials=args.forget_credentials
            )
        else:
            done, aside = backup.restore(
                data_dir, Path(args.backup), forget_credentials=args.forget_credentials
            )
    except backup.BackupError as exc:
        raise UserError(str(exc)) from exc
    kept = f" The database it replaced is kept as {aside}." if aside else ""
    forgot = (
        " The shops' LINE and Facebook credentials were left out: set them again (shops line,"
        " shops meta)."
        if args.forget_credentials
        else ""
    )
    given = "the backup from standard input" if args.backup == "-" else args.backup
    print(f"Restored {given} into {data_dir} ({_counted(done)}).{kept}{forgot} Start the relay.")
    print(json.dumps({"restored": args.backup, "replaced": str(aside) if aside else None}))
    return EXIT_OK


def _backup_to(data_dir: Path, args: argparse.Namespace) -> int:
    """``backup DEST [--keep N]``; ``backup -``: to standard output."""
    dest = Path(args.dest)
    folder = dest.is_dir() or args.dest.endswith(("/", os.sep))
    if folder and not dest.is_dir():
        raise UserError(
            f"the folder {dest} does not exist: create it first (owned by the relay's user),"
            " or give a file name"
        )
    if args.keep is not None and (args.keep < 1 or not folder):
        raise UserError(
            "--keep: must be 1 or more, with a folder to back up into (a backup given a file"
            " name never deletes others)"
        )
    streamed = args.dest == "-"
    made = (
        backup.backup_to(data_dir, sys.stdout.buffer) if streamed else backup.backup(data_dir, dest)
    )
    gone = backup.prune(dest, args.keep, made.path) if args.keep else []
    talk = sys.stderr if streamed else sys.stdout
    where = "standard output" if streamed else str(made.path)
    print(
        f"Backed up {data_dir / backup.DB_NAME} to {where} ({made.size:,} bytes:"
        f" {_counted(made)}). The relay key is not in it: keep a copy of"
        f" {_key_where(data_dir)} apart.",
        file=talk,
    )
    for path in gone:
        print(f"Deleted the older backup {path} (--keep {args.keep}).", file=talk)
    deleted = [str(path) for path in gone]
    print(
        json.dumps(
            {"backup": "-" if streamed else str(made.path), "bytes": made.size, "deleted": deleted}
        ),
        file=talk,
    )
    return EXIT_OK


def _move_to(args: argparse.Namespace) -> int:
    """``move-to URL [--yes]``: the SQLite store into an empty PostgreSQL one."""
    if args.store:
        raise UserError(
            f"move-to: give the PostgreSQL database as its argument, without --store or"
            f" ${ENV_STORE} (the relay to move is the SQLite one in --data-dir)"
        )
    url = args.url
    if not url.startswith(("postgresql://", "postgres://")):
        raise UserError(
            f"move-to: {url.split('://', 1)[0]!r} is not a PostgreSQL URL; give"
            " postgresql://user@host:port/database (an empty database)"
        )
    data_dir = args.data_dir or default_data_dir()
    try:  # (loads psycopg: only this command pays for it)
        from relay import move
        from relay.store_pg import describe_url
    except ImportError as exc:
        raise UserError(
            f"move-to: psycopg is not installed ({exc}); pip install 'psycopg[binary]'"
        ) from exc

    try:
        done = move.move_to(data_dir, url, _store_password(url), commit=args.yes)
    except move.MoveRefused as exc:
        raise UserError(str(exc)) from exc
    what = (
        f"{done.shops} shops, {done.sessions} widget sessions, {done.messages} messages,"
        f" {done.pending_for_desktops} items pending for desktops, {done.line_pending} LINE"
        f" and {done.meta_pending} Facebook/Instagram sends pending"
    )
    where = describe_url(url)
    if not done.moved:
        print(
            f"Checked: {what} would move from {data_dir} into {where}, and read back the same."
            " Nothing was copied (the database keeps the relay's tables, empty): run again"
            " with --yes to move."
        )
    else:
        print(
            f"Moved {what} from {data_dir} into {where}, checked to read back the same."
            f" {data_dir / backup.DB_NAME} is left as it was: keep it (and a backup) as the way"
            f" back. Next: start the relays with --store and this URL, and the same key"
            f" ({_key_where(data_dir)}); the desktops reconnect with their tokens, the widgets"
            " with their sessions."
        )
    print(json.dumps({**dataclasses.asdict(done), "from": str(data_dir), "to": where}))
    return EXIT_OK


def _rotate_key(args: argparse.Namespace) -> int:
    """``rotate-key`` (relay/rekey.py)."""
    data_dir = args.data_dir or default_data_dir()
    if existing_key(data_dir) is None:
        raise UserError(
            f"no relay key here ({key_source(data_dir)}): give the keys as the relay gets"
            " them ($MINICHAT_RELAY_KEY_FILE or $MINICHAT_RELAY_KEY), the new one first"
        )
    store = _open(args)
    try:
        done = rekey.reseal_all(store)
    except rekey.KeysDoNotOpen as exc:
        raise UserError(str(exc)) from exc
    finally:
        store.close()
    print(
        f"Sealed again with the first key: the LINE credentials of {done.line_shops} shop(s),"
        f" the Facebook/Instagram credentials of {done.meta_shops}. Once every relay process"
        " runs with the new key first, drop the old key from the list and restart them."
    )
    print(json.dumps({"line_shops": done.line_shops, "meta_shops": done.meta_shops}))
    return EXIT_OK


def _key_where(data_dir: Path) -> str:
    """Where this relay's key is, as far as this command can tell."""
    given = {"MINICHAT_RELAY_KEY", "MINICHAT_RELAY_KEY_FILE"} & os.environ.keys()
    if given or (data_dir / "relay.key").exists():
        return f"the key ({key_source(data_dir)})"
    return "the relay's key (where the relay reads it: $MINICHAT_RELAY_KEY_FILE, or relay.key)"


def _counted(summary: backup.Summary) -> str:
    shops = "1 shop" if summary.shops == 1 else f"{summary.shops:,} shops"
    messages = "1 message" if summary.messages == 1 else f"{summary.messages:,} messages"
    return f"{shops}, {messages}"


def _credential(name: str, env: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise UserError(f"LINE {name}: empty (set ${env}, or type it when asked)")
    if len(value) > MAX_CREDENTIAL or any(c.isspace() or not c.isprintable() for c in value):
        raise UserError(
            f"LINE {name}: not a LINE {name} (it has spaces or is over {MAX_CREDENTIAL} "
            "characters); copy it again from the LINE Developers console"
        )
    return value


def _line_credentials() -> LineCredentials:
    """The channel secret and token from the environment, else from standard input."""
    secret, token = os.environ.get(ENV_LINE_SECRET), os.environ.get(ENV_LINE_TOKEN)
    if (secret is None) != (token is None):
        missing = ENV_LINE_TOKEN if token is None else ENV_LINE_SECRET
        raise UserError(f"${missing} is not set: set both variables, or neither to type them")
    if secret is None or token is None:
        if sys.stdin is None:
            raise UserError(f"set ${ENV_LINE_SECRET} and ${ENV_LINE_TOKEN}")
        if sys.stdin.isatty():
            import getpass

            secret = getpass.getpass("LINE channel secret (Basic settings): ")
            token = getpass.getpass("LINE channel access token (Messaging API): ")
        else:
            lines = sys.stdin.read(4 * MAX_CREDENTIAL).splitlines()
            if len(lines) < 2:
                raise UserError(
                    "standard input: expected two lines, the channel secret then the channel "
                    f"access token (or set ${ENV_LINE_SECRET} and ${ENV_LINE_TOKEN})"
                )
            secret, token = lines[0], lines[1]
    return LineCredentials(
        _credential("channel secret", ENV_LINE_SECRET, secret),
        _credential("channel access token", ENV_LINE_TOKEN, token),
    )


def _meta_env() -> MetaCredentials:
    """The Meta credentials from the environment (all three, or a user error naming them)."""
    names = (ENV_META_SECRET, ENV_META_TOKEN, ENV_META_VERIFY)
    missing = [n for n in names if not os.environ.get(n, "").strip()]
    if missing:
        raise UserError(
            f"set {', '.join('$' + n for n in missing)}: the Meta app secret (App settings →"
            " Basic), the Page access token and the verify token you type into the app's"
            " webhook settings"
        )
    values = [os.environ[n].strip() for n in names]
    for name, value in zip(names, values, strict=True):
        if len(value) > MAX_CREDENTIAL or any(c.isspace() or not c.isprintable() for c in value):
            raise UserError(f"${name}: has spaces or is over {MAX_CREDENTIAL} characters")
    return MetaCredentials(*values)


def _port_or_none(value: str | None) -> int | None:
    """``--metrics-port`` (or its variable) as a port; None when not given."""
    if value is None or value.strip() == "":
        return None
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise UserError(f"--metrics-port (or ${ENV_METRICS_PORT}): must be 0-65535, not {value!r}")
    return port


# Python's cyclic garbage collector: young objects are collected after this many new ones
# (default 700). A relay keeps a socket's worth of long-lived objects per shopper; with the
# default, a full collection (a pause of 100-170 ms with 1,000 open widgets) ran every 2 s
# under load and made the round trip's tail (bench/relay/shoppers_roundtrip.py). What a
# frame allocates dies by reference counting, so collecting 30x less often costs little.
GC_YOUNG = 20_000


def calm_garbage_collector() -> None:
    """Tune the garbage collector for a long-running server process: what start-up made
    (modules, the app) is never scanned again, and collections are rarer (see GC_YOUNG)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG, 50, 10)


def _serve_lock(args: argparse.Namespace, log: logging.Logger) -> ServeLock | None:
    """The data folder's lock when this relay serves from SQLite (relay/serve_lock.py); None
    on a shared store, whose processes may share the folder (it holds only the key)."""
    if args.store:
        return None
    folder = ServeLock(args.data_dir or default_data_dir())

    def waiting(holder: str) -> None:
        who = f"process {holder}" if holder else "another process"
        log.warning("waiting for the relay serving %s (%s) to stop", folder.folder, who)

    try:
        folder.take(wait=args.lock_wait, waiting=waiting)
    except FolderBusy as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise StoreError(f"cannot use the data folder {folder.folder}: {exc}") from exc
    return folder


def _serve(args: argparse.Namespace) -> int:
    from relay.app import ListenFailed, Listening, serve
    from relay.server import RelayConfig

    if not 0 <= args.port <= 65535:
        raise UserError("--port: must be 0-65535")
    if args.ip_sockets < 0:
        raise UserError("--ip-sockets: must be 0 (no limit) or more")
    if args.keep_free_mb < 0:
        raise UserError("--keep-free-mb: must be 0 (no check) or more")
    metrics_port = _port_or_none(args.metrics_port)
    if not 0 <= args.drain_grace <= 3600:
        raise UserError("--drain-grace: must be 0-3600 seconds")
    if not 0 <= args.lock_wait <= 3600:
        raise UserError("--lock-wait: must be 0-3600 seconds")
    if args.public_url and not args.public_url.startswith(("https://", "http://")):
        raise UserError("--public-url: must start with https:// (or http:// for local tests)")
    config = RelayConfig(
        host=args.host,
        port=args.port,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        demo_page=args.demo_page,
        max_upload=args.max_upload,
        shopper_rate=args.shopper_rate,
        shopper_burst=args.shopper_burst,
        ip_rate=args.ip_rate,
        ip_burst=args.ip_burst,
        ip_sockets=args.ip_sockets,
        keep_free=args.keep_free_mb * 1024 * 1024,
        trust_proxy=args.trust_proxy,
        drain_grace=args.drain_grace,
        metrics_host=args.metrics_host,
        metrics_port=metrics_port,
    )
    log = logging.getLogger("relay")
    folder = _serve_lock(args, log)
    store = _open(args)
    log.info("%s starting", relay_version.describe(postgresql=store.shared))
    if store.shared:
        where = getattr(store, "where", "?")
        log.info("store %s (shared), key: %s", where, key_source(store.data_dir))
    else:
        log.info("sqlite %s, data in %s", sqlite3.sqlite_version, store.data_dir)

    def ready(at: Listening) -> None:
        shown = f"[{at.host}]" if ":" in at.host else at.host
        url = config.public_url or f"http://{shown}:{at.port}"
        event: dict[str, Any] = {"event": "listening", "host": at.host, "port": at.port, "url": url}
        if at.metrics_port is not None:
            event["metrics_port"] = at.metrics_port
        print(json.dumps(event), flush=True)

    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # Windows
        runner = asyncio.run
    calm_garbage_collector()
    try:
        runner(serve(store, config, ready, stop_at_stdin_eof=args.stop_at_stdin_eof))
    except ListenFailed as exc:
        print(f"minichat-relay: {exc}", file=sys.stderr)
        return EXIT_ENV
    finally:
        if folder is not None:
            folder.release()
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command in ("backup", "restore"):
            return _backup(args)
        if args.command == "rotate-key":
            return _rotate_key(args)
        if args.command == "move-to":
            return _move_to(args)
        return _shops(args)
    except (UserError, SchemaMismatch, KeyProblem) as exc:  # (the operator acts)
        print(f"minichat-relay: {exc}", file=sys.stderr)
        return EXIT_USER
    except StoreError as exc:
        print(f"minichat-relay: {exc}", file=sys.stderr)
        return EXIT_ENV
    except OSError as exc:  # (a file or folder the command could not use: said, no traceback)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"minichat-relay: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ENV
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
