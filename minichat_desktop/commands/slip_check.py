"""``minichat slip-check …``: the optional online slip check (issue 15 item 4).

- ``slip-check setup PROVIDER [--branch-id ID] [--base-url URL] [--timeout S]
  [--auto-confirm on|off] [--key-stdin | --key-env NAME]`` — choose ``slipok``, ``easyslip``
  or ``none``. The API key goes to the keyring only: read from the first line of stdin, or from
  the environment variable NAME — never from the command line, where other users and the
  shell's history would see it.
- ``slip-check show [--json]`` — the settings and whether a key is saved (never the key).
- ``slip-check test`` — ask the service about the account (quota) with the saved key.
- ``slip-check verify ORDER PAYLOAD [--json]`` — check one slip's QR payload against order
  ORDER (its number) and say the verdict; records nothing.

Exit codes as for every command: 0 done (``verify``: the check was made, passed or not), 2 a
usage error (unknown provider, no key given, no such order, the check not set up or its key
missing or refused), 1 the environment (the service unreachable, quota, keyring).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from minichat_desktop.commands.common import (
    EXIT_OK,
    CommandSet,
    UsageError,
    open_db,
    print_json,
)
from minichat_desktop.errors import EnvironmentProblem

# Codes of a check that could not be made which the person fixes in the settings.
_USER_CODES = frozenset(
    {"slip.not_set_up", "slip.no_key", "slip.bad_key", "slip.bad_branch", "slip.bad_request"}
)


def register(commands: CommandSet) -> None:
    group = commands.group("slip-check", "the optional online slip check (SlipOK, EasySlip)")
    add = commands.add
    setup = add("setup", cmd_setup, "choose the slip service (the key from stdin or env)", group)
    setup.add_argument("provider", choices=["none", "slipok", "easyslip"])
    setup.add_argument("--branch-id", default="", help="SlipOK's branch id (digits)")
    setup.add_argument("--base-url", default="", help="the service's address (tests only)")
    setup.add_argument("--timeout", type=float, help="seconds one check may take (3-60)")
    setup.add_argument(
        "--auto-confirm",
        choices=["on", "off"],
        default="off",
        help="confirm the payment without a click when a check passes (default off)",
    )
    key = setup.add_mutually_exclusive_group()
    key.add_argument("--key-stdin", action="store_true", help="read the API key from stdin")
    key.add_argument("--key-env", metavar="NAME", help="read the API key from variable NAME")
    show = add("show", cmd_show, "show the slip check settings (never the key)", group)
    show.add_argument("--json", action="store_true")
    add("test", cmd_test, "test the connection to the slip service", group)
    verify = add("verify", cmd_verify, "check one slip's QR payload against an order", group)
    verify.add_argument("order", metavar="ORDER", help="the order number, e.g. MC-2026-000042")
    verify.add_argument("payload", metavar="PAYLOAD", help="the text the slip's QR code holds")
    verify.add_argument("--json", action="store_true")


def _read_key(args: argparse.Namespace) -> str | None:
    if args.key_stdin:
        key = sys.stdin.readline().strip()
        if not key:
            raise UsageError("slipcheck.empty_key", "--key-stdin: the first line of stdin is empty")
        return key
    if args.key_env:
        key = os.environ.get(args.key_env, "").strip()
        if not key:
            raise UsageError(
                "slipcheck.empty_key",
                f"--key-env: the variable {args.key_env} is not set or empty",
                name=args.key_env,
            )
        return key
    return None


def cmd_setup(args: argparse.Namespace) -> int:
    from minichat_desktop.app import slip_verify
    from minichat_desktop.secrets import Secrets, slip_key

    key = _read_key(args)
    db = open_db(args)
    try:
        with db.write() as s:
            settings = slip_verify.save_settings(
                s,
                args.provider,
                branch_id=args.branch_id,
                base_url=args.base_url,
                timeout_s=args.timeout,
                auto_confirm=args.auto_confirm == "on",
            )
    finally:
        db.dispose()
    if key is not None and settings.provider:
        Secrets(args.data_path).set(slip_key(settings.provider), key)
    print(_describe(settings, _has_key(args, settings.provider)))
    return EXIT_OK


def _has_key(args: argparse.Namespace, provider: str) -> bool:
    from minichat_desktop.secrets import Secrets, slip_key

    return bool(provider) and Secrets(args.data_path).has(slip_key(provider))


def _describe(settings: Any, has_key: bool) -> str:
    if not settings.provider:
        return "online slip check: off"
    where = settings.base_url or "the service's own address"
    branch = f", branch {settings.branch_id}" if settings.branch_id else ""
    return (
        f"online slip check: {settings.provider}{branch} at {where}; "
        f"key {'saved' if has_key else 'NOT saved'}; "
        f"auto-confirm {'on' if settings.auto_confirm else 'off'}"
    )


def _load(args: argparse.Namespace) -> Any:
    from minichat_desktop.app import slip_verify

    db = open_db(args)
    try:
        with db.read() as s:
            return slip_verify.load_settings(s)
    finally:
        db.dispose()


def cmd_show(args: argparse.Namespace) -> int:
    settings = _load(args)
    has_key = _has_key(args, settings.provider)
    if args.json:
        print_json(
            {
                "provider": settings.provider,
                "branch_id": settings.branch_id,
                "base_url": settings.base_url,
                "timeout_s": settings.timeout_s,
                "auto_confirm": settings.auto_confirm,
                "key_saved": has_key,
            }
        )
    else:
        print(_describe(settings, has_key))
    return EXIT_OK


def _raise_for(code: str, text: str) -> None:
    if code in _USER_CODES:
        raise UsageError(code.replace("slip.", "slipcheck."), text)
    raise EnvironmentProblem(code.replace("slip.", "slipcheck."), text)


def cmd_test(args: argparse.Namespace) -> int:
    from minichat_desktop.app import slip_verify
    from minichat_desktop.domain.payments.verification import Outcome, reason_for
    from minichat_desktop.secrets import Secrets, slip_key

    settings = _load(args)
    key = Secrets(args.data_path).get(slip_key(settings.provider)) if settings.provider else None
    check = asyncio.run(slip_verify.test_connection(settings, key))
    if check.outcome is not Outcome.PASSED:
        _raise_for(check.code, reason_for(check.code, check).en)
    print(f"{settings.provider}: connected ({check.message})")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from minichat_desktop.app import slip_verify
    from minichat_desktop.domain.sales.orders import get_order_by_number
    from minichat_desktop.secrets import Secrets

    db = open_db(args)
    try:
        with db.read() as s:
            order_id = get_order_by_number(s, args.order).id
        result = asyncio.run(
            slip_verify.check_slip(db, Secrets(args.data_path), order_id, args.payload)
        )
    finally:
        db.dispose()
    if result.status == "error":
        _raise_for(result.check.code, result.note_in("en"))
    check = result.check
    if args.json:
        print_json(
            {
                "order": args.order,
                "status": result.status,
                "auto_confirm": result.auto_confirm,
                "amount_satang": result.amount_satang,
                "trans_ref": check.trans_ref,
                "when": check.when.isoformat() if check.when else None,
                "receiver_account": check.receiver_account,
                "reasons": [{"code": r.code, "th": r.th, "en": r.en} for r in result.reasons],
            }
        )
        return EXIT_OK
    print(f"{args.order}: {result.status}")
    for reason in result.reasons:
        print(f"  - {reason.en}")
    return EXIT_OK
