"""The app's date pickers: dates read as on our printed documents, ``6 ธ.ค. 2569`` (Buddhist
era) in Thai and ``6 Dec 2026`` in English, with a calendar that counts years the same way.

Qt has no Buddhist calendar (QCalendar's systems are Gregorian, Julian, Milankovic, Jalali and
Islamic civil; a backend of one's own is private API), so these are Qt's own editors with the
text swapped: :meth:`textFromDateTime` writes a value as :func:`minichat_desktop.ui.i18n.when`
does, and :meth:`dateTimeFromText` / :meth:`validate` read back that form and numeric
``d/m/yyyy``, where a four-digit year above 2400 is a Buddhist-era year (2569 → 2026). The
value a screen reads (``date()``, ``dateTime()``) stays in the Christian calendar.

Qt's editor still lays out its sections (day, month, year, hour, minute) from the display
format, which is why the format here is the shape of the text shown — ``d MMM yyyy`` with
the language's own month abbreviations — and why a Buddhist-era year, four digits like the
Christian one, keeps every section where Qt expects it: arrow keys and the mouse wheel step
the section under the cursor as in any QDateEdit.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Final

import regex
from PySide6.QtCore import QDate, QDateTime, QEvent, QLocale, QObject, QSize, Qt, QTime
from PySide6.QtGui import QFontMetrics, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QBoxLayout,
    QCalendarWidget,
    QDateEdit,
    QDateTimeEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from minichat_desktop.domain.thai import (
    ENGLISH_MONTHS,
    THAI_MONTHS,
    format_when,
    thai_digits_to_arabic,
)
from minichat_desktop.ui import i18n

BUDDHIST_ERA_OFFSET: Final = 543
# Thai stacks marks above and below the line: measure rows on this, not on "Ag".
THAI_HEIGHT_SAMPLE: Final = "ปั้ญญ์ฤๅ"
# A four-digit year above this is a Buddhist-era year: 2400 B.E. is 1857, long before any
# order, and no one types a Christian year past 2400.
BUDDHIST_YEAR_ABOVE: Final = 2400

THAI_MONTH_NAMES: Final = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
ENGLISH_MONTH_NAMES: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


class Shape(StrEnum):
    """What a picker holds: a day, a day and a time of day, or a month (a tax month)."""

    DATE = "date"
    DATE_TIME = "datetime"
    MONTH = "month"


# The display format Qt lays its sections out from: the shape of the text we show.
_FORMATS: Final = {
    Shape.DATE: "d MMM yyyy",
    Shape.DATE_TIME: "d MMM yyyy HH:mm",
    Shape.MONTH: "MMM yyyy",
}


# ---------------------------------------------------------------------------- text


def _month_word(name: str) -> str:
    # "ธ.ค." also reads as "ธค" or "ธ.ค"; "Dec" as "dec" or "Dec." (the pattern ignores case).
    letters = name.replace(".", "")
    return r"\.?".join(regex.escape(c) for c in letters) + r"\.?"


def _months_pattern() -> str:
    names = {
        _month_word(name): i + 1
        for names in (THAI_MONTH_NAMES, THAI_MONTHS, ENGLISH_MONTH_NAMES, ENGLISH_MONTHS)
        for i, name in enumerate(names)
    }
    # Longest first: "มีนาคม" before "มี.ค.", "March" before "Mar".
    return "|".join(sorted(names, key=len, reverse=True))


_MONTH_NUMBERS: Final = {
    name.replace(".", "").casefold(): i + 1
    for names in (THAI_MONTH_NAMES, THAI_MONTHS, ENGLISH_MONTH_NAMES, ENGLISH_MONTHS)
    for i, name in enumerate(names)
}
_DAY: Final = r"(?P<day>0?[1-9]|[12]\d|3[01])"
_NUMBER_MONTH: Final = r"(?P<month>0?[1-9]|1[0-2])"
_WORD_MONTH: Final = rf"(?P<word>{_months_pattern()})"
# Numbers are kept apart by / . - or spaces ("6/12/2569"); a month's name needs nothing
# around it ("6ธ.ค.2569").
_MONTH_YEAR: Final = (
    rf"(?:{_NUMBER_MONTH}(?:\s*[/.\-]\s*|\s+)|{_WORD_MONTH}\s*[/.\-]?\s*)(?P<year>\d{{4}})"
)
_DAY_MONTH_YEAR: Final = rf"{_DAY}(?:\s*[/.\-]\s*|\s*(?=\D)|\s+){_MONTH_YEAR}"
_TIME: Final = r"(?:\s+|\s*,\s*)(?P<hour>[01]?\d|2[0-3])\s*[:.]\s*(?P<minute>[0-5]\d)(?:\s*น\.?)?"
_PATTERNS: Final = {
    Shape.DATE: regex.compile(rf"\s*{_DAY_MONTH_YEAR}\s*", regex.I),
    Shape.DATE_TIME: regex.compile(rf"\s*{_DAY_MONTH_YEAR}(?:{_TIME})?\s*", regex.I),
    Shape.MONTH: regex.compile(rf"\s*{_MONTH_YEAR}\s*", regex.I),
}


class Reading(StrEnum):
    """How far a typed text got: a whole value, on its way to one, or not one at all."""

    WHOLE = "whole"
    PARTIAL = "partial"
    WRONG = "wrong"


def christian_year(year: int) -> int:
    """A typed four-digit year in the Christian calendar: above 2400 it is Buddhist era."""
    return year - BUDDHIST_ERA_OFFSET if year > BUDDHIST_YEAR_ABOVE else year


def read_text(text: str, shape: Shape) -> tuple[Reading, dt.date | None, dt.time | None]:
    """Read what a person typed into a picker of ``shape``: ``6 ธ.ค. 2569``, ``6 Dec 2026``,
    ``6/12/2569``, ``6-12-2026`` (with `` 14:05`` or `` 14.05 น.`` for a date and time; a
    date alone keeps the time it had, hence ``None``), a month as ``ธ.ค. 2569`` or
    ``12/2569``. Thai digits read as digits. Returns ``WHOLE`` with the date (the 1st for a
    month), ``PARTIAL`` for the start of one or a day that does not exist (31/2),
    ``WRONG`` for what can never become one."""
    match = _PATTERNS[shape].fullmatch(thai_digits_to_arabic(text), partial=True)
    if match is None:
        return Reading.WRONG, None, None
    if match.partial:
        return Reading.PARTIAL, None, None
    if match["word"]:
        month = _MONTH_NUMBERS[match["word"].replace(".", "").casefold()]
    else:
        month = int(match["month"])
    day = int(match["day"]) if shape is not Shape.MONTH else 1
    try:
        date = dt.date(christian_year(int(match["year"])), month, day)
    except ValueError:
        return Reading.PARTIAL, None, None
    clock = None
    if shape is Shape.DATE_TIME and match["hour"] is not None:
        clock = dt.time(int(match["hour"]), int(match["minute"]))
    return Reading.WHOLE, date, clock


def show_text(date: dt.date, clock: dt.time | None, shape: Shape, lang: str) -> str:
    """A picker's text: ``6 ธ.ค. 2569`` / ``6 Dec 2026`` (:func:`format_when`'s date, the
    one every screen shows), ``6 ธ.ค. 2569 14:05``, a month ``ธ.ค. 2569``."""
    if shape is Shape.MONTH:
        months = THAI_MONTHS if lang == "th" else ENGLISH_MONTHS
        return f"{months[date.month - 1]} {year_text(date.year, lang)}"
    # The clock is the editor's own (already in its time zone): written here, not converted.
    text = format_when(date, lang, time=False)
    if shape is Shape.DATE_TIME and clock is not None:
        text += f" {clock:%H:%M}"
    return text


def year_text(year: int, lang: str) -> str:
    """A year as the calendar's header shows it: 2569 in Thai, 2026 in English."""
    return str(year + BUDDHIST_ERA_OFFSET if lang == "th" else year)


