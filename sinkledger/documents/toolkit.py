"""One way to lay out a PDF: reportlab platypus with the embedded CJK font.

A :class:`Document` collects flowables top to bottom and renders A4 pages (portrait or
landscape) with a header (the document's title and ``sinkledger``), a footer with "page N of M"
in the document's language, repeating header rows on tables that cross a page, and optional
embedded attachments (a certificate's record). Output is reproducible: the same content gives
the same bytes (``invariant``: no timestamps, fixed ids).

>>> doc = Document("en", title="Example")
>>> doc.title("Example", "A subtitle")
>>> doc.fields([("Amount", "CNY 1.00")])
>>> doc.render()[:5]
b'%PDF-'
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as turn
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
    XPreformatted,
)

from sinkledger.documents.catalogue import text
from sinkledger.documents.fonts import MONO, SANS, register_fonts

GREY: Final = "#666666"
RULE: Final = "#999999"
SHADE: Final = "#eeeeee"


def escape(value: Any) -> str:
    """Text for a paragraph: markup characters escaped, newlines kept as line breaks."""
    return html.escape(str(value), quote=False).replace("\n", "<br/>")


def _styles() -> dict[str, Any]:
    register_fonts()
    body = ParagraphStyle("body", fontName=SANS, fontSize=9, leading=12.5, wordWrap="CJK")
    return {"body": body,
            "title": ParagraphStyle("title", parent=body, fontSize=18, leading=24, alignment=1),
            "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10, leading=14, alignment=1,
                                       textColor=GREY, spaceAfter=8),
            "heading": ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=10,
                                      spaceAfter=4),
            "note": ParagraphStyle("note", parent=body, fontSize=8, leading=11, textColor=GREY),
            "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10.5),
            "cell_right": ParagraphStyle("cell_right", parent=body, fontSize=8, leading=10.5, alignment=2),
            "head": ParagraphStyle("head", parent=body, fontSize=8, leading=10.5, textColor="#333333"),
            "mono": ParagraphStyle("mono", parent=body, fontName=MONO, fontSize=7, leading=9),
            "big": ParagraphStyle("big", parent=body, fontName=MONO, fontSize=18, leading=24)}


class Document:
    """A document in ``lang`` ('zh' or 'en'); add content, then :meth:`render`."""

    def __init__(self, lang: str, *, title: str, subject: str = "", landscape: bool = False) -> None:
        self.lang, self.name, self.subject = lang, title, subject
        self.pagesize = turn(A4) if landscape else A4
        self.margin = 16 * mm
        self.width = self.pagesize[0] - 2 * self.margin
        self.styles = _styles()
        self.story: list[Any] = []
        self.attachments: dict[str, bytes] = {}

    # -- content ------------------------------------------------------------------------------
    def paragraph_of(self, value: Any, style: str = "body") -> Any:
        return Paragraph(escape(value), self.styles[style])

    def add(self, *flowables: Any) -> None:
        self.story.extend(flowables)

    def title(self, title: str, subtitle: str | None = None) -> None:
        self.add(self.paragraph_of(title, "title"))
        if subtitle:
            self.add(self.paragraph_of(subtitle, "subtitle"))

    def heading(self, value: str) -> None:
        self.add(self.paragraph_of(value, "heading"))

    def paragraph(self, value: str, style: str = "body") -> None:
        self.add(self.paragraph_of(value, style))

    def bullets(self, items: Iterable[str]) -> None:
        self.add(*(self.paragraph_of(f"• {item}") for item in items))

    def code(self, value: str) -> None:
        self.add(XPreformatted(escape(value).replace("<br/>", "\n"), self.styles["mono"]))

    def spacer(self, height_mm: float) -> None:
        self.add(Spacer(1, height_mm * mm))

    def fields(self, rows: Sequence[tuple[str, Any]], *, label_share: float = 0.3,
               mono: Iterable[str] = ()) -> None:
        """A two-column table of (label, value); values whose label is in ``mono`` use the
        monospaced face (hashes, codes)."""
        self.add(self.fields_table(rows, label_share=label_share, mono=mono))

    def fields_table(self, rows: Sequence[tuple[str, Any]], *, label_share: float = 0.3,
                     mono: Iterable[str] = (), width: float | None = None) -> Any:
        mono = set(mono)
        width = width or self.width
        cells = [[self.paragraph_of(label, "cell"),
                  self.paragraph_of(value, "mono" if label in mono else "cell")] for label, value in rows]
        table = Table(cells, colWidths=[width * label_share, width * (1 - label_share)])
        table.setStyle(_grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]))
        return table

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
              shares: Sequence[float] | None = None, numeric: Iterable[int] = (),
              mono: Iterable[int] = ()) -> None:
        """A data table whose header row repeats on every page it crosses; ``shares`` are the
        columns' parts of the width (default equal), ``numeric`` columns align right, ``mono``
        columns use the monospaced face. No rows: one line saying so."""
        if not rows:
            self.paragraph(text("none", self.lang), "note")
            return
        numeric, mono = set(numeric), set(mono)
        shares = list(shares or [1] * len(header))
        widths = [self.width * share / sum(shares) for share in shares]

        def style(column: int) -> str:
            return "mono" if column in mono else "cell_right" if column in numeric else "cell"

        cells = [[self.paragraph_of(h, "head") for h in header]]
        cells += [[self.paragraph_of(value, style(i)) for i, value in enumerate(row)] for row in rows]
        table = Table(cells, colWidths=widths, repeatRows=1)
        table.setStyle(_grid([("BACKGROUND", (0, 0), (-1, 0), SHADE)]))
        self.add(table)

    def qr(self, payload: str, size_mm: float) -> Any:
        """A QR code flowable (vector, error correction M) holding ``payload``."""
        widget = QrCodeWidget(payload, barLevel="M")
        x0, y0, x1, y1 = widget.getBounds()
        size = size_mm * mm
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(widget)
        return drawing

    def beside(self, left: Sequence[Any], right: Any, right_width: float) -> Any:
        """A flowable: flowables on the left, one flowable (a QR code) on the right."""
        table = Table([[list(left), right]], colWidths=[self.width - right_width, right_width])
        table.setStyle(_grid([], lines=False))
        return table

    def keep_together(self, flowables: Sequence[Any]) -> None:
        self.add(KeepTogether(list(flowables)))

    def attach(self, name: str, data: bytes) -> None:
        """Embed ``data`` as the file attachment ``name``."""
        self.attachments[name] = data

    # -- output -------------------------------------------------------------------------------
    def render(self) -> bytes:
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer, pagesize=self.pagesize, leftMargin=self.margin, rightMargin=self.margin,
            topMargin=self.margin + 6, bottomMargin=self.margin + 4, title=self.name,
            subject=self.subject, author="sinkledger", creator="sinkledger", invariant=1,
            lang="zh-CN" if self.lang == "zh" else "en")
        template.build(self.story, canvasmaker=_numbered_canvas(self))
        pdf = buffer.getvalue()
        return _with_attachments(pdf, self.attachments) if self.attachments else pdf


def _grid(extra: list[tuple[Any, ...]], *, lines: bool = True) -> Any:
    commands: list[tuple[Any, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    if lines:
        commands.append(("GRID", (0, 0), (-1, -1), 0.4, RULE))
    else:
        commands += [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]
    return TableStyle(commands + extra)


def _numbered_canvas(document: Document) -> type:
    """A canvas class that draws the header and "page N of M" once the page count is known."""
    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = SANS
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._chrome(total)
                super().showPage()
            super().save()

        def _chrome(self, total: int) -> None:
            width, height = document.pagesize
            margin = document.margin
            self.saveState()
            self.setFont(SANS, 7.5)
            self.setFillColor(GREY)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.3)
            self.drawString(margin, height - margin + 4, document.name[:90])
            self.drawRightString(width - margin, height - margin + 4, "sinkledger")
            self.line(margin, height - margin + 1, width - margin, height - margin + 1)
            self.drawCentredString(width / 2, margin - 10,
                                   text("page_of", document.lang, page=self._pageNumber, pages=total))
            self.restoreState()

    return NumberedCanvas


def _with_attachments(pdf: bytes, attachments: Mapping[str, bytes]) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for name, data in attachments.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def attachment(pdf: bytes, name: str) -> bytes:
    """The attachment ``name`` of a PDF.

    Raises
    ------
    ValueError
        Not a readable PDF, or no such attachment.
    """
    try:
        return PdfReader(io.BytesIO(pdf)).attachments[name][0]
    except (PyPdfError, KeyError, IndexError, ValueError, TypeError) as exc:
        raise ValueError(f"{exc.__class__.__name__}: {exc}"[:120]) from None
