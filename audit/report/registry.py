"""Where check families plug into the report: section hooks and method notes.

The report has a fixed list of sections (:data:`SECTIONS`). A check family fills one by
registering a :class:`SectionHook` at import, in a module ``audit/report/sections/<family>.py``
(every module there is imported by :func:`load_all`)::

    from audit.report import SectionHook, register_section

    def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
        ...  # turn the family's results into paragraphs, tables, figures, call-outs

    def run(ctx: ReportContext) -> list[CheckResult]:
        ...  # compute the results from ctx.sheets / ctx.case with ctx.rng("digits")

    register_section(SectionHook(section="digits", family="digits", build=build, run=run,
                                 needs=("sheets",)))

Results passed to :func:`audit.report.build_report` (``results={"digits": [...]}``) take
precedence over ``run``. A section with no hook for one of its expected families shows a
line saying so; a hook whose ``needs`` are not met shows what is missing and how to supply it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from audit.checks.result import CheckResult, Message

if TYPE_CHECKING:
    from audit.report.context import ReportContext
    from audit.report.model import Block

#: Inputs a hook can need. ``sheets``: tally sheets; ``registered``: sheets stating registered
#: voters; ``claims``: the case's claims ledger; ``second_source``: a second sheet source.
Need: TypeAlias = Literal["sheets", "registered", "claims", "second_source"]
NEEDS: tuple[str, ...] = ("sheets", "registered", "claims", "second_source")

#: ``build(results, ctx) -> blocks``: a family's results as report content.
SectionBuilder: TypeAlias = "Callable[[Sequence[CheckResult], ReportContext], Sequence[Block]]"
#: ``run(ctx) -> results``: computes a family's results for the report.
ResultsRunner: TypeAlias = "Callable[[ReportContext], Sequence[CheckResult]]"


@dataclass(frozen=True)
class SectionSpec:
    """A section of the report: id, title message, and the families expected to fill it."""

    id: str
    families: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def title(self) -> Message:
        return Message(f"report.section.{self.id}.title")

    @property
    def intro(self) -> Message:
        return Message(f"report.section.{self.id}.intro")


#: The sections, in the order of the report. ``families`` are the check families expected to
#: contribute (a missing one is named in the section); ``needs`` the inputs of the section.
SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("summary"),
    SectionSpec("context"),
    SectionSpec("claims", families=("claims",), needs=("claims",)),
    SectionSpec("official", families=("sheets", "claims"), needs=("sheets", "claims")),
    SectionSpec("uncovered", families=("feasibility", "estimate"), needs=("sheets", "claims")),
    SectionSpec("integrity", families=("ingest",), needs=("sheets",)),
    SectionSpec("digits", families=("digits",), needs=("sheets",)),
    SectionSpec("turnout", families=("turnout", "fingerprints"), needs=("sheets",)),
    SectionSpec("crosscheck", families=("crosscheck",), needs=("sheets", "second_source")),
    SectionSpec("methods"),
    SectionSpec("provenance"),
)
SECTION_IDS: tuple[str, ...] = tuple(s.id for s in SECTIONS)


def section_spec(section_id: str) -> SectionSpec:
    for spec in SECTIONS:
        if spec.id == section_id:
            return spec
    raise KeyError(f"unknown report section {section_id!r}; sections: {', '.join(SECTION_IDS)}")


@dataclass(frozen=True)
class SectionHook:
    """How one check family fills one report section.

    Attributes
    ----------
    section : str
        Id of the section filled (one of :data:`SECTION_IDS`). ``"summary"`` hooks add what
        each side claims to the executive summary.
    family : str
        The family whose results the hook draws (key of ``build_report(results=...)``).
    build : callable
        ``build(results, ctx) -> Sequence[Block]``.
    run : callable, optional
        ``run(ctx) -> Sequence[CheckResult]``: computes the results when the caller did not
        pass them. Use ``ctx.rng(family)`` for random draws (a stream of its own per family,
        so adding a family never changes another's numbers).
    needs : tuple of str
        Inputs required (see :data:`NEEDS`); when one is absent the hook is not called and the
        section shows what is missing and how to supply it.
    summary : callable, optional
        ``summary(results, ctx) -> Sequence[Block]``: the family's key finding for the
        executive summary ("what the evidence shows"), in measured words.
    methods : tuple of str
        Test ids whose :class:`MethodNote` the section relies on besides those of its results
        (e.g. descriptive steps that produce no result).
    order : int
        Position among hooks of the same section (lower first).
    """

    section: str
    family: str
    build: SectionBuilder
    run: ResultsRunner | None = None
    needs: tuple[str, ...] = ()
    summary: SectionBuilder | None = None
    methods: tuple[str, ...] = ()
    order: int = 50

    def __post_init__(self) -> None:
        if self.section not in SECTION_IDS:
            raise ValueError(f"unknown report section {self.section!r}; sections: "
                             f"{', '.join(SECTION_IDS)}")
        unknown = [n for n in self.needs if n not in NEEDS]
        if unknown:
            raise ValueError(f"unknown needs {unknown}; known: {', '.join(NEEDS)}")


@dataclass(frozen=True)
class MethodNote:
    """What a test does, its null, its limitations and references, for the methods section.

    ``title``, ``method`` and ``limitations`` are message ids of the family's catalogue;
    ``references`` are full citations with DOI (not translated).
    """

    test: str
    title: Message
    method: Message
    limitations: Message
    references: tuple[str, ...] = ()

    @classmethod
    def from_catalogue(cls, test: str, key: str,
                       references: tuple[str, ...] = ()) -> MethodNote:
        """The note whose texts are ``report.method.<key>.title``, ``.method`` and
        ``.limitations`` in the catalogues."""
        return cls(test=test, title=Message(f"report.method.{key}.title"),
                   method=Message(f"report.method.{key}.method"),
                   limitations=Message(f"report.method.{key}.limitations"),
                   references=references)


_HOOKS: dict[tuple[str, str], SectionHook] = {}
_METHODS: dict[str, MethodNote] = {}


def register_section(hook: SectionHook) -> SectionHook:
    """Register ``hook`` (replacing an earlier one of the same section and family)."""
    _HOOKS[(hook.section, hook.family)] = hook
    return hook


def unregister_section(section: str, family: str) -> None:
    """Remove a hook (for tests)."""
    _HOOKS.pop((section, family), None)


def register_method(note: MethodNote, *also: str) -> MethodNote:
    """Register the method note of a test id (replacing an earlier one), and for the test
    ids ``also`` that share it (the methods section then describes them once)."""
    for test in (note.test, *also):
        _METHODS[test] = note
    return note


def load_all() -> None:
    """Import every module of :mod:`audit.report.sections` so that their hooks register."""
    import audit.report.sections as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.name.startswith("_"):
            importlib.import_module(f"audit.report.sections.{module.name}")


def hooks(section: str | None = None) -> list[SectionHook]:
    """Registered hooks (of one section), by order then family."""
    load_all()
    return sorted((h for h in _HOOKS.values() if section is None or h.section == section),
                  key=lambda h: (h.order, h.family))


def method_note(test: str) -> MethodNote | None:
    """The method note of a test id, or of its family prefix (``digits.*``), if registered."""
    load_all()
    if test in _METHODS:
        return _METHODS[test]
    return _METHODS.get(test.split(".")[0] + ".*")
