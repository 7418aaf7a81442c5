"""The dispute tracker: every claim about a result, checked alone, in succession, against the
tally sheets held and against each other.

:func:`audit_dispute` runs the five claim checks of :mod:`audit.checks.claims` on a case's
ledger and returns a :class:`DisputeResult`, whose :meth:`~DisputeResult.to_dict` is the JSON
printed by ``election-audit dispute --json`` (schema ``election-audit/dispute``, documented in
``docs/json.md``, section "dispute"). Without sheets it uses the per-region aggregates bundled
with the case (``aggregates_<source>.csv``), so it runs with no download. Nothing here draws
random numbers: the same inputs give byte-identical JSON.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit._version import __version__
from audit.aggregate import SheetAggregates, SheetSummary, read_aggregates, summarise
from audit.cases import Case, load_case
from audit.checks.claims import (
    ArithmeticResult,
    CompatibilityResult,
    RoundPercentagesResult,
    SheetsResult,
    SuccessiveResult,
    check_against_sheets,
    check_arithmetic,
    check_compatibility,
    check_round_percentages,
    check_successive,
)
from audit.checks.multiple import adjust
from audit.checks.result import CheckResult, Evidence, Message, results_frame
from audit.ledger import ClaimLedger, load_ledger
from audit.model import SheetTable

SCHEMA = "election-audit/dispute"
SCHEMA_VERSION = 1

SheetsLike = SheetTable | SheetAggregates


@dataclass(frozen=True)
class SheetsSource:
    """One body of tally sheets the claims are checked against."""

    label: str
    kind: str  # "tables" or "aggregates"
    summary: SheetSummary
    sheets: SheetsLike = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        s = self.summary
        return {"label": self.label, "kind": self.kind, "unit": s.unit_kind,
                "tables": s.tables, "totals": dict(s.totals), "valid": s.valid,
                "null": s.null, "ballots": s.ballots, "registered_known": s.registered_known,
                "registered_tables": s.registered_tables, "max_registered": s.max_registered,
                "provenance": dict(s.provenance)}


@dataclass(frozen=True)
class DisputeResult:
    """Everything the tracker found about one case (see ``docs/json.md``, "dispute")."""

    case: str
    election_id: str
    ledger: ClaimLedger
    sheets: tuple[SheetsSource, ...]
    arithmetic: tuple[ArithmeticResult, ...]
    round_percentages: tuple[RoundPercentagesResult, ...]
    successive: tuple[SuccessiveResult, ...]
    against_sheets: tuple[SheetsResult, ...]
    compatibility: CompatibilityResult
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def results(self) -> list[CheckResult]:
        """Every check result, in report order."""
        return [*self.arithmetic, *self.round_percentages, *self.successive,
                *self.against_sheets, self.compatibility]

    def __repr__(self) -> str:
        """One line: the case and how much was checked (the results are in ``results``)."""
        return (f"DisputeResult(case={self.case!r}, claims={len(self.ledger)}, "
                f"sheets={len(self.sheets)}, results={len(self.results)}, "
                f"findings={len(self.findings())})")

    def _repr_html_(self) -> str:
        """The tracker in a notebook: the findings, then every result in one table."""
        found = "".join(f"<li>{html.escape(m.render('en'))}</li>" for m in self.findings())
        frame = results_frame(self.results)[["test", "candidate", "pvalue", "evidence",
                                             "sentence"]]
        return (f"<div><strong>DisputeResult</strong>: {html.escape(self.case)}, "
                f"{len(self.ledger)} claims, {len(self.results)} results"
                f"<ul>{found}</ul><details><summary>every result</summary>"
                f"{frame.to_html(index=False, border=0, na_rep='')}</details></div>")

    def findings(self) -> list[Message]:
        """The sentences worth reading first: every result that is not merely consistent."""
        keep = (Evidence.IMPOSSIBLE, Evidence.STRONG, Evidence.MODERATE, Evidence.WEAK)
        found = [r.message for r in self.results if r.evidence in keep]
        found += [r.message for r in self.against_sheets if r.evidence not in keep
                  and r.verdict in ("beyond_covered", "violation_if_covering")]
        return found

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON of ``election-audit dispute --json`` (schema version 1)."""
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "package_version": __version__,
            "case": self.case, "election": self.election_id,
            "ledger": {"path": Path(self.ledger.path).name if self.ledger.path else "",
                       "sha256": self.ledger.sha256, "claims": len(self.ledger)},
            "claims": [c.to_dict() for c in self.ledger.timeline()],
            "sheets": [s.to_dict() for s in self.sheets],
            "params": dict(self.params),
            "results": {
                "arithmetic": [r.to_dict() for r in self.arithmetic],
                "round_percentages": [r.to_dict() for r in self.round_percentages],
                "successive": [r.to_dict() for r in self.successive],
                "against_sheets": [r.to_dict() for r in self.against_sheets],
                "compatibility": self.compatibility.to_dict(),
            },
            "findings": [m.to_dict() for m in self.findings()],
        }


