"""``minichat``: the app, and sub-commands for headless work.

This module builds the parser from :data:`minichat_desktop.commands.REGISTRY` (the commands
themselves live in :mod:`minichat_desktop.commands`), runs the chosen command and turns what it
raises into an exit code and a message.

Exit codes: 0 success; 2 a user error (the message says what and where, no traceback); 1 an
environment problem (disk, locks, a file that cannot be read) or an internal error (logged, with
the log's path printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minichat_desktop import build_info, commands, paths
from minichat_desktop.commands.common import EXIT_ENV, EXIT_OK, EXIT_USER, CommandSet, Parser
from minichat_desktop.errors import EnvironmentProblem, UserError

log = logging.getLogger("minichat")


class _Version(argparse.Action):
    """``--version``: reads the version only when asked (the parser is built on every run)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        built = build_info.build_date()
        print(f"MiniChat {build_info.version()}" + (f" (built {built})" if built else ""))
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The parser: the global options, then every command of :data:`commands.REGISTRY`."""
    p = Parser(
        prog="minichat",
        description="MiniChat Desktop: the shop's point of sale and "
        "chat manager. Without a command, opens the app.",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data folder (default: MINICHAT_DATA_DIR or the OS user-data folder)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="open the demo shop with a local relay and a widget test page",
    )
    p.add_argument(
        "--relay-url",
        metavar="URL",
        help="the relay to connect to (kept in the settings); with --demo, a relay started "
        "separately instead of the demo's own (the shop token from MINICHAT_RELAY_TOKEN or "
        "the keyring)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log more")
    p.add_argument("--version", action=_Version, help="print the version and exit")
    p.set_defaults(func=commands.DEFAULT)
    sub = p.add_subparsers(title="commands", metavar="COMMAND", parser_class=Parser)
    command_set = CommandSet(sub)
    for register in commands.REGISTRY:
        register(command_set)
    return p


def _log_file(data_path: Path) -> Path:
    return data_path / "logs" / "minichat.log"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.data_path = paths.data_dir(args.data_dir)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems:
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        return EXIT_USER
    except EnvironmentProblem as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ENV
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`minichat orders list | head`): not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception:
        path = _log_file(args.data_path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {dt.datetime.now(dt.UTC).isoformat()} {sys.argv!r}\n")
                fh.write(traceback.format_exc())
            where = f"details are in {path}"
        except OSError:
            where = "the log could not be written"
        print(f"internal error: MiniChat hit a bug; {where}", file=sys.stderr)
        return EXIT_ENV


if __name__ == "__main__":
    sys.exit(main())
