"""The executive summary: the first page, in words a journalist can quote.

It says, with the numbers and the claims' human labels (never ids):

1. what each side announced (every national official claim with counts, the latest of the
   other sides), and what the tally sheets held show (coverage, the two leaders' shares);
2. the strongest findings, ranked, one sentence each: what the tables without sheets would
   need for an official claim to be true against the highest share any table held shows,
   claims the sheets alone contradict, too-round bulletins, independent copies that agree;
3. what the statistics of the tally sheets show and how strong it is, written by ONE function,
   :func:`statistics_blocks`, from the national :class:`~audit.checks.forensics.Verdict` of the
   report's forensics battery (the verdict ``election-audit forensics`` prints): how strong,
   the findings ranked by strength with the test and the candidate behind each, where
   regional results stand out; descriptive results (textbook laws, uncalibrated checks) are
   never counted as evidence there;
4. what the evidence cannot show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audit.checks.forensics import NATIONAL, Entry, Verdict, verdict_of
from audit.checks.forensics import Finding as VerdictFinding
from audit.checks.result import CheckResult, Evidence, Message
from audit.report.blocks import EVIDENCE_ORDER, FINDINGS, test_label
from audit.report.context import ReportContext
from audit.report.display import figure_labels, level_label
from audit.report.i18n import capitalize, has_message, join_list, text
from audit.report.model import Block, BulletList, Callout, Heading, Paragraph, Section, msg

#: Families whose results are statistics of the tally sheets.
STATISTICS_FAMILIES = ("digits", "turnout", "fingerprints")
#: At most this many national statistical findings are quoted one by one.
STATISTICS_QUOTED = 4
#: At most this many flagged regions are named.
REGIONS_QUOTED = 3
#: At most this many key findings are quoted.
KEY_FINDINGS = 5


def statistics_entries(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                       ) -> list[Entry]:
    """The battery entries of the statistics families: the report's forensics battery
    (adjusted as ``election-audit forensics`` adjusts them) for the families whose results
    the report shows came from it; the results of another source (passed in by the caller,
    or a family hook of its own) as they are."""
    from audit.checks.registry import registered

    b = ctx.state.battery
    battery = {id(e.result): e for e in (b.entries if b is not None else ())}
    entries: list[Entry] = []
    # the families of the sheets' statistics, and any other family registered for the battery
    for family in dict.fromkeys((*STATISTICS_FAMILIES, *(s.family for s in registered()))):
        shown = used.get(family, ())
        if shown and all(id(r) in battery for r in shown):
            entries += [e for e in b.entries if e.family == family] if b is not None else []
        else:
            entries += [Entry(scope=str(r.params.get("scope") or NATIONAL), family=family,
                              calibrated=_calibrated(r.test)
                              and r.evidence is not Evidence.NOT_TESTED, result=r)
                        for r in shown]
    return entries


def statistics_verdict(ctx: ReportContext, entries: Sequence[Entry]) -> Verdict | None:
    """The national verdict on the statistics of the tally sheets (None: no test ran):
    :func:`audit.checks.forensics.verdict_of`, the one place a verdict is computed (the battery's
    own :meth:`~audit.report.battery.Battery.verdict` when nothing was passed
    in)."""
    if not entries:
        return None
    b = ctx.state.battery
    candidates = b.candidates if b is not None else tuple(dict.fromkeys(
        e.result.candidate for e in entries if e.result.candidate))
    return verdict_of(entries, candidates=candidates, scopes=b.scopes if b is not None else ())


def closest(entries: Sequence[Entry]) -> VerdictFinding | None:
    """The calibrated national result nearest to a flag (smallest adjusted p, then the
    largest z), for the sentence that says nothing was flagged."""

    national = [e for e in entries if e.calibrated and e.scope == NATIONAL
                and e.result.pvalue_adjusted is not None]
    if not national:
        return None
    return VerdictFinding.of(min(national, key=lambda e: (e.result.pvalue_adjusted,
                                                   -(e.result.z or 0.0), e.result.test)))


def _calibrated(test: str) -> bool:
    from audit.checks.registry import registered

    specs = {spec.name: spec for spec in registered()}
    return specs[test].calibrated if test in specs else True


def _candidates(candidates: Sequence[str], ctx: ReportContext) -> str:
    """The candidates tested, with why each ("Maduro (declared winner) and González (leader
    on the sheets)"), joined in the report's language."""
    labels = figure_labels(ctx)
    leader = ctx.sheets.leader() if ctx.sheets is not None and len(ctx.sheets) else None
    items = []
    for c in candidates:
        roles = ([ctx.text("forensics.role.leader")] if c == leader else []) + \
            ([ctx.text("forensics.role.declared")] if c == ctx.election.declared_winner
             else [])
        name = labels.get(c, c)
        items.append(ctx.text("forensics.candidate_roles", candidate=name,
                              roles=", ".join(roles)) if roles else name)
    return _join(items, ctx) if items else "—"


