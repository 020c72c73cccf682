"""The date pickers (ui/date_edit.py) as a person meets them: ``6 ธ.ค. 2569`` in Thai and
``6 Dec 2026`` in English, typing a Buddhist-era or Christian year, the arrow keys, the
calendar popup counting years in Buddhist era, a language switch, and the dashboard's and
the orders screen's custom ranges built from them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QCalendar, QDate, QDateTime, QEvent, QPoint, Qt, QTime
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QSpinBox, QTableView, QToolButton, QWidget
from support.bot_shop import make_shop
from support.waiting import until

from minichat_desktop.domain.models import Channel, PaymentMethod
from minichat_desktop.domain.sales import orders
from minichat_desktop.domain.shop import BANGKOK
from minichat_desktop.ui import i18n
from minichat_desktop.ui.context import AppContext
from minichat_desktop.ui.dashboard_screen import DashboardScreen
from minichat_desktop.ui.date_edit import (
    DateEdit,
    DateTimeEdit,
    EraCalendar,
    MonthEdit,
    Reading,
    Shape,
    read_text,
    show_text,
)
from minichat_desktop.ui.orders_screen import OrdersScreen
from minichat_desktop.ui.reports_dialog import ReportsDialog

DEC_6 = dt.date(2026, 12, 6)


@pytest.fixture
def thai(qapp: QApplication) -> Iterator[QWidget]:
    """A shown window in the Thai UI to put pickers in (English again only if a test asks)."""
    i18n.set_language("th")
    QApplication.processEvents()
    window = QWidget()
    window.resize(420, 200)
    window.show()
    yield window
    window.close()
    window.deleteLater()
    i18n.set_language("th")
    QApplication.processEvents()


def switch_to(lang: str) -> None:
    """As the settings screen does: the translator changes, the LanguageChange event runs."""
    i18n.set_language(lang)
    QApplication.processEvents()


def type_into(edit: QWidget, text: str) -> None:
    """Key presses carrying each character, as a Thai keyboard sends them (QTest.keyClicks
    knows ASCII only)."""
    for ch in text:
        key = Qt.Key.Key_Space if ch == " " else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(edit, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))


def retype(edit: DateEdit | DateTimeEdit, text: str) -> None:
    """Select what is there, type ``text`` and press Enter."""
    edit.setFocus()
    edit.lineEdit().selectAll()
    type_into(edit, text)
    QTest.keyClick(edit, Qt.Key.Key_Return)


def open_popup(edit: DateEdit) -> EraCalendar:
    """Click the drop-down arrow at the editor's right edge."""
    QTest.mouseClick(
        edit, Qt.MouseButton.LeftButton, pos=QPoint(edit.width() - 6, edit.height() // 2)
    )
    calendar = edit.calendarWidget()
    assert isinstance(calendar, EraCalendar) and calendar.isVisible()
    return calendar


def month_button(calendar: EraCalendar) -> QToolButton:
    button = calendar.findChild(QToolButton, "qt_calendar_monthbutton")
    assert button is not None
    return button


# ---------------------------------------------------------------------------- the text


def test_thai_shows_the_buddhist_year_and_english_the_christian_one(thai: QWidget) -> None:
    """6 Dec 2026 reads ``6 ธ.ค. 2569`` in Thai (as i18n.when writes it) and ``6 Dec 2026``
    after a switch to English; the value stays 2026-12-06 in both."""
    day = DateEdit(DEC_6, thai)
    at = DateTimeEdit(thai)
    at.setDateTime(QDateTime(QDate(2026, 12, 6), QTime(14, 5)))
    month = MonthEdit(dt.date(2026, 11, 1), thai)
    assert (day.text(), at.text(), month.text()) == (
        "6 ธ.ค. 2569",
        "6 ธ.ค. 2569 14:05",
        "พ.ย. 2569",
    )
    assert day.text() == i18n.when(DEC_6)
    assert day.toolTip() == "พิมพ์วันที่ เช่น 6/12/2569 หรือเลือกจากปฏิทิน"

    switch_to("en")
    assert (day.text(), at.text(), month.text()) == ("6 Dec 2026", "6 Dec 2026 14:05", "Nov 2026")
    assert day.toolTip() == "Type a date such as 6/12/2026, or pick one in the calendar"
    assert day.date() == QDate(2026, 12, 6) and month.date() == QDate(2026, 11, 1)

    switch_to("th")
    assert day.text() == "6 ธ.ค. 2569" and day.date() == QDate(2026, 12, 6)


def test_a_buddhist_or_a_christian_year_typed_gives_the_same_day(thai: QWidget) -> None:
    """``1/1/2569`` and ``1/1/2026`` are both 1 January 2026; the shown form ``6 ธ.ค. 2569``
    (spaces and all) and Thai digits are read too; Enter writes the day back in Thai."""
    edit = DateEdit(DEC_6, thai)
    retype(edit, "1/1/2569")
    assert edit.date() == QDate(2026, 1, 1)
    assert edit.text() == "1 ม.ค. 2569"

    edit.setDate(DEC_6)
    retype(edit, "1/1/2026")
    assert edit.date() == QDate(2026, 1, 1)

    retype(edit, "6 ธ.ค. 2569")
    assert edit.date() == QDate(2026, 12, 6)
    retype(edit, "๗/๑๒/๒๕๖๙")
    assert (edit.date(), edit.text()) == (QDate(2026, 12, 7), "7 ธ.ค. 2569")


def test_english_typing_is_unchanged_and_a_year_above_2400_is_still_buddhist(
    thai: QWidget,
) -> None:
    edit = DateEdit(DEC_6, thai)
    switch_to("en")
    retype(edit, "7 Dec 2026")
    assert (edit.date(), edit.text()) == (QDate(2026, 12, 7), "7 Dec 2026")
    retype(edit, "8/12/2026")
    assert (edit.date(), edit.text()) == (QDate(2026, 12, 8), "8 Dec 2026")
    retype(edit, "9/12/2569")
    assert (edit.date(), edit.text()) == (QDate(2026, 12, 9), "9 Dec 2026")


def test_letters_that_cannot_make_a_date_are_refused_and_an_unfinished_one_goes_back(
    thai: QWidget,
) -> None:
    edit = DateEdit(DEC_6, thai)
    edit.setFocus()
    edit.lineEdit().selectAll()
    type_into(edit, "6 x")
    assert edit.text() == "6 "  # the x never went in
    type_into(edit, "ธ.ค. 25")
    assert edit.text() == "6 ธ.ค. 25"
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert (edit.date(), edit.text()) == (QDate(2026, 12, 6), "6 ธ.ค. 2569")


def test_a_day_past_the_maximum_is_not_taken(thai: QWidget) -> None:
    """A screen's maximum (and minimum) hold for typed Buddhist-era years as for Qt's own."""
    edit = DateEdit(DEC_6, thai)
    edit.setDateRange(QDate(2026, 1, 1), QDate(2026, 12, 31))
    retype(edit, "1/1/2570")
    assert edit.date() == QDate(2026, 12, 6)
    retype(edit, "31/12/2569")
    assert edit.date() == QDate(2026, 12, 31)


def test_arrow_keys_step_the_day_month_or_year_under_the_cursor(thai: QWidget) -> None:
    edit = DateEdit(DEC_6, thai)
    edit.setFocus()
    edit.lineEdit().setCursorPosition(len(edit.text()))  # in the year
    QTest.keyClick(edit, Qt.Key.Key_Up)
    assert (edit.date(), edit.text()) == (QDate(2027, 12, 6), "6 ธ.ค. 2570")
    edit.lineEdit().setCursorPosition(0)  # in the day
    QTest.keyClick(edit, Qt.Key.Key_Up)
    assert (edit.date(), edit.text()) == (QDate(2027, 12, 7), "7 ธ.ค. 2570")
    edit.lineEdit().setCursorPosition(3)  # in the month
    QTest.keyClick(edit, Qt.Key.Key_Down)
    assert (edit.date(), edit.text()) == (QDate(2027, 11, 7), "7 พ.ย. 2570")


def test_a_date_and_time_typed_in_thai_is_bangkok_time(thai: QWidget) -> None:
    """The broadcast's "send at": ``6/12/2569 14:05`` is 07:05 UTC; a date alone keeps the
    time of day it had."""
    from minichat_desktop.ui.broadcasts_screen import _bangkok_zone

    edit = DateTimeEdit(thai)
    edit.setTimeZone(_bangkok_zone())
    edit.show()  # sized by the text of Qt's maximum, 31 Dec 9999 UTC: the year 10000 here
    edit.setDateTime(QDateTime(QDate(2026, 12, 1), QTime(9, 30), _bangkok_zone()))
    retype(edit, "6/12/2569 14:05")
    utc = dt.datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), dt.UTC)
    assert utc == dt.datetime(2026, 12, 6, 7, 5, tzinfo=dt.UTC)
    assert edit.text() == "6 ธ.ค. 2569 14:05"
    retype(edit, "7 ธ.ค. 2569")
    assert edit.text() == "7 ธ.ค. 2569 14:05"


