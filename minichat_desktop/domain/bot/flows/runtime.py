"""Running flows in a conversation: starting a run, moving it through its nodes until a
question, a wait or the end, taking the shopper's answers and button presses, and waking
runs whose wait or question time-out is over.

One run is active per conversation; starting another ends it. :func:`on_message` gets the
first chance at every shopper message the engine answers: a run waiting for an answer takes
it (validated; :data:`MAX_TRIES` wrong answers in a row, or "ยกเลิก", end the run and let the
engine answer), otherwise a trigger may start a flow. A run goes through at most
:data:`MAX_STEPS` nodes per message, so a loop of conditions ends. Each reply a node makes
carries that node's id (:attr:`Outgoing.step`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot import cart as carts
from minichat_desktop.domain.bot import checkout, nlu
from minichat_desktop.domain.bot.flows.actions import act, fill_text, hand_off, holds
from minichat_desktop.domain.bot.flows.definition import (
    BUTTON_PREFIX,
    DONE,
    RUNNING,
    WAITING,
    number,
)
from minichat_desktop.domain.bot.flows.storage import load_flow
from minichat_desktop.domain.bot.replies import Outgoing, lang_of, postback, text
from minichat_desktop.domain.models import (
    BotMode,
    Conversation,
    ConversationMode,
    Flow,
    FlowRun,
)
from minichat_desktop.errors import UserError

MAX_STEPS = 60  # nodes one message may run through (a loop of conditions stops here)
MAX_TRIES = 2  # wrong answers in a row before the flow lets the engine answer
CANCEL_WORDS = re.compile(r"^\s*(ยกเลิก|ไม่เอาแล้ว|พอแล้ว|ออก|cancel|stop|quit)\s*[.!]*\s*$", re.I)
SKIP_WORDS = re.compile(r"^\s*(ข้าม|ไม่ระบุ|อะไรก็ได้|ไม่มี|skip|any|-)\s*$", re.I)
PHONE = re.compile(r"^0\d{8,9}$")


def active_run(session: Session, conversation_id: int) -> FlowRun | None:
    """The conversation's run that is not done (the newest), or None."""
    return session.scalar(
        select(FlowRun)
        .where(FlowRun.conversation_id == conversation_id, FlowRun.status != DONE)
        .order_by(FlowRun.id.desc())
        .limit(1)
    )


def _node(flow: Flow, node_id: str) -> dict[str, Any] | None:
    return next((n for n in flow.nodes or [] if n.get("id") == node_id), None)


def may_speak(conv: Conversation | None) -> bool:
    """Whether the bot may write first in this conversation (a timer or an event): the bot
    has it, is not off, and the shopper still follows the shop."""
    return (
        conv is not None
        and conv.mode == ConversationMode.BOT
        and conv.bot_mode != BotMode.OFF
        and conv.following
    )


def start_flow(
    session: Session,
    flow_id: int,
    conversation_id: int,
    now: dt.datetime,
    *,
    state: dict[str, Any] | None = None,
    lang: str = "th",
) -> list[Outgoing]:
    """Start a flow in a conversation (ending the run active there) and run it to its first
    question, wait or end; the replies to send."""
    flow = load_flow(session, flow_id)
    if not flow.nodes:
        return []
    old = active_run(session, conversation_id)
    if old is not None:
        old.status = DONE
        old.updated_at = now
    run = FlowRun(
        flow_id=flow.id,
        conversation_id=conversation_id,
        node_id=str(flow.nodes[0]["id"]),
        status=RUNNING,
        state=dict(state or {}),
        started_at=now,
        updated_at=now,
    )
    session.add(run)
    session.flush()
    return _advance(session, run, flow, now, lang)


def flow_lang(flow: Flow, default: str = "th") -> str:
    """The language a flow is written in (of its texts): its product cards and carts follow."""
    words = " ".join(str(n.get("text", "")) for n in flow.nodes or [])
    return lang_of(words, default)


def _goto(run: FlowRun, node_id: str) -> None:
    if node_id:
        run.node_id = node_id
        run.status = RUNNING
    else:
        run.status = DONE
    run.wake_at = None


