"""Tally-sheet totals, nationally and by region (the sheet side of "official vs sheets").

Descriptive: sums of the accepted sheets, no test. The official side of the comparison is
added to the same section by the claims family when a claims ledger is present.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from audit.checks.result import CheckResult
from audit.figures.sheets import plot_region_shares, plot_shares
from audit.model import SheetTable, vote_column
from audit.report.blocks import REGION_ROWS
from audit.report.context import ReportContext
from audit.report.i18n import capitalize, cell, level_name
from audit.report.model import Block, Column, Heading, Paragraph, Table, msg
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)
from audit.report.svg import figure_block

#: Candidates drawn one by one in the national shares chart (the rest as "n others").
SHARES_SHOWN = 6


def candidate_label(ctx: ReportContext, key: str) -> str:
    """The label of a candidate (short name, else name, else key)."""
    return ctx.election.label(key)


def ranked_candidates(sheets: SheetTable) -> list[str]:
    """Candidate keys by total votes on the sheets, most first (ties by key order)."""
    totals = sheets.totals()
    return sorted(sheets.candidates, key=lambda k: (-totals[k], sheets.candidates.index(k)))


def _pct(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return 100.0 * float(part) / float(whole)


def national_blocks(sheets: SheetTable, ctx: ReportContext) -> list[Block]:
    """National totals table, coverage sentence and share chart."""
    totals = sheets.totals()
    valid = sheets.total("valid") or 0
    order = ranked_candidates(sheets)
    rows: list[tuple[object, ...]] = [
        (candidate_label(ctx, k), ctx.election.candidate(k).name
         if k in ctx.election.candidate_keys else k, totals[k], _pct(totals[k], valid))
        for k in order]
    rows.append((msg("report.row.valid"), "", valid, 100.0 if valid else None))
    for col in ("null", "blank", "voters", "registered"):
        value = sheets.total(col)
        if value is not None:
            rows.append((msg(f"report.row.{col}"), "", value, None))
    table = Table(
        columns=(Column("label", msg("report.col.candidate")),
                 Column("name", msg("report.col.full_name")),
                 Column("votes", msg("report.col.votes"), "int"),
                 Column("pct_valid", msg("report.col.pct_valid"), "pct")),
        rows=tuple(rows), name="sheet-totals",
        caption=msg("report.sheets.national_caption", sheets=len(sheets)))
    blocks: list[Block] = [Heading(msg("report.sheets.national_heading"))]
    tables = ctx.election.tables
    if tables:
        blocks.append(Paragraph(msg("report.sheets.coverage", sheets=len(sheets), tables=tables,
                                    pct=_pct(len(sheets), tables))))
    else:
        blocks.append(Paragraph(msg("report.sheets.count", sheets=len(sheets))))
    if "registered" in sheets.data:
        known = int(sheets.data["registered"].notna().sum())
        if 0 < known < len(sheets):
            blocks.append(Paragraph(msg("report.sheets.registered_partial", known=known,
                                        sheets=len(sheets))))
    blocks.append(table)
    if ctx.options.figures:
        shown = order[:SHARES_SHOWN] if len(order) > SHARES_SHOWN + 1 else order
        labels = [candidate_label(ctx, k) for k in shown]
        pcts = [_pct(totals[k], valid) or 0.0 for k in shown]
        rest = sum(totals[k] for k in order[len(shown):])
        if len(order) > len(shown):  # two or more others (a single one is shown by name)
            labels.append(ctx.text("report.sheets.others", n=len(order) - len(shown)))
            pcts.append(_pct(rest, valid) or 0.0)
        fig = plot_shares(labels, pcts, xlabel=ctx.text("report.sheets.axis_pct_valid"),
                          value_labels=[cell(p, "pct", ctx.lang) for p in pcts])
        blocks.append(figure_block(fig, msg("report.sheets.national_figure",
                                            sheets=len(sheets)), name="sheet-shares",
                                   width=0.85))
    return blocks


def region_frame(sheets: SheetTable, ctx: ReportContext, level: str) -> pd.DataFrame:
    """Per-region totals with the metadata's region names where it has them."""
    agg = sheets.aggregate(level)
    names = {r.code: r.name for r in ctx.election.regions_at(level)}
    if names:
        agg["region_name"] = [names.get(str(c), n) for c, n in
                              zip(agg["region_code"], agg["region_name"], strict=True)]
    return agg