# ---------------------------------------------------------------------------- the calendar


def test_the_calendar_counts_years_in_buddhist_era_with_thai_months(thai: QWidget) -> None:
    """The popup's header reads ``ธันวาคม 2569``; the next month is ``มกราคม 2570``; the
    year field opens in Buddhist era (not Qt's own) and takes one; a day picked fills the
    editor; in English the header is ``December 2026``."""
    edit = DateEdit(DEC_6, thai)
    calendar = open_popup(edit)
    grid = calendar.findChild(QTableView, "qt_calendar_calendarview")
    assert grid is not None  # the weekday names and six weeks, none cut off at the bottom
    assert sum(grid.rowHeight(r) for r in range(7)) <= grid.viewport().height()
    assert min(grid.rowHeight(r) for r in range(7)) >= grid.fontMetrics().height() + 6
    qt_year = calendar.findChild(QSpinBox, "qt_calendar_yearedit")
    assert qt_year is not None
    assert (month_button(calendar).text(), calendar.year_button.text()) == ("ธันวาคม", "2569")

    calendar.showNextMonth()
    assert (month_button(calendar).text(), calendar.year_button.text()) == ("มกราคม", "2570")

    calendar.year_button.click()
    assert calendar.year_spin.isVisible() and not qt_year.isVisible()
    assert calendar.year_spin.text() == "2570"
    calendar.year_spin.lineEdit().selectAll()
    QTest.keyClicks(calendar.year_spin, "2571")
    QTest.keyClick(calendar.year_spin, Qt.Key.Key_Return)
    assert calendar.yearShown() == 2028 and calendar.year_button.text() == "2571"
    assert calendar.year_button.isVisible() and not calendar.year_spin.isVisible()

    calendar.clicked.emit(QDate(2028, 1, 15))
    assert (edit.date(), edit.text()) == (QDate(2028, 1, 15), "15 ม.ค. 2571")

    switch_to("en")
    calendar = open_popup(edit)
    assert (month_button(calendar).text(), calendar.year_button.text()) == ("January", "2028")
    calendar.hide()


