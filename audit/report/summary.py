"""The executive summary: the first page, in words a journalist can quote.

It says, with the numbers and the claims' human labels (never ids):

1. what each side announced (every national official claim with counts, the latest of the
   other sides), and what the tally sheets held show (coverage, the two leaders' shares);
2. the strongest findings, ranked, one sentence each: what the tables without sheets would
   need for an official claim to be true against the highest share any table held shows,
   claims the sheets alone contradict, too-round bulletins, independent copies that agree;
3. what the statistics of the tally sheets show and how strong it is, written by ONE function,
   :func:`statistics_blocks`, from a list of :class:`Finding` (test, scope, candidate,
   evidence, p, z, sentence). Today the findings come from the report's forensics battery
   (:func:`battery_findings`); any other source of findings (a verdict object) can feed the
   same function;
4. what the evidence cannot show.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.checks._result import CheckResult, Evidence, Message
from audit.report.blocks import EVIDENCE_ORDER, FINDINGS
from audit.report.context import ReportContext
from audit.report.display import display, figure_labels
from audit.report.i18n import capitalize
from audit.report.model import Block, BulletList, Callout, Heading, Paragraph, Section, msg

#: Families whose results are statistics of the tally sheets.
STATISTICS_FAMILIES = ("digits", "turnout", "fingerprints")
#: At most this many statistical findings are quoted one by one.
STATISTICS_QUOTED = 3
#: At most this many key findings are quoted.
KEY_FINDINGS = 5


@dataclass(frozen=True)
class Finding:
    """One statistical result as the summary needs it.

    ``p`` is the p-value after the multiple-testing correction where there is one; ``z`` the
    standardised distance from the null (None where the test has none); ``sentence`` the
    result's own plain-language message.
    """

    test: str
    scope: str
    candidate: str | None
    evidence: Evidence
    p: float | None
    z: float | None
    sentence: Message

    @property
    def rank(self) -> tuple[int, float, float]:
        """Sort key: strongest evidence first, then smallest p, then largest |z|."""
        p = self.p if self.p is not None and not math.isnan(self.p) else 2.0
        z = -abs(self.z) if self.z is not None and not math.isnan(self.z) else 0.0
        return EVIDENCE_ORDER.index(self.evidence), p, z


def _calibrated(test: str) -> bool:
    from audit.checks.registry import registered

    specs = {spec.name: spec for spec in registered()}
    return specs[test].calibrated if test in specs else True


def battery_findings(used: Mapping[str, Sequence[CheckResult]]) -> list[Finding]:
    """The findings of the report's forensics battery: every calibrated, tested result of
    the statistics families (textbook nulls are left to their sections)."""
    out = []
    for family in STATISTICS_FAMILIES:
        for r in used.get(family, ()):
            if r.evidence is Evidence.NOT_TESTED or not _calibrated(r.test):
                continue
            p = r.pvalue_adjusted if r.pvalue_adjusted is not None else r.pvalue
            z = getattr(r, "z", None)
            out.append(Finding(test=r.test, scope=str(r.params.get("scope") or "national"),
                               candidate=r.params.get("candidate") or None,
                               evidence=r.evidence, p=p,
                               z=float(z) if isinstance(z, (int, float)) else None,
                               sentence=r.message))
    return out


def statistics_blocks(findings: Sequence[Finding], ctx: ReportContext) -> list[Block]:
    """What the statistics of the tally sheets show and how strong it is.

    One paragraph counting the tests, where they ran and how many speak against honest
    counting after correction, followed by the strongest findings (at most
    :data:`STATISTICS_QUOTED`), each with its own sentence and evidence level.
    """
    if not findings:
        return [Paragraph(msg("summary.stats_none_run"))]
    scopes = len({f.scope for f in findings if f.scope != "national"})
    flagged = sorted((f for f in findings if f.evidence in FINDINGS), key=lambda f: f.rank)
    ps = [f.p for f in findings if f.p is not None and not math.isnan(f.p)]
    if not flagged:
        return [Paragraph(msg("summary.stats_clean", n=len(findings), regions=scopes,
                              p=min(ps) if ps else float("nan")))]
    strongest = flagged[0].evidence
    blocks: list[Block] = [Paragraph(msg(
        "summary.stats_flagged", n=len(findings), regions=scopes, k=len(flagged),
        level=msg(f"summary.level.{strongest.value}")))]
    blocks += [Callout(f.evidence, display(f.sentence, ctx))
               for f in flagged[:STATISTICS_QUOTED]]
    return blocks


# --------------------------------------------------------------------------------------------
# What was announced, what the sheets show
# --------------------------------------------------------------------------------------------


def _when(claim: Any, lang: str) -> str:
    from audit.report.sections.claims import claim_time

    return claim_time(claim, lang)


def announced_blocks(ctx: ReportContext) -> list[Block]:
    """Each national official claim with counts, and the latest of each other side."""
    from audit.report.sections.claims import claim_figures, dispute

    d = dispute(ctx)
    official = [c for c in d.ledger.timeline() if c.side == "official" and c.has_counts
                and c.national]
    latest: dict[str, Any] = {}
    for c in d.ledger.timeline():
        if c.has_counts and c.national and c.side == "opposition":
            latest[c.side] = c
    items = [msg("summary.announced_item", label=capitalize(c.name(ctx.lang)),
                 when=_when(c, ctx.lang), figures=claim_figures(c, ctx, 3))
             for c in [*official, *latest.values()]]
    if not items:
        return []
    return [Paragraph(msg("summary.announced")), BulletList(tuple(items))]


def sheets_blocks(ctx: ReportContext) -> list[Block]:
    """What the tally sheets held show: coverage and the two leaders' shares."""
    sheets = ctx.sheets
    if sheets is None or not len(sheets):
        return []
    from audit.report.sections.sheets import ranked_candidates

    totals = sheets.totals()
    valid = sheets.total("valid") or 0
    order = ranked_candidates(sheets)
    names = {c.key: c.name for c in ctx.election.candidates}
    first, second = order[0], order[1] if len(order) > 1 else order[0]
    source = ctx.source.name(ctx.lang) if ctx.source is not None else \
        ctx.text("summary.own_sheets")
    params = {"source": source, "sheets": len(sheets),
              "first": names.get(first, first), "first_votes": totals[first],
              "first_pct": 100 * totals[first] / valid if valid else float("nan"),
              "second": names.get(second, second), "second_votes": totals[second],
              "second_pct": 100 * totals[second] / valid if valid else float("nan")}
    if ctx.election.tables:
        return [Paragraph(msg("summary.sheets_coverage", tables=ctx.election.tables,
                              coverage=100 * len(sheets) / ctx.election.tables, **params))]
    return [Paragraph(msg("summary.sheets", **params))]


