"""How a MiniChat connection behaves, on either end, with no sockets and no asyncio.

The frames (:mod:`relay.protocol`) say what may be sent; this module says what a peer does
with what it receives, the way the ``websockets`` library keeps its protocol apart from its
asyncio layer: a machine is fed what arrived (text, "no hello in time", "the socket closed
with code N") and answers with what to do — a frame to act on, an ``error`` to send back, a
close to make, or how long to wait before connecting again. The I/O around it (the relay's
aiohttp handlers, the desktop's ``websockets`` client) only carries bytes and obeys.

- :class:`RelaySide` — one socket as the relay sees it: the first frame must be ``hello``
  with a version both speak (:func:`~relay.protocol.negotiate`); a frame that breaks the
  protocol is answered ``error`` with the frame's id in ``ref``; :data:`MAX_BAD_FRAMES`
  refused frames in a row close the socket with 4008; a frame of an unknown type is skipped
  (counted and logged, not refused, not counted toward the 4008 close).
- :class:`ClientSide` — the desktop's link across all its sockets: ``hello`` → ``welcome``;
  a frame it cannot read (unknown type, unknown stream item, a bad field) is skipped and
  logged and never ends the session, its stream position acknowledged like any other; what
  to do after a close is looked up in :data:`CLIENT_ACTIONS` (one :class:`CloseCode` enum);
  reconnecting waits a capped exponential backoff × 0.5–1.5 drawn from an injectable random
  source.
"""

from __future__ import annotations

import logging
import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from relay import protocol as p

log = logging.getLogger("relay.connection")

MAX_BAD_FRAMES = 20
"""Refused frames in a row after which the relay closes the socket with 4008."""
HELLO_TIMEOUT = 10.0
"""Seconds the relay waits for ``hello`` before closing with 4008."""
TRANSPORT_FACTOR = 4
"""The socket itself takes frames up to this many times the frame limit (bigger: close 1009),
so that a frame over the limit but under that is answered ``too_large`` with its id."""


class CloseCode(IntEnum):
    """Every close code a MiniChat peer meets (docs/protocol.md, close codes)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the relay is shutting down
    ABNORMAL = 1006  # no close frame: the connection dropped (never sent, only seen)
    TOO_BIG = 1009  # a frame over the size limit
    INTERNAL_ERROR = 1011  # the relay's storage failed; or the desktop's keepalive timed out
    REPLACED = 4000  # a newer desktop connection for the same shop took over
    UNAUTHORIZED = 4001  # token refused, or the shop was removed
    UNSUPPORTED = 4002  # no protocol version in common
    POLICY = 4008  # no hello in time, too many bad frames, too slow to read


class Action(StrEnum):
    """What the desktop does after its link closed."""

    RECONNECT = "reconnect"  # after the backoff delay
    ASK_TOKEN = "ask_token"  # stop; the owner enters a new shop token
    UPDATE = "update"  # stop; the owner updates MiniChat
    WAIT_FOR_OWNER = "wait_for_owner"  # stop; another MiniChat has the link until asked


CLIENT_ACTIONS: Mapping[CloseCode, Action] = {
    CloseCode.NORMAL: Action.RECONNECT,
    CloseCode.GOING_AWAY: Action.RECONNECT,
    CloseCode.ABNORMAL: Action.RECONNECT,
    CloseCode.TOO_BIG: Action.RECONNECT,
    CloseCode.INTERNAL_ERROR: Action.RECONNECT,
    CloseCode.REPLACED: Action.WAIT_FOR_OWNER,
    CloseCode.UNAUTHORIZED: Action.ASK_TOKEN,
    CloseCode.UNSUPPORTED: Action.UPDATE,
    CloseCode.POLICY: Action.RECONNECT,
}

# The English reason the desktop's status shows for each stop (the screens translate them).
STOP_REASONS: Mapping[Action, str] = {
    Action.ASK_TOKEN: "the relay refused the shop token",
    Action.UPDATE: "this MiniChat is too old for the relay; update it",
    Action.WAIT_FOR_OWNER: "another MiniChat is connected for this shop",
}


def action_for(code: int | None) -> Action:
    """The client's action after a close with ``code`` (None: no close frame). A code this
    version does not know is treated as a dropped connection: reconnect."""
    try:
        return CLIENT_ACTIONS[CloseCode(code if code is not None else CloseCode.ABNORMAL)]
    except (ValueError, KeyError):
        return Action.RECONNECT


@dataclass(frozen=True, slots=True)
class Close:
    """A decision to close the socket with ``code``; ``reason`` goes in the close frame."""

    code: CloseCode
    reason: str


# ============================================================================ relay side


class Phase(StrEnum):
    HELLO = "hello"  # waiting for the first frame
    OPEN = "open"
    CLOSED = "closed"  # the machine decided to close; nothing more is taken


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the relay does with what arrived: act on ``frame`` (a decoded frame), send
    ``reply``, then close with ``close``. ``skipped`` names an unknown frame type let pass."""

    frame: Any = None
    reply: p.Error | None = None
    close: Close | None = None
    skipped: str | None = None


