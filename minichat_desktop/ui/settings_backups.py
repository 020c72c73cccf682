"""Settings → Backups: where the encrypted backups go, the last one (when, size, verified),
"Back up now" with progress, the recovery phrase, and restoring a chosen backup after showing
what it holds. The work is :mod:`minichat_desktop.storage.backups`, run off the UI thread; the
folder and the last result are this computer's preferences (``desktop.ini``, see
:func:`minichat_desktop.ui.context.load_backup_state`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from minichat_desktop.domain.sales.tax_documents import thai_date
from minichat_desktop.domain.thai import BANGKOK
from minichat_desktop.errors import DomainError, UserError
from minichat_desktop.storage import backups
from minichat_desktop.ui import i18n, theme
from minichat_desktop.ui.context import AppContext, load_backup_state, save_backup_state
from minichat_desktop.ui.dialogs import ask
from minichat_desktop.ui.settings_common import (
    Page,
    Tone,
    alive,
    button_row,
    danger,
    explain,
    form,
    primary,
)


def when_text(when: dt.datetime) -> str:
    """Bangkok time; the Buddhist-era date on a Thai screen ("6 ธ.ค. 2569 14:05")."""
    if i18n.current_language() == "th":
        return thai_date(when, with_time=True)
    local = when.astimezone(BANGKOK)
    return f"{local.day} {local:%b %Y %H:%M}"


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


class RestoreDialog(QDialog):
    """The backups in the folder; choosing one shows what it holds. A recovery phrase opens
    backups made on another computer."""

    def __init__(self, parent: QWidget, files: list[backups.BackupFile], key: bytes | None) -> None:
        super().__init__(parent)
        self.files = files
        self.key = key
        self.manifest: backups.Manifest | None = None
        self.setWindowTitle(self.tr("Restore a backup"))
        self.resize(560, 440)
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        for f in files:
            item = QListWidgetItem(f"{when_text(f.taken_at)}   ·   {size_text(f.size)}")
            item.setData(Qt.ItemDataRole.UserRole, str(f.path))
            self.list.addItem(item)
        self.phrase = QLineEdit()
        self.phrase.setPlaceholderText(
            self.tr("Recovery phrase (only for another computer's backups)")
        )
        self.details = QLabel(objectName="Muted")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.phrase)
        layout.addWidget(self.details)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Restore…"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.list.currentRowChanged.connect(lambda _row: self.show_chosen())
        self.phrase.textChanged.connect(lambda _text: self.show_chosen())
        if files:
            self.list.setCurrentRow(0)
        self.show_chosen()

    def chosen(self) -> Path | None:
        item = self.list.currentItem()
        return Path(str(item.data(Qt.ItemDataRole.UserRole))) if item is not None else None

    def current_key(self) -> bytes:
        """The phrase's key when one is typed, else this computer's. Raises UserError."""
        if self.phrase.text().strip():
            return backups.key_from_phrase(self.phrase.text())
        if self.key is None:
            raise UserError(backups.NO_KEY, "no backup key on this computer")
        return self.key

    def show_chosen(self) -> None:
        self.manifest = None
        path = self.chosen()
        if path is None:
            self.details.setText(self.tr("No backups in this folder yet."))
        else:
            try:
                self.manifest = backups.read_manifest(path, self.current_key())
                self.details.setText(holds_text(self, self.manifest))
            except DomainError as exc:
                self.details.setText(explain(exc))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            self.manifest is not None
        )


def holds_text(widget: QWidget, m: backups.Manifest) -> str:
    return widget.tr(
        "{shop}, taken {when}: {products} products, {orders} orders, {customers} customers"
    ).format(
        shop=m.shop_name or "—",
        when=when_text(m.taken_at),
        products=m.products,
        orders=m.orders,
        customers=m.customers,
    )


class BackupsPage(Page):
    """The backup folder, the last backup, back up now, the recovery phrase, restore."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.dialog: QDialog | None = None  # the open dialog, for tests (see ui.dialogs.ask)
        self.folder_box = QGroupBox()
        f = form()
        self.folder_box.setLayout(f)
        self.folder = QLabel()
        self.folder.setWordWrap(True)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choose = QPushButton()
        self.choose.clicked.connect(self.on_choose)
        self.folder_label, self.last_label = QLabel(), QLabel()
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose)
        f.addRow(self.folder_label, folder_row)
        self.folder_hint = QLabel(objectName="Muted")
        self.folder_hint.setWordWrap(True)
        f.addRow(self.folder_hint)
        self.last = theme.StatusLabel()
        theme.role(self.last, "")  # a plain line; the icon and colour say verified or not
        f.addRow(self.last_label, self.last)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        theme.tone(theme.role(self.problem, "strong"), "error")
        f.addRow(self.problem)
        self.body.addWidget(self.folder_box)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.body.addWidget(self.progress)
        self.now = primary(QPushButton())
        self.now.clicked.connect(self.on_back_up_now)
        self.restore = danger(QPushButton())
        self.restore.clicked.connect(self.on_restore)
        self.body.addLayout(button_row(self.restore, self.now))
        self.phrase_box = QGroupBox()
        pb = QVBoxLayout(self.phrase_box)
        self.phrase_help = QLabel(objectName="Muted")
        self.phrase_help.setWordWrap(True)
        self.phrase = QLabel()
        self.phrase.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.role(self.phrase, "mono")
        self.phrase.hide()
        self.show_phrase = QPushButton()
        self.show_phrase.clicked.connect(self.on_show_phrase)
        pb.addWidget(self.phrase_help)
        pb.addWidget(self.phrase)
        pb.addLayout(button_row(self.show_phrase))
        self.body.addWidget(self.phrase_box)
        self.body.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Backups"))
        self.intro.setText(
            self.tr(
                "Every day MiniChat keeps an encrypted copy of the shop's data in the folder "
                "you choose: another disk, a USB drive or a cloud-synced folder. 7 daily, 4 "
                "weekly and 12 monthly copies are kept."
            )
        )
        self.folder_box.setTitle(self.tr("Where backups go"))
        self.folder_label.setText(self.tr("Backup folder"))
        self.last_label.setText(self.tr("Last backup"))
        self.choose.setText(self.tr("Choose folder…"))
        self.now.setText(self.tr("Back up now"))
        self.restore.setText(self.tr("Restore…"))
        self.phrase_box.setTitle(self.tr("Recovery phrase"))
        self.phrase_help.setText(
            self.tr(
                "Backups open only with this computer's key. Write the recovery phrase on "
                "paper and keep it safe: on a new computer it opens your backups. Anyone with "
                "the phrase and a backup can read the shop's data."
            )
        )
        self.show_phrase.setText(
            self.tr("Hide recovery phrase")
            if not self.phrase.isHidden()
            else self.tr("Show recovery phrase")
        )
        self.show_state()

    def state(self) -> backups.BackupState:
        return load_backup_state(self.ctx.settings)

    def show_state(self) -> None:
        s = self.state()
        if s.folder is None:
            self.folder.setText(str(backups.default_folder(self.ctx.data_dir)))
            self.folder_hint.setText(
                self.tr(
                    "Not chosen yet: backups are kept beside the shop's data, on the same "
                    "disk. Choose another disk, a USB drive or a cloud-synced folder."
                )
            )
        else:
            self.folder.setText(str(s.folder))
            self.folder_hint.setText("")
        self.folder_hint.setHidden(not self.folder_hint.text())
        if s.last_at is None:
            self.last.say(self.tr("No backup yet."), None)
        else:
            verified = (
                self.tr("verified")
                if s.last_verified
                else self.tr("NOT verified: {why}").format(why=s.last_check)
            )
            self.last.say(
                f"{when_text(s.last_at)}  ·  {size_text(s.last_size)}  ·  {verified}",
                "ok" if s.last_verified else "error",
            )
        if s.failed_at is not None:
            self.problem.setText(
                self.tr("The last backup failed ({when}): {why}").format(
                    when=when_text(s.failed_at), why=explain(self.failure(s))
                )
            )
        else:
            self.problem.setText("")
        self.problem.setHidden(not self.problem.text())

    def failure(self, s: backups.BackupState) -> UserError:
        """The last failure as an error to word (its text was kept, in English)."""
        folder = backups.folder_of(s, self.ctx.data_dir)
        return UserError(s.failed_code, s.failed_text, path=str(folder))

    def showEvent(self, event: QShowEvent) -> None:
        self.show_state()  # the daily backup may have run meanwhile
        super().showEvent(event)

    # ---------------------------------------------------------------------- the folder

    @asyncSlot()
    async def on_choose(self) -> None:
        dialog = QFileDialog(self, self.tr("Choose the backup folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        current = self.state().folder
        if current is not None:
            dialog.setDirectory(str(current))
        if not await ask(dialog, self) or not dialog.selectedFiles():
            return
        self.set_folder(Path(dialog.selectedFiles()[0]))

    def set_folder(self, folder: Path) -> None:
        """Keep ``folder`` as the backup folder (the next backup goes there)."""
        from dataclasses import replace

        save_backup_state(self.ctx.settings, replace(self.state(), folder=folder.resolve()))
        self.show_state()
        self.feedback.say(self.tr("Backup folder saved. Back up now to try it."))

    # ---------------------------------------------------------------------- backing up

    @asyncSlot()
    async def on_back_up_now(self) -> None:
        await self.back_up_now()

    async def back_up_now(self) -> bool:
        loop = asyncio.get_running_loop()

        def progress(fraction: float) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._progress, fraction)

        self.now.setEnabled(False)
        self.restore.setEnabled(False)
        self.progress.setValue(0)
        self.progress.show()
        self.feedback.say(self.tr("Backing up…"), Tone.INFO)
        try:
            new_state, result = await self.ctx.ops.run(
                backups.run,
                self.ctx.secrets,
                self.state(),
                dt.datetime.now(dt.UTC),
                progress,
            )
        finally:
            if alive(self):
                self.now.setEnabled(True)
                self.restore.setEnabled(True)
                self.progress.hide()
        save_backup_state(self.ctx.settings, new_state)
        if not alive(self):
            return False
        self.show_state()
        if result is None:
            self.feedback.say(explain(self.failure(new_state)), Tone.ERROR)
            return False
        if not result.verified:
            self.feedback.say(self.tr("The backup was written but did not verify."), Tone.ERROR)
            return False
        self.feedback.say(self.tr("Backed up and verified."))
        return True

    def _progress(self, fraction: float) -> None:
        if alive(self):
            self.progress.setValue(int(fraction * 100))

    # ---------------------------------------------------------------------- the phrase

    def on_show_phrase(self) -> None:
        if not self.phrase.isHidden():
            self.phrase.hide()
            self.phrase.setText("")
        else:
            try:
                key = backups.load_key(self.ctx.secrets)
            except DomainError as exc:
                self.feedback.say(explain(exc), Tone.ERROR)
                return
            self.phrase.setText(backups.recovery_phrase(key))
            self.phrase.show()
        self.retranslate()

    # ---------------------------------------------------------------------- restoring

    @asyncSlot()
    async def on_restore(self) -> None:
        await self.restore_chosen()

    def _key_or_none(self) -> bytes | None:
        try:
            return backups.load_key(self.ctx.secrets, create=False)
        except DomainError:
            return None

    async def restore_chosen(self) -> bool:
        """List the folder's backups, show what the chosen one holds, ask, restore, close."""
        folder = backups.folder_of(self.state(), self.ctx.data_dir)
        picker = RestoreDialog(self, backups.list_backups(folder), self._key_or_none())
        if not await ask(picker, self) or picker.manifest is None:
            return False
        path, manifest = picker.chosen(), picker.manifest
        try:
            key = picker.current_key()
        except DomainError as exc:
            self.feedback.say(explain(exc), Tone.ERROR)
            return False
        assert path is not None
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            self.tr("Restore this backup?"),
            self.tr(
                "{holds}\n\nThe shop's data now will be replaced by this backup. The current "
                "data is kept aside first. MiniChat closes after restoring: open it again."
            ).format(holds=holds_text(self, manifest)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        theme.message_icon(box, "warn")
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Restore"))
        box.button(QMessageBox.StandardButton.No).setText(self.tr("Cancel"))
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if await ask(box, self) != QMessageBox.StandardButton.Yes:
            return False
        return await self._restore(path, key)

    async def _restore(self, path: Path, key: bytes) -> bool:
        self.feedback.say(self.tr("Restoring…"), Tone.INFO)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, backups.restore, self.ctx.data_dir, path, key)
        except DomainError as exc:
            if alive(self):
                self.feedback.say(explain(exc), Tone.ERROR)
            return False
        if self._key_or_none() is None:  # the phrase written down opens the next ones too
            with contextlib.suppress(DomainError):  # no keyring: a new key is made next time
                backups.store_key(self.ctx.secrets, key)
        if alive(self):
            self.feedback.say(self.tr("Restored. MiniChat closes now: open it again."))
            window = self.window()
            if window is not self:
                window.close()
        return True
