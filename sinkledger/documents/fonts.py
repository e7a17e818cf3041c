"""The embedded CJK font every document is set in.

Reportlab can only embed TrueType outlines (``glyf``), not CFF (most ``.otf``, Noto Sans CJK's
``.ttc``), so the font is found in this order, first hit wins:

1. ``SINKLEDGER_PDF_FONT``: a path to a ``.ttf`` or ``.ttc`` with CJK glyphs (``glyf`` outlines);
   for a collection, ``path.ttc#1`` picks face 1.
2. The PyPI package ``paperang-p2-fonts-cjk`` (a dependency in ``pyproject.toml``): WenQuanYi
   Micro Hei (文泉驿微米黑, Apache-2.0), a TrueType collection whose face 1 is a monospaced
   variant used for hashes and code.
3. Known system paths (:data:`SYSTEM_FONTS`: Debian's ``fonts-wqy-microhei``/``-zenhei``,
   ``fonts-arphic-uming``, Windows' SimHei/Microsoft YaHei).

The font is registered once per process and embedded as a subset in each PDF (``FontFile2``),
so any reader shows the text and ``pypdf`` extracts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from sinkledger.config import pdf_font_setting

SANS: Final = "SinkSans"
MONO: Final = "SinkMono"
ENV_VAR: Final = "SINKLEDGER_PDF_FONT"
PACKAGED: Final = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
SYSTEM_FONTS: Final = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
                       "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                       "/usr/share/fonts/truetype/arphic/uming.ttc",
                       "C:/Windows/Fonts/simhei.ttf", "C:/Windows/Fonts/msyh.ttc")


class FontMissing(RuntimeError):
    """No TrueType CJK font was found (an installation problem, not bad input)."""


@dataclass(frozen=True)
class FontSource:
    path: Path
    index: int = 0
    mono_index: int | None = None  # the collection's monospaced face, if it has one


def find_font() -> FontSource:
    """Where the document font is (see the module docstring for the order)."""
    configured = pdf_font_setting()
    if configured:
        path, _, index = configured.partition("#")
        if not Path(path).is_file():
            raise FontMissing(f"{ENV_VAR}={configured!r} is not a file")
        return FontSource(Path(path), int(index or 0))
    packaged = _packaged_font()
    if packaged is not None:
        return FontSource(packaged, 0, mono_index=1)
    for candidate in SYSTEM_FONTS:
        if Path(candidate).is_file():
            return FontSource(Path(candidate))
    raise FontMissing("no CJK TrueType font: pip install paperang-p2-fonts-cjk (a dependency of "
                      f"sinkledger), install fonts-wqy-microhei, or set {ENV_VAR} to a .ttf/.ttc")


def _packaged_font() -> Path | None:
    package, name = PACKAGED
    try:
        path = Path(str(files(package) / name))
    except ModuleNotFoundError:
        return None
    return path if path.is_file() else None


@cache
def register_fonts() -> FontSource:
    """Register :data:`SANS` and :data:`MONO` with reportlab (once) and return their source."""
    source = find_font()
    pdfmetrics.registerFont(TTFont(SANS, str(source.path), subfontIndex=source.index))
    mono_index = source.index if source.mono_index is None else source.mono_index
    pdfmetrics.registerFont(TTFont(MONO, str(source.path), subfontIndex=mono_index))
    for bold in (0, 1):  # one weight: <b> in a paragraph falls back to the same face
        for italic in (0, 1):
            addMapping(SANS, bold, italic, SANS)
            addMapping(MONO, bold, italic, MONO)
    return source


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` the document font has no glyph for (blank or tofu on the page)."""
    register_fonts()
    cmap = pdfmetrics.getFont(SANS).face.charToGlyph
    return {ch for ch in set(text) if ch.isprintable() and ord(ch) not in cmap}