def _advance(
    session: Session, run: FlowRun, flow: Flow, now: dt.datetime, lang: str
) -> list[Outgoing]:
    """Run nodes from ``run.node_id`` until a question, a wait or the end."""
    lang = flow_lang(flow, lang)
    out: list[Outgoing] = []
    for _ in range(MAX_STEPS):
        if run.status == DONE:
            break
        node = _node(flow, run.node_id)
        if node is None:
            run.status = DONE
            break
        kind = node["type"]
        before = len(out)
        if kind == "message":
            buttons = tuple(
                postback(str(b["label"]), f"{BUTTON_PREFIX}{int(b['flow'])}")
                for b in node.get("buttons") or []
            )
            out.append(text(fill_text(session, run, node["text"]), buttons))
            _goto(run, node.get("next", ""))
        elif kind == "question":
            out.append(replace(_ask(session, run, flow, node), step=node["id"]))
            run.status = WAITING
            minutes = node.get("timeout_minutes")
            run.wake_at = now + dt.timedelta(minutes=minutes) if minutes else None
            break
        elif kind == "wait":
            run.status = WAITING
            run.wake_at = now + dt.timedelta(minutes=int(node["minutes"]))
            break
        elif kind == "condition":
            _goto(run, node["then"] if holds(session, run, node) else node["else"])
        elif kind == "handoff":
            out += hand_off(session, run, node)
            run.status = DONE
        elif kind == "action":
            try:
                out += act(session, run, node, now, lang)
            except UserError as exc:
                out.append(text(checkout.error_text(exc, lang)))
            if run.status != DONE:
                _goto(run, node.get("next", ""))
        out[before:] = [replace(o, step=node["id"]) for o in out[before:]]
    else:
        run.status = DONE  # a loop with no question or wait in it
    run.updated_at = now
    st = dict(run.state or {})
    st.pop("_tries", None)
    run.state = st
    session.flush()
    return out


def _ask(
    session: Session, run: FlowRun, flow: Flow, node: dict[str, Any], prefix: str = ""
) -> Outgoing:
    quick = tuple(
        postback(c["label"], f"{BUTTON_PREFIX}{flow.id}:{node['id']}:{i}")
        for i, c in enumerate(node.get("choices") or [])
    )
    if not quick and node.get("kind") == "rating":
        quick = tuple(
            postback("⭐" * n, f"{BUTTON_PREFIX}{flow.id}:{node['id']}:r{n}")
            for n in range(5, 0, -1)
        )
    body = fill_text(session, run, node["text"])
    return text(f"{prefix}\n{body}" if prefix else body, quick)


def _parse_answer(node: dict[str, Any], said: str) -> tuple[bool, Any]:
    """(ok, value) for a typed answer to a question node."""
    said = said.strip()
    for c in node.get("choices") or []:
        if said.lower() in (c["label"].lower(), str(c["value"]).lower()):
            return True, c["value"]
    if node.get("optional") and SKIP_WORDS.match(said):
        return True, ""
    kind = node.get("kind", "text")
    if kind == "number":
        n = number(said)
        if n is None or n < 0:
            return False, None
        return True, int(n) if n == int(n) else str(n)  # state is JSON: no Decimal
    if kind == "rating":
        stars = said.count("⭐")
        rating = Decimal(stars) if stars else number(said)
        if rating is None or not 1 <= rating <= 5 or rating != int(rating):
            return False, None
        return True, int(rating)
    if kind == "phone":
        digits = re.sub(r"[\s\-()]", "", said).replace("+66", "0")
        if not PHONE.match(digits):
            return False, None
        return True, digits
    if kind == "choice":
        return False, None
    if not said:
        return False, None
    return True, said[:500]


def _answer(
    session: Session,
    run: FlowRun,
    flow: Flow,
    value: Any,
    node: dict[str, Any],
    now: dt.datetime,
    lang: str,
) -> list[Outgoing]:
    state = dict(run.state or {})
    state[node["var"]] = value
    if node.get("var") in ("color",) and value:
        # The recommender wants the canonical colour word nlu knows ("สีดำ" → "ดำ").
        found = nlu.classify(str(value)).entities.get("color")
        if found:
            state[node["var"]] = found
    run.state = state
    _goto(run, _answer_next(node, value))
    return _advance(session, run, flow, now, lang)


def _answer_next(node: dict[str, Any], value: Any) -> str:
    """Where an answer leads: the matching choice's own ``next`` when it has one, else the
    question's ``next``."""
    for c in node.get("choices") or []:
        if c.get("next") and str(c.get("value")) == str(value):
            return str(c["next"])
    return str(node.get("next", ""))


def on_message(
    session: Session,
    conversation_id: int,
    kind: str,
    said: str,
    result: nlu.Classification | None,
    now: dt.datetime,
    lang: str = "th",
    *,
    may_start: bool = True,
) -> list[Outgoing] | None:
    """The flows' turn at a shopper message (the engine asks first): replies when a flow took
    it, None to let the engine answer. ``may_start``: a trigger may start a flow (False for
    a passive bot and a message that is not a question)."""
    run = active_run(session, conversation_id)
    if kind == "postback" and said.startswith(BUTTON_PREFIX):
        return _button(session, conversation_id, run, said[len(BUTTON_PREFIX) :], now, lang)
    if kind != "text" or not said.strip():
        return None
    if run is not None and run.status == WAITING:
        flow = session.get(Flow, run.flow_id)
        node = _node(flow, run.node_id) if flow is not None else None
        if flow is not None and node is not None and node["type"] == "question":
            if CANCEL_WORDS.match(said):
                run.status = DONE
                run.updated_at = now
                return [text("ยกเลิกแล้วค่ะ มีอะไรให้ช่วยบอกได้เลยนะคะ" if lang != "en" else "Cancelled.")]
            ok, value = _parse_answer(node, said)
            if ok:
                return _answer(session, run, flow, value, node, now, lang)
            state = dict(run.state or {})
            tries = int(state.get("_tries", 0)) + 1
            if tries >= MAX_TRIES:
                run.status = DONE  # the shopper is talking about something else
                run.updated_at = now
                return None
            state["_tries"] = tries
            run.state = state
            error = node.get("error") or (
                "ขอคำตอบตามตัวเลือกด้านล่างนะคะ" if lang != "en" else "Please answer from the choices."
            )
            again = _ask(session, run, flow, node, fill_text(session, run, error))
            return [replace(again, step=node["id"])]
    if not may_start or checkout.in_checkout(carts.get_cart(session, conversation_id)):
        return None
    flow = _triggered(session, said, result)
    if flow is None:
        return None
    return start_flow(session, flow.id, conversation_id, now, lang=lang)


