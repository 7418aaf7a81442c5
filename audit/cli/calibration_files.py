"""The files of ``election-audit calibrate``: a calibration written as Markdown, CSV, JSON and
an SVG figure, and a case's calibration summary.

The simulation layer (:mod:`audit.simulate.calibrate`) computes and formats a
:class:`~audit.simulate.calibrate.Calibration`; drawing it (:mod:`audit.figures.calibration`)
and writing files happen here, above both, so that neither imports the other.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

from audit.figures.calibration import plot_calibration
from audit.inert import write_csv
from audit.simulate.calibrate import Calibration, summary_json, to_markdown


def write_outputs(cal: Calibration, folder: os.PathLike[str] | str, label: str, *,
                  command: str = "", title: str | None = None) -> list[str]:
    """Write ``calibration-<label>.{md,csv,json,svg}`` to ``folder``; return the paths."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"calibration-{label}"
    fig = plot_calibration(cal)
    svg = out / f"{stem}.svg"
    with matplotlib.rc_context({"svg.hashsalt": "election-audit", "svg.fonttype": "none"}):
        fig.savefig(svg, format="svg", metadata={"Date": None})
    md = out / f"{stem}.md"
    md.write_text(to_markdown(cal, title=title or f"Calibration: {label}", command=command,
                              figure=svg.name), encoding="utf-8")
    csv = out / f"{stem}.csv"
    write_csv(cal.table, csv, float_format="%.6g")
    js = out / f"{stem}.json"
    js.write_text(summary_json(cal.summary(label=label, command=command)), encoding="utf-8")
    return [str(p) for p in (md, csv, js, svg)]


def write_summary(cal: Calibration, path: os.PathLike[str] | str, *, label: str = "",
                  command: str = "") -> str:
    """Write :meth:`Calibration.summary` to ``path`` (e.g. a case's ``calibration.json``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(summary_json(cal.summary(label=label, command=command)),
                      encoding="utf-8")
    return str(target)
