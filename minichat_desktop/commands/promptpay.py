"""``minichat promptpay --id ID [--amount BAHT] [--png FILE]``: a PromptPay QR payload for a
mobile number, national ID or e-wallet, printed on stdout (and drawn as a PNG).

Exit codes as for every command: 0 done, 2 a bad ID or amount, 1 the PNG cannot be written.
"""

from __future__ import annotations

import argparse
import sys

from minichat_desktop.commands.common import EXIT_OK, CommandSet, UsageError, parse_amount
from minichat_desktop.errors import EnvironmentProblem


def register(commands: CommandSet) -> None:
    pp = commands.add("promptpay", cmd_promptpay, "make a PromptPay QR payload (and image)")
    pp.add_argument("--id", required=True, help="mobile number, 13-digit ID or e-wallet ID")
    pp.add_argument("--amount", help="exact amount in baht, e.g. 1250.50")
    pp.add_argument("--png", metavar="FILE", help="also write the QR code as a PNG image")


def cmd_promptpay(args: argparse.Namespace) -> int:
    from minichat_desktop.domain import promptpay

    amount = parse_amount(args.amount) if args.amount is not None else None
    try:
        payload = promptpay.promptpay_payload(args.id, amount)
        if args.png:
            promptpay.write_promptpay_qr_png(payload, args.png)
    except promptpay.PromptPayError as exc:
        raise UsageError(exc.code, str(exc)) from exc
    except OSError as exc:
        raise EnvironmentProblem(
            "env.write_failed", f"cannot write {args.png}: {exc.strerror}"
        ) from exc
    if args.png:
        print(f"QR image written to {args.png}", file=sys.stderr)
    print(payload)
    return EXIT_OK
