"""Message boxes in Qt tests: every box the app opens (never modally, see ui/dialogs.py) is
seen as it is shown; warnings and crash notices are recorded and closed, questions are
answered Yes — as a person clicking through would."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox


class Boxes(QObject):
    """Watches the application for message boxes being shown (install with :meth:`start`,
    remove with :meth:`stop`). ``shown`` holds (title, text) of each warning or crash box."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[str, str]] = []
        self.texts: list[str] = []  # the text of each of ``shown``
        self.questions: list[tuple[str, str]] = []

    def start(self) -> Boxes:
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        return self

    def stop(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QMessageBox):
            self._seen(watched)
        return False

    def _seen(self, box: QMessageBox) -> None:
        said = (box.windowTitle(), box.text())
        # The app draws our icons (theme.message_icon) and names the box's kind.
        kind = box.property("kind")
        if kind in ("warn", "error"):
            self.shown.append(said)
            self.texts.append(said[1])
            QTimer.singleShot(0, lambda: _answer(box, QMessageBox.StandardButton.Ok))
        elif kind == "question":
            self.questions.append(said)
            QTimer.singleShot(0, lambda: _answer(box, QMessageBox.StandardButton.Yes))


def _answer(box: QMessageBox, button: QMessageBox.StandardButton) -> None:
    if shiboken6.isValid(box) and box.isVisible():
        box.done(button.value)


async def choose_file(owner: object, path: str) -> str:
    """Wait for the file dialog ``owner.dialog`` (opened by ``ui.dialogs``), pick ``path`` in
    it as a person would and accept; returns the file name the dialog suggested."""
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    from support.waiting import until

    await until(lambda: isinstance(getattr(owner, "dialog", None), QFileDialog))
    dialog = owner.dialog  # type: ignore[attr-defined]
    selected = dialog.selectedFiles()
    suggested = Path(selected[0]).name if selected else ""
    # As a person types it: selectFile() leaves a focused name field as it was.
    typed = dialog.findChild(QLineEdit, "fileNameEdit")
    dialog.setDirectory(str(Path(path).parent))
    typed.setText(Path(path).name)
    dialog.accept()
    return suggested
