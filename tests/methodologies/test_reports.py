"""Calculation reports (sinkledger.documents.reports): Markdown, HTML and PDF in Chinese and English.

The PDF's text is read back with pypdf (pure Python, so it runs on any machine) to check that
the Chinese and English text is really written into the page. The first page is also rasterised
with poppler's ``pdftoppm`` to check that something is drawn: that test alone skips with a reason
when poppler-utils is not installed.
"""

import html
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from methodologies.registry import get_methodology, list_methodologies
from sinkledger.documents.fonts import missing_glyphs
from sinkledger.documents.reports import LANGS, build_sections, render

LATEST = sorted({m.id for m in list_methodologies()})
CJK = re.compile(r"[\u4e00-\u9fff]")


def record(methodology_id: str, *, drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
    methodology = get_methodology(methodology_id)
    document = {k: v for k, v in methodology.example_inputs().items() if k not in drop}
    document.update(changes)
    return methodology.estimate(document).to_dict() | {"estimate_id": "EST-00000007",
                                                      "parcel_codes": ["AJ-TG-0001"]}


@pytest.mark.parametrize("methodology_id", LATEST)
@pytest.mark.parametrize("lang", LANGS)
def test_markdown_and_html_carry_the_results_trace_and_hash(methodology_id: str,
                                                            lang: str) -> None:
    document = record(methodology_id)
    markdown = render(document, "md", lang).decode("utf-8")  # type: ignore[arg-type]
    page = render(document, "html", lang).decode("utf-8")  # type: ignore[arg-type]
    for text in (markdown, html.unescape(page)):
        assert document["reproducibility_hash"] in text
        assert f"{document['net_kg_co2e']:,}" in text
        for parameter in document["parameters"]:
            assert parameter["key"] in text
        assert document["steps"][0]["equation"] in text
    assert bool(CJK.search(markdown.split("\n")[0])) is (lang == "zh")
    assert page.startswith("<!DOCTYPE html>") and "http" not in page.split("<body>")[0]


def test_flags_warnings_and_one_off_claims_are_shown() -> None:
    reversal = record("sinkledger.wetland-lake-marsh", drop=("ch4_kg_per_ha_yr", "ch4_basis"),
                      ch4_source="default", herbaceous_vegetation_credit_claimed_before=True)
    text = render(reversal, "md", "en").decode()
    assert "reversal" in text and "not checked against their primary source" in text
    assert "ch4_emission_factor_is_default" in text
    claim = render(record("sinkledger.wetland-lake-marsh"), "md", "zh").decode()
    assert "一次性计入项" in claim and "wetland_herbaceous_vegetation" in claim


def test_html_escapes_what_it_shows() -> None:
    document = record("sinkledger.tea-garden")
    document["steps"][0] = dict(document["steps"][0], note="<script>alert(1)</script>")
    page = render(document, "html", "en").decode()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_rendered_report_of_an_unknown_methodology_still_renders() -> None:
    document = record("sinkledger.tea-garden") | {"methodology_id": "other.retired"}
    assert b"other.retired" in render(document, "md", "en")


def test_unknown_format_or_language_is_refused() -> None:
    with pytest.raises(ValueError):
        render(record("sinkledger.tea-garden"), "docx", "zh")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        render(record("sinkledger.tea-garden"), "md", "fr")  # type: ignore[arg-type]


@pytest.mark.parametrize("methodology_id", LATEST)
def test_every_character_of_a_report_is_drawable_by_the_pdf_font(methodology_id: str) -> None:
    """The embedded font has a glyph for every character of every report (no blank boxes)."""
    document = record(methodology_id, uncertainty={"profile": "VCS", "ner_error_pct": "30"})
    text = repr(build_sections(document, "zh")) + repr(build_sections(document, "en"))
    assert missing_glyphs(text) == set()


def test_the_pdf_embeds_its_font_and_is_reproducible() -> None:
    from tests.documents.helpers import embedded_fonts

    document = record("sinkledger.wetland-lake-marsh")
    pdf = render(document, "pdf", "zh")
    assert pdf.startswith(b"%PDF") and embedded_fonts(pdf)
    assert render(document, "pdf", "zh") == pdf  # invariant: no timestamps


@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_carries_its_text_in_chinese_and_english(lang: str) -> None:
    pdf = render(record("sinkledger.tea-garden"), "pdf", lang)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)  # type: ignore[arg-type]
    if lang == "zh":
        assert "碳汇测算报告" in text and "茶园" in text and "计算过程" in text
        assert "Carbon sink estimate report" not in text
    else:
        assert "Carbon sink estimate report" in text and "Calculation trace" in text
        assert "碳汇测算报告" not in text


@pytest.mark.skipif(not shutil.which("pdftoppm"),
                    reason="poppler-utils (pdftoppm) not installed, so the page is not rasterised "
                           "(its text is checked with pypdf above): apt-get install -y poppler-utils")
@pytest.mark.parametrize("lang", LANGS)
def test_the_pdf_draws_its_first_page(tmp_path: Path, lang: str) -> None:
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(render(record("sinkledger.tea-garden"), "pdf", lang))  # type: ignore
    drawn = subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf_path),
                            str(tmp_path / "page")], check=True, capture_output=True, text=True)
    if "Missing language pack" in drawn.stderr:
        pytest.skip("poppler-data (poppler's CJK mappings) not installed, so poppler cannot draw the "
                    "report's Chinese font (its text is checked with pypdf above): "
                    "apt-get install -y poppler-data")
    image = next(tmp_path.glob("page*.png"))
    import numpy as np
    from PIL import Image

    with Image.open(image) as page:
        dark = int((np.asarray(page.convert("L")) < 128).sum())
    assert dark > 500  # Text was drawn, not a blank page (a blank page has none).


# English words a step note may keep in the Chinese report: identifiers, units and codes are
# matched separately (they contain "_", digits or capitals); these are the rest.
NOTE_WORDS_KEPT = {"events", "adjusted", "baseline"}  # identifiers: events[i], adjusted_NER, the baseline term
ENGLISH_WORD = re.compile(r"(?<![\w.\[])[a-z]{3,}(?![\w\[])")


def zh_step_notes(document: dict[str, Any]) -> list[str]:
    trace = next(s for s in build_sections(document, "zh") if s.get("header") and len(s["header"]) == 6)
    return [row[-1] for row in trace["rows"]]


@pytest.mark.parametrize("methodology_id", LATEST)
def test_the_chinese_report_has_chinese_step_notes(methodology_id: str) -> None:
    """The trace's notes (the methodologies write them in English) are Chinese in the Chinese
    report: no English word is left but identifiers (``long_term_cultivated``), codes and units."""
    documents = [record(methodology_id)]
    if methodology_id == "sinkledger.bamboo-moso-management":  # the notes of no fertiliser and given stocks
        documents.append(record(methodology_id, fertiliser_n_kg_per_ha_yr="0"))
    for document in documents:
        notes = zh_step_notes(document)
        assert any(CJK.search(n) for n in notes)
        leftovers = [n for n in notes if {w for w in ENGLISH_WORD.findall(n)} - NOTE_WORDS_KEPT]
        assert leftovers == [], leftovers
        english = [row[-1] for row in next(s for s in build_sections(document, "en")
                                           if s.get("header") and len(s["header"]) == 6)["rows"]]
        assert not any(CJK.search(n) for n in english)
