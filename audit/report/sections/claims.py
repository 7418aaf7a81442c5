"""The dispute tracker in the report: claims timeline, official figures against the sheets,
what the uncovered tables would need, and which claims can both be true.

Results come from :func:`audit.checks.dispute.audit_dispute`, run once per report. It checks the
claims against the tally sheets read for the report (when any) and against the per-region
aggregates bundled with the case for the other sources, so the sections are filled from the
bundled files alone on a machine without the sheets. Nothing here draws random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audit.checks.claims import (
    CompatibilityResult,
    RoundPercentagesResult,
    SheetsResult,
    SuccessiveResult,
)
from audit.checks.dispute import DisputeResult
from audit.checks.result import CheckResult, Evidence, Message
from audit.ledger import OTHERS, Claim
from audit.references import cite
from audit.report.context import ReportContext
from audit.report.display import display, figure_labels
from audit.report.i18n import capitalize, cell, country_name, format_date, has_message
from audit.report.model import (
    Block,
    BulletList,
    Callout,
    Column,
    Heading,
    Paragraph,
    Table,
    msg,
)
from audit.report.names import name_of, names_of
from audit.report.registry import (
    MethodNote,
    SectionHook,
    SectionSpec,
    declare_section,
    register_method,
    register_section,
)
from audit.report.svg import figure_block

#: Sides listed first in the executive summary (then the others in timeline order).
SIDE_ORDER = ("official", "opposition")
#: At most this many sides are summarised one by one; the rest are counted.
SUMMARY_SIDES = 2
#: Candidates quoted per claim in the executive summary.
SUMMARY_FIGURES = 2
#: Verdicts of a claim against the sheets that the official section quotes.
QUOTED = ("violation", "violation_and_impossible", "impossible_registered",
          "impossible_own_totals", "beyond_covered", "violation_if_covering", "feasible",
          "matches")

ARITHMETIC_NOTE = "claims.arithmetic"


def run(ctx: ReportContext) -> list[CheckResult]:
    return ctx.dispute().results


def primary_source(d: DisputeResult, ctx: ReportContext) -> str | None:
    """The sheet source quoted in detail: the report's sheets, else the case's main source
    (bundled aggregates), else the first one."""
    labels = [s.label for s in d.sheets]
    for preferred in (s.label for s in d.sheets if s.kind == "tables"):
        return preferred
    main = ctx.case.main_source
    if main is not None and main.id in labels:
        return main.id
    return labels[0] if labels else None


# --------------------------------------------------------------------------------------------
# Words: claims, sides, times, figures
# --------------------------------------------------------------------------------------------


def side_label(side: str) -> Message:
    key = f"report.side.{side}"
    return msg(key) if has_message(key) else msg("report.side.unknown")


def claim_time(claim: Claim, lang: str) -> str:
    """When the claim was made, in the report's language (date, and time when stated)."""
    t = claim.time
    start = t.start.date() if t.kind != "no_later_than" else t.end.date()
    day = format_date(start, lang, "medium")
    clock = "" if t.kind == "date" or ((t.start.hour, t.start.minute) == (0, 0) and \
        t.kind != "at") else (t.start if t.kind != "no_later_than" else t.end).strftime("%H:%M")
    when = f"{day} {clock}".strip()
    if t.kind == "between":
        return msg("report.claims.time_between", start=when,
                   end=format_date(t.end.date(), lang, "medium")).render(lang)
    if t.kind in ("no_later_than", "no_earlier_than"):
        return msg(f"report.claims.time_{t.kind}", time=when).render(lang)
    return when


def _pct_text(text: str, lang: str) -> str:
    """An announced percentage as written ("51.20", "~70"), with the language's decimal
    mark and percent sign; the announced precision is kept."""
    number = text.replace(".", ",") if lang == "es" else text
    return f"{number}\u00a0%" if lang == "es" else f"{number}%"


def _size(claim: Claim, key: str) -> float:
    if key in claim.counts:
        return float(claim.counts[key].high)
    return float(claim.percentages[key].value) if key in claim.percentages else 0.0


