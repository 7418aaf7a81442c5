"""The HTML report opened in headless Chromium, as a reader on a phone (390 px) and on a
desktop would: no console error, every figure rendered (with text as text, role="img", a
title and a description), every contents link resolving, no horizontal scroll, and no word
of a table cell broken mid-way (a wide table scrolls in its own frame).

Skips with a reason where no Chromium is installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import DESKTOP, PHONE, browser_path, check_page
from report_fakes import fast

from audit.cases import Case, load_case
from audit.model import SheetTable
from audit.report import build_report, render

pytestmark = pytest.mark.skipif(browser_path() is None,
                                reason="no Chromium installed (apt-get install chromium)")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def _assert_readable(html: Path, width: int, height: int) -> None:
    page = check_page(html, width, height)
    assert page.errors == []
    assert page.figures, "no figure"
    for fig in page.figures:
        assert fig["width"] > 100
        assert fig["height"] > 50
        assert fig["role"] == "img"
        assert fig["title"]
        assert fig["desc"]
        assert fig["texts"] > 0, "figure text drawn as paths"
        assert fig["width"] <= width
    assert page.links >= 8
    assert page.broken_links == []
    assert page.scroll_width <= page.client_width, (page.scroll_width, page.client_width)
    assert page.split_words == []  # wide tables scroll in their frame, words stay whole


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_simulated_report_reads_in_a_browser(demo_case: Case, demo_sheets: SheetTable,
                                             tmp_path: Path, size: tuple[int, int]) -> None:
    model = build_report(demo_case, demo_sheets, fast(lang="es"))
    html = render(model, tmp_path / "demo.html")
    _assert_readable(html, *size)


@pytest.mark.slow
@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_venezuela_report_reads_in_a_browser(real_file, tmp_path: Path,
                                             size: tuple[int, int]) -> None:
    from audit.data import load_sheets

    data_dir = real_file("venezuela_2024_resultadosconvzla_actas",
                         "RESULTADOS_2024_CSV_V2.csv").parent.parent
    case = load_case("venezuela-2024")
    lookup = load_sheets(case, data_dir=data_dir, download=False)
    model = build_report(case, lookup.ingest, fast(lang="en", data_dir=data_dir),
                         source=lookup.source)
    html = render(model, tmp_path / "venezuela.html")
    _assert_readable(html, *size)
