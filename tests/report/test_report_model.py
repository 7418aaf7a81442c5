"""The report model, language formatting, figure SVG and table layout."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from audit.checks import Evidence
from audit.report import Column, Table, msg
from audit.report.formats.prepare import TEXT_WIDTH_PT, _layout
from audit.report.i18n import capitalize, cell, country_name, format_date, level_name, text
from audit.report.svg import figure_svg, scoped_svg


class TestTable:
    def test_rows_must_match_columns(self) -> None:
        with pytest.raises(ValueError, match="row 1 has 1 cells"):
            Table(columns=(Column("a", msg("report.col.n")), Column("b", msg("report.col.n"))),
                  rows=((1, 2), (3,)))

    def test_from_frame_gives_plain_python_values(self) -> None:
        frame = pd.DataFrame({"a": np.array([1, 2], dtype=np.int64),
                              "b": pd.array([5, None], dtype="Int64"),
                              "c": [0.5, np.nan]})
        table = Table.from_frame(frame, (Column("c", msg("report.col.n"), "f2"),
                                         Column("a", msg("report.col.n"), "int"),
                                         Column("b", msg("report.col.n"), "int")))
        assert table.rows == ((0.5, 1, 5), (None, 2, None))
        assert type(table.rows[0][1]) is int

    def test_from_frame_names_missing_columns(self) -> None:
        with pytest.raises(KeyError, match="zz"):
            Table.from_frame(pd.DataFrame({"a": [1]}), (Column("zz", msg("report.col.n")),))


class TestLanguage:
    @pytest.mark.parametrize(("value", "kind", "en", "es"), [
        (5150092, "int", "5,150,092", "5.150.092"),          # CNE bulletin 1, Maduro
        (51.2, "pct", "51.20%", "51,20\u00a0%"),
        (None, "int", "—", "—"),
        (float("nan"), "pct", "—", "—"),
        ("EDO. ZULIA", "text", "EDO. ZULIA", "EDO. ZULIA"),
        (0.0004, "p", "4.0 × 10⁻⁴", "4,0 × 10⁻⁴"),
    ])
    def test_cells(self, value: object, kind: str, en: str, es: str) -> None:
        assert cell(value, kind, "en") == en
        assert cell(value, kind, "es") == es

    def test_evidence_and_message_cells_are_translated(self) -> None:
        assert cell(Evidence.STRONG, "evidence", "es") == "Evidencia fuerte"
        assert cell(Evidence.STRONG, "evidence", "en") == "Strong evidence"
        assert cell(msg("report.row.valid"), "text", "es") == "Votos válidos"

    def test_nested_messages_dates_and_numbers(self) -> None:
        line = msg("report.missing.line", section=msg("report.section.digits.title"),
                   needs=msg("report.need.sheets"), how=msg("report.how.family"))
        assert text(line, "es") == ("Pruebas de dígitos: esta parte requiere las actas. No "
                                    "forman parte de esta versión de election-audit.")
        sub = msg("report.subtitle", kind=msg("report.kind.presidential"), country="Venezuela",
                  date=dt.date(2024, 7, 28))
        assert text(sub, "es") == "Elección presidencial · Venezuela · 28 de julio de 2024"
        assert text(sub, "en") == "Presidential election · Venezuela · July 28, 2024"

    def test_names(self) -> None:
        assert format_date(dt.date(2011, 12, 4), "es") == "4 de diciembre de 2011"
        assert country_name("RU", "es") == "Rusia"
        assert country_name("ZZZ", "en") == "ZZZ"
        assert level_name("parish", "es") == "parroquia"
        assert level_name("oblast_x", "en") == "oblast x"
        assert capitalize("estado") == "Estado"
        assert capitalize("eSTADO") == "ESTADO"


class TestSvg:
    def _figure(self) -> Figure:
        fig = Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        ax.bar(["Núñez", "Peña"], [1, 2])
        ax.set_title("Participación")
        return fig

    def test_identical_figures_give_identical_bytes(self) -> None:
        a, b = figure_svg(self._figure()), figure_svg(self._figure())
        assert a == b
        assert "<dc:date>" not in a
        assert "<text" in a  # text stays text: selectable, searchable, translatable

    def test_scoped_ids_are_unique_per_figure(self) -> None:
        svg = figure_svg(self._figure())
        one, two = scoped_svg(svg, "f1-"), scoped_svg(svg, "f2-")
        ids_one = set(pd.Series(one).str.findall(r'id="([^"]+)"')[0])
        ids_two = set(pd.Series(two).str.findall(r'id="([^"]+)"')[0])
        assert ids_one
        assert not ids_one & ids_two
        assert all(i.startswith("f1-") for i in ids_one)
        # every reference points at an id of the same figure
        refs = set(pd.Series(one).str.findall(r'(?:href="|url\()#([^")]+)')[0])
        assert refs
        assert refs <= ids_one
        assert not one.startswith("<?xml")
        assert "<metadata>" not in one


class TestLayout:
    def test_hashes_and_numbers_never_wrap_and_the_table_fits(self) -> None:
        header = ["File", "Role", "Bytes", "Rows", "SHA-256"]
        rows = [["venezuela-2024-opposition-v2.toml", "column profile", "4,077,568", "25,073",
                 "296d35bbda1d6bd12e7011ed93da1973a3f22beb73cc05dbb0554efc31b2deaa"]] * 3
        fit, widths, size = _layout(header, rows, ["text", "text", "int", "int", "code"])
        assert fit == "full"
        assert sum(widths) == pytest.approx(1.0, abs=1e-3)
        # the hash column is at least 64 monospaced characters wide at the chosen size
        assert widths[4] * TEXT_WIDTH_PT >= 64 * 0.6 * 0.9 * size
        assert size < 9.0  # it only fits with a smaller font

    def test_narrow_tables_keep_their_natural_width(self) -> None:
        fit, widths, size = _layout(["Parameter", "Value"], [["seed", "20240728"]],
                                    ["code", "code"])
        assert fit == "natural"
        assert size == 9.0
        assert sum(widths) < 0.6 * TEXT_WIDTH_PT

    def test_long_text_wraps_instead_of_shrinking_the_font(self) -> None:
        long = "word " * 60
        fit, widths, size = _layout(["Rule", "What it checks", "Rows"],
                                    [["Ballot sum", long, "12"]], ["text", "text", "int"])
        assert size == 9.0
        assert fit == "full"
        assert widths[1] > widths[0] > widths[2] * 0.5