def test_the_year_stays_buddhist_when_qt_redraws_the_header(thai: QWidget) -> None:
    """Qt writes its own year on the header's button when it redraws the header (here: the
    calendar system set again); the button still paints 2569."""
    edit = DateEdit(DEC_6, thai)
    calendar = open_popup(edit)
    calendar.setCalendar(QCalendar())
    calendar.grab()
    assert calendar.year_button.text() == "2569"
    calendar.hide()


# ---------------------------------------------------------------------------- reading and writing


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2400, 12, 31)),
    lang=st.sampled_from(["th", "en"]),
    shape=st.sampled_from(list(Shape)),
)
def test_what_a_picker_shows_reads_back_as_the_same_day(
    day: dt.date, lang: str, shape: Shape
) -> None:
    clock = dt.time(14, 5)
    reading, read, read_clock = read_text(show_text(day, clock, shape, lang), shape)
    assert reading is Reading.WHOLE
    assert read == (day.replace(day=1) if shape is Shape.MONTH else day)
    assert read_clock == (clock if shape is Shape.DATE_TIME else None)


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2400, 12, 31)),
    lang=st.sampled_from(["th", "en"]),
    shape=st.sampled_from(list(Shape)),
)
def test_typing_a_date_key_by_key_is_never_refused_on_the_way(
    day: dt.date, lang: str, shape: Shape
) -> None:
    """Every start of a shown or numeric date is taken (Qt drops a key refused as WRONG)."""
    shown = show_text(day, dt.time(9, 5), shape, lang)
    numeric = f"{day.month}/{day.year + 543}"
    if shape is not Shape.MONTH:
        numeric = f"{day.day}/{numeric}"
    if shape is Shape.DATE_TIME:
        numeric += " 9:05"
    for text in (shown, numeric):
        for end in range(len(text)):
            assert read_text(text[:end], shape)[0] is not Reading.WRONG, text[:end]


@given(day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2400, 12, 31)))
def test_a_numeric_date_reads_the_same_in_either_era(day: dt.date) -> None:
    for year in (day.year, day.year + 543):
        assert read_text(f"{day.day}/{day.month}/{year}", Shape.DATE) == (Reading.WHOLE, day, None)


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("", Reading.PARTIAL),
        ("6 ธ", Reading.PARTIAL),
        ("6/12/25", Reading.PARTIAL),
        ("31/2/2569", Reading.PARTIAL),  # a day that does not exist: fix it, do not lose it
        ("6122569", Reading.WRONG),  # numbers need something between them
        ("6/13", Reading.WRONG),
        ("45", Reading.WRONG),
        ("6 x", Reading.WRONG),
    ],
)
def test_unfinished_and_impossible_texts(text: str, reading: Reading) -> None:
    assert read_text(text, Shape.DATE)[0] is reading


