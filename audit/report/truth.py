"""What was done to a simulated election, and whether the report finds it.

A simulated case folder (``election-audit demo`` writes one) carries its ground truth in
``truth/summary.json``. Its ``manipulations`` list says, as data, what was done to the
election — so that any simulated case, not only the bundled demo, gets a summary that names
its manipulations and says whether the report found each one::

    "manipulations": [
      {"kind": "ballot_stuffing", "beneficiary": "A", "where": "sheets", "tables": 288,
       "tables_total": 2000, "tables_in_sheets": 231, "ballots_added": 12591,
       "votes_moved": 8038},
      {"kind": "altered_totals", "beneficiary": "A", "where": "announced",
       "claim": "authority-final", "share_moved": 0.06, "level": "province"}
    ]

What counts as found is decided from the report's own results, never from the truth:

* ``ballot_stuffing`` for a candidate is found when the national verdict of the statistics
  (:func:`audit.checks.forensics.verdict_of`) flags a calibrated test for that candidate; found
  "region by region" when only regional results for the candidate stand out;
* ``altered_totals`` in the favour of a candidate is found when the claim (``claim``; by
  default every official national claim) contradicts the tally sheets by arithmetic, or gives
  the candidate a share outside the interval of the estimate for the tables without a sheet.

A real case has no ``truth/`` folder, and the report then says nothing of this kind. The file
is read as data only (JSON); a malformed file gives one clear line (:class:`AuditError`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit.checks.forensics import Verdict
from audit.checks.result import Message
from audit.errors import AuditError
from audit.report.blocks import test_label
from audit.report.context import ReportContext
from audit.report.display import figure_labels, level_label
from audit.report.model import Block, BulletList, Paragraph, msg

#: Where a simulated case keeps what was done to it.
TRUTH_FILE = ("truth", "summary.json")
#: The largest truth file read (the demo's is 1.5 kB); a case folder received from someone
#: else is read with bounds (issue 13).
MAX_TRUTH_BYTES = 1 << 20


@dataclass(frozen=True)
class Manipulation:
    """One manipulation of a simulated election, as its truth file states it."""

    kind: str
    beneficiary: str
    details: Mapping[str, Any]

    def number(self, key: str) -> float | None:
        value = self.details.get(key)
        return float(value) if isinstance(value, (int, float)) and \
            not isinstance(value, bool) else None


def manipulations(ctx: ReportContext) -> tuple[Manipulation, ...]:
    """The manipulations stated in the case's ``truth/summary.json`` (none for a real case
    or a case without the file)."""
    path = ctx.case.path.joinpath(*TRUTH_FILE)
    found: list[Manipulation] = []
    if path.is_file():
        size = path.stat().st_size
        if size > MAX_TRUTH_BYTES:
            raise AuditError(f"{path}: {size:,} bytes, more than the {MAX_TRUTH_BYTES:,} a "
                             f"truth file may have")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AuditError(f"{path}: not valid JSON ({exc})") from None
        except RecursionError:
            raise AuditError(f"{path}: not valid JSON (nested too deeply)") from None
        items = data.get("manipulations", []) if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and isinstance(i.get("kind"), str)
                and isinstance(i.get("beneficiary"), str) for i in items):
            raise AuditError(f"{path}: 'manipulations' must be a list of objects with a "
                             f"'kind' and a 'beneficiary'")
        found = [Manipulation(kind=i["kind"], beneficiary=i["beneficiary"], details=i)
                 for i in items]
    return tuple(found)


def _done(m: Manipulation, ctx: ReportContext) -> Message:
    """What was done, in words."""
    who = figure_labels(ctx).get(m.beneficiary, m.beneficiary)
    if m.kind == "ballot_stuffing":
        return msg("summary.truth.ballot_stuffing", candidate=who,
                   tables=m.number("tables") or 0, total=m.number("tables_total") or 0,
                   held=m.number("tables_in_sheets") or 0,
                   ballots=m.number("ballots_added") or 0,
                   moved=m.number("votes_moved") or 0)
    if m.kind == "altered_totals":
        level = m.details.get("level")
        return msg("summary.truth.altered_totals", candidate=who,
                   share=100 * (m.number("share_moved") or 0),
                   level=level_label(ctx, level) if isinstance(level, str) else
                   ctx.text("summary.region_word"))
    return msg("summary.truth.other", kind=m.kind.replace("_", " "), candidate=who)


def _stuffing_found(m: Manipulation, verdict: Verdict | None,
                    ctx: ReportContext) -> Message:
    who = figure_labels(ctx).get(m.beneficiary, m.beneficiary)
    if verdict is not None:
        mine = [f for f in verdict.findings if f.candidate == m.beneficiary]
        if mine:
            top = mine[0]
            return msg("summary.truth.found_statistics", test=test_label(top.test),
                       candidate=who,
                       level=msg(f"summary.level.{top.evidence.value}"))
        regional = [f for f in verdict.regional if f.candidate == m.beneficiary]
        if regional:
            return msg("summary.truth.found_regional", test=test_label(regional[0].test),
                       candidate=who, count=len(regional))
    return msg("summary.truth.not_found_statistics", candidate=who)


def _totals_found(m: Manipulation, contradicted: Sequence[str], outside: Sequence[str],
                  ctx: ReportContext) -> Message:
    claim = m.details.get("claim")
    chosen = (lambda ids: [c for c in ids if c == claim]) if isinstance(claim, str) \
        else (lambda ids: list(ids))
    if chosen(contradicted):
        return msg("summary.truth.found_arithmetic", claim=chosen(contradicted)[0])
    if chosen(outside):
        return msg("summary.truth.found_estimate", claim=chosen(outside)[0],
                   candidate=figure_labels(ctx).get(m.beneficiary, m.beneficiary))
    return msg("summary.truth.not_found_totals")


def truth_blocks(ctx: ReportContext, verdict: Verdict | None, *,
                 contradicted: Sequence[str] = (), outside: Sequence[str] = ()
                 ) -> list[Block]:
    """What was done to a simulated election and whether the report found each part.

    ``contradicted``: official claims the tally sheets contradict by arithmetic;
    ``outside``: official claims whose leader's share lies outside the estimate's interval.
    """
    done = manipulations(ctx)
    if not done:
        return []
    items = []
    for m in done:
        if m.kind == "ballot_stuffing":
            found = _stuffing_found(m, verdict, ctx)
        elif m.kind == "altered_totals":
            found = _totals_found(m, contradicted, outside, ctx)
        else:
            found = msg("summary.truth.not_assessed")
        items.append(msg("summary.truth.item", done=_done(m, ctx), found=found))
    return [Paragraph(msg("summary.truth.intro")), BulletList(tuple(items))]


__all__ = ["TRUTH_FILE", "Manipulation", "manipulations", "truth_blocks"]
