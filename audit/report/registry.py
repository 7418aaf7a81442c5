"""Where check families plug into the report: sections, section hooks and method notes.

The report's sections are declared, not listed here. The frame (the executive summary first,
the methods and the provenance appendix last) is declared by this module; every other section
by the module that fills it, ``audit/report/sections/<family>.py`` (every module there is
imported by :func:`load_all`), with :func:`declare_section` and one or more
:class:`SectionHook`::

    from audit.report import SectionHook, SectionSpec, declare_section, register_section

    def build(results: Sequence[CheckResult], ctx: ReportContext) -> list[Block]:
        ...  # turn the family's results into paragraphs, tables, figures, call-outs

    def run(ctx: ReportContext) -> list[CheckResult]:
        return ctx.battery().family("digits")  # the report's one run of the battery

    declare_section(SectionSpec("digits", families=("digits",), needs=("sheets",), order=60))
    register_section(SectionHook(section="digits", family="digits", build=build, run=run,
                                 needs=("sheets",)))

A family of checks registered for the forensics battery (:func:`audit.checks.registry.
register`) that no declared section names gets a section of its own anyway
(:func:`sections`): its battery results as a table with their evidence, so that a new check is
one module plus one registration and the report picks it up.

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
    """A section of the report: id, the families expected to fill it, its inputs, and its
    place (sections are sorted by ``order``, then id).

    ``family_section``: the section of a registered family that declares none of its own
    (its title and introduction name the family).
    """

    id: str
    families: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    order: int = 50
    family_section: bool = False

    @property
    def title(self) -> Message:
        if self.family_section:
            return Message("report.section.family.title", {"family": self.id})
        return Message(f"report.section.{self.id}.title")

    @property
    def intro(self) -> Message:
        if self.family_section:
            return Message("report.section.family.intro", {"family": self.id})
        return Message(f"report.section.{self.id}.intro")


#: Order of the section of a family that declares none (after the declared check sections,
#: before the methods).
FAMILY_SECTION_ORDER = 85

_SECTIONS: dict[str, SectionSpec] = {}


def declare_section(spec: SectionSpec) -> SectionSpec:
    """Declare a section of the report (replacing an earlier one of the same id)."""
    _SECTIONS[spec.id] = spec
    return spec


def undeclare_section(section: str) -> None:
    """Remove a declared section (for tests)."""
    _SECTIONS.pop(section, None)


# the frame of every report: built by audit.report.build itself
declare_section(SectionSpec("summary", order=0))
declare_section(SectionSpec("methods", order=900))
declare_section(SectionSpec("provenance", order=1000))


def sections() -> list[SectionSpec]:
    """The sections of the report, in order: those declared, and one for each family of
    registered battery checks that no declared section names."""
    from audit.checks.registry import registered

    load_all()
    declared = list(_SECTIONS.values())
    covered = {f for spec in declared for f in spec.families} | set(_SECTIONS)
    families = sorted({s.family for s in registered()} - covered)
    found = declared + [SectionSpec(f, families=(f,), needs=("sheets",),
                                    order=FAMILY_SECTION_ORDER, family_section=True)
                        for f in families]
    return sorted(found, key=lambda spec: (spec.order, spec.id))


def section_ids() -> tuple[str, ...]:
    """The ids of :func:`sections`, in order."""
    return tuple(spec.id for spec in sections())


def section_spec(section_id: str) -> SectionSpec:
    for spec in sections():
        if spec.id == section_id:
            return spec
    raise KeyError(f"unknown report section {section_id!r}; sections: "
                   f"{', '.join(section_ids())}")


@dataclass(frozen=True)
class SectionHook:
    """How one check family fills one report section.

    Attributes
    ----------
    section : str
        Id of the section filled (one of :func:`section_ids`, declared by the time the
        report is built). ``"summary"`` hooks add what each side claims to the executive
        summary.
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
    undeclared = sorted({h.section for h in _HOOKS.values()} - set(_SECTIONS))
    if undeclared:
        raise ValueError(f"hooks fill undeclared report sections: {', '.join(undeclared)}; "
                         f"declared: {', '.join(sorted(_SECTIONS))}")
    return sorted((h for h in _HOOKS.values() if section is None or h.section == section),
                  key=lambda h: (h.order, h.family))


def method_note(test: str) -> MethodNote | None:
    """The method note of a test id, or of its family prefix (``digits.*``), if registered."""
    load_all()
    if test in _METHODS:
        return _METHODS[test]
    return _METHODS.get(test.split(".")[0] + ".*")