def bundled_aggregates(case: Case) -> list[SheetAggregates]:
    """The per-region aggregates shipped in a case folder (``aggregates_<source>.csv``)."""
    return [read_aggregates(p, label=p.stem.removeprefix("aggregates_"))
            for p in sorted(case.path.glob("aggregates_*.csv"))]


def _sources(sheets: SheetsLike | Sequence[SheetsLike] | Mapping[str, SheetsLike] | None,
             case: Case) -> list[SheetsSource]:
    if sheets is None:
        items: list[tuple[str | None, SheetsLike]] = [(None, a) for a in bundled_aggregates(case)]
    elif isinstance(sheets, (SheetTable, SheetAggregates)):
        items = [(None, sheets)]
    elif isinstance(sheets, Mapping):
        items = list(sheets.items())
    else:
        items = [(None, s) for s in sheets]
    out = []
    seen: set[str] = set()
    for label, s in items:
        name = label or (s.name if isinstance(s, SheetTable) else s.label) or "sheets"
        while name in seen:
            name += "'"
        seen.add(name)
        summary = summarise(s, label=name)
        assert summary is not None  # national scope always summarises
        out.append(SheetsSource(name, "tables" if isinstance(s, SheetTable) else "aggregates",
                                summary, s))
    return out


def audit_dispute(case: str | Path | Case,
                  sheets: SheetsLike | Sequence[SheetsLike] | Mapping[str, SheetsLike]
                  | None = None, *, ledger: ClaimLedger | str | Path | None = None,
                  tolerance: int = 0) -> DisputeResult:
    """Run every claim check on a case.

    Parameters
    ----------
    case : str, Path or Case
        A bundled case name (``"venezuela-2024"``) or a case folder.
    sheets : SheetTable, SheetAggregates, a sequence or a mapping label -> sheets, optional
        The tally sheets to check the claims against. Default: the aggregates bundled with the
        case (none if it bundles none).
    ledger : ClaimLedger or path, optional
        Another ledger than the case's ``claims.yaml``.
    tolerance : int
        Votes within which a count counts as sitting on its round percentage
        (:func:`~audit.checks.claims.check_round_percentages`).

    Returns
    -------
    DisputeResult
        Round-percentage and successive-claim p-values are adjusted together within each
        family (Benjamini–Hochberg); arithmetic and sheet results involve no probability.
    """
    c = case if isinstance(case, Case) else load_case(case)
    election = c.election
    if ledger is None:
        led = load_ledger(c.claims_path, election=election) if c.claims_path else \
            ClaimLedger(election.id, ())
    elif isinstance(ledger, ClaimLedger):
        led = ledger
    else:
        led = load_ledger(ledger, election=election)
    claims = led.timeline()
    sources = _sources(sheets, c)

    arithmetic = tuple(check_arithmetic(cl, election) for cl in claims if cl.has_figures)
    rounds = [check_round_percentages(cl, election, tolerance=tolerance)
              for cl in claims if cl.has_counts and cl.percentages]
    rounds = adjust(rounds, [True] * len(rounds))  # type: ignore[assignment]

    table_source = next((s for s in sources if s.kind == "tables"), None)
    succ: list[SuccessiveResult] = []
    series: dict[tuple[str, str], list] = {}  # one succession per series and scope
    for cl in claims:
        if cl.has_counts:
            series.setdefault((cl.series, cl.scope), []).append(cl)
    for members in series.values():
        for before, after in itertools.pairwise(members):
            succ.append(check_successive(before, after, election,
                                         sheets=table_source.sheets if table_source else None))
    succ = adjust(succ, [True] * len(succ))  # type: ignore[assignment]

    against: list[SheetsResult] = []
    for src in sources:
        for cl in claims:
            if not cl.has_counts:
                continue
            scoped = src.summary if cl.national else src.sheets
            against.append(check_against_sheets(cl, scoped, election, label=src.label))
    table_max = max((s.summary.max_registered or 0 for s in sources), default=0) or None
    compat = check_compatibility(list(claims), election, sheets_results=against,
                                 table_max=table_max)
    return DisputeResult(
        case=c.name, election_id=election.id, ledger=led, sheets=tuple(sources),
        arithmetic=arithmetic, round_percentages=tuple(rounds), successive=tuple(succ),
        against_sheets=tuple(against), compatibility=compat,
        params={"tolerance": tolerance, "table_max": table_max})
