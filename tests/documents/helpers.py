"""Reading a PDF back as a reader would (pypdf, pure Python): its text and its embedded fonts."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def fonts(pdf: bytes) -> dict[str, bool]:
    """Every font the pages use: its base name → whether its file is embedded (FontFile2/3)."""
    out: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor.get_object()
                                                      for k in ("/FontFile2", "/FontFile3"))
            out[str(font["/BaseFont"])] = embedded
    return out


def embedded_fonts(pdf: bytes) -> set[str]:
    """The base names of the TrueType fonts embedded in ``pdf`` (``/FontFile2``)."""
    return {name for name, embedded in fonts(pdf).items() if embedded}


def only_embedded_fonts(pdf: bytes) -> bool:
    """Every font the pages declare is embedded (none left to the reader's own set), but for the
    ``/Helvetica`` that reportlab declares in every document whether or not text uses it."""
    used = {name: embedded for name, embedded in fonts(pdf).items() if name != "/Helvetica"}
    return bool(used) and all(used.values())