def _strength(finding: VerdictFinding) -> Message:
    return msg("summary.stat_strength", z=finding.z if finding.z is not None else float("nan"),
               p=finding.pvalue_adjusted if finding.pvalue_adjusted is not None
               else float("nan"))


def finding_sentence(finding: VerdictFinding, ctx: ReportContext) -> Message:
    """One statistical finding in words a journalist can quote: the test, the candidate,
    what the counts show (from the result's own numbers) and how strong (z, corrected p)."""
    labels = figure_labels(ctx)
    candidate = labels.get(finding.candidate or "", finding.candidate or "")
    params = dict(finding.message.params)
    common = {"test": test_label(finding.test), "candidate": candidate,
              "strength": _strength(finding)}
    family, _, name = finding.test.partition(".")
    needs = {"turnout.integer_percentages": ("observed", "stations", "excess", "expected"),
             "fingerprints.corner": ("upper", "lower", "corner")}
    if finding.test in needs and all(k in params for k in needs[finding.test]) and candidate:
        chosen = {k: params[k] for k in needs[finding.test]}
        return msg(f"summary.stat.{name}", **chosen, **common)
    if family == "digits" and has_message(f"summary.stat_what.{name}") and candidate:
        return msg("summary.stat.digits",
                   what=msg(f"summary.stat_what.{name}", candidate=candidate), **common)
    return msg("summary.stat.generic", **common)


def statistics_blocks(verdict: Verdict | None, ctx: ReportContext, *,
                      nearest: VerdictFinding | None = None) -> list[Block]:
    """What the statistics of the tally sheets show and how strong it is, from the verdict.

    A paragraph with the verdict (how strong, how many of the calibrated national tests,
    for which candidates), then the national findings ranked by strength (at most
    :data:`STATISTICS_QUOTED`), each with the test behind it and the candidate, then where
    regional results stand out, and a line saying that descriptive statistics (textbook
    laws, uncalibrated checks) are not counted as evidence. Descriptive results never
    appear here: the verdict holds calibrated results only.
    """
    if verdict is None or verdict.family_size == 0:
        return [Paragraph(msg("summary.stats_none_run"))]
    candidates = _candidates(verdict.candidates, ctx)
    labels = figure_labels(ctx)
    blocks: list[Block] = []
    if verdict.flagged:
        one = "_one" if len(verdict.findings) == 1 else ""
        blocks.append(Paragraph(msg(
            f"summary.stats_flagged{one}", n=verdict.family_size, k=len(verdict.findings),
            level=msg(f"summary.level.{verdict.findings[0].evidence.value}"),
            candidates=candidates)))
        blocks += [Callout(f.evidence, finding_sentence(f, ctx))
                   for f in verdict.findings[:STATISTICS_QUOTED]]
        if len(verdict.findings) > STATISTICS_QUOTED:
            rest = len(verdict.findings) - STATISTICS_QUOTED
            blocks.append(Paragraph(msg("summary.stats_more_one" if rest == 1
                                        else "summary.stats_more", k=rest)))
    elif nearest is None:
        blocks.append(Paragraph(msg("summary.stats_clean_none", n=verdict.family_size,
                                    candidates=candidates)))
    else:
        blocks.append(Paragraph(msg(
            "summary.stats_clean", n=verdict.family_size, candidates=candidates,
            test=test_label(nearest.test), p=nearest.pvalue_adjusted,
            candidate=labels.get(nearest.candidate or "", nearest.candidate or "—"))))
    if verdict.regional:
        groups: dict[tuple[str, str], list[str]] = {}
        for f in verdict.regional[:REGIONS_QUOTED]:  # regions of one test and candidate
            groups.setdefault((f.test, f.candidate or ""), []).append(f.scope_name or f.scope)
        regions = [msg("summary.stats_region", region=_join(names, ctx), test=test_label(test),
                       candidate=labels.get(candidate, candidate))
                   for (test, candidate), names in groups.items()]
        one = "_one" if len(verdict.regional) == 1 else ""
        blocks.append(Paragraph(msg(f"summary.stats_regional{one}",
                                    count=len(verdict.regional),
                                    regions=_join(regions, ctx))))
    blocks.append(Paragraph(msg("summary.stats_descriptive")))
    return blocks