# ---------------------------------------------------------------------------- on the screens


async def test_the_dashboards_custom_range_is_typed_and_shown_in_buddhist_era(
    make_ctx: Callable[..., AppContext],
) -> None:
    screen = DashboardScreen(make_ctx())
    try:
        screen.resize(1366, 728)
        screen.show()
        assert isinstance(screen.date_from, DateEdit) and isinstance(screen.date_to, DateEdit)
        screen.set_range("custom", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
        assert (screen.date_from.text(), screen.date_to.text()) == ("1 มี.ค. 2569", "31 มี.ค. 2569")
        retype(screen.date_from, "10/3/2569")
        retype(screen.date_to, "12/3/2026")
        await until(
            lambda: (
                screen.data is not None
                and (screen.data.date_from, screen.data.date_to)
                == (dt.date(2026, 3, 10), dt.date(2026, 3, 12))
            )
        )
        switch_to("en")
        assert (screen.date_from.text(), screen.date_to.text()) == ("10 Mar 2026", "12 Mar 2026")
    finally:
        await asyncio.sleep(0.05)
        screen._coalesce.stop()
        screen._fallback.stop()
        await until(lambda: screen.busy == 0)
        screen.close()
        screen.deleteLater()


async def test_the_orders_custom_range_takes_buddhist_era_dates(
    make_ctx: Callable[..., AppContext],
) -> None:
    """Orders of 5 and 20 March 2026; the custom range 1/3/2569 – 10/3/2569 shows the first."""
    ctx = make_ctx()
    db = ctx.ops.db
    ids = make_shop(db)
    placed = []
    for day in (dt.date(2026, 3, 5), dt.date(2026, 3, 20)):
        with db.write() as s:
            placed.append(
                orders.place_order(
                    s,
                    orders.NewOrder(
                        channel=Channel.WIDGET,
                        lines=[orders.LineInput(1, variant_id=ids.mug)],
                        payment_method=PaymentMethod.PROMPTPAY,
                        created_at=dt.datetime.combine(day, dt.time(12), BANGKOK),
                    ),
                    "bot",
                ).number
            )
    screen = OrdersScreen(ctx)
    screen.resize(1366, 728)
    screen.show()
    try:
        screen.dates.setCurrentIndex(screen.dates.findData("custom"))
        assert screen.date_from.isVisible() and isinstance(screen.date_from, DateEdit)
        retype(screen.date_from, "1/3/2569")
        retype(screen.date_to, "10/3/2569")
        assert (screen.date_from.text(), screen.date_to.text()) == ("1 มี.ค. 2569", "10 มี.ค. 2569")
        await until(lambda: [r.number for r in screen.model.rows] == [placed[0]])
        retype(screen.date_to, "31 มี.ค. 2569")
        await until(lambda: [r.number for r in screen.model.rows] == placed[::-1])
    finally:
        await until(lambda: screen.busy == 0)
        screen.ctx.ops.changed.disconnect(screen.on_changed)
        screen.close()


def test_the_reports_dialog_asks_for_days_and_a_tax_month_in_buddhist_era(
    make_ctx: Callable[..., AppContext],
) -> None:
    dialog = ReportsDialog(make_ctx(), None, date_from=dt.date(2026, 3, 1), date_to=DEC_6)
    assert isinstance(dialog.month, MonthEdit)
    assert (dialog.date_from.text(), dialog.date_to.text()) == ("1 มี.ค. 2569", "6 ธ.ค. 2569")
    dialog.month.setDate(QDate(2026, 11, 1))
    assert dialog.month.text() == "พ.ย. 2569"
    retype(dialog.month, "10/2569")
    assert dialog.month.date() == QDate(2026, 10, 1)
    dialog.deleteLater()


def test_every_date_picker_in_the_screens_is_ours() -> None:
    """No screen builds Qt's QDateEdit or QDateTimeEdit itself (it would show 2026 in Thai)."""
    from pathlib import Path

    import minichat_desktop.ui as ui

    folder = Path(ui.__file__).parent
    offenders = [
        f"{path.name}: {needle}"
        for path in sorted(folder.glob("*.py"))
        if path.name != "date_edit.py"
        for needle in ("QDateEdit(", "QDateTimeEdit(", "QCalendarWidget(")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
