"""Every ``minichat`` sub-command, one module per area, listed once in :data:`REGISTRY`.

Each module defines ``register(commands)``, adding its commands (and groups) to a
:class:`~minichat_desktop.commands.common.CommandSet`; :mod:`minichat_desktop.cli` builds the
parser from :data:`REGISTRY`, in its order (the order of ``minichat --help``). Helpers the
commands share — exit codes, opening the database, printing JSON, reading amounts and dates —
are in :mod:`~minichat_desktop.commands.common`; no module here imports
:mod:`minichat_desktop.cli`. Modules keep heavy imports inside their command functions: the
parser is built on every run, the app's included.
"""

from __future__ import annotations

from collections.abc import Callable

from minichat_desktop.commands import (
    bot,
    bot_chat,
    catalog,
    customers,
    database,
    documents,
    flows,
    order_messages,
    orders,
    promptpay,
    reports,
    slip_check,
)
from minichat_desktop.commands.app import cmd_app
from minichat_desktop.commands.common import CommandSet

REGISTRY: tuple[Callable[[CommandSet], None], ...] = (
    database.register,  # demo-data, db upgrade, backup, restore
    catalog.register,  # products import|export|template|search
    orders.register,  # orders list|export
    promptpay.register,  # promptpay
    bot.register,  # bot classify|recommend|context-ttl (makes the bot group)
    bot_chat.register,  # bot chat|switch|ai (into that group)
    customers.register,  # customers rfm|export, broadcasts list|send-due
    documents.register,  # invoice, credit-note, receipt, label
    flows.register,  # flows list|export|import|test
    order_messages.register,  # order-messages show|set|reset
    reports.register,  # report sales|products|customers|vat
    slip_check.register,  # slip-check setup|show|test|verify
)

# Without a command, ``minichat`` opens the app.
DEFAULT = cmd_app

__all__ = ["DEFAULT", "REGISTRY"]