def claim_figures(claim: Claim, ctx: ReportContext, limit: int | None = None) -> str:
    """The claim's headline figures in the report's language, largest first; with ``limit``,
    only that many candidates and a count of the rest."""
    lang = ctx.lang
    names = figure_labels(ctx)
    parts = []
    keys = sorted(dict.fromkeys([*claim.counts, *claim.percentages]),
                  key=lambda k: (k == OTHERS, -_size(claim, k)))
    shown = keys[:limit] if limit is not None else keys
    for key in shown:
        name = ctx.text("report.claims.others") if key == OTHERS else names.get(key, key)
        figure = []
        if key in claim.counts:
            q = claim.counts[key]
            figure.append(cell(q.low, "int", lang) if q.exact else q.text)
        if key in claim.percentages:
            pct = _pct_text(claim.percentages[key].text, lang)
            figure.append(f"({pct})" if key in claim.counts else pct)
        parts.append(f"{name} {' '.join(figure)}")
    if len(keys) > len(shown):
        rest = len(keys) - len(shown)
        parts.append(ctx.text("report.claims.more_one" if rest == 1 else "report.claims.more",
                              n=rest))
    if claim.turnout_pct is not None:
        parts.append(ctx.text("report.claims.turnout",
                              pct=_pct_text(claim.turnout_pct.text, lang)))
    if claim.endorses:
        parts.append(ctx.text("report.claims.endorses",
                              claims=", ".join(name_of(ctx, c) for c in claim.endorses)))
    return "; ".join(parts) if parts else ctx.text("report.claims.no_figures")


def claim_coverage(claim: Claim, ctx: ReportContext) -> str:
    cov = claim.coverage
    parts = []
    if cov.tables_pct is not None:
        parts.append(ctx.text("report.claims.coverage_pct",
                              pct=_pct_text(cov.tables_pct.text, ctx.lang)))
    if cov.tables is not None:
        parts.append(ctx.text("report.claims.coverage_tables", n=cov.tables))
    if cov.sample_units is not None:
        parts.append(ctx.text("report.claims.coverage_sample", n=cov.sample_units))
    if not claim.national:
        parts.append(ctx.text("report.claims.scope", scope=_scope_name(claim, ctx)))
    return ", ".join(parts)


def _scope_name(claim: Claim, ctx: ReportContext) -> str:
    level = claim.scope_level or (ctx.election.region_levels[0]
                                  if ctx.election.region_levels else "")
    names = {r.code: r.name for r in ctx.election.regions_at(level)} if level else {}
    return names.get(claim.scope, claim.scope)


# --------------------------------------------------------------------------------------------
# Section "claims": timeline, arithmetic, round percentages, successive claims, pairs
# --------------------------------------------------------------------------------------------


#: Candidates shown per claim in the timeline table (the JSON of the dispute has them all).
TIMELINE_FIGURES = 4


def timeline_table(d: DisputeResult, ctx: ReportContext) -> Table:
    rows = tuple((claim_time(c, ctx.lang), c.id, side_label(c.side), claim_coverage(c, ctx),
                  claim_figures(c, ctx, TIMELINE_FIGURES))
                 for c in d.ledger.timeline())
    return Table(columns=(
        Column("when", msg("report.col.when")),
        Column("claim", msg("report.col.claim"), "code"),
        Column("side", msg("report.col.side")),
        Column("coverage", msg("report.col.coverage")),
        Column("figures", msg("report.col.figures")),
    ), rows=rows, name="claims-timeline",
        caption=msg("report.claims.timeline_caption", n=len(rows)), max_rows=200)


def citations(d: DisputeResult, ctx: ReportContext) -> list[Block]:
    """Where each claim was made: the publisher, the date, and live links to the primary
    source, its archived copy and the copies read (the ledger's full citations are in the
    JSON and in the case's claims file)."""
    rows = []
    for c in d.ledger.timeline():
        src = c.source
        primary = src.primary or None
        copies = [u for u in src.urls if u != primary]
        date = format_date(_iso_date(src.date), ctx.lang, "medium") if _iso_date(src.date) \
            else claim_time(c, ctx.lang)
        status = _STATUS.get(src.primary_status)
        rows.append((name_of(ctx, c.id), src.name(ctx.lang) if src.labels else "—",
                     date.replace(" ", "\u00a0"),  # a date never wraps
                     primary or (msg(f"report.claims.primary_status.{status}") if status
                                 else None),
                     src.archived[0] if src.archived else None,
                     copies[0] if copies else None))
    statuses = {c.source.primary_status for c in d.ledger.timeline()}
    columns = [Column("claim", msg("report.col.claim")),
               Column("publisher", msg("report.col.publisher")),
               Column("date", msg("report.col.date")),
               Column("primary", msg("report.col.primary"), "link"),
               Column("archived", msg("report.col.archived"), "link"),
               Column("copy", msg("report.col.copy"), "link")]
    # a column of links none of the claims has (no archived copy confirmed) is left out
    keep = [i for i, col in enumerate(columns)
            if col.kind != "link" or any(row[i] is not None for row in rows)]
    return [Heading(msg("report.claims.citations_heading")),
            Table(columns=tuple(columns[i] for i in keep),
                  rows=tuple(tuple(row[i] for i in keep) for row in rows),
                  name="claims-sources", max_rows=200,
                  caption=msg("report.claims.sources_caption"),
                  note=msg("report.claims.sources_note",
                           cited=sum(c.source.primary_status == "cited by a third party"
                                     for c in d.ledger.timeline()))
                  if statuses & set(_STATUS) else None)]


