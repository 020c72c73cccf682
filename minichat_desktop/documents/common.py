"""What the document renderers share: shaped Thai paragraph styles and escaping (money is
:func:`minichat_desktop.domain.thai.format_baht`)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph

from minichat_desktop.documents import fonts
from minichat_desktop.domain.thai_lines import break_lines, has_thai, words

log = logging.getLogger(__name__)

# reportlab keeps shared state in its fonts (glyph maps grown while shaping) and is not made for
# threads: documents are drawn one at a time (they are CPU-bound under the GIL anyway).
_render_lock = threading.RLock()


def serialized[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` while holding the process's document-drawing lock."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _render_lock:
            return fn(*args, **kwargs)

    return wrapper


INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#52606D")
RULE = colors.HexColor("#9AA5B1")
SHADE = colors.HexColor("#EEF2F5")
ACCENT = colors.HexColor("#0E8F6E")

ALIGN: dict[str, Literal[0, 1, 2]] = {"left": TA_LEFT, "right": TA_RIGHT, "center": TA_CENTER}


def esc(text: str) -> str:
    """Text for paragraph markup (``&``, ``<`` and ``>`` escaped, newlines as breaks)."""
    return escape(text).replace("\n", "<br/>")


@functools.lru_cache(maxsize=256)
def style(
    size: float = 10,
    *,
    bold: bool = False,
    align: str = "left",
    leading: float | None = None,
    color: str = "ink",
) -> ParagraphStyle:
    """A shaped Sarabun style (cached: styles are immutable once made)."""
    fonts.register()
    return ParagraphStyle(
        f"s{size}{'b' if bold else ''}{align}{leading}{color}",
        fontName=fonts.BOLD if bold else fonts.REGULAR,
        fontSize=size,
        # Thai stacks marks above and below the line: give them room.
        leading=leading if leading is not None else round(size * 1.38, 2),
        alignment=ALIGN[align],
        textColor={"ink": INK, "muted": MUTED, "white": colors.white, "accent": ACCENT}[color],
        shaping=1,
        splitLongWords=1,
        wordWrap=None,
    )


# Thai marks that sit above or below a consonant: text with none of these looks the same shaped
# or not, and is drawn without HarfBuzz (a tenth of the time; documents have many numbers).
_MARKS = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))


def needs_shaping(text: str) -> bool:
    return not _MARKS.isdisjoint(text)


def _thai_lines(text: str, st: ParagraphStyle, width: float) -> list[str]:
    """Lines of ``text`` broken between Thai words to fit ``width`` (a hair narrower: shaped
    glyph runs can be a fraction of a point wider than their unshaped advances)."""
    font, size = st.fontName, st.fontSize
    return break_lines(text, lambda t: stringWidth(t, font, size), width - 0.5)


def _widest_word(text: str, st: ParagraphStyle) -> float:
    pieces = [w for w in words(text.replace("\n", " ")) if not w.isspace()] or [""]
    return max(stringWidth(w, st.fontName, st.fontSize) for w in pieces)


class Plain(Flowable):
    """Text that needs no shaping (digits, Latin, Thai without marks), wrapped at spaces (and
    between Thai words) and laid out like a :class:`Paragraph` of the same style."""

    def __init__(self, text: str, st: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.st = st
        self.lines: list[str] = []

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        st = self.st
        self.width = availWidth
        if has_thai(self.text):
            self.lines = _thai_lines(self.text, st, availWidth)
        else:
            self.lines = []
            for part in self.text.split("\n"):
                self.lines += simpleSplit(part, st.fontName, st.fontSize, availWidth) or [""]
        self.height = st.leading * len(self.lines)
        return availWidth, self.height

    def draw(self) -> None:
        st = self.st
        c = self.canv
        c.setFont(st.fontName, st.fontSize)
        c.setFillColor(st.textColor)
        y = self.height - st.fontSize
        for line in self.lines:
            if st.alignment == TA_RIGHT:
                c.drawRightString(self.width, y, line)
            elif st.alignment == TA_CENTER:
                c.drawCentredString(self.width / 2, y, line)
            else:
                c.drawString(0, y, line)
            y -= st.leading

    def minWidth(self) -> float:
        return _widest_word(self.text, self.st)


class ThaiParagraph(Paragraph):
    """A paragraph that remembers its line breaks per width: tables wrap each cell several
    times while sizing and drawing, and shaping Thai dominates the cost of a document."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        cache: dict[float, tuple[Any, ...]] = self.__dict__.setdefault("_wraps", {})
        hit = cache.get(availWidth)
        if hit is not None:
            self.width, self._wrapWidths, self.blPara, self.height = hit
            return self.width, self.height
        result = super().wrap(availWidth, availHeight)
        if hasattr(self, "blPara"):
            cache[availWidth] = (self.width, self._wrapWidths, self.blPara, self.height)
        return result


