"""``minichat`` without a command: the desktop app (``--demo``: the demo shop with a local relay
and a widget test page)."""

from __future__ import annotations

import argparse


def cmd_app(args: argparse.Namespace) -> int:
    from minichat_desktop.ui.app import run_app

    return run_app(args)