# --------------------------------------------------------------------------------------------
# Key findings
# --------------------------------------------------------------------------------------------


def _need_sentence(res: Any, ctx: ReportContext) -> Message | None:
    """The uncovered-tables requirement of an official claim, when it is beyond what any
    table held shows (or beyond their registered voters)."""
    feas = res.feasibility
    dist = feas.get("distribution") or {}
    uncovered = feas.get("registered_without_sheets") or {}
    share, top = feas.get("lead_share_of_registered"), dist.get("lead_share_of_registered_max")
    if not feas.get("lead") or share is None or top is None or share <= top:
        return None
    labels = figure_labels(ctx)
    unit = "table" if dist.get("unit") == "table" else "region"
    return msg(f"summary.need_{unit}", claim=res.claim,
               lead=labels.get(str(feas["lead"]), str(feas["lead"])),
               need=feas["lead_need"], tables=feas.get("tables_without_sheets") or 0,
               registered=uncovered.get("point"), share=100 * share,
               turnout=100 * feas.get("required_turnout", float("nan")), max_share=100 * top)


def key_findings(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                 ) -> list[tuple[Evidence, Message]]:
    """The strongest findings of the dispute and of the cross-check, one sentence each."""
    from audit.report.sections.claims import _primary, dispute

    out: list[tuple[Evidence, Message]] = []
    if "claims" in used or ctx.has("claims"):
        d = dispute(ctx)
        primary = _primary(d, ctx)
        against = [r for r in d.against_sheets if r.sheets == primary]
        official = {c.id for c in d.ledger.timeline() if c.side == "official" and c.national}
        for res in against:
            if res.claim not in official:
                continue
            sentence = _need_sentence(res, ctx)
            if sentence is not None:
                out.append((Evidence.IMPOSSIBLE if res.evidence is Evidence.IMPOSSIBLE
                            else Evidence.NOT_TESTED, sentence))
        for res in against:
            if res.claim in official and res.verdict.startswith("violation") and \
                    res.evidence is Evidence.IMPOSSIBLE and "held" in res.message.params:
                p = res.message.params
                out.append((Evidence.IMPOSSIBLE, msg(
                    "summary.exceeds", claim=res.claim, sheets=res.sheets,
                    key=figure_labels(ctx).get(str(p["key"]), str(p["key"])),
                    held=p["held"], stated=p["stated"], robust=p.get("robust", 0))))
        for rr in d.round_percentages:
            if rr.hits and rr.evidence in FINDINGS:
                out.append((rr.evidence, msg("summary.round", claim=rr.claim,
                                             p=rr.pvalue if rr.pvalue is not None
                                             else float("nan"))))
    from audit.checks.crosscheck import CrosscheckResult
    from audit.checks.uncovered import UncoveredEstimate

    labels = figure_labels(ctx)
    for r in used.get("estimate", ()):
        if isinstance(r, UncoveredEstimate) and r.registered_uncovered is not None and \
                r.margin.get("decided_without_assumption"):
            m = r.margin
            out.append((Evidence.NOT_TESTED, msg(
                "summary.bound", first=labels.get(m["first"], m["first"]),
                second=labels.get(m["second"], m["second"]), gap=m["held_gap"],
                registered=r.registered_uncovered, tables=r.uncovered_tables)))

    for r in used.get("crosscheck", ()):
        if isinstance(r, CrosscheckResult) and r.n_matched:
            out.append((Evidence.CONSISTENT, msg(
                "summary.crosscheck", agree=r.n_agree, matched=r.n_matched, a=r.label_a,
                b=r.label_b, rate=100 * r.agreement_rate)))
    order = {e: i for i, e in enumerate(EVIDENCE_ORDER)}
    ranked = sorted(enumerate(out), key=lambda t: (order[t[1][0]] if t[1][0] is not
                                                    Evidence.NOT_TESTED else 0.5, t[0]))
    return [item for _, item in ranked][:KEY_FINDINGS]


