"""``minichat flows …``: the sales flows from the command line.

- ``minichat flows list [--json]`` — the shop's flows (the built-ins are installed first).
- ``minichat flows export ID FILE`` / ``minichat flows import FILE`` — one flow as JSON.
- ``minichat flows test FILE`` — run a scripted conversation against a throw-away shop in a
  temporary data folder (the real shop is never touched) and check the bot's answers. The
  script format is in docs/bot.md ("Testing a flow"); an example is
  ``docs/flows/example_discovery.json``. Prints the transcript; exit 0 when every expectation
  holds, 2 naming the first failing step (or a bad script).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from minichat_desktop.commands.common import CommandSet, open_db
from minichat_desktop.files import atomic_write_bytes


def register(commands: CommandSet) -> None:
    add = commands.add
    fsub = commands.group("flows", "sales flows: list, export, import, test")
    ls = add("list", cmd_flows_list, "list the shop's sales flows", fsub)
    ls.add_argument("--json", action="store_true", help="print JSON")
    ex = add("export", cmd_flows_export, "write one flow to a JSON file", fsub)
    ex.add_argument("id", type=int, metavar="ID")
    ex.add_argument("file", metavar="FILE")
    im = add("import", cmd_flows_import, "add a flow from a JSON file", fsub)
    im.add_argument("file", metavar="FILE")
    te = add("test", cmd_flows_test, "run a scripted conversation and check the answers", fsub)
    te.add_argument("file", metavar="FILE")
    te.add_argument("--quiet", action="store_true", help="print only the result")


def _utf8() -> None:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


def _read_json(path: str) -> Any:
    from minichat_desktop.errors import UserError

    file = Path(path)
    try:
        raw = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("flows.no_file", f"no such file: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError("flows.unreadable", f"cannot read {file}: {exc}") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise UserError(
            "flows.bad_json",
            f"{file} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
        ) from None


# ---------------------------------------------------------------------------- list, export, import


def cmd_flows_list(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot import flows

    _utf8()
    db = open_db(args)
    try:
        with db.write() as s:
            views = flows.ensure_builtin_flows(s)
    finally:
        db.dispose()
    if args.json:
        print(
            json.dumps(
                [{"id": v.id, "builtin": v.builtin, "runs": v.runs, **v.to_obj()} for v in views],
                ensure_ascii=False,
            )
        )
        return 0
    for v in views:
        t = v.trigger
        kind = str(t.get("type"))
        if kind == "keyword":
            what = "keyword: " + ", ".join(t.get("keywords", []))
        elif kind == "button":
            what = f"button: flow:{v.id}"
        else:
            what = f"{kind}: {t.get(kind, '')}"
        state = "on " if v.enabled else "off"
        badge = f" [built-in {v.builtin}]" if v.builtin else ""
        print(f"{v.id:>4}  {state}  {v.name}{badge}  ({what}; {len(v.nodes)} nodes, {v.runs} runs)")
    return 0


def cmd_flows_export(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot import flows

    db = open_db(args)
    try:
        with db.read() as s:
            view = flows.get_flow(s, args.id)
    finally:
        db.dispose()
    text = json.dumps(view.to_obj(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(args.file, text.encode())
    print(f"flow {view.id} ({view.name}) written to {args.file}")
    return 0


def cmd_flows_import(args: argparse.Namespace) -> int:
    from minichat_desktop.domain.bot import flows

    _utf8()
    obj = _read_json(args.file)
    db = open_db(args)
    try:
        with db.write() as s:
            view = flows.import_flow(s, obj)
    finally:
        db.dispose()
    print(f"flow {view.id} ({view.name}) added")
    return 0


# ---------------------------------------------------------------------------- test


class ScriptError(Exception):
    pass


def _setup_shop(db: Any, data_dir: Path, spec: Any) -> None:
    """``"demo"``: the demo shop; an object: ``name`` and ``products`` (``sku``, ``name``,
    ``price`` in baht, ``stock``, ``category``, ``options``, ``variants``: ``sku``,
    ``options``, ``stock``, ``price``); also ``discount_codes``: ``code``, ``percent``."""
    from decimal import Decimal

    from minichat_desktop.domain import shop
    from minichat_desktop.domain.bot import cart as carts
    from minichat_desktop.domain.catalog import products as catalog
    from minichat_desktop.domain.catalog.products import ProductInput, VariantInput
    from minichat_desktop.errors import UserError

    if spec == "demo":
        from minichat_desktop.demo.chats import prepare_demo_shop

        prepare_demo_shop(db)
        return
    if not isinstance(spec, dict):
        raise UserError("flows.bad_script", 'script: "shop" is "demo" or an object with products')

    def satang(value: Any, where: str) -> int:
        try:
            return int(Decimal(str(value)) * 100)
        except ArithmeticError:
            raise UserError("flows.bad_script", f"script: {where}: price {value!r}") from None

    with db.write() as s:
        shop.ensure_defaults(s)
        shop.update_profile(s, "flows-test", name=str(spec.get("name") or "ร้านทดสอบ"))
        for i, prod in enumerate(spec.get("products") or [], 1):
            where = f"shop.products[{i}]"
            if not isinstance(prod, dict) or not prod.get("sku") or not prod.get("name"):
                raise UserError("flows.bad_script", f"script: {where} needs sku and name")
            variants = [
                VariantInput(
                    str(v["sku"]),
                    {str(k): str(x) for k, x in (v.get("options") or {}).items()},
                    stock=int(v.get("stock", 0)),
                    price_satang=satang(v["price"], where) if "price" in v else None,
                )
                for v in prod.get("variants") or []
            ]
            try:
                catalog.save_product(
                    s,
                    ProductInput(
                        sku=str(prod["sku"]),
                        name_th=str(prod["name"]),
                        name_en=str(prod.get("name_en", "")),
                        price_satang=satang(prod.get("price", 0), where),
                        category=str(prod.get("category", "")),
                        stock=int(prod.get("stock", 0)),
                        option_names=list(prod.get("options") or []),
                        variants=variants,
                    ),
                    "flows-test",
                )
            except UserError as exc:
                raise UserError("flows.bad_script", f"script: {where}: {exc.message}") from None
        for d in spec.get("discount_codes") or []:
            carts.save_discount_code(s, str(d["code"]), "percent", int(d["percent"]) * 100)


class ScriptRun:
    """One scripted conversation on a throw-away shop."""

    def __init__(self, db: Any, data_dir: Path, out: Any) -> None:
        from minichat_desktop.commands.bot_chat import TerminalChat

        self.db = db
        self.out = out
        self.chat = TerminalChat(db, data_dir, out=io.StringIO())
        self.buttons: list[Any] = []

    def _show(self, replies: list[Any]) -> str:
        from minichat_desktop.commands.bot_chat import Printer

        buf = io.StringIO()
        printer = Printer(buf)
        printer.show(replies)
        self.buttons = printer.buttons or self.buttons
        return buf.getvalue()

    def say(self, words: str) -> str:
        replies = self.chat.send({"id": self.chat._uid(), "kind": "text", "text": words})
        return self._show(replies)

    def press(self, label: str) -> str:
        from relay import protocol as p

        found = [b for b in self.buttons if b.label == label] or [
            b for b in self.buttons if label in b.label
        ]
        if not found:
            shown = ", ".join(b.label for b in self.buttons) or "none"
            raise ScriptError(f"no button {label!r} in the last answer (buttons: {shown})")
        b = found[0]
        if b.action is p.ButtonAction.MESSAGE:
            return self.say(b.text)
        replies = self.chat.send(
            {"id": self.chat._uid(), "kind": "postback", "data": b.data, "label": b.label}
        )
        return self._show(replies)

    def _timers(self, batches: list[tuple[int, list[Any]]]) -> str:
        from minichat_desktop.domain.bot.engine import record_local_replies
        from minichat_desktop.domain.models import utcnow

        mine = [r for cid, replies in batches if cid == self.chat.conversation_id for r in replies]
        with self.db.write() as s:
            record_local_replies(s, self.chat.conversation_id, mine, utcnow())
        return self._show(mine)

    def event(self, step: dict[str, Any]) -> str:
        from minichat_desktop.domain.bot import flows
        from minichat_desktop.domain.models import Channel, Order, OrderStatus, utcnow
        from minichat_desktop.domain.sales import orders

        kind = step["event"]
        later = utcnow() + dt.timedelta(minutes=float(step.get("after_minutes", 0)))
        if kind == "cart_abandoned":
            with self.db.write() as s:
                batches = flows.scan_abandoned_carts(s, later)
            return self._timers(batches)
        if kind == "timers":
            with self.db.write() as s:
                batches = flows.tick(s, later)
            return self._timers(batches)
        if kind == "order_delivered":
            from sqlalchemy import select

            with self.db.write() as s:
                order_id = s.scalar(
                    select(Order.id)
                    .where(Order.conversation_ref == self.chat.ref)
                    .order_by(Order.id.desc())
                    .limit(1)
                )
                if order_id is None:
                    lines = step.get("order") or []
                    if not lines:
                        raise ScriptError(
                            'no order in this chat: give "order": [{"sku", "quantity"}]'
                        )
                    order_id = orders.place_order(
                        s,
                        orders.NewOrder(
                            channel=Channel.MANUAL,
                            lines=[
                                orders.LineInput(int(x.get("quantity", 1)), sku=str(x["sku"]))
                                for x in lines
                            ],
                            conversation_ref=self.chat.ref,
                        ),
                        "flows-test",
                    ).id
                order = s.get(Order, order_id)
                assert order is not None
                path = [OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.DELIVERED]
                if order.status in path:
                    path = path[path.index(OrderStatus(order.status)) + 1 :]
                for to in path:
                    orders.change_status(s, order_id, to, "flows-test")
                batches = flows.on_order_delivered(s, order_id, later)
            return self._timers(batches)
        raise ScriptError(f"unknown event {kind!r}: use cart_abandoned, order_delivered or timers")


def _check(step: dict[str, Any], got: str) -> list[str]:
    problems = []
    for want in _as_list(step.get("expect")):
        if want not in got:
            problems.append(f"expected {want!r}")
    for pattern in _as_list(step.get("expect_re")):
        if not re.search(pattern, got):
            problems.append(f"expected a match for /{pattern}/")
    for unwanted in _as_list(step.get("expect_not")):
        if unwanted in got:
            problems.append(f"did not expect {unwanted!r}")
    return problems


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def run_script(script: Any, out: Any) -> tuple[int, int]:
    """Run a test script; (steps passed, steps). Raises UserError for a bad script or the
    first failing step."""
    from minichat_desktop.domain.bot import flows
    from minichat_desktop.errors import UserError
    from minichat_desktop.storage.db import Database

    if not isinstance(script, dict) or not isinstance(script.get("steps"), list):
        raise UserError("flows.bad_script", 'script: an object with a "steps" list')
    with tempfile.TemporaryDirectory(prefix="minichat-flows-") as tmp:
        data_dir = Path(tmp)
        db = Database.open(data_dir)
        try:
            _setup_shop(db, data_dir, script.get("shop", {}))
            with db.write() as s:
                if script.get("builtin", True):
                    flows.ensure_builtin_flows(s)
                for i, obj in enumerate(script.get("flows") or [], 1):
                    try:
                        flows.import_flow(s, obj)
                    except UserError as exc:
                        raise UserError(
                            "flows.bad_script", f"script: flows[{i}]: {exc.message}"
                        ) from None
            run = ScriptRun(db, data_dir, out)
            for n, step in enumerate(script["steps"], 1):
                if not isinstance(step, dict):
                    raise UserError("flows.bad_script", f"script: step {n} is not an object")
                try:
                    if "say" in step:
                        print(f"👤 {step['say']}", file=out)
                        got = run.say(str(step["say"]))
                    elif "press" in step:
                        print(f"👆 [{step['press']}]", file=out)
                        got = run.press(str(step["press"]))
                    elif "event" in step:
                        print(f"⏰ {step['event']} (+{step.get('after_minutes', 0)} min)", file=out)
                        got = run.event(step)
                    else:
                        raise ScriptError('a step has "say", "press" or "event"')
                except ScriptError as exc:
                    raise UserError("flows.step_failed", f"step {n}: {exc}") from None
                out.write(got)
                problems = _check(step, got)
                if problems:
                    print(f"✗ step {n}: " + "; ".join(problems), file=out)
                    raise UserError(
                        "flows.step_failed",
                        f"step {n} failed: " + "; ".join(problems),
                    )
                if step.get("expect") or step.get("expect_re") or step.get("expect_not"):
                    print(f"✓ step {n}", file=out)
        finally:
            db.dispose()
    steps = len(script["steps"])
    return steps, steps


def cmd_flows_test(args: argparse.Namespace) -> int:
    _utf8()
    script = _read_json(args.file)
    out: Any = io.StringIO() if args.quiet else sys.stdout
    passed, total = run_script(script, out)
    print(f"all {total} steps passed: {args.file}")
    return 0 if passed == total else 2
