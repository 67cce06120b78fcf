"""Fonts and safe text for the PDF: the shipped CJK TrueType font (embedded as a subset), a fallback
font for symbols it lacks, and detection of characters neither has (replaced by 〓 and reported)."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"
MAIN, FALLBACK = "WQYMicroHei", "DejaVuSans"
MISSING_MARK = "〓"

_registered = False
_cmaps: dict[str, set[int]] = {}


def register_fonts() -> None:
    global _registered
    if _registered:
        return
    main = TTFont(MAIN, str(FONT_DIR / "wqy-microhei.ttc"), subfontIndex=0)
    fallback = TTFont(FALLBACK, str(FONT_DIR / "DejaVuSans.ttf"))
    for font in (main, fallback):
        pdfmetrics.registerFont(font)
        _cmaps[font.fontName] = set(font.face.charToGlyph)
    pdfmetrics.registerFontFamily(MAIN, normal=MAIN, bold=MAIN, italic=MAIN, boldItalic=MAIN)
    _registered = True


def covered(ch: str, font: str = MAIN) -> bool:
    register_fonts()
    return ord(ch) in _cmaps[font] or ch in "\n\r\t"


class TextGuard:
    """Turns arbitrary user text into safe Paragraph markup and remembers the characters no font has."""

    def __init__(self):
        register_fonts()
        self.missing: dict[str, int] = {}

    def plain(self, text: object) -> str:
        """Text for canvas.drawString (no markup): unknown characters → 〓 (recorded)."""
        out = []
        for ch in str(text):
            if covered(ch) or covered(ch, FALLBACK):
                out.append(ch)
            else:
                self.missing[ch] = self.missing.get(ch, 0) + 1
                out.append(MISSING_MARK)
        return "".join(out)

    def __call__(self, text: object) -> str:
        """Paragraph markup: XML-escaped, fallback font for symbols, 〓 for characters no font has."""
        out, run, run_font = [], [], MAIN

        def flush():
            if run:
                chunk = escape("".join(run), {'"': "&quot;"})
                out.append(chunk if run_font == MAIN else f'<font name="{run_font}">{chunk}</font>')
                run.clear()

        for ch in "" if text is None else str(text):
            if covered(ch):
                font = MAIN
            elif covered(ch, FALLBACK):
                font = FALLBACK
            else:
                self.missing[ch] = self.missing.get(ch, 0) + 1
                ch, font = MISSING_MARK, MAIN
            if font != run_font:
                flush()
                run_font = font
            run.append(ch)
        flush()
        return "".join(out)