class RelaySide:
    """One socket (desktop or widget) as the relay sees it.

    ``decode`` is the direction's decoder (:func:`~relay.protocol.decode_desktop_frame` or
    :func:`~relay.protocol.decode_widget_frame`) and ``hello`` the class its first frame must
    be. The handler that acts on a frame may still refuse it (:meth:`refuse`) or report that it
    acted (:meth:`handled`: the run of refused frames is broken)."""

    def __init__(
        self,
        decode: Callable[[str], Any],
        hello: type[Any],
        label: str = "socket",
        *,
        max_frame: int | None = None,
    ) -> None:
        self._decode = decode
        self._hello = hello
        self.label = label
        self.max_frame = max_frame  # bytes of UTF-8; None: no limit here
        self.phase = Phase.HELLO
        self.version: int | None = None
        self.bad_in_a_row = 0
        self.refused = 0
        self.skipped = 0
        self.acked = 0  # the highest cumulative ``ack`` received
        self._logged_types: set[str] = set()

    # ---- the handshake

    def receive_hello(self, data: str | None) -> Outcome:
        """The first message (None: it was not a text frame). Returns the hello as
        ``frame`` (and sets :attr:`version`), or an error and a close."""
        try:
            hello = self._decode(data) if data is not None else None
            if not isinstance(hello, self._hello):
                raise p.ProtocolError("type: the first frame must be hello")
            self.version = p.negotiate(hello.protocol)
        except p.ProtocolError as exc:
            self.phase = Phase.CLOSED
            code = (
                CloseCode.UNSUPPORTED
                if exc.code == p.ErrorCode.UNSUPPORTED_VERSION
                else CloseCode.POLICY
            )
            ref = p.ref_of(data) if data is not None else None
            return Outcome(
                reply=p.Error(_error_code(exc), str(exc)[:500], ref), close=Close(code, "bad hello")
            )
        self.phase = Phase.OPEN
        return Outcome(frame=hello)

    def hello_timeout(self) -> Outcome:
        """No first frame within :data:`HELLO_TIMEOUT`."""
        self.phase = Phase.CLOSED
        return Outcome(close=Close(CloseCode.POLICY, "no hello"))

    # ---- after the handshake

    def receive(self, data: str) -> Outcome:
        """A text frame after the handshake."""
        if self.phase is not Phase.OPEN:
            return Outcome()
        limit = self.max_frame
        if limit is not None and len(data) > limit // 4 and _utf8_len(data) > limit:
            too_large = p.ProtocolError(f"frame: too large (max {limit} bytes)", "too_large")
            return self.refuse(too_large, data)
        try:
            frame = self._decode(data)
        except p.UnknownFrame as exc:
            self.skipped += 1
            if exc.type not in self._logged_types and len(self._logged_types) < 20:
                self._logged_types.add(exc.type)  # once per type: a peer cannot flood the log
                log.info("%s: skipping frames of unknown type %r", self.label, exc.type)
            return Outcome(skipped=exc.type)
        except p.ProtocolError as exc:
            return self.refuse(exc, data)
        if isinstance(frame, self._hello):
            return self.refuse(p.ProtocolError("type: hello was already received"), data)
        if isinstance(frame, p.Ack):
            self.acked = max(self.acked, frame.seq)
        return Outcome(frame=frame)

    def receive_binary(self) -> Outcome:
        return self.refuse(p.ProtocolError("frame: binary frames are not supported"), None)

    def refuse(self, exc: p.ProtocolError, data: str | None) -> Outcome:
        """Answer a frame that broke the protocol with ``error`` (its id in ``ref``); close
        with 4008 after :data:`MAX_BAD_FRAMES` in a row."""
        self.bad_in_a_row += 1
        self.refused += 1
        ref = p.ref_of(data) if data is not None else None
        reply = p.Error(_error_code(exc), str(exc)[:500], ref)
        if self.refused <= MAX_BAD_FRAMES:  # enough to diagnose; a peer cannot flood the log
            log.info("%s: refused a frame (ref %s): %s", self.label, ref, exc)
        if self.bad_in_a_row >= MAX_BAD_FRAMES:
            self.phase = Phase.CLOSED
            return Outcome(reply=reply, close=Close(CloseCode.POLICY, "too many bad frames"))
        return Outcome(reply=reply)

    def handled(self) -> None:
        """The last frame was acted on: the run of refused frames is broken."""
        self.bad_in_a_row = 0

    def storage_failed(self) -> Outcome:
        self.phase = Phase.CLOSED
        return Outcome(
            reply=p.Error(p.ErrorCode.INTERNAL, "storage unavailable; retry later"),
            close=Close(CloseCode.INTERNAL_ERROR, "storage unavailable"),
        )

    def shop_removed(self) -> Outcome:
        self.phase = Phase.CLOSED
        return Outcome(close=Close(CloseCode.UNAUTHORIZED, "shop removed"))

    def replaced(self) -> Close:
        """A newer desktop connection for the same shop takes over this one."""
        self.phase = Phase.CLOSED
        return Close(CloseCode.REPLACED, "replaced by a newer connection")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _error_code(exc: p.ProtocolError) -> p.ErrorCode:
    try:
        return p.ErrorCode(exc.code)
    except ValueError:
        return p.ErrorCode.BAD_FRAME