#: ``primary_url_status`` of the claims ledger -> message key of the sources table.
_STATUS = {"not confirmed": "not_confirmed", "cited by a third party": "cited"}


def _iso_date(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _findings(results: Sequence[CheckResult], ctx: ReportContext, *,
              keep: Sequence[Evidence] | None = None) -> list[Block]:
    return [Callout(r.evidence, display(r.message, ctx)) for r in results
            if keep is None or r.evidence in keep]


def arithmetic_blocks(d: DisputeResult, ctx: ReportContext) -> list[Block]:
    results = d.arithmetic
    blocks: list[Block] = [Heading(msg("report.claims.arithmetic_heading"))]
    failed = [r for r in results if r.evidence is Evidence.IMPOSSIBLE]
    checked = sum(int(r.n) for r in results)
    blocks.append(Paragraph(msg("report.claims.arithmetic", claims=len(results),
                                checks=checked, failed=len(failed))))
    rows = tuple((r.claim, r.n, int(r.statistic or 0), r.evidence) for r in results)
    blocks.append(Table(columns=(
        Column("claim", msg("report.col.claim"), "code"),
        Column("checks", msg("report.col.checks"), "int"),
        Column("failed", msg("report.col.failed"), "int"),
        Column("evidence", msg("report.col.evidence"), "evidence"),
    ), rows=rows, name="claims-arithmetic", caption=msg("report.claims.arithmetic_caption")))
    blocks += _findings(failed, ctx)
    return blocks


def round_blocks(results: Sequence[RoundPercentagesResult], ctx: ReportContext
                 ) -> list[Block]:
    if not results:
        return []
    return [Heading(msg("report.claims.round_heading")),
            Paragraph(msg("report.claims.round")), *_findings(results, ctx)]


def successive_blocks(results: Sequence[SuccessiveResult], ctx: ReportContext
                      ) -> list[Block]:
    shown = [r for r in results if r.message.id != "claims.successive.not_comparable"]
    if not shown:
        return []
    return [Heading(msg("report.claims.successive_heading")),
            Paragraph(msg("report.claims.successive")), *_findings(shown, ctx)]


def _pair_sentence(row: Mapping[str, Any], ctx: ReportContext) -> Message:
    reason = display(Message(str(row["reason_id"]), dict(row["reason_params"] or {})), ctx)
    condition = Message(str(row["condition"]), dict(row["condition_params"] or {})) \
        if row["condition"] else msg("report.claims.no_condition")
    a = str(row["a"])  # a sentence may open with "the ... tally sheets", never with an id
    return msg("report.claims.pair", a=capitalize(_pair_label(a, ctx)),
               b=_pair_label(str(row["b"]), ctx), condition=condition, reason=reason)


def _pair_label(label: str, ctx: ReportContext) -> str:
    """A claim id, or "the <source> tally sheets" for the sheets held."""
    if label.startswith("sheets:"):
        return ctx.text("report.claims.sheets_label",
                        sheets=name_of(ctx, label.removeprefix("sheets:")))
    return name_of(ctx, label)


def compatibility_blocks(result: CompatibilityResult, ctx: ReportContext) -> list[Block]:
    blocks: list[Block] = [Heading(msg("report.claims.compat_heading")),
                           Paragraph(msg("report.claims.compat_intro")),
                           Paragraph(result.message)]
    table = result.table
    bad = table[(table["verdict"] == "incompatible") & table["via"].isna()]
    inherited = table[(table["verdict"] == "incompatible") & table["via"].notna()]
    if len(bad):
        blocks.append(BulletList(tuple(_pair_sentence({str(k): v for k, v in row.items()}, ctx)
                                       for row in bad.to_dict("records"))))
    if len(inherited):
        counts: dict[tuple[str, str], int] = {}
        for claim, via in zip(inherited["b"], inherited["via"], strict=True):
            counts[(str(claim), str(via))] = counts.get((str(claim), str(via)), 0) + 1
        blocks += [Paragraph(msg("report.claims.inherited", claim=claim, via=via, n=n))
                   for (claim, via), n in counts.items()]
    if ctx.options.figures and len(result.labels) > 1:
        from audit.figures.claims import plot_compatibility

        fig = plot_compatibility(result, lang=ctx.lang, names=names_of(ctx))
        blocks.append(figure_block(fig, msg("report.claims.compat_figure"),
                                   name="claims-compatibility",
                                   width=min(1.0, 0.3 + 0.035 * len(result.labels))))
    return blocks


def build_claims(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    d = ctx.dispute()
    blocks: list[Block] = [timeline_table(d, ctx)]
    if ctx.options.figures and any(c.has_figures for c in d.ledger.claims):
        from audit.figures.claims import plot_claims_timeline

        fig = plot_claims_timeline(d, labels=figure_labels(ctx), lang=ctx.lang,
                                   title=ctx.text("report.claims.timeline_title", election=(
                                       f"{country_name(ctx.election.country, ctx.lang)}, "
                                       f"{format_date(ctx.election.date, ctx.lang)}")))
        blocks.append(figure_block(fig, msg("report.claims.timeline_figure"),
                                   name="claims-timeline"))
    blocks += arithmetic_blocks(d, ctx)
    blocks += round_blocks(d.round_percentages, ctx)
    blocks += successive_blocks(d.successive, ctx)
    blocks += compatibility_blocks(d.compatibility, ctx)
    blocks += citations(d, ctx)
    return blocks


# --------------------------------------------------------------------------------------------
# Section "official": the official figures against the sheets, nationally and by region
# --------------------------------------------------------------------------------------------


def official_claims(d: DisputeResult) -> list[Claim]:
    return [c for c in d.ledger.timeline() if c.side == "official" and c.has_counts]


def _against(d: DisputeResult, claim: str, sheets: str | None = None) -> list[SheetsResult]:
    return [r for r in d.against_sheets if r.claim == claim
            and (sheets is None or r.sheets == sheets)]


def _sources_paragraph(d: DisputeResult, ctx: ReportContext) -> Paragraph:
    items = [ctx.text(f"report.claims.source_{s.kind}", label=name_of(ctx, s.label),
                      tables=s.summary.tables)
             for s in d.sheets]
    return Paragraph(msg("report.claims.sources", sources="; ".join(items)))


def against_table(result: SheetsResult, ctx: ReportContext) -> Table:
    names = figure_labels(ctx)
    rows = []
    for row in result.table.to_dict("records"):
        key = str(row["key"])
        label = ctx.text("report.claims.others") if key == OTHERS else (
            ctx.text(f"report.row.{key}") if key in ("valid", "null") else names.get(key, key))
        rows.append((label, row["claim"], row["sheets"], row["excess"], row["robust_excess"],
                     row["need"]))
    return Table(columns=(
        Column("key", msg("report.col.candidate")),
        Column("claim", msg("report.col.claim_votes", claim=result.claim), "int"),
        Column("sheets", msg("report.col.sheet_votes", sheets=result.sheets), "int"),
        Column("excess", msg("report.col.excess"), "signed"),
        Column("robust", msg("report.col.robust_excess"), "signed"),
        Column("need", msg("report.col.need"), "int"),
    ), rows=tuple(rows), name=f"against-{result.claim}-{result.sheets}",
        caption=msg("report.claims.against_caption", claim=result.claim,
                    sheets=result.sheets))


def regional_table(d: DisputeResult, primary: str, claims: Sequence[Claim],
                   ctx: ReportContext) -> Table | None:
    names = figure_labels(ctx)
    rows = []
    for claim in claims:
        for res in _against(d, claim.id, primary):
            if res.table.empty:
                continue
            for row in res.table.to_dict("records"):
                key = str(row["key"])
                if key in ("valid", "null"):
                    continue
                label = ctx.text("report.claims.others") if key == OTHERS else \
                    names.get(key, key)
                rows.append((_scope_name(claim, ctx), label, row["claim"], row["sheets"],
                             row["excess"], res.evidence))
    if not rows:
        return None
    return Table(columns=(
        Column("region", msg("report.col.region", level=ctx.text("report.claims.region"))),
        Column("candidate", msg("report.col.candidate")),
        Column("claim", msg("report.col.claim_votes_plain"), "int"),
        Column("sheets", msg("report.col.sheet_votes", sheets=primary), "int"),
        Column("excess", msg("report.col.excess"), "signed"),
        Column("evidence", msg("report.col.evidence"), "evidence"),
    ), rows=tuple(rows), name="against-by-region",
        caption=msg("report.claims.regional_caption", sheets=primary))


def build_official(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    d = ctx.dispute()
    primary = primary_source(d, ctx)
    claims = official_claims(d)
    if primary is None:
        return []
    if not claims:
        return [Paragraph(msg("report.claims.no_official"))]
    blocks: list[Block] = [Heading(msg("report.claims.official_heading")),
                           _sources_paragraph(d, ctx)]
    national = [c for c in claims if c.national]
    for claim in national:
        blocks.append(Heading(msg("report.claims.claim_heading", claim=claim.id,
                                  when=claim_time(claim, ctx.lang))))
        detail = _against(d, claim.id, primary)
        if detail and not detail[0].table.empty:
            blocks.append(against_table(detail[0], ctx))
        for res in _against(d, claim.id):
            if res.verdict in QUOTED or res.evidence is Evidence.IMPOSSIBLE:
                blocks.append(Callout(res.evidence, display(res.message, ctx)))
        if ctx.options.figures and detail and not detail[0].table.empty:
            from audit.figures.claims import plot_official_vs_sheets

            keys = [k for k in detail[0].table.sort_values("claim", ascending=False)["key"]
                    if k not in ("valid", "null", OTHERS)][:2]
            fig = plot_official_vs_sheets(detail[0], keys=keys, labels=figure_labels(ctx),
                                          lang=ctx.lang, names=names_of(ctx))
            blocks.append(figure_block(fig, msg("report.claims.against_figure",
                                                claim=claim.id, sheets=primary),
                                       name=f"against-{claim.id}"))
    regional = regional_table(d, primary, [c for c in claims if not c.national], ctx)
    if regional is not None:
        blocks += [Heading(msg("report.claims.regional_heading")), regional]
    return blocks


# --------------------------------------------------------------------------------------------
# Section "uncovered": what the tables without sheets would need
# --------------------------------------------------------------------------------------------


def _own_capacity(feas: Mapping[str, Any]) -> int | None:
    """At most how many votes the claim's own totals leave for the tables without sheets
    (never negative: a claim below the sheets leaves none)."""
    own = feas.get("own_totals") or {}
    if own.get("capacity") is not None:
        return max(0, int(own["capacity"]))
    left = feas.get("valid_left")
    return None if left is None else max(0, int(left))


def need_table(result: SheetsResult, ctx: ReportContext) -> Table:
    feas = result.feasibility
    dist = feas.get("distribution", {})
    lead = figure_labels(ctx).get(str(feas.get("lead")), str(feas.get("lead")))
    uncovered = feas.get("registered_without_sheets") or {}

    def pct(x: Any) -> float | None:
        return None if x is None else 100 * float(x)

    rows: list[tuple[Any, ...]] = [
        (msg("report.uncovered.tables_without"), feas.get("tables_without_sheets"), None),
        (msg("report.uncovered.registered_without"), uncovered.get("point"), None),
        (msg("report.uncovered.voters_left"), _own_capacity(feas), None),
        (msg("report.uncovered.need_total"), feas.get("need_total"),
         pct(feas.get("required_turnout"))),
        (msg("report.uncovered.lead_need", candidate=lead), feas.get("lead_need"),
         pct(feas.get("lead_share_of_registered"))),
        (msg("report.uncovered.highest", unit=msg(f"report.uncovered.unit_{dist.get('unit')}"
                                                 if dist.get("unit") in ("table", "region")
                                                 else "report.uncovered.unit_unit")),
         None, pct(dist.get("lead_share_of_registered_max"))),
    ]
    return Table(columns=(
        Column("quantity", msg("report.col.quantity")),
        Column("votes", msg("report.col.number"), "int"),
        Column("pct", msg("report.col.pct_registered"), "pct1"),
    ), rows=tuple(rows), name=f"need-{result.claim}-{result.sheets}",
        caption=msg("report.uncovered.caption", claim=result.claim, sheets=result.sheets))


def build_uncovered(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    d = ctx.dispute()
    primary = primary_source(d, ctx)
    if primary is None:
        return []
    blocks: list[Block] = []
    for claim in [c for c in official_claims(d) if c.national]:
        for res in _against(d, claim.id, primary):
            if not res.feasibility.get("lead"):
                continue
            blocks += [Heading(msg("report.claims.claim_heading", claim=claim.id,
                                   when=claim_time(claim, ctx.lang))),
                       Callout(res.evidence, display(res.message, ctx)), need_table(res, ctx)]
            if ctx.options.figures and res.feasibility.get("distribution", {}).get(
                    "histograms"):
                from audit.figures.claims import plot_uncovered_need

                fig = plot_uncovered_need(res, labels=figure_labels(ctx), lang=ctx.lang,
                                          names=names_of(ctx))
                blocks.append(figure_block(fig, msg("report.uncovered.figure", claim=claim.id,
                                                    sheets=primary),
                                           name=f"uncovered-{claim.id}"))
    if not blocks:
        blocks.append(Paragraph(msg("report.uncovered.none")))
    return blocks


# --------------------------------------------------------------------------------------------
# Executive summary: what each side claims; what the dispute shows
# --------------------------------------------------------------------------------------------


def _side_claims(d: DisputeResult) -> list[Claim]:
    """The latest national claim with counts of each side, official and opposition first."""
    latest: dict[str, Claim] = {}
    for c in d.ledger.timeline():
        if c.has_counts and c.national:
            latest[c.side] = c
    order = [s for s in SIDE_ORDER if s in latest] + \
        [s for s in latest if s not in SIDE_ORDER]
    return [latest[s] for s in order]


def build_summary_claims(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    d = ctx.dispute()
    chosen = _side_claims(d)
    blocks: list[Block] = []
    for claim in chosen[:SUMMARY_SIDES]:
        side = capitalize(ctx.text(side_label(claim.side).id))
        blocks.append(Paragraph(msg("report.claims.side_claim", side=side,
                                    claim=claim.id, when=claim_time(claim, ctx.lang),
                                    figures=claim_figures(claim, ctx, SUMMARY_FIGURES),
                                    coverage=claim_coverage(claim, ctx) or "—")))
    return blocks


def summary(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
    """The dispute's key findings: claims the sheets contradict, too-round figures, pairs."""
    d = ctx.dispute()
    blocks: list[Block] = []
    table = d.compatibility.table
    sheet_pairs = table[(table["verdict"] == "incompatible") & table["via"].isna()
                        & table["a"].astype(str).str.startswith("sheets:")]
    primary = f"sheets:{primary_source(d, ctx)}"
    sheet_pairs = sheet_pairs.assign(_first=sheet_pairs["a"] != primary).sort_values(
        "_first", kind="stable").drop_duplicates("b")
    for row in sheet_pairs.to_dict("records"):
        reason = display(Message(str(row["reason_id"]), dict(row["reason_params"] or {})), ctx)
        blocks.append(Callout(Evidence.IMPOSSIBLE, msg(
            "report.claims.summary_sheets", claim=str(row["b"]),
            sheets=str(row["a"]).removeprefix("sheets:"), reason=reason)))
    for res in d.round_percentages:
        if res.hits and res.evidence not in (Evidence.CONSISTENT, Evidence.NOT_TESTED):
            blocks.append(Callout(res.evidence, display(res.message, ctx)))
    if len(table):
        blocks.append(Paragraph(d.compatibility.message))
    return blocks


declare_section(SectionSpec("claims", families=("claims",), needs=("claims",), order=20))
register_section(SectionHook(section="claims", family="claims", build=build_claims, run=run,
                             needs=("claims",), summary=summary, order=10))
register_section(SectionHook(section="official", family="claims", build=build_official,
                             run=run, needs=("claims",), order=20))
register_section(SectionHook(section="uncovered", family="feasibility",
                             build=build_uncovered, run=lambda ctx: [], needs=("claims",),
                             methods=("claims.against_sheets",), order=10))
register_section(SectionHook(section="summary", family="claims", build=build_summary_claims,
                             run=run, needs=("claims",)))

_REFS_ROUND = cite("gelman2024", "tao2024", "rozenas2017")
_REFS_SAMPLE = cite("hoeffding1963")
for _test, _refs in (("arithmetic", ()), ("round_percentages", _REFS_ROUND),
                     ("successive", _REFS_SAMPLE), ("against_sheets", ()),
                     ("compatibility", _REFS_SAMPLE)):
    register_method(MethodNote.from_catalogue(f"claims.{_test}", f"claims.{_test}", _refs))
