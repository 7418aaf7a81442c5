"""Result sentences and figure labels as the reader should see them.

Checks put candidate *keys* ("EG") and column names in their messages; a report shows the
candidates' names ("González") and words in its language. :func:`display` makes that
substitution on a message (the result itself, and the JSON of results, keep the raw
parameters); :func:`figure_labels` gives figures the same names.
"""

from __future__ import annotations

from typing import Any

from audit.checks.result import Message
from audit.model import vote_key
from audit.report.context import ReportContext

#: Message parameters that hold a candidate key.
CANDIDATE_PARAMS = frozenset({"candidate", "key", "lead", "max_candidate", "first", "second"})


def figure_labels(ctx: ReportContext) -> dict[str, str]:
    """Candidate key -> the label a report shows (short name, else name)."""
    return ctx.election.labels()


def column_label(column: str, ctx: ReportContext) -> str:
    """A count column in words: "the votes of González", "valid votes" ..."""
    labels = figure_labels(ctx)
    key = vote_key(column) or column
    if key in labels or column in labels.values():
        return ctx.text("report.forensics.votes_of", candidate=labels.get(key, column))
    from audit.report.i18n import column_name

    return column_name(column, ctx.lang)


def display(message: Message, ctx: ReportContext) -> Message:
    """``message`` with candidate keys replaced by names and columns by words."""
    labels = figure_labels(ctx)
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, str):
            if name in CANDIDATE_PARAMS and value in labels:
                value = labels[value]
            elif name == "column":
                value = ", ".join(column_label(c, ctx) for c in value.split(", "))
        params[name] = value
    return Message(message.id, params)


def region_names(ctx: ReportContext, level: str) -> dict[str, str]:
    """Region code -> name from the election metadata (empty when it lists none)."""
    return {r.code: r.name for r in ctx.election.regions_at(level)}


def level_label(ctx: ReportContext, level: str | None) -> str:
    """A region level in the report's language ("state", "estado")."""
    from audit.report.i18n import level_name

    return level_name(level, ctx.lang) if level else ""