def _button(
    session: Session,
    conversation_id: int,
    run: FlowRun | None,
    rest: str,
    now: dt.datetime,
    lang: str,
) -> list[Outgoing] | None:
    """``flow:<id>`` starts a flow; ``flow:<id>:<node>:<choice>`` answers its question."""
    parts = rest.split(":")
    if not parts[0].isdigit():
        return None
    flow = session.get(Flow, int(parts[0]))
    if flow is None or not flow.enabled:
        return [
            text("ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว" if lang != "en" else "Sorry, this button no longer works.")
        ]
    if len(parts) == 1:
        return start_flow(session, flow.id, conversation_id, now, lang=lang)
    node = _node(flow, parts[1]) if len(parts) >= 3 else None
    current = (
        run is not None
        and run.flow_id == flow.id
        and run.node_id == parts[1]
        and run.status == WAITING
    )
    if node is None or node["type"] != "question" or not current:
        return [text("คำถามนี้ผ่านไปแล้วค่ะ" if lang != "en" else "That question has passed.")]
    assert run is not None
    choice = parts[2]
    if choice.startswith("r") and choice[1:].isdigit():
        value: Any = int(choice[1:])
    elif choice.isdigit() and int(choice) < len(node.get("choices") or []):
        value = node["choices"][int(choice)]["value"]
    else:
        return None
    if node.get("kind") == "rating":
        value = int(number(value) or 0)
    return _answer(session, run, flow, value, node, now, lang)


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).lower()


def _triggered(session: Session, said: str, result: nlu.Classification | None) -> Flow | None:
    said_n = _norm(said)
    for flow in session.scalars(
        select(Flow).where(Flow.enabled.is_(True)).order_by(Flow.position, Flow.id)
    ):
        t = flow.trigger or {}
        if t.get("type") == "keyword":
            if any(_norm(str(k)) and _norm(str(k)) in said_n for k in t.get("keywords", [])):
                return flow
        elif t.get("type") == "intent" and result is not None:
            if result.intent == t.get("intent") and result.confidence >= float(
                t.get("min_confidence", 0.6)
            ):
                return flow
    return None


# ---------------------------------------------------------------------------- waits


def due_runs(session: Session, now: dt.datetime) -> list[FlowRun]:
    """Runs whose wait or question time-out is over."""
    return list(
        session.scalars(
            select(FlowRun)
            .where(FlowRun.status == WAITING, FlowRun.wake_at.is_not(None), FlowRun.wake_at <= now)
            .order_by(FlowRun.wake_at, FlowRun.id)
        )
    )


def wake(session: Session, now: dt.datetime) -> list[tuple[int, list[Outgoing]]]:
    """Move the due runs on: past a wait node, or a question's time-out branch."""
    out: list[tuple[int, list[Outgoing]]] = []
    for run in due_runs(session, now):
        flow = session.get(Flow, run.flow_id)
        node = _node(flow, run.node_id) if flow is not None else None
        if flow is None or node is None or not flow.enabled:
            run.status = DONE
            continue
        if node["type"] == "question":
            _goto(run, str(node.get("timeout_next") or ""))
        else:
            _goto(run, node.get("next", ""))
        conv = session.get(Conversation, run.conversation_id)
        if not may_speak(conv):
            run.status = DONE
            continue
        replies = _advance(session, run, flow, now, "th")
        if replies:
            out.append((run.conversation_id, replies))
    session.flush()
    return out


def waiting_for_answer(session: Session, conversation_id: int) -> bool:
    """A flow asked this conversation a question and waits for the answer (the engine does
    not read "ยกเลิก" or a low rating as a complaint then)."""
    run = active_run(session, conversation_id)
    if run is None or run.status != WAITING:
        return False
    flow = session.get(Flow, run.flow_id)
    node = _node(flow, run.node_id) if flow is not None else None
    return node is not None and node["type"] == "question"


def run_state(session: Session, conversation_id: int) -> dict[str, Any] | None:
    """The active run of a conversation (flow id, node, status, state), or None."""
    run = active_run(session, conversation_id)
    if run is None:
        return None
    return {
        "flow_id": run.flow_id,
        "node_id": run.node_id,
        "status": run.status,
        "state": dict(run.state or {}),
        "wake_at": run.wake_at,
    }