def _join(items: Sequence[Message | str], ctx: ReportContext) -> str:
    return join_list([text(m, ctx.lang) if isinstance(m, Message) else m for m in items],
                     ctx.lang)


# --------------------------------------------------------------------------------------------
# What was announced, what the sheets show
# --------------------------------------------------------------------------------------------


def _when(claim: Any, lang: str) -> str:
    from audit.report.sections.claims import claim_time

    return claim_time(claim, lang)


def announced_blocks(ctx: ReportContext) -> list[Block]:
    """Each national official claim with counts, and the latest of each other side."""
    from audit.report.sections.claims import claim_figures

    d = ctx.dispute()
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


def claim_share(claim: Any, key: str, candidates: Sequence[str]) -> float | None:
    """The percentage of the valid votes a claim gives candidate ``key`` (from its counts,
    else its percentages of the valid votes); None where it states neither."""
    valid = claim.valid_total(candidates)
    if key in claim.counts and valid is not None and valid.value > 0:
        return 100 * claim.counts[key].value / valid.value
    if key in claim.percentages and claim.percent_base == "valid":
        return float(claim.percentages[key].value)
    return None


def outside_estimate(ctx: ReportContext, claims: Sequence[Any], estimate: Any
                     ) -> list[tuple[Any, str, float, Any]]:
    """Claims whose leader's share lies outside the interval of the estimate for the tables
    without a sheet (which assumes they are missing at random within their region): each
    as (claim, leader, claimed share, the estimate's row for the leader)."""
    if not len(estimate.table):
        return []
    rows = estimate.table.set_index("key")
    keys = list(ctx.election.candidate_keys)
    out = []
    for claim in claims:
        lead = max((k for k in claim.counts if k in rows.index),
                   key=lambda k: claim.counts[k].value, default=None)
        share = claim_share(claim, lead, keys) if lead is not None else None
        if lead is None or share is None:
            continue
        row = rows.loc[lead]
        if not float(row["low"]) <= share <= float(row["high"]):
            out.append((claim, lead, share, row))
    return out


def estimate_findings(ctx: ReportContext, claims: Sequence[Any], estimate: Any
                      ) -> list[tuple[Evidence, Message]]:
    """The quotable finding where arithmetic alone cannot reject an official claim: its
    leader's share outside the estimate's interval (:func:`outside_estimate`)."""
    labels = figure_labels(ctx)
    level = level_label(ctx, estimate.params.get("level")) or ctx.text("summary.region_word")
    return [(Evidence.NOT_TESTED, msg(
        "summary.estimate_claim", claim=claim.id, candidate=labels.get(lead, lead),
        claimed=share, estimate=float(row["share"]), low=float(row["low"]),
        high=float(row["high"]), tables=estimate.uncovered_tables, level=level))
        for claim, lead, share, row in outside_estimate(ctx, claims, estimate)]


