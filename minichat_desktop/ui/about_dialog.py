"""Help → About: which MiniChat this is (version, build date), where it keeps the shop's data
and its logs (each with a button that opens the folder), and a check for a newer version
against the release feed (:mod:`minichat_desktop.app.updates`; the request runs on the ops
workers, never on the UI thread).
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop import build_info
from minichat_desktop.app import updates
from minichat_desktop.ui import theme
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.i18n import current_language, t
from minichat_desktop.ui.problems import log_folder

log = logging.getLogger(__name__)


def outcome_text(check: updates.UpdateCheck, lang: str) -> str:
    """What the update check found, for a person, as rich text (a download link when there
    is a newer version for this computer)."""
    if check.outcome is updates.Outcome.NO_FEED:
        return html.escape(
            t("This copy of MiniChat has no update address. Get new versions where you got it.")
        )
    if check.outcome is updates.Outcome.UNREACHABLE:
        return html.escape(
            t(
                "Could not check for updates: {host} cannot be reached ({detail}). Check the "
                "internet connection and try again."
            ).format(host=check.host, detail=check.detail)
        )
    if check.outcome is updates.Outcome.INVALID:
        return html.escape(
            t(
                "Could not check for updates: what {host} sent is not a release feed "
                "({detail}). Try again later; if it stays so, tell whoever supplies MiniChat."
            ).format(host=check.host, detail=check.detail)
        )
    release = check.release
    assert release is not None
    if check.outcome is updates.Outcome.CURRENT:
        return html.escape(t("This is the latest version."))
    head = t("A newer version is out: {version}").format(version=release.version)
    if release.date:
        head += f" ({release.date})"
    parts = [f"<b>{html.escape(head)}</b>"]
    notes = release.notes(lang)
    if notes:
        parts.append(html.escape(notes).replace("\n", "<br>"))
    link = release.download_for(updates.this_system())
    if link:
        parts.append(f'<a href="{html.escape(link, quote=True)}">{html.escape(t("Download"))}</a>')
    else:
        parts.append(html.escape(t("There is no download for this computer's system yet.")))
    return "<br>".join(parts)


class AboutDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.data_dir = ctx.data_dir
        self.log_dir = log_folder(ctx.data_dir / "logs")
        self.opened: list[Path] = []  # folders asked to open (tests read it)
        self.last_check: updates.UpdateCheck | None = None

        self.title = QLabel("MiniChat", objectName="Title")
        self.version = QLabel()
        self.version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label, self.log_label = QLabel(), QLabel()
        self.data_path = self._path_label(self.data_dir)
        self.log_path = self._path_label(self.log_dir)
        self.open_data = QPushButton(clicked=lambda: self.open_folder(self.data_dir))
        self.open_logs = QPushButton(clicked=lambda: self.open_folder(self.log_dir))
        folders = QGridLayout()
        folders.setColumnStretch(1, 1)
        for row, (label, path, button) in enumerate(
            [
                (self.data_label, self.data_path, self.open_data),
                (self.log_label, self.log_path, self.open_logs),
            ]
        ):
            folders.addWidget(label, row, 0)
            folders.addWidget(path, row, 1)
            folders.addWidget(button, row, 2)

        self.check_button = QPushButton(clicked=self.check_updates)
        self.check_button.setProperty("primary", True)
        self.answer = QLabel(objectName="Muted")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setOpenExternalLinks(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.answer.hide()
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addStretch(1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)

        logo = QLabel()
        logo.setPixmap(theme.icon("minichat").pixmap(48, 48))
        names = QVBoxLayout()
        names.setSpacing(2)
        names.addWidget(self.title)
        names.addWidget(self.version)
        head = QHBoxLayout()
        head.setSpacing(12)
        head.addWidget(logo)
        head.addLayout(names, 1)

        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        lay.addLayout(head)
        lay.addLayout(folders)
        lay.addLayout(check_row)
        lay.addWidget(self.answer)
        lay.addStretch(1)
        lay.addWidget(buttons)
        self.resize(620, self.sizeHint().height())
        self.retranslate()

    @staticmethod
    def _path_label(path: Path) -> QLabel:
        label = QLabel(str(path))
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("About MiniChat"))
        built = build_info.build_date()
        text = self.tr("Version {version}").format(version=build_info.version())
        if built:
            text += " · " + self.tr("built {date}").format(date=built)
        self.version.setText(text)
        self.data_label.setText(self.tr("Data folder"))
        self.log_label.setText(self.tr("Log folder"))
        self.open_data.setText(self.tr("Open folder"))
        self.open_logs.setText(self.tr("Open folder"))
        self.check_button.setText(self.tr("Check for updates"))
        if self.close_button is not None:
            self.close_button.setText(self.tr("Close"))
        if self.last_check is not None:
            self.answer.setText(outcome_text(self.last_check, current_language()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def open_folder(self, folder: Path) -> None:
        """Show ``folder`` in the system's file manager (made first if it is not there yet:
        the log folder appears with the first log line)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("about: cannot make %s: %s", folder, exc)
        self.opened.append(folder)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @asyncSlot()
    async def check_updates(self) -> None:
        """Ask the release feed off the UI thread and say what it answered."""
        self.check_button.setEnabled(False)
        self.answer.setText(self.tr("Checking for updates…"))
        self.answer.show()
        try:
            check = await self.ctx.ops.call(
                updates.check_for_update, build_info.version(), build_info.release_feed_url()
            )
        finally:
            self.check_button.setEnabled(True)
        self.last_check = check
        self.answer.setText(outcome_text(check, current_language()))
