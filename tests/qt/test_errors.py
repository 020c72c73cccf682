"""The UI's one error path (ui/errors.py) without a modal loop: the person's mistake, the
environment and our bug each get their own words, and the box is kept on ``parent.message``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from minichat_desktop.errors import EnvironmentProblem, UserError
from minichat_desktop.ui import i18n
from minichat_desktop.ui.errors import report_error


class Screen(QWidget):
    message: QMessageBox | None = None


@pytest.fixture
def screen(qtbot: Any) -> Iterator[Screen]:
    i18n.set_language("en")
    w = Screen()
    qtbot.addWidget(w)
    yield w
    i18n.set_language("th")


def test_a_user_error_says_what_to_check_in_the_screens_words(screen: Screen) -> None:
    """A mistake the person can fix is worded by ``explain`` under "Please check"."""

    def explain(exc: UserError) -> str:
        return f"{exc.params['order']}: {exc.message}"

    box = report_error(screen, UserError("order.x", "no", order="MC-1"), explain=explain)
    assert screen.message is box
    assert (box.windowTitle(), box.text()) == ("Please check", "MC-1: no")
    assert box.property("kind") == "warn"  # our alert icon, in amber
    assert box.isVisible()
    box.close()


def test_an_environment_problem_says_nothing_was_lost_and_is_logged(
    screen: Screen, caplog: pytest.LogCaptureFixture
) -> None:
    """The environment's problem keeps its text, adds that nothing was lost, and is logged."""
    with caplog.at_level(logging.WARNING, logger="minichat_desktop.ui.errors"):
        box = report_error(screen, EnvironmentProblem("env.disk_full", "disk full"))
    assert (box.windowTitle(), box.text()) == (
        "Could not finish",
        "disk full\n\nNothing was lost. Please try again.",
    )
    assert [r.getMessage() for r in caplog.records] == ["environment problem: disk full"]
    box.close()


def test_our_bug_is_an_apology_without_the_traceback(
    screen: Screen, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug shows no exception text, only where the log is; the traceback goes to the log."""
    with caplog.at_level(logging.ERROR, logger="minichat_desktop.ui.errors"):
        box = report_error(screen, KeyError("secret detail"))
    assert box.windowTitle() == "Something went wrong"
    assert box.text().startswith("MiniChat hit a problem it did not expect.")
    assert "secret detail" not in box.text()
    assert box.property("kind") == "error"  # our alert icon, in red
    assert [(r.getMessage(), r.exc_info is not None) for r in caplog.records] == [
        ("unexpected error in Screen", True)
    ]
    box.close()
