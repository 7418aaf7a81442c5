"""Readers see names, never ids.

Checks put claim ids (``cne-b1``) and source ids (``opposition-v2``) in their messages and
tables, which keeps results and the JSON exact. A report shows the labels of the claims
ledger and of ``sources.toml`` in its language instead ("CNE bulletin 1", "las actas de la
oposición (versión 2)"). :func:`name_sections` makes that substitution once, on every block
of every section but the appendix, where the ids stay next to their labels so that a reader
can find each figure in the JSON and the case files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from audit.checks.result import Message
from audit.report.i18n import capitalize
from audit.report.model import (
    Block,
    BulletList,
    Callout,
    Column,
    FigureBlock,
    Heading,
    MissingInput,
    Paragraph,
    Section,
    Table,
)

#: The section that keeps ids (beside their labels).
ID_SECTIONS = frozenset({"provenance"})


def id_names(case: Any, claims: Any, lang: str) -> dict[str, str]:
    """Claim id and source id (also as ``sheets:<id>``) -> label in ``lang``."""
    names: dict[str, str] = {}
    for source in getattr(case, "sources", ()):
        label = source.name(lang)
        if label != source.id:
            names[source.id] = label
            names[f"sheets:{source.id}"] = label
    for claim in getattr(claims, "claims", ()) or ():
        label = claim.name(lang)
        if label != claim.id:
            names[claim.id] = label
    return names


def names_of(ctx: Any) -> dict[str, str]:
    """The id -> label map of a report context (cached)."""
    if ctx.state.names is None:
        ledger = ctx.dispute().ledger if ctx.has("claims") else None
        ctx.state.names = id_names(ctx.case, ledger, ctx.lang)
    names: dict[str, str] = ctx.state.names
    return names


def name_of(ctx: Any, ident: str) -> str:
    """The label a reader sees for a claim or source id (the id itself when it has none)."""
    return names_of(ctx).get(ident, ident)


def name_message(message: Message, names: Mapping[str, str]) -> Message:
    """``message`` with every parameter that is an id replaced by its label."""
    if not names:
        return message
    return Message(message.id, {k: _value(v, names) for k, v in message.params.items()})


def _value(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, Message):
        return name_message(value, names)
    if isinstance(value, str) and value in names:
        return names[value]
    return value


def _cell(value: Any, names: Mapping[str, str]) -> Any:
    """A table cell: an id becomes its label, capitalised (a cell starts like a sentence:
    "El boletín 1 del CNE", not "el boletín 1 del CNE")."""
    if isinstance(value, str) and value in names:
        return capitalize(names[value])
    return _value(value, names)


def _table(table: Table, names: Mapping[str, str]) -> Table:
    rows = tuple(tuple(_cell(v, names) for v in row) for row in table.rows)
    columns = []
    for i, col in enumerate(table.columns):
        label = name_message(col.label, names)
        kind = col.kind
        if kind == "code" and any(isinstance(r[i], str) and r[i] in names for r in table.rows):
            kind = "text"  # labels are words, not identifiers
        columns.append(Column(col.key, label, kind))
    return replace(table, columns=tuple(columns), rows=rows,
                   caption=name_message(table.caption, names) if table.caption else None,
                   note=name_message(table.note, names) if table.note else None)


def name_block(block: Block, names: Mapping[str, str]) -> Block:
    """One block with ids replaced by labels."""
    if isinstance(block, (Paragraph, Heading)):
        return replace(block, message=name_message(block.message, names))
    if isinstance(block, Callout):
        return replace(block, message=name_message(block.message, names))
    if isinstance(block, BulletList):
        return replace(block, items=tuple(name_message(m, names) for m in block.items))
    if isinstance(block, Table):
        return _table(block, names)
    if isinstance(block, FigureBlock):
        return replace(block, caption=name_message(block.caption, names))
    if isinstance(block, MissingInput):
        return replace(block, needs=name_message(block.needs, names),
                       how=name_message(block.how, names))
    return block


def name_sections(sections: tuple[Section, ...] | list[Section],
                  names: Mapping[str, str]) -> tuple[Section, ...]:
    """Every section but the appendix, with ids replaced by labels."""
    if not names:
        return tuple(sections)
    return tuple(s if s.id in ID_SECTIONS else replace(
        s, blocks=tuple(name_block(b, names) for b in s.blocks)) for s in sections)


__all__ = ["id_names", "name_block", "name_message", "name_of", "name_sections", "names_of"]