def region_blocks(sheets: SheetTable, ctx: ReportContext) -> list[Block]:
    """Totals of the two leading candidates by top-level region: table and dot plot."""
    if not sheets.levels:
        return []
    level = sheets.levels[0]
    agg = region_frame(sheets, ctx, level)
    order = ranked_candidates(sheets)
    first, second = order[0], order[1] if len(order) > 1 else order[0]
    valid = agg["valid"].astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share1 = np.where(valid > 0, 100 * agg[vote_column(first)].astype("float64") / valid,
                          np.nan)
        share2 = np.where(valid > 0, 100 * agg[vote_column(second)].astype("float64") / valid,
                          np.nan)
    others = valid - agg[vote_column(first)].astype("float64").to_numpy() - \
        agg[vote_column(second)].astype("float64").to_numpy()
    frame = pd.DataFrame({
        "region_code": agg["region_code"], "region_name": agg["region_name"],
        "tables": agg["tables"], "valid": agg["valid"],
        "first_votes": agg[vote_column(first)], "first_pct": share1,
        "second_votes": agg[vote_column(second)], "second_pct": share2,
        "others_pct": np.where(valid > 0, 100 * others / np.where(valid > 0, valid, 1), np.nan),
    })
    name1, name2 = candidate_label(ctx, first), candidate_label(ctx, second)
    level_label = level_name(level, ctx.lang)
    table = Table.from_frame(frame, (
        Column("region_name", msg("report.col.region", level=capitalize(level_label))),
        Column("tables", msg("report.col.sheets"), "int"),
        Column("valid", msg("report.col.valid"), "int"),
        Column("first_votes", msg("report.col.votes_of", candidate=name1), "int"),
        Column("first_pct", msg("report.col.pct_of", candidate=name1), "pct"),
        Column("second_votes", msg("report.col.votes_of", candidate=name2), "int"),
        Column("second_pct", msg("report.col.pct_of", candidate=name2), "pct"),
        Column("others_pct", msg("report.col.pct_others"), "pct"),
    ), name=f"sheet-totals-by-{level}", max_rows=REGION_ROWS,
        caption=msg("report.sheets.region_caption", level=level_label))
    blocks: list[Block] = [Heading(msg("report.sheets.region_heading", level=level_label)),
                           table]
    lead = int(np.sum(share1 > share2))
    blocks.insert(1, Paragraph(msg("report.sheets.region_lead", first=name1, second=name2,
                                   lead=lead, regions=len(frame), level=level_label)))
    if ctx.options.figures and len(frame) <= 80:
        ordered = frame.assign(_s=np.nan_to_num(share1, nan=-1.0)).sort_values(
            "_s", ascending=False, kind="stable")
        fig = plot_region_shares(
            ordered["region_name"].astype(str).tolist(), ordered["first_pct"].tolist(),
            ordered["second_pct"].tolist(), first_label=name1, second_label=name2,
            xlabel=ctx.text("report.sheets.axis_pct_valid"))
        blocks.append(figure_block(fig, msg("report.sheets.region_figure", first=name1,
                                            second=name2, level=level_label),
                                   name=f"sheet-shares-by-{level}"))
    blocks += map_blocks(frame, ctx, level, name1)
    return blocks


def case_tiles(ctx: ReportContext, level: str) -> dict[str, tuple[int, int]]:
    """The case's tile-grid layout for ``level`` (``tiles.toml`` of the case folder)."""
    from audit.cases import read_toml  # size-capped (issue 13)
    from audit.errors import MetadataError

    path = ctx.case.path / "tiles.toml"
    if not path.is_file():
        return {}
    try:
        data = read_toml(path)
    except MetadataError:
        return {}
    if data.get("level", level) != level or not isinstance(data.get("tiles"), dict):
        return {}
    out = {}
    for code, pos in data["tiles"].items():
        if isinstance(pos, list) and len(pos) == 2 and all(isinstance(v, int) for v in pos):
            out[str(code)] = (int(pos[0]), int(pos[1]))
    return out


def map_blocks(frame: pd.DataFrame, ctx: ReportContext, level: str, first: str
               ) -> list[Block]:
    """A tile-grid map by region: tally sheets held and the leader's share on them."""
    tiles = case_tiles(ctx, level)
    if not tiles or not ctx.options.figures:
        return []
    from matplotlib import colormaps

    from audit.figures.maps import plot_tile_maps
    from audit.report.i18n import cell

    codes = frame["region_code"].astype(str).tolist()
    held = dict(zip(codes, frame["tables"].astype(float), strict=True))
    share = dict(zip(codes, frame["first_pct"].astype(float), strict=True))
    names = dict(zip(codes, frame["region_name"].astype(str), strict=True))
    lang = ctx.lang
    fig = plot_tile_maps(tiles, names, [
        (ctx.text("report.sheets.map_held"), held, colormaps["Blues"],
         ctx.text("report.sheets.map_held_bar"),
         {c: cell(v, "int", lang) for c, v in held.items()}),
        (ctx.text("report.sheets.map_share", candidate=first), share, colormaps["Oranges"],
         ctx.text("report.sheets.map_share_bar"),
         {c: cell(v, "pct1", lang) for c, v in share.items()}),
    ], lang=lang)
    return [figure_block(fig, msg("report.sheets.map_caption", candidate=first,
                                  level=level_name(level, lang)), name=f"map-by-{level}")]


def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    """National and regional totals of the accepted tally sheets."""
    if ctx.sheets is None:  # the hook needs sheets: build_report does not call it without
        return []
    return [*national_blocks(ctx.sheets, ctx), *region_blocks(ctx.sheets, ctx)]


declare_section(SectionSpec("official", families=("sheets", "claims"), needs=("sheets", "claims"),
                            order=30))
register_section(SectionHook(section="official", family="sheets", build=build,
                             needs=("sheets",), methods=("sheets.totals",), order=10))
register_method(MethodNote.from_catalogue("sheets.totals", "totals"))