def official_checks(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                    ) -> tuple[list[str], list[str]]:
    """Official national claims the tally sheets contradict by arithmetic, and those (not
    contradicted) whose leader's share lies outside the estimate for the uncovered tables."""
    from audit.checks.uncovered import UncoveredEstimate
    from audit.report.sections.claims import primary_source

    if not ("claims" in used or ctx.has("claims")):
        return [], []
    d = ctx.dispute()
    primary = primary_source(d, ctx)
    official = [c for c in d.ledger.timeline() if c.side == "official" and c.national
                and c.has_counts]
    contradicted = sorted({r.claim for r in d.against_sheets if r.sheets == primary
                           and r.evidence is Evidence.IMPOSSIBLE}
                          & {c.id for c in official})
    estimate = next((r for r in used.get("estimate", ()) if isinstance(r, UncoveredEstimate)),
                    None)
    outside = [] if estimate is None else [c.id for c, *_ in outside_estimate(
        ctx, [c for c in official if c.id not in contradicted], estimate)]
    return contradicted, outside


def key_findings(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]]
                 ) -> list[tuple[Evidence, Message]]:
    """The strongest findings of the dispute and of the cross-check, one sentence each."""
    from audit.checks.crosscheck import CrosscheckResult
    from audit.checks.uncovered import UncoveredEstimate
    from audit.report.sections.claims import primary_source

    estimate = next((r for r in used.get("estimate", ()) if isinstance(r, UncoveredEstimate)),
                    None)
    out: list[tuple[Evidence, Message]] = []
    if "claims" in used or ctx.has("claims"):
        d = ctx.dispute()
        primary = primary_source(d, ctx)
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
        if estimate is not None:
            impossible = {r.claim for r in against if r.evidence is Evidence.IMPOSSIBLE}
            out += estimate_findings(ctx, [c for c in d.ledger.timeline()
                                           if c.id in official and c.id not in impossible],
                                     estimate)
        for rr in d.round_percentages:
            if rr.hits and rr.evidence in FINDINGS:
                out.append((rr.evidence, msg("summary.round", claim=rr.claim,
                                             p=rr.pvalue if rr.pvalue is not None
                                             else float("nan"))))
    labels = figure_labels(ctx)
    if estimate is not None and estimate.registered_uncovered is not None and \
            estimate.margin.get("decided_without_assumption"):
        m = estimate.margin
        out.append((Evidence.NOT_TESTED, msg(
            "summary.bound", first=labels.get(m["first"], m["first"]),
            second=labels.get(m["second"], m["second"]), gap=m["held_gap"],
            registered=estimate.registered_uncovered, tables=estimate.uncovered_tables)))

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
                  used: Mapping[str, Sequence[CheckResult]],
                  entries: Sequence[Entry] = ()) -> Section:
    """The executive summary section (first in the report, on page 1 of the PDF);
    ``entries``: the statistics of the sheets (:func:`statistics_entries`)."""
    from audit.report.truth import truth_blocks

    verdict = statistics_verdict(ctx, entries)
    blocks: list[Block] = []
    if ctx.simulated:
        # a notice, not a finding: no evidence label
        blocks.append(Paragraph(msg("report.summary.simulated")))
    contradicted, outside = official_checks(ctx, used)
    blocks += truth_blocks(ctx, verdict, contradicted=contradicted, outside=outside)
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
        blocks += statistics_blocks(verdict, ctx, nearest=closest(entries))
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


__all__ = ["build_summary", "closest", "finding_sentence", "key_findings",
           "statistics_blocks", "statistics_entries", "statistics_verdict"]
