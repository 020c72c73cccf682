"""The Thai font for PDFs: Sarabun (OFL, from ``fontpkg-sarabun``), registered once.

reportlab places Thai tone marks and upper vowels right only when text is shaped (uharfbuzz
installed, ``ParagraphStyle(shaping=1)``); ``canvas.drawString`` and plain-string table cells
are not shaped, so everything Thai goes through a shaped :class:`Paragraph`.

Shaping picks glyphs the font has no Unicode for (a tone mark lowered over a short consonant,
``uni0E48.small``); reportlab gives them private-use codes, so copying or searching the PDF's
text found ``ที`` for ``ที่``. :class:`ThaiTTFont` writes the real characters, read from the
glyph names, into the PDF's ToUnicode map.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import SUBSETN, TTFont

REGULAR = "Sarabun"
BOLD = "Sarabun-Bold"

_lock = threading.Lock()
_registered = False

_UNI_NAME = re.compile(r"^uni((?:[0-9A-F]{4})+)(?:\..*)?$")
_NIKHAHIT = 0x0E4D


def font_folder() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.__file__).parent / "files"


def _chars_of_glyph(name: str) -> str | None:
    """The text a glyph stands for, from its name (``uni0E48.small`` → ``่``)."""
    m = _UNI_NAME.match(name)
    if m is None:
        return None
    codes = [int(m[1][i : i + 4], 16) for i in range(0, len(m[1]), 4)]
    # A nikhahit fused with a tone mark (น้ำ) came from ำ written after the tone mark.
    if _NIKHAHIT in codes and len(codes) > 1:
        codes = [c for c in codes if c != _NIKHAHIT] + [_NIKHAHIT]
    return "".join(map(chr, codes))


def _to_unicode_cmap(fontname: str, texts: list[str]) -> str:
    entries = [f"<{i:02X}> <{''.join(f'{ord(c):04X}' for c in t)}>" for i, t in enumerate(texts)]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(texts) - 1:02X}>",
            "endcodespacerange",
            f"{len(texts)} beginbfchar",
            *entries,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


class ThaiTTFont(TTFont):
    """A TrueType font whose shaped-only glyphs copy out of the PDF as the right text."""

    def addObjects(self, doc: Any) -> None:
        state = self.state.get(doc)
        subsets = [list(s) for s in state.subsets] if state is not None else []
        super().addObjects(doc)
        private = {code: name for name, code in getattr(self, "_TTFont__hbUnis", {}).items()}
        if not private:
            return
        for n, subset in enumerate(subsets):
            if not any(code in private for code in subset):
                continue
            base = b"".join((SUBSETN(n), b"+", self.face.name, self.face.subfontNameX)).decode(
                "pdfdoc"
            )
            stream = doc.idToObject.get("toUnicodeCMap:" + base)
            if stream is None:
                continue
            texts = [
                (_chars_of_glyph(private[c]) or chr(c)) if c in private else chr(c) for c in subset
            ]
            stream.content = _to_unicode_cmap(base, texts)


def _ours() -> bool:
    """Still our fonts under our names (nothing registered a plain TTFont over them)."""
    try:
        return all(isinstance(pdfmetrics.getFont(n), ThaiTTFont) for n in (REGULAR, BOLD))
    except KeyError:
        return False


def register() -> None:
    """Register Sarabun (regular and bold) with reportlab, once per process. Raises
    RuntimeError when the font files are missing (Thai would not print)."""
    global _registered
    if _registered and _ours():
        return
    with _lock:
        if _registered and _ours():
            return
        folder = font_folder()
        files = {REGULAR: folder / "Sarabun-Regular.ttf", BOLD: folder / "Sarabun-Bold.ttf"}
        for path in files.values():
            if not path.is_file():
                raise RuntimeError(f"the Thai font {path} is missing; reinstall fontpkg-sarabun")
        for name, path in files.items():
            pdfmetrics.registerFont(ThaiTTFont(name, str(path)))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, REGULAR)
        addMapping(REGULAR, 1, 1, BOLD)
        _registered = True
