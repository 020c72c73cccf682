"""Sales flows: scripted conversations the owner stores and the bot runs inside chats.

A flow (:class:`~minichat_desktop.domain.models.Flow`) has a **trigger** and a list of
**nodes**, both JSON:

Triggers (``trigger["type"]``)
    ``keyword`` (``keywords``: words; the message contains one, case- and space-insensitive),
    ``intent`` (``intent``: one of :data:`nlu.INTENTS`, ``min_confidence`` default 0.6),
    ``button`` (only a postback ``flow:<id>`` starts it — put it on a button of another flow
    or a canned message), ``event`` (``event``: ``order_delivered`` or ``cart_abandoned``;
    ``minutes``: for a cart, how long untouched before the reminder, default 60).

Nodes (each ``{"id", "type", "next", …}``; ``next`` is the id of the node that follows, ``""``
ends the flow; the first node starts it)
    ``message`` (``text``; ``buttons``: ``[{"label", "flow"}]`` start other flows),
    ``question`` (``text``, ``var`` the state key, ``kind`` text/number/phone/choice/rating,
    ``choices`` ``[{"label", "value", "next"?}]`` as quick replies (a choice with its own
    ``next`` leads there; the others follow the question's ``next``), ``optional``,
    ``error`` the re-ask text, ``timeout_minutes`` + ``timeout_next`` when no answer comes),
    ``action`` (``action`` and its fields, see :data:`ACTIONS`),
    ``condition`` (``field``, ``op``, ``value``, ``then``, ``else``: see :func:`.actions.holds`),
    ``wait`` (``minutes``), ``handoff`` (``text``, ``note``: the conversation is escalated
    and the owner notified, as the engine does for "ขอคุยกับแอดมิน").

Every node may also carry the editor's ``step_name`` (the step's name for the owner) and
``pos`` (``[x, y]`` on the canvas); the runtime ignores both, and a flow without them is laid
out by the editor.

Texts may name ``{var}`` of the run's state and ``{shop}``, ``{customer_name}``,
``{cart_total}``, ``{discount_code}``, ``{discount_percent}``, ``{discount_until}``,
``{order_number}``; an unknown name is left empty.

The runtime (:func:`on_message`) gets the first chance at every shopper message the engine
answers: a run waiting for an answer takes it (validated; two wrong answers in a row, or
"ยกเลิก", end the run and let the engine answer), otherwise a trigger may start a flow. One
run is active per conversation; starting another ends it. Timers (:func:`tick` → wait nodes,
question time-outs, abandoned carts, delivered orders) are run by the bot runner every minute;
they return ``(conversation_id, replies)`` for the caller to queue.

Built-in flows (:func:`ensure_builtin_flows`, idempotent, never overwrites an owner's edits):
product discovery, abandoned cart, review request.

The modules, each depending only on those before it: :mod:`.definition` (the kinds, run
states, :class:`FlowView`), :mod:`.validation` (checking a flow, errors naming node and
field), :mod:`.storage` (save, list, reorder, import), :mod:`.builtins`, :mod:`.actions`
(what action, condition and handoff nodes do), :mod:`.runtime` (starting and advancing runs,
answers, waits) and :mod:`.events` (abandoned carts, delivered orders, the timer). This
package exports what callers use; import a module for anything else.
"""

from minichat_desktop.domain.bot.flows.builtins import (
    BUILTIN_ABANDONED,
    BUILTIN_DISCOVERY,
    BUILTIN_REVIEW,
    ensure_builtin_flows,
    reset_builtin,
)
from minichat_desktop.domain.bot.flows.definition import (
    ACTIONS,
    BUTTON_PREFIX,
    DONE,
    EVENTS,
    NODE_TYPES,
    OPS,
    QUESTION_KINDS,
    RUNNING,
    TRIGGERS,
    WAITING,
    FlowView,
)
from minichat_desktop.domain.bot.flows.events import (
    ABANDONED_MAX_AGE,
    DELIVERED_WINDOW,
    on_order_delivered,
    queue_replies,
    scan_abandoned_carts,
    scan_delivered_orders,
    tick,
)
from minichat_desktop.domain.bot.flows.runtime import (
    CANCEL_WORDS,
    MAX_STEPS,
    MAX_TRIES,
    PHONE,
    SKIP_WORDS,
    due_runs,
    flow_lang,
    on_message,
    run_state,
    start_flow,
    waiting_for_answer,
    wake,
)
from minichat_desktop.domain.bot.flows.storage import (
    delete_flow,
    get_flow,
    import_flow,
    list_flows,
    move_flow,
    save_flow,
    set_enabled,
)
from minichat_desktop.domain.bot.flows.validation import (
    validate_flow,
    validate_nodes,
    validate_trigger,
)

__all__ = [
    "ABANDONED_MAX_AGE",
    "ACTIONS",
    "BUILTIN_ABANDONED",
    "BUILTIN_DISCOVERY",
    "BUILTIN_REVIEW",
    "BUTTON_PREFIX",
    "CANCEL_WORDS",
    "DELIVERED_WINDOW",
    "DONE",
    "EVENTS",
    "MAX_STEPS",
    "MAX_TRIES",
    "NODE_TYPES",
    "OPS",
    "PHONE",
    "QUESTION_KINDS",
    "RUNNING",
    "SKIP_WORDS",
    "TRIGGERS",
    "WAITING",
    "FlowView",
    "delete_flow",
    "due_runs",
    "ensure_builtin_flows",
    "flow_lang",
    "get_flow",
    "import_flow",
    "list_flows",
    "move_flow",
    "on_message",
    "on_order_delivered",
    "queue_replies",
    "reset_builtin",
    "run_state",
    "save_flow",
    "scan_abandoned_carts",
    "scan_delivered_orders",
    "set_enabled",
    "start_flow",
    "tick",
    "validate_flow",
    "validate_nodes",
    "validate_trigger",
    "waiting_for_answer",
    "wake",
]