# ============================================================================ client side


class LinkPhase(StrEnum):
    IDLE = "idle"  # between sockets, waiting out the backoff
    WELCOME = "welcome"  # hello sent, waiting for welcome
    OPEN = "open"
    STOPPED = "stopped"  # not reconnecting until the owner asks (:meth:`ClientSide.resume`)


@dataclass(frozen=True, slots=True)
class Received:
    """A frame the desktop got: ``frame`` to act on, or None when it was skipped; then
    ``seq`` is the stream position it held (to acknowledge past), if any."""

    frame: p.ToDesktopFrame | None
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after a socket ended: ``action``; for :attr:`Action.RECONNECT` wait
    ``delay`` seconds first. ``reason`` is the English text for the status bar."""

    action: Action
    delay: float | None
    reason: str


class WelcomeRefused(Exception):
    """The relay answered ``hello`` with an ``error``; its close follows, and ``code`` (set
    by whoever saw the close) decides what comes next."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code: int | None = None


class ClientSide:
    """The desktop's side of its link to the relay, across reconnects.

    ``random`` returns a float in [0, 1) (the jitter); ``base`` and ``cap`` are the backoff's
    first step and ceiling in seconds."""

    def __init__(
        self,
        *,
        base: float = 0.5,
        cap: float = 30.0,
        random: Callable[[], float] = _random.random,
        features: tuple[str, ...] = (),
    ) -> None:
        self.features = features  # optional features offered in every hello
        self.base = base
        self.cap = cap
        self._random = random
        self.phase = LinkPhase.IDLE
        self.attempt = 0  # sockets ended since the last welcome
        self.skipped = 0
        self.welcome: p.DesktopWelcome | None = None
        self.acked = 0

    def hello(self, after: int, presence: p.Presence, client: str | None) -> str:
        """A new socket is open: the text of the ``hello`` to send first."""
        self.phase = LinkPhase.WELCOME
        self.acked = after
        hello = p.DesktopHello(client=client, after=after, presence=presence)
        if self.features:
            hello = p.DesktopHello(hello.protocol, client, after, presence, self.features)
        return p.encode(hello)

    @property
    def ride(self) -> bool:
        """The relay granted ``ride`` on this socket: acks may ride in sends, and its frames
        may carry others (:meth:`receive_all`). False before the welcome and with older relays."""
        return self.welcome is not None and p.RIDE in self.welcome.features

    def receive_all(self, data: str | bytes) -> list[Received]:
        """The frames in one message from the relay, in the order to act on them: the frames
        riding in its ``with`` list, then the carrier (:func:`~relay.protocol.unpack_riders`);
        one frame without riders or before the welcome. A message whose riders cannot be
        read is skipped whole (its ``seq`` acknowledged past, as for any unreadable frame)."""
        if self.phase is LinkPhase.WELCOME or not self.ride:
            return [self.receive(data)]
        try:
            objs = p.unpack_riders(data)
        except p.ProtocolError as exc:
            self.skipped += 1
            seq = _seq_of(data)
            log.warning("relay sent a message this version cannot read (seq %s): %s", seq, exc)
            return [Received(None, seq)]
        return [self.receive(obj) for obj in objs]

    def receive(self, data: str | bytes | Mapping[str, Any]) -> Received:
        """A frame from the relay. The first must be ``welcome`` (else
        :class:`WelcomeRefused` for an ``error``, :class:`~relay.protocol.ProtocolError` for
        anything else); after it nothing raises: what cannot be read is skipped."""
        if self.phase is LinkPhase.WELCOME:
            first = p.decode_to_desktop(data)
            if isinstance(first, p.Error):
                raise WelcomeRefused(f"the relay refused us: {first.message}")
            if not isinstance(first, p.DesktopWelcome):
                raise p.ProtocolError("type: expected welcome")
            self.phase = LinkPhase.OPEN
            self.welcome = first
            self.attempt = 0
            return Received(first)
        try:
            frame = p.decode_to_desktop(data)
        except p.UnknownFrame as exc:
            self.skipped += 1
            log.info("relay sent a frame of unknown type %r (seq %s): skipped", exc.type, exc.seq)
            return Received(None, exc.seq)
        except p.ProtocolError as exc:
            self.skipped += 1
            seq = _seq_of(data)
            log.warning("relay sent a frame this version cannot read (seq %s): %s", seq, exc)
            return Received(None, seq)
        if isinstance(frame, p.DesktopWelcome):
            self.skipped += 1
            log.warning("relay sent a second welcome: skipped")
            return Received(None)
        return Received(frame)

    def ack(self, top: int) -> str | None:
        """Everything up to stream position ``top`` is stored: the ``ack`` to send, or None
        when the relay was told already."""
        if top <= self.acked:
            return None
        self.acked = top
        return p.encode(p.Ack(top))

    # ---- after a socket

    def closed(self, code: int | None) -> Decision:
        """The socket closed with ``code`` (None: it dropped with no close frame)."""
        action = action_for(code)
        return self._decide(action, "connection closed" if action is Action.RECONNECT else None)

    def failed(self, reason: str) -> Decision:
        """The socket could not be opened, or broke (unreachable, timed out): reconnect."""
        return self._decide(Action.RECONNECT, reason)

    def stop(self, action: Action, reason: str | None = None) -> Decision:
        """Stop for ``action`` (token refused over HTTP, no token set)."""
        return self._decide(action, reason)

    def resume(self) -> None:
        """The owner asked to connect (new settings, a reconnect command): lift a stop and
        start the backoff over."""
        self.phase = LinkPhase.IDLE
        self.attempt = 0

    def delay(self) -> float:
        """Capped exponential backoff for the current attempt, × 0.5–1.5."""
        step: float = min(self.cap, self.base * 2.0 ** min(self.attempt, 16))
        return step * (0.5 + self._random())

    def _decide(self, action: Action, reason: str | None) -> Decision:
        if action is not Action.RECONNECT:
            self.phase = LinkPhase.STOPPED
            return Decision(action, None, reason or STOP_REASONS[action])
        self.phase = LinkPhase.IDLE
        self.attempt += 1
        return Decision(action, self.delay(), reason or "connection closed")


def _seq_of(data: str | bytes | Mapping[str, Any]) -> int | None:
    try:
        obj = data if isinstance(data, Mapping) else p.load_json(data)
    except p.ProtocolError:
        return None
    seq = obj.get("seq") if isinstance(obj, dict) else None
    if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= 2**53:
        return seq
    return None
