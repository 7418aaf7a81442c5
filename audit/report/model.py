"""The report as pure data: sections of typed blocks, no formatting.

A :class:`ReportModel` says *what* a report contains: messages by id and parameters, tables
of raw values with a type per column, figures as SVG text, evidence call-outs and the lines
that stand in for sections whose inputs are missing. Renderers (:mod:`audit.report.render`)
decide *how* it looks in PDF, HTML, JSON or Markdown and format every number for the
report's language, so the model itself holds no formatted number.

The sections and their order are declared in the registry (:func:`audit.report.registry.sections`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pandas as pd

from audit.checks.result import CheckResult, Evidence, Message

if TYPE_CHECKING:
    from audit.checks.forensics import Verdict

#: How the values of a table column are formatted. ``int``, ``signed``, ``pct``, ``pct1``,
#: ``f1``–``f4``, ``p`` and ``odds`` are the number formats of :mod:`audit.messages` (``pct``
#: columns hold percentages: 51.2 means 51.2 %); ``num`` shows numbers of any size with four
#: significant digits (test statistics: 4,794; 3.601; 0.001292); ``text`` holds strings or
#: :class:`~audit.checks.Message` values (translated); ``code`` holds identifiers and hashes
#: (shown verbatim in a monospaced font); ``evidence`` holds :class:`~audit.checks.Evidence`;
#: ``link`` holds a URL (a live link showing its host name).
ColumnKind: TypeAlias = Literal["text", "code", "int", "signed", "pct", "pct1", "f1", "f2",
                                "f3", "f4", "num", "p", "odds", "evidence", "link"]

NUMERIC_KINDS: frozenset[str] = frozenset(
    {"int", "signed", "pct", "pct1", "f1", "f2", "f3", "f4", "num", "p", "odds"})


def msg(message_id: str, **params: Any) -> Message:
    """Shorthand for ``Message(message_id, params)``."""
    return Message(message_id, params)


# --------------------------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of text."""

    message: Message
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (level 2)."""

    message: Message
    kind: Literal["heading"] = "heading"


@dataclass(frozen=True)
class BulletList:
    """A bulleted list of sentences."""

    items: tuple[Message, ...]
    kind: Literal["list"] = "list"


@dataclass(frozen=True)
class Column:
    """A table column: key (used in JSON), header label, value kind."""

    key: str
    label: Message
    kind: ColumnKind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass(frozen=True)
class Table:
    """A table of raw values; renderers format them per column kind and language.

    ``rows`` hold every row (the JSON output keeps them all); paged renderers show at most
    ``max_rows`` of them (``None``: the report option decides) and say so in a note.
    """

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: Message | None = None
    note: Message | None = None
    name: str = ""
    max_rows: int | None = None
    kind: Literal["table"] = "table"

    def __post_init__(self) -> None:
        width = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"table {self.name or '?'} row {i} has {len(row)} cells, "
                                 f"expected {width}")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, columns: Sequence[Column], **kw: Any) -> Table:
        """A table from the DataFrame columns named by each :class:`Column` key."""
        keys = [c.key for c in columns]
        missing = [k for k in keys if k not in frame]
        if missing:
            raise KeyError(f"frame lacks columns {missing}")
        rows = tuple(tuple(_plain(v) for v in row)
                     for row in frame[keys].itertuples(index=False, name=None))
        return cls(columns=tuple(columns), rows=rows, **kw)


def _plain(value: Any) -> Any:
    """numpy/pandas scalars as Python values; missing values as None."""
    if value is None or isinstance(value, (str, Message, Evidence)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


@dataclass(frozen=True)
class FigureBlock:
    """A figure as SVG text (drawn once by matplotlib) with its caption."""

    svg: str
    caption: Message
    name: str
    width: float = 1.0  # fraction of the text width
    kind: Literal["figure"] = "figure"


@dataclass(frozen=True)
class Callout:
    """A highlighted statement with the strength of its evidence."""

    evidence: Evidence
    message: Message
    kind: Literal["callout"] = "callout"


@dataclass(frozen=True)
class MissingInput:
    """The line that replaces (part of) a section whose inputs are absent.

    Rendered as "<section> needs <needs>. <how>".
    """

    section: str
    needs: Message
    how: Message
    kind: Literal["missing"] = "missing"

    @property
    def line(self) -> Message:
        """The whole line: "<section title> needs <needs>. <how>"."""
        return Message("report.missing.line", {
            "section": Message(f"report.section.{self.section}.title"), "needs": self.needs,
            "how": self.how})


Block: TypeAlias = Paragraph | Heading | BulletList | Table | FigureBlock | Callout | MissingInput

# --------------------------------------------------------------------------------------------
# Sections and the report
# --------------------------------------------------------------------------------------------

SectionStatus = Literal["complete", "partial", "missing"]


@dataclass(frozen=True)
class Section:
    """One section: its id (see :func:`audit.report.registry.sections`), title, blocks and
    the results behind them.

    ``status`` is ``complete`` when every expected input was there, ``partial`` when some
    content is shown and some is replaced by missing-input lines, ``missing`` when the whole
    section is.
    """

    id: str
    title: Message
    blocks: tuple[Block, ...]
    status: SectionStatus = "complete"
    results: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class InputFile:
    """An input of the report with its SHA-256 (for the provenance appendix)."""

    path: str
    role: str
    sha256: str
    bytes: int | None = None
    rows: int | None = None
    profile: str | None = None


@dataclass(frozen=True)
class ProvenanceInfo:
    """Everything needed to reproduce the report from the same bytes."""

    inputs: tuple[InputFile, ...]
    package_version: str
    parameters: Mapping[str, Any]
    seed: int
    command: str


@dataclass(frozen=True)
class TitleBlock:
    """Title page content: the election and the facts of the case; ``notice`` is a banner
    (e.g. "simulated data") shown on the title page when set."""

    title: Message
    subtitle: Message
    case: str
    election_id: str
    election_date: dt.date
    country: str
    facts: Table
    notice: Message | None = None


@dataclass(frozen=True)
class ReportModel:
    """A complete report in one language (figure labels are drawn in ``lang``)."""

    lang: str
    title: TitleBlock
    sections: tuple[Section, ...]
    provenance: ProvenanceInfo
    results: Mapping[str, tuple[CheckResult, ...]] = field(default_factory=dict)
    #: The data appendix: tables written as CSV beside the report (and embedded in the PDF).
    data: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    #: The national verdict on the statistics of the sheets (``audit.checks.forensics.Verdict``,
    #: the one ``election-audit forensics`` gives), None without sheets or tests.
    verdict: Verdict | None = None

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(f"no section {section_id!r}; sections: "
                       f"{', '.join(s.id for s in self.sections)}")

    def figures(self) -> list[FigureBlock]:
        """Every figure, in reading order."""
        return [b for s in self.sections for b in s.blocks if isinstance(b, FigureBlock)]