# --------------------------------------------------------------------------------------------
# The section
# --------------------------------------------------------------------------------------------


def build_summary(ctx: ReportContext, built: Mapping[str, Section],
                  used: Mapping[str, Sequence[CheckResult]]) -> Section:
    """The executive summary section (first in the report, on page 1 of the PDF)."""
    blocks: list[Block] = []
    if ctx.simulated:
        blocks.append(Callout(Evidence.NOT_TESTED, msg("report.summary.simulated")))
    context = ctx.case_context()
    if context.get("summary"):
        blocks.append(Paragraph(msg("summary.context", text=context["summary"])))
    if ctx.has("claims"):
        blocks += announced_blocks(ctx)
    blocks += _hook_blocks(ctx, used)
    blocks += sheets_blocks(ctx)
    if not blocks:
        blocks.append(Paragraph(msg("report.summary.claims_none")))
    findings = key_findings(ctx, used)
    extra = _family_summaries(ctx, used)
    if findings or extra:
        blocks.append(Heading(msg("summary.findings_heading")))
        blocks += [Callout(level, message) for level, message in findings]
        blocks += extra
    blocks.append(Heading(msg("summary.stats_heading")))
    if ctx.sheets is None:
        blocks.append(Paragraph(msg("summary.stats_no_sheets")))
    else:
        blocks += statistics_blocks(battery_findings(used), ctx)
    blocks += [Heading(msg("summary.limits_heading")), Paragraph(
        msg("summary.limits_case", text=context["cannot"]) if context.get("cannot")
        else msg("summary.limits"))]
    missing = _missing(built)
    if missing:
        blocks += [Paragraph(msg("report.summary.missing")), BulletList(tuple(missing))]
    return Section(id="summary", title=msg("report.section.summary.title"),
                   blocks=tuple(blocks))


#: Families the summary words itself (the others' ``summary`` hooks are added as given).
OWN_FAMILIES = frozenset({"claims", "crosscheck", "estimate", *STATISTICS_FAMILIES})


def _hook_blocks(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                 ) -> list[Block]:
    """What other registered ``summary`` section hooks add (what a side claims)."""
    from audit.report.registry import hooks

    blocks: list[Block] = []
    from audit.report.sections.claims import build_summary_claims

    for hook in hooks("summary"):
        if hook.build is build_summary_claims or not all(ctx.has(n) for n in hook.needs):
            continue
        results = tuple(ctx.results.get(hook.family, ())) or tuple(used.get(hook.family, ()))
        blocks += hook.build(results, ctx)
    return blocks


def _family_summaries(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                      ) -> list[Block]:
    """The key finding of each other family with a ``summary`` hook."""
    from audit.report.registry import hooks

    blocks: list[Block] = []
    done: set[str] = set()
    for hook in hooks():
        if hook.summary is None or hook.family in OWN_FAMILIES or hook.family in done or \
                hook.family not in used:
            continue
        done.add(hook.family)
        blocks += hook.summary(used[hook.family], ctx)
    return blocks


def _missing(built: Mapping[str, Section]) -> list[Message]:
    from audit.report.model import MissingInput

    items: list[Message] = []
    for section in built.values():
        for line in section.blocks:
            if isinstance(line, MissingInput):
                item = msg("report.summary.missing_item", section=section.title,
                           needs=line.needs)
                if item not in items:
                    items.append(item)
    return items


__all__ = ["Finding", "battery_findings", "build_summary", "key_findings",
           "statistics_blocks"]