class ThaiText(Flowable):
    """Plain text with Thai marks: broken into lines between words (``domain.thai_lines``:
    reportlab breaks only at spaces, so it would cut a Thai word in two) and drawn as a
    shaped :class:`ThaiParagraph` of those lines, one per width asked for."""

    def __init__(self, text: str, st: ParagraphStyle) -> None:
        super().__init__()
        self.text = text
        self.style = st
        self._by_width: dict[float, ThaiParagraph] = {}
        self._now: ThaiParagraph | None = None

    def _paragraph(self, width: float) -> ThaiParagraph:
        found = self._by_width.get(width)
        if found is None:
            lines = _thai_lines(self.text, self.style, width)
            found = ThaiParagraph("<br/>".join(esc(line) for line in lines), self.style)
            self._by_width[width] = found
        return found

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self._now = self._paragraph(availWidth)
        self.width, self.height = self._now.wrap(availWidth, availHeight)
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        return self._paragraph(availWidth).split(availWidth, availHeight)

    def draw(self) -> None:
        assert self._now is not None, "wrap before drawing"
        self._now.drawOn(self.canv, 0, 0)

    def minWidth(self) -> float:
        return _widest_word(self.text, self.style)

    def getPlainText(self) -> str:
        return self.text


def para(text: str, size: float = 10, **kw: object) -> Flowable:
    """Plain text as a flowable: a shaped :class:`Paragraph` when it has Thai marks, else the
    cheaper :class:`Plain`."""
    st = style(size, **kw)
    if needs_shaping(text):
        return _shaped(text, st)
    return Plain(text, st)


@functools.lru_cache(maxsize=2048)
def _shaped(text: str, st: ParagraphStyle) -> ThaiText:
    """Shaped paragraphs are kept and reused (labels, the shop's name and address, product
    names recur on every document): their line breaks are remembered per width, so shaping,
    the dearest part of a document, happens once per text. Safe because documents are drawn
    one at a time (:func:`serialized`) and each drawing wraps the text before drawing it."""
    return ThaiText(text, st)


def markup(text: str, size: float = 10, **kw: object) -> Paragraph:
    """A shaped paragraph of reportlab markup (the caller escapes the values)."""
    return ThaiParagraph(text, style(size, **kw))


def make_doc(
    out: Any,
    pagesize: tuple[float, float],
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    **info: Any,
) -> BaseDocTemplate:
    """A one-frame document whose frame is exactly the page less the margins (reportlab's
    SimpleDocTemplate pads its frame by 6 points on every side)."""
    doc = BaseDocTemplate(
        out,
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        **info,
    )
    frame = Frame(
        left,
        bottom,
        pagesize[0] - left - right,
        pagesize[1] - top - bottom,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    return doc


def logo(
    path: str, max_w: float, max_h: float, *, align: Literal["LEFT", "CENTER", "RIGHT"] = "LEFT"
) -> Flowable | None:
    """The shop's logo scaled to fit ``max_w`` × ``max_h``, or None when there is none or the
    file cannot be read (a document still prints without it)."""
    if not path:
        return None
    from reportlab.platypus import Image

    try:
        from PIL import Image as PILImage

        with PILImage.open(path) as im:
            w, h = im.size
    except (OSError, ValueError):
        log.warning("shop logo %s cannot be read; printing without it", path)
        return None
    scale = min(max_w / w, max_h / h)
    flowable = Image(path, width=w * scale, height=h * scale)
    flowable.hAlign = align
    return flowable
