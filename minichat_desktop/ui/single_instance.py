"""One app per data folder.

The first app on a folder takes the folder's lock (:mod:`minichat_desktop.storage.folder_lock`)
and listens on a local socket named after the folder (:func:`server_name`). A second launch on
that folder finds the lock taken, asks the running app over the socket to show its window, and
exits 0; when no app answers (it is hung, or the lock is held by ``minichat restore``) it exits 2
with a message naming the folder. So there is never a second writer on one database.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QMessageBox

from minichat_desktop.storage.folder_lock import FolderLock
from minichat_desktop.ui.i18n import t

log = logging.getLogger(__name__)

SHOW = b"show"
SHOWN = b"ok"
EXIT_HANDED_OVER, EXIT_IN_USE = 0, 2
# The running app listens right after taking the lock, so a second launch that cannot connect
# within CONNECT_WITHIN_S is facing no app (``minichat restore`` holds the lock). Once connected
# it waits up to ANSWER_WITHIN_S for the answer: the app may itself be starting (its event loop
# runs only once the database is open and the demo relay started).
CONNECT_WITHIN_S = 3.0
ANSWER_WITHIN_S = 10.0


def server_name(folder: Path) -> str:
    """The local socket's name for ``folder``: the same for every launch by this user on this
    folder (its resolved path), different for another folder or user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container): the folder alone
        user = ""
    key = f"{user}\0{folder.resolve()}".encode()
    return "minichat-" + hashlib.sha256(key).hexdigest()[:24]


class InstanceServer(QObject):
    """The running app's end: answers a second launch's ``show`` with ``ok`` and emits
    :attr:`show_requested`."""

    show_requested = Signal()

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(folder)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        if not self._server.listen(self.name):
            # A socket file left by a killed app (we hold the folder's lock: it is no one's).
            QLocalServer.removeServer(self.name)
            if not self._server.listen(self.name):
                log.info(
                    "single instance: cannot listen on %s (%s); a second launch will be refused",
                    self.name,
                    self._server.errorString(),
                )

    def _accept(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(sock.deleteLater)

    def _read(self, sock: QLocalSocket) -> None:
        while sock.canReadLine():
            if bytes(sock.readLine().data()).strip() == SHOW:
                log.info("single instance: another launch on this folder; showing the window")
                self.show_requested.emit()
                sock.write(SHOWN + b"\n")
                sock.flush()

    def close(self) -> None:
        self._server.close()


def hand_over(folder: Path) -> bool:
    """Ask the app running on ``folder`` to show its window; True once it said it did."""
    deadline = time.monotonic() + CONNECT_WITHIN_S
    sock = QLocalSocket()
    while True:
        sock.connectToServer(server_name(folder))
        if sock.waitForConnected(500):
            break
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)  # the app may be between taking the lock and listening
    deadline = time.monotonic() + ANSWER_WITHIN_S
    sock.write(SHOW + b"\n")
    sock.waitForBytesWritten(1000)
    answer = b""
    while not answer.endswith(b"\n"):
        left = int((deadline - time.monotonic()) * 1000)
        if left <= 0 or not sock.waitForReadyRead(left):
            break
        answer += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return answer.strip() == SHOWN


def folder_in_use_message(folder: Path) -> str:
    """What a person is told when the folder is taken and the running app did not answer."""
    return t(
        "MiniChat is already running on the data folder {folder} but did not answer. "
        "Quit that MiniChat (or wait for minichat restore to finish) and open it again."
    ).format(folder=folder)


def claim(folder: Path) -> tuple[FolderLock, InstanceServer] | int:
    """Become the one app on ``folder``: its lock and socket, or the exit code of a second
    launch (0 handed over to the running app, 2 refused, the message shown)."""
    lock = FolderLock(folder)
    if lock.acquire():
        return lock, InstanceServer(folder)
    log.info("data folder %s is in use; asking the running app to show its window", folder)
    if hand_over(folder):
        print(f"MiniChat is already open on {folder}: its window was brought to the front.")
        return EXIT_HANDED_OVER
    message = folder_in_use_message(folder)
    # INFO: the person is told on the terminal (and a dialog); nothing of ours went wrong.
    log.info("second launch refused: data folder %s in use and no app answered", folder)
    print(message, file=sys.stderr)
    if _seen_on_screen():
        QMessageBox.warning(None, "MiniChat", message)
    return EXIT_IN_USE


def _seen_on_screen() -> bool:
    """A dialog only where a person can see it: a real display, and no terminal showing the
    message already."""
    terminal = sys.stderr is not None and sys.stderr.isatty()
    return not terminal and QGuiApplication.platformName() not in ("offscreen", "minimal")
