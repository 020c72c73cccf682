"""``minichat`` without a command: the desktop app (``--demo``: the demo shop with a local relay
and a widget test page)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import NoReturn


def cmd_app(args: argparse.Namespace) -> int:
    from minichat_desktop.ui.app import run_app

    _end_process(run_app(args))


def _end_process(code: int) -> NoReturn:
    """End the app's process now that everything is closed in order (relay, database,
    settings, log): the interpreter's own teardown of Qt's objects takes over a second (the
    whole widget tree), which would only stretch quitting towards its 5 s bound."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(code)