def locale_for(lang: str) -> QLocale:
    """The locale a picker reads month and weekday names from: Thai, or English with the
    week starting on Sunday as in Thailand."""
    if lang == "th":
        return QLocale(QLocale.Language.Thai, QLocale.Country.Thailand)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


# ---------------------------------------------------------------------------- calendar


class YearSpin(QSpinBox):
    """The year field the calendar's header opens on a click: in Buddhist era in Thai; its
    value is the Christian year."""

    def textFromValue(self, val: int) -> str:
        return year_text(val, i18n.current_language())

    def valueFromText(self, text: str) -> int:
        digits = thai_digits_to_arabic(text).strip()
        return christian_year(int(digits)) if digits.isdigit() else self.value()

    def validate(self, input: str, pos: int) -> tuple[QValidator.State, str, int]:
        digits = thai_digits_to_arabic(input).strip()
        if not digits:
            return QValidator.State.Intermediate, input, pos
        if not digits.isdigit() or len(digits) > 4:
            return QValidator.State.Invalid, input, pos
        year = christian_year(int(digits)) if len(digits) == 4 else None
        if year is None or not self.minimum() <= year <= self.maximum():
            return QValidator.State.Intermediate, input, pos
        return QValidator.State.Acceptable, input, pos


class EraCalendar(QCalendarWidget):
    """A month calendar whose header shows the year in Buddhist era in Thai (2569) and the
    month and weekday names of the UI language; no week numbers. Dates stay Christian.

    Qt's header writes the Christian year on its year button whenever it redraws the
    header, and opens a plain spin box on a click: this class writes the year again before
    the button paints and opens :class:`YearSpin` instead.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        # Qt draws the month menu's arrow over the month's last letters: theme's style sheet
        # gives the month button room for it.
        button = self.findChild(QToolButton, "qt_calendar_yearbutton")
        bar = self.findChild(QWidget, "qt_calendar_navigationbar")
        layout = bar.layout() if bar is not None else None
        if button is None or not isinstance(layout, QBoxLayout):
            raise RuntimeError("this Qt's calendar has no year button in a navigation bar")
        self.year_button: QToolButton = button
        button.clicked.disconnect()  # Qt's own: it opens the Christian-year spin box
        button.clicked.connect(self.edit_year)
        button.installEventFilter(self)
        self.year_spin = YearSpin(bar)
        self.year_spin.setObjectName("EraYearEdit")
        self.year_spin.hide()
        self.year_spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.year_spin.editingFinished.connect(self._year_edited)
        layout.insertWidget(layout.indexOf(button) + 1, self.year_spin)
        self.currentPageChanged.connect(lambda _y, _m: self._show_year())
        self.apply_language()

    def sizeHint(self) -> QSize:
        # Qt sizes the rows to Latin metrics and its popup to this hint, and the table's
        # frame takes the rest: the sixth week was cut off. Rows as tall as Thai with its
        # marks above and below need, and a little air.
        hint = super().sizeHint()
        bar = self.findChild(QWidget, "qt_calendar_navigationbar")
        bar_height = bar.sizeHint().height() if bar is not None else 0
        row = QFontMetrics(self.font()).boundingRect(THAI_HEIGHT_SAMPLE).height() + 8
        return hint.expandedTo(QSize(hint.width(), bar_height + 7 * row + 4))

    def apply_language(self) -> None:
        """Month and weekday names and the year in the UI language."""
        lang = i18n.current_language()
        self.setLocale(locale_for(lang))
        self._show_year()

    def edit_year(self) -> None:
        """Open the year field in place of the header's year (what a click does)."""
        self.year_spin.setRange(self.minimumDate().year(), self.maximumDate().year())
        self.year_spin.setValue(self.yearShown())
        self.year_button.hide()
        self.year_spin.show()
        self.year_spin.setFocus()
        self.year_spin.selectAll()

    def _year_edited(self) -> None:
        if self.year_spin.isHidden():
            return
        self.year_spin.hide()
        self.year_button.show()
        self.setCurrentPage(self.year_spin.value(), self.monthShown())
        self._show_year()

    def _show_year(self) -> None:
        self.year_button.setText(year_text(self.yearShown(), i18n.current_language()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.year_button and event.type() == QEvent.Type.Paint:
            self._show_year()  # the same text again is a no-op; Qt's Christian year is not
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)  # a locale change redraws the header with Qt's year
        if event.type() == QEvent.Type.LanguageChange:
            self.apply_language()
        elif event.type() == QEvent.Type.LocaleChange:
            self._show_year()


# ---------------------------------------------------------------------------- editors


def _hint(shape: Shape, lang: str) -> str:
    example = dt.date(2026, 12, 6)
    year = year_text(example.year, lang)
    if shape is Shape.MONTH:
        return i18n.t("Type a month such as {example}").format(example=f"12/{year}")
    if shape is Shape.DATE_TIME:
        text = i18n.t("Type a date and time such as {example}, or pick a day in the calendar")
        return text.format(example=f"6/12/{year} 14:05")
    text = i18n.t("Type a date such as {example}, or pick one in the calendar")
    return text.format(example=f"6/12/{year}")


if TYPE_CHECKING:
    _EditBase = QDateTimeEdit
else:
    _EditBase = object


class _EraText(_EditBase):
    """What :class:`DateEdit`, :class:`DateTimeEdit` and :class:`MonthEdit` share: the text
    shown and read back, the calendar, the language."""

    shape: Shape

    def _set_up(self) -> None:
        self.setCalendarPopup(True)
        # Parented to the editor until Qt moves it into the popup: Qt owns it, not Python.
        self.setCalendarWidget(EraCalendar(self))
        self.apply_language()

    def apply_language(self) -> None:
        """Show the value in the UI language (names, era) and read typing in it."""
        lang = i18n.current_language()
        self.setLocale(locale_for(lang))
        self.setDisplayFormat(_FORMATS[self.shape])  # Qt re-reads its sections' names
        calendar = self.calendarWidget()
        if isinstance(calendar, EraCalendar):
            calendar.apply_language()
        self.setToolTip(_hint(self.shape, lang))

    def textFromDateTime(self, value: QDateTime) -> str:
        date, clock, lang = value.date(), value.time(), i18n.current_language()
        if not dt.MINYEAR <= date.year() <= dt.MAXYEAR:
            # Only Qt's own bounds get here (it sizes the field by the text of its minimum
            # and maximum; 31 Dec 9999 in a UTC+7 editor is in the year 10000).
            months = THAI_MONTHS if lang == "th" else ENGLISH_MONTHS
            text = f"{months[date.month() - 1]} {year_text(date.year(), lang)}"
            return text if self.shape is Shape.MONTH else f"{date.day()} {text}"
        clock_time = dt.time(clock.hour(), clock.minute())
        return show_text(_pydate(date), clock_time, self.shape, lang)

    def _read(self, text: str) -> tuple[QValidator.State, QDateTime]:
        reading, date, clock = read_text(text, self.shape)
        if reading is Reading.WRONG:
            return QValidator.State.Invalid, self.dateTime()
        if reading is Reading.PARTIAL or date is None:
            return QValidator.State.Intermediate, self.dateTime()
        value = QDateTime(self.dateTime())
        value.setDate(QDate(date.year, date.month, date.day))
        if clock is not None:
            value.setTime(QTime(clock.hour, clock.minute))
        if not self.minimumDateTime() <= value <= self.maximumDateTime():
            return QValidator.State.Intermediate, self.dateTime()
        return QValidator.State.Acceptable, value

    def dateTimeFromText(self, text: str) -> QDateTime:
        return self._read(text)[1]

    def validate(self, input: str, pos: int) -> tuple[QValidator.State, str, int]:
        return self._read(input)[0], input, pos

    def fixup(self, input: str) -> str:
        # Qt's would reread the text in its own (Christian) terms: an unfinished date stays
        # as typed, and leaving the field puts the last whole value back.
        return input

    def keyPressEvent(self, event: QKeyEvent) -> None:
        typed = event.text()
        plain = not event.modifiers() & ~(
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        )
        if typed and typed.isprintable() and plain:
            # As typed: Qt's editor takes a space or "/" as "go to the next section" and
            # drops it, which would turn "6 ธ.ค. 2569" into "6ธ.ค.2569".
            QAbstractSpinBox.keyPressEvent(self, event)
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.LanguageChange:
            self.apply_language()


def _qdate(value: dt.date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _pydate(value: QDate) -> dt.date:
    # QDate.toPython is typed as returning object.
    return dt.date(value.year(), value.month(), value.day())


class DateEdit(_EraText, QDateEdit):
    """A day: ``6 ธ.ค. 2569`` / ``6 Dec 2026``, with the calendar popup. ``date()`` is the
    Christian-calendar QDate, as with QDateEdit."""

    shape = Shape.DATE

    def __init__(self, date: QDate | dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._set_up()
        if date is not None:
            self.setDate(QDate(date) if isinstance(date, QDate) else _qdate(date))


class MonthEdit(DateEdit):
    """A month (the tax month of the VAT report): ``ธ.ค. 2569`` / ``Dec 2026``, typed as that
    or ``12/2569``. ``date()`` is the 1st when set to the 1st (typing and stepping keep the
    day); no calendar of days to pick from."""

    shape = Shape.MONTH

    def __init__(self, date: QDate | dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(date, parent)
        self.setCalendarPopup(False)


class DateTimeEdit(_EraText, QDateTimeEdit):
    """A day and a time: ``6 ธ.ค. 2569 14:05`` / ``6 Dec 2026 14:05``, in the editor's time
    zone (``setTimeZone``) as with QDateTimeEdit."""

    shape = Shape.DATE_TIME

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._set_up()
