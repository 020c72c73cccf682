"""What every ``minichat`` command shares: exit codes, the parser class and the
:class:`CommandSet` commands are added to, opening the data folder's database, JSON with exact
money, and reading amounts and dates from the command line.

Light on purpose: the parser is built on every run, the app's included, so this module and the
command modules import the domain, storage and formats inside their command functions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NoReturn

from minichat_desktop.errors import UserError

if TYPE_CHECKING:
    from minichat_desktop.storage.db import Database

EXIT_OK, EXIT_ENV, EXIT_USER = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
# argparse's sub-parsers action (its type is private).
SubParsers = Any


class UsageError(UserError):
    """Bad arguments on the command line."""


class Parser(argparse.ArgumentParser):
    """A parser whose errors exit with :data:`EXIT_USER`, as every user error does."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"{self.prog}: error: {message}\n")


def show_help(parser: argparse.ArgumentParser) -> int:
    """What a command group does when called without a command: its help, and exit 2."""
    parser.print_help()
    return EXIT_USER


class CommandSet:
    """The sub-commands of ``minichat``: each command module's ``register`` adds its own here,
    in the order of :data:`minichat_desktop.commands.REGISTRY` (which is the order of
    ``--help``)."""

    def __init__(self, top: SubParsers) -> None:
        self._top = top
        self._groups: dict[str, SubParsers] = {}

    def add(
        self, name: str, func: Handler, help_: str, parent: SubParsers | None = None
    ) -> argparse.ArgumentParser:
        """A command ``name`` running ``func`` (top level, or under ``parent``, a group)."""
        where = self._top if parent is None else parent
        sp: argparse.ArgumentParser = where.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=func)
        return sp

    def group(
        self,
        name: str,
        help_: str,
        parent: SubParsers | None = None,
        *,
        title: str = "commands",
        metavar: str = "COMMAND",
    ) -> SubParsers:
        """A command group (``minichat products …``); returns the sub-parsers its commands are
        added to. Called without a command, the group prints its help and exits 2."""
        parser = self.add(name, lambda _args: show_help(parser), help_, parent)
        subparsers = parser.add_subparsers(title=title, metavar=metavar, parser_class=Parser)
        self._groups[name] = subparsers
        return subparsers

    def group_named(self, name: str) -> SubParsers:
        """A group an earlier module in the registry made, to add more commands to it. Raises
        ``KeyError`` when the registry lists the modules in the wrong order."""
        return self._groups[name]


# ---------------------------------------------------------------------------- shared helpers


def holding_the_folder(action: str) -> Callable[[Handler], Handler]:
    """A command run holding the data folder's lock (:mod:`minichat_desktop.storage.folder_lock`,
    the lock the app holds while it runs): refused with :class:`UserError`
    ``folder.app_running`` (exit 2) while the app is open on the folder, whose message ends
    "quit MiniChat first, then ``action``"; and the app cannot start on the folder meanwhile."""

    def wrap(command: Handler) -> Handler:
        @functools.wraps(command)
        def run(args: argparse.Namespace) -> int:
            from minichat_desktop.storage.folder_lock import FolderLock

            with FolderLock(args.data_path) as lock:
                if not lock.acquire():
                    raise UserError(
                        "folder.app_running",
                        f"MiniChat is open on the data folder {args.data_path}: quit MiniChat "
                        f"first, then {action}",
                        path=str(args.data_path),
                    )
                return command(args)

        return run

    return wrap


def open_db(args: argparse.Namespace) -> Database:
    """The data folder's database, created or brought up to date (backed up first)."""
    from minichat_desktop.storage.db import Database

    return Database.open(args.data_path)


def _json_money(obj: Any) -> Any:
    """Replace Decimal values by their exact text, marked, then unmark after dumping."""
    if isinstance(obj, Decimal):
        return f"@@DEC{format(obj, 'f')}@@"
    if isinstance(obj, dict):
        return {k: _json_money(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_money(v) for v in obj]
    return obj


def print_json(obj: Any) -> None:
    """JSON with money as exact numbers (``1250.00``), never through float."""
    text = json.dumps(_json_money(obj), ensure_ascii=False, default=str)
    print(re.sub(r'"@@DEC(-?[0-9.]+)@@"', r"\1", text))


def parse_amount(text: str) -> Decimal:
    """An amount in baht as typed (``1,250.50``). Raises :class:`UsageError`."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise UsageError(
            "cli.bad_amount", f"amount {text!r} is not a number (e.g. 1250.50)"
        ) from exc
    return value


def parse_date(text: str, option: str) -> dt.date:
    """A ``YYYY-MM-DD`` date given to ``option``. Raises :class:`UsageError`."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(
            "cli.bad_date", f"{option} {text!r} is not a date; use YYYY-MM-DD (e.g. 2026-03-31)"
        ) from exc


def bangkok_range(
    start: str | None, end: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Bangkok calendar dates (``end`` inclusive) as aware UTC bounds."""
    from minichat_desktop.domain.shop import BANGKOK

    lo = hi = None
    if start:
        lo = dt.datetime.combine(parse_date(start, "--from"), dt.time(), BANGKOK)
    if end:
        hi = dt.datetime.combine(parse_date(end, "--to") + dt.timedelta(days=1), dt.time(), BANGKOK)
    if lo and hi and lo >= hi:
        raise UsageError("cli.bad_range", "--from must not be after --to")
    return lo, hi


def bangkok_text(when: dt.datetime) -> str:
    from minichat_desktop.domain.shop import BANGKOK

    return when.astimezone(BANGKOK).isoformat(timespec="seconds")
