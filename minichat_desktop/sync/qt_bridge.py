"""Turns the relay client's events into Qt signals (the only Qt in ``sync/``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from minichat_desktop.domain.inbox_reads import Inbound
    from minichat_desktop.sync.status import Status
    from relay import protocol as p


class SyncSignals(QObject):
    """Implements :class:`~minichat_desktop.sync.client.SyncEvents` by emitting signals."""

    status_changed_sig = Signal(object)  # Status
    messages_stored_sig = Signal(list)  # list[Inbound]
    conversations_changed_sig = Signal(list)  # list[int]
    welcomed_sig = Signal(object)  # DesktopWelcome
    line_quota_sig = Signal(object)  # LineQuota
    shopper_typing_sig = Signal(str, bool)
    caught_up_sig = Signal(object)  # tuple[str, ...]: what was sent again after a welcome

    def status_changed(self, status: Status) -> None:
        self.status_changed_sig.emit(status)

    def messages_stored(self, stored: list[Inbound]) -> None:
        self.messages_stored_sig.emit(stored)

    def conversations_changed(self, ids: list[int]) -> None:
        self.conversations_changed_sig.emit(ids)

    def welcomed(self, welcome: p.DesktopWelcome) -> None:
        self.welcomed_sig.emit(welcome)

    def line_quota(self, quota: p.LineQuota) -> None:
        self.line_quota_sig.emit(quota)

    def shopper_typing(self, conversation: str, state: bool) -> None:
        self.shopper_typing_sig.emit(conversation, state)

    def caught_up(self, sent: tuple[str, ...]) -> None:
        self.caught_up_sig.emit(sent)
