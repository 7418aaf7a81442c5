"""Write a report in the format of the output file's extension."""

from __future__ import annotations

from pathlib import Path

from audit.errors import AuditError
from audit.report.model import ReportModel

#: Output formats and the file extensions that select them.
FORMATS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",), "html": (".html", ".htm"), "json": (".json",), "md": (".md", ".markdown"),
}


def infer_format(path: str | Path, format: str | None = None) -> str:
    """The format named by ``format`` or, when None, by the extension of ``path``."""
    if format is not None:
        if format not in FORMATS:
            raise AuditError(f"unknown report format {format!r}; choose one of "
                             f"{', '.join(FORMATS)}")
        return format
    suffix = Path(path).suffix.lower()
    for name, suffixes in FORMATS.items():
        if suffix in suffixes:
            return name
    raise AuditError(f"cannot tell the report format from '{Path(path).name}'; use an "
                     f"extension .pdf, .html, .json or .md, or give format=",
                     parameters=("format",))


def render(model: ReportModel, path: str | Path, *, format: str | None = None,
           template_dir: Path | None = None) -> Path:
    """Write ``model`` to ``path`` as PDF, HTML, JSON or Markdown (from the extension).

    Markdown writes its figures as SVG files in a folder ``<name>_figures`` beside the file.
    PDF, HTML and Markdown also write the data appendix beside the file as CSV
    (``<name>-by-state.csv``, ``<name>-discrepant-tables.csv``); the PDF embeds them too.
    """
    path = Path(path)
    kind = infer_format(path, format)
    if path.parent and not path.parent.exists():
        raise AuditError(f"output folder {path.parent} does not exist")
    if kind != "json" and model.data:  # the data appendix, beside the report
        from audit.report.appendix import write_csvs

        write_csvs(model.data, path)
    if kind == "pdf":
        from audit.report.formats.pdf import render_pdf

        return render_pdf(model, path, template_dir=template_dir)
    if kind == "html":
        from audit.report.formats.html import render_html

        return render_html(model, path)
    if kind == "json":
        from audit.report.formats.json import render_json

        return render_json(model, path)
    from audit.report.formats.markdown import render_markdown

    return render_markdown(model, path)
