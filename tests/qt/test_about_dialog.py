"""Help → About: the version, the data and log folders (each opens in the file manager), and
the update check against a release feed served over real HTTP on port 0 — a newer version
with its notes and download link, the latest, a broken feed and one nobody answers — in Thai
and English, the request off the UI thread."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from support.feed_server import Feed, feed_server, release
from support.waiting import until

from minichat_desktop import build_info
from minichat_desktop.app import updates
from minichat_desktop.ui.about_dialog import AboutDialog
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.main_window import MainWindow


class FileManager(QObject):
    """Where ``file:`` URLs go instead of the system's file manager (Qt's own URL handler
    hook): the folders the dialog asked to show."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.shown.append(url.toLocalFile())


@pytest.fixture
def file_manager() -> Iterator[FileManager]:
    manager = FileManager()
    QDesktopServices.setUrlHandler("file", manager, "show")
    yield manager
    QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Feed]:
    with feed_server() as served:
        monkeypatch.setenv(build_info.FEED_ENV, served.url)
        yield served


async def _checked(dialog: AboutDialog) -> str:
    dialog.check_button.click()
    await until(lambda: dialog.last_check is not None and dialog.check_button.isEnabled())
    return dialog.answer.text()


async def test_a_newer_version_shows_its_thai_notes_and_download_link(
    make_ctx: Callable[..., AppContext], feed: Feed
) -> None:
    feed.serve(release("9.0.0"))
    dialog = AboutDialog(make_ctx(lang="th"))
    dialog.show()
    text = await _checked(dialog)
    assert "มีเวอร์ชันใหม่แล้ว: 9.0.0 (2027-01-15)" in text
    assert "สลิปตรวจเร็วขึ้น" in text
    link = release("9.0.0")["downloads"][updates.this_system()]
    assert f'<a href="{link}">ดาวน์โหลด</a>' in text
    assert dialog.answer.isVisible() and dialog.answer.openExternalLinks()
    dialog.close()


async def test_the_same_version_is_the_latest(
    make_ctx: Callable[..., AppContext], feed: Feed
) -> None:
    feed.serve(release(build_info.version()))
    dialog = AboutDialog(make_ctx(lang="th"))
    dialog.show()
    assert await _checked(dialog) == "เป็นเวอร์ชันล่าสุดแล้ว"
    dialog.close()


async def test_english_says_so_in_english_and_switching_language_retells_it(
    make_ctx: Callable[..., AppContext], feed: Feed
) -> None:
    from minichat_desktop.ui import i18n

    feed.serve(release(build_info.version()))
    dialog = AboutDialog(make_ctx(lang="en"))
    dialog.show()
    assert await _checked(dialog) == "This is the latest version."
    assert dialog.check_button.text() == "Check for updates"
    i18n.set_language("th")  # Qt tells the widgets with a LanguageChange event
    await until(lambda: dialog.answer.text() == "เป็นเวอร์ชันล่าสุดแล้ว")
    assert dialog.check_button.text() == "ตรวจหาอัปเดต"
    dialog.close()


async def test_a_broken_feed_says_it_is_not_a_release_feed(
    make_ctx: Callable[..., AppContext], feed: Feed
) -> None:
    feed.serve(raw=b"<html>moved</html>")
    dialog = AboutDialog(make_ctx(lang="th"))
    dialog.show()
    text = await _checked(dialog)
    assert text.startswith("ตรวจหาอัปเดตไม่ได้: ข้อมูลที่ได้จาก 127.0.0.1 ไม่ใช่ข้อมูลเวอร์ชัน (not JSON")
    dialog.close()


async def test_a_feed_nobody_answers_says_so_plainly(
    make_ctx: Callable[..., AppContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # bound, never listening: the connection is refused
        sock.bind(("127.0.0.1", 0))
        monkeypatch.setenv(build_info.FEED_ENV, f"http://127.0.0.1:{sock.getsockname()[1]}/f.json")
        dialog = AboutDialog(make_ctx(lang="th"))
        dialog.show()
        text = await _checked(dialog)
    assert text.startswith("ตรวจหาอัปเดตไม่ได้: ติดต่อ 127.0.0.1 ไม่ได้ (")
    assert text.endswith("ตรวจสอบการเชื่อมต่ออินเทอร์เน็ตแล้วลองใหม่")
    dialog.close()


async def test_version_and_folders_each_open_in_the_file_manager(
    make_ctx: Callable[..., AppContext], file_manager: FileManager
) -> None:
    ctx = make_ctx(lang="th")
    dialog = AboutDialog(ctx)
    dialog.show()
    assert dialog.version.text() == f"เวอร์ชัน {build_info.version()}"  # no build date: a checkout
    assert dialog.data_path.text() == str(ctx.data_dir)
    assert dialog.open_data.text() == dialog.open_logs.text() == "เปิดโฟลเดอร์"
    dialog.open_data.click()
    dialog.open_logs.click()
    assert file_manager.shown == [str(ctx.data_dir), str(dialog.log_dir)]
    assert dialog.log_dir.is_dir()
    dialog.close()


async def test_help_menu_opens_about(make_ctx: Callable[..., AppContext]) -> None:
    window = MainWindow(make_ctx(lang="th"))
    window.show()
    assert window.help_button.text() == "ช่วยเหลือ"
    assert window.about_action.text() == "เกี่ยวกับ MiniChat"
    window.about_action.trigger()
    await until(lambda: isinstance(window.dialog, AboutDialog) and window.dialog.isVisible())
    assert isinstance(window.dialog, AboutDialog)
    assert window.dialog.windowTitle() == "เกี่ยวกับ MiniChat"
    window.dialog.reject()
    window.close()
