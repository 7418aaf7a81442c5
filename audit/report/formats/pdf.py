"""PDF through Typst (the ``typst`` package: no system dependency, fonts embedded).

The template (``reports/templates/report.typ`` with ``style.typ``) reads the prepared report
from ``report.json`` and the figures from SVG files beside it, all in a temporary folder that
is the compiler's root. System fonts are ignored (only Typst's embedded fonts and matplotlib's
DejaVu Sans are used) and the PDF carries no creation date unless ``SOURCE_DATE_EPOCH`` is set,
so the same model gives the same bytes on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import matplotlib

from audit.errors import AuditError
from audit.report.formats.prepare import prepare
from audit.report.model import ReportModel
from audit.resources import reports_dir

TEMPLATE_FILES = ("report.typ", "style.typ")


def templates_dir() -> Path:
    """The bundled Typst templates."""
    return reports_dir() / "templates"


def _font_paths() -> list[str]:
    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


def _document_date() -> list[int] | None:
    """``SOURCE_DATE_EPOCH`` as [year, month, day] (reproducible builds), else no date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    day = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return [day.year, day.month, day.day]


def typst_source(model: ReportModel, folder: Path, *, max_table_rows: int | None = None,
                 template_dir: Path | None = None) -> Path:
    """Write the template, ``report.json`` and the figures into ``folder``; return the main
    ``.typ`` file (useful to edit a report by hand and compile it with ``typst``)."""
    source = Path(template_dir) if template_dir is not None else templates_dir()
    for name in TEMPLATE_FILES:
        if not (source / name).is_file():
            raise AuditError(f"template folder {source} lacks {name}")
        shutil.copyfile(source / name, folder / name)
    prepared = prepare(model, max_table_rows=max_table_rows)
    for fig in prepared.figures:
        (folder / fig["file"]).write_text(fig["svg"], encoding="utf-8")
    data: dict[str, Any] = prepared.to_dict()
    data["meta"]["date"] = _document_date()
    from audit.report.appendix import csv_files

    attachments = csv_files(model.data, "data")
    for name, text in attachments.items():
        (folder / name).write_text(text, encoding="utf-8")
    data["attachments"] = sorted(attachments)
    (folder / "report.json").write_text(json.dumps(data, ensure_ascii=False, sort_keys=True),
                                        encoding="utf-8")
    return folder / "report.typ"


def pdf_bytes(model: ReportModel, *, max_table_rows: int | None = None,
              template_dir: Path | None = None) -> bytes:
    """The report as PDF bytes."""
    import typst

    with tempfile.TemporaryDirectory(prefix="election-audit-report-") as tmp:
        main = typst_source(model, Path(tmp), max_table_rows=max_table_rows,
                            template_dir=template_dir)
        try:
            out = typst.compile(str(main), root=tmp, font_paths=_font_paths(),
                                ignore_system_fonts=True, format="pdf",
                                sys_inputs={"data": "report.json"})
        except typst.TypstError as exc:  # a template edited by hand
            raise AuditError(f"the report template did not compile: {exc.message}") from exc
    if not isinstance(out, bytes):
        raise RuntimeError("typst returned no PDF")
    return out


def render_pdf(model: ReportModel, path: str | Path, *, max_table_rows: int | None = None,
               template_dir: Path | None = None) -> Path:
    """Write ``model`` as a PDF file at ``path``."""
    path = Path(path)
    path.write_bytes(pdf_bytes(model, max_table_rows=max_table_rows,
                               template_dir=template_dir))
    return path
