"""Assemble a :class:`~audit.report.model.ReportModel` from whatever inputs are available.

:func:`build_report` walks the sections declared in the registry, in their order
(:func:`audit.report.registry.sections`: the frame, the sections the families declare, and
one for each family of battery checks that declares none). For each, the registered hooks
(:mod:`audit.report.registry`) whose inputs are present build the content from their family's
results; hooks whose inputs are absent, and expected families that are not installed, leave a
line saying what is missing and how to supply it. The executive summary, the methods and the
provenance appendix are then derived from what was included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audit._version import __version__
from audit.cases import Case, datasets_dir, load_case
from audit.checks.result import CheckResult, Evidence, Message
from audit.data import data_dirs
from audit.ingest import IngestResult
from audit.model import SheetTable, sha256_file
from audit.report.battery import BatteryMemo
from audit.report.blocks import (
    generic_blocks,
    missing_line,
    need_message,
)
from audit.report.context import ReportContext, ReportOptions
from audit.report.i18n import (
    capitalize,
    cell,
    country_name,
    format_date,
    has_message,
    level_name,
    text,
)
from audit.report.model import (
    Block,
    BulletList,
    Column,
    Heading,
    InputFile,
    MissingInput,
    Paragraph,
    ProvenanceInfo,
    ReportModel,
    Section,
    SectionStatus,
    Table,
    TitleBlock,
    msg,
)
from audit.report.names import id_names, name_sections
from audit.report.registry import SectionSpec, hooks, method_note, sections

#: Sections built here, not by hooks: the executive summary, the methods, the appendix.
FRAME = ("summary", "methods", "provenance")


def build_report(case: Case | str | Path, sheets: IngestResult | SheetTable | None = None,
                 options: ReportOptions | None = None, *,
                 results: Mapping[str, Sequence[CheckResult]] | None = None,
                 source: Any = None, memo: BatteryMemo | None = None) -> ReportModel:
    """Build the report of ``case`` from the sheets and results available.

    Parameters
    ----------
    case
        A :class:`~audit.cases.Case`, a bundled case name or a case folder.
    sheets
        The tally sheets: an :class:`~audit.ingest.IngestResult` (the integrity section then
        shows its quarantine), a :class:`~audit.model.SheetTable` (e.g. simulated), or None.
    options
        Language, seed, table length, figures, the command for the provenance appendix.
    results
        Results already computed, by family (``{"digits": [...]}``); a family without them is
        computed by its hook's ``run`` when its inputs are present.
    source
        The manifest entry (:class:`~audit.cases.SourceFile`) the sheets came from, if any.
    memo
        Batteries of earlier reports (:class:`~audit.report.battery.BatteryMemo`): pass the
        same memo to reports of the same sheets in several languages or formats so that the
        checks run once. The numbers are the same with or without it.

    Returns
    -------
    ReportModel
        Pure data; render it with :func:`audit.report.render`.
    """
    case = case if isinstance(case, Case) else load_case(case)
    options = options or ReportOptions()
    ingest = sheets if isinstance(sheets, IngestResult) else None
    table = ingest.sheets if ingest is not None else \
        (sheets if isinstance(sheets, SheetTable) else None)
    ctx = ReportContext(case=case, options=options, sheets=table, ingest=ingest, source=source,
                        results=dict(results or {}), memo=memo)
    used: dict[str, tuple[CheckResult, ...]] = {}
    method_tests: list[str] = []
    built: dict[str, Section] = {}
    specs = sections()
    for spec in specs:
        if spec.id not in FRAME:
            options.stage(text(spec.title, options.lang))
            built[spec.id] = _build_section(spec, ctx, used, method_tests)
    options.stage(text(msg("report.section.summary.title"), options.lang))
    from audit.report.summary import build_summary, statistics_entries, statistics_verdict

    entries = statistics_entries(ctx, used) if table is not None else []
    done = [build_summary(ctx, built, used, entries)]
    done += [built[s.id] for s in specs if s.id in built]
    done.append(_methods(ctx, used, method_tests))
    provenance = _provenance(ctx)
    from audit.report.appendix import data_tables

    level = table.levels[0] if table is not None and table.levels else ""
    data = data_tables(table, used, {r.code: r.name for r in case.election.regions_at(level)}
                       if level else None)
    done.append(_provenance_section(ctx, provenance, tuple(data)))
    dispute = ctx.state.dispute
    named = name_sections(done, id_names(case, dispute.ledger if dispute is not None else None,
                                         options.lang))
    return ReportModel(lang=options.lang, title=_title(ctx), sections=tuple(named),
                       provenance=provenance, results=used, data=data,
                       verdict=statistics_verdict(ctx, entries))


# --------------------------------------------------------------------------------------------
# Sections filled by hooks
# --------------------------------------------------------------------------------------------


def how_to_supply(need: str, ctx: ReportContext) -> Message:
    """How the user supplies an input (with the file, folder and URL of a bundled case)."""
    if need in ("sheets", "registered"):
        source = ctx.case.main_source
        if need == "sheets" and source is not None:
            where = "; ".join(data_dirs(ctx.options.data_dir, ctx.case, ctx.lang))
            entry = source.data_files[0]
            url = (entry.urls[0] if entry.urls else
                   entry.archives[0].url if entry.archives else "—")
            return msg("report.how.sheets_manifest", file=entry.file, folder=source.folder,
                       url=url, sha=entry.sha256[:16], where=where)
        return msg(f"report.how.{need}")
    if need == "claims":  # a bundled case is part of the installed package: never edited
        if ctx.case.path.resolve().parent == datasets_dir().resolve():
            return msg("report.how.claims_bundled", case=ctx.case.name)
        return msg("report.how.claims", folder=ctx.case.name)
    return msg(f"report.how.{need}")


def _status(blocks: Sequence[Block]) -> SectionStatus:
    missing = sum(isinstance(b, MissingInput) for b in blocks)
    content = sum(not isinstance(b, MissingInput) for b in blocks)
    if not missing:
        return "complete"
    return "missing" if content <= 1 else "partial"  # the intro paragraph is not content


def _build_section(spec: SectionSpec, ctx: ReportContext,
                   used: dict[str, tuple[CheckResult, ...]], method_tests: list[str]) -> Section:
    blocks: list[Block] = [Paragraph(spec.intro)]
    missing_needs: list[str] = []
    results: list[CheckResult] = []
    section_hooks = hooks(spec.id)
    for hook in section_hooks:
        unmet = [n for n in hook.needs if not ctx.has(n)]
        if unmet:
            missing_needs += [n for n in unmet if n not in missing_needs]
            continue
        family_results = tuple(ctx.results.get(hook.family, ())) or \
            (tuple(hook.run(ctx)) if hook.run is not None else ())
        blocks += hook.build(family_results, ctx)
        used[hook.family] = family_results
        results += family_results
        if family_results or hook.run is None:  # a family that ran no test uses no method
            method_tests += [t for t in hook.methods if t not in method_tests]
    blocks += [missing_line(spec.id, n, how_to_supply(n, ctx)) for n in missing_needs]
    hooked = {h.family for h in section_hooks}
    for family in spec.families:
        if family in hooked:
            continue
        if family in ctx.results or spec.family_section:  # no builder: shown generically
            if family not in ctx.results and not ctx.has("sheets"):
                blocks.append(missing_line(spec.id, "sheets", how_to_supply("sheets", ctx)))
                continue
            family_results = tuple(ctx.results.get(family, ())) or \
                tuple(ctx.battery().family(family, all_candidates=True))
            blocks += generic_blocks(family_results, family)
            used[family] = family_results
            results += family_results
        else:
            blocks.append(MissingInput(section=spec.id,
                                       needs=msg("report.need.family", family=_family(family)),
                                       how=msg("report.how.family")))
    return Section(id=spec.id, title=spec.title, blocks=tuple(blocks), status=_status(blocks),
                   results=tuple(results))


def _family(family: str) -> Message | str:
    key = f"report.family.{family}"
    return msg(key) if has_message(key) else family


# --------------------------------------------------------------------------------------------
# Executive summary
# --------------------------------------------------------------------------------------------


def _calibrated(test: str) -> bool:
    """Whether a test's null is calibrated (registered sheet checks say so; the claim checks
    are exact or arithmetic)."""
    from audit.checks.registry import registered

    specs = {spec.name: spec for spec in registered()}
    return specs[test].calibrated if test in specs else True


def evidence_table(used: Mapping[str, Sequence[CheckResult]]) -> Table:
    """Evidence at a glance: calibrated (or exact) results per family and evidence level;
    results of textbook or uncalibrated nulls are counted in the caption only."""
    rows = []
    others = 0
    for family, results in used.items():
        chosen = [r for r in results if _calibrated(r.test)]
        others += len(results) - len(chosen)
        if not chosen:
            continue
        key = f"report.summary.family.{family}"
        rows.append((msg(key) if has_message(key) else _family(family), len(chosen),
                     *(sum(r.evidence is level for r in chosen) for level in (
                         Evidence.IMPOSSIBLE, Evidence.STRONG, Evidence.MODERATE,
                         Evidence.WEAK, Evidence.CONSISTENT, Evidence.NOT_TESTED))))
    return Table(columns=(
        Column("family", msg("report.col.family")),
        Column("results", msg("report.col.results"), "int"),
        Column("impossible", msg("report.col.contradictions"), "int"),
        Column("strong", msg("report.col.strong"), "int"),
        Column("moderate", msg("report.col.moderate"), "int"),
        Column("weak", msg("report.col.weak"), "int"),
        Column("consistent", msg("report.col.consistent"), "int"),
        Column("descriptive", msg("report.col.descriptive"), "int"),
    ), rows=tuple(rows), name="evidence-summary",
        caption=msg("report.summary.glance_caption", others=others))


# --------------------------------------------------------------------------------------------
# Methods and limitations
# --------------------------------------------------------------------------------------------


def evidence_levels_table() -> Table:
    rows = (
        (Evidence.STRONG, msg("report.methods.threshold_strong")),
        (Evidence.MODERATE, msg("report.methods.threshold_moderate")),
        (Evidence.WEAK, msg("report.methods.threshold_weak")),
        (Evidence.CONSISTENT, msg("report.methods.threshold_above")),
        (Evidence.IMPOSSIBLE, msg("report.methods.threshold_none")),
        (Evidence.NOT_TESTED, msg("report.methods.threshold_none")),
    )
    return Table(columns=(Column("evidence", msg("report.col.evidence"), "evidence"),
                          Column("pvalue", msg("report.col.adjusted_p")),
                          Column("meaning", msg("report.col.meaning"))),
                 rows=tuple((level, p, msg(f"report.evidence.{level.value}_desc"))
                            for level, p in rows),
                 name="evidence-levels", caption=msg("report.methods.levels_caption"))


def _methods(ctx: ReportContext, used: Mapping[str, Sequence[CheckResult]],
             method_tests: Sequence[str]) -> Section:
    blocks: list[Block] = [Paragraph(msg("report.section.methods.intro")),
                           Paragraph(msg("report.methods.evidence")), evidence_levels_table()]
    if any(used.values()):
        blocks.append(evidence_table(used))
    blocks += [Paragraph(msg("report.methods.multiple")),
               Paragraph(msg("report.methods.reproducible", seed=ctx.options.seed))]
    if any(r.null.startswith("simulation") for results in used.values() for r in results):
        blocks.append(Paragraph(msg("report.methods.resamples", n=ctx.options.n_resamples)))
    b = ctx.state.battery
    if b is not None:
        blocks.append(Paragraph(msg("report.methods.scopes", level=level_name(b.level, ctx.lang),
                                    regions=len(b.regions()), tests=len(b.regional_tests))
                                if b.level else msg("report.methods.national_only")))
    tests = list(method_tests)
    nulls: dict[str, str] = {}
    for results in used.values():
        for r in results:
            nulls.setdefault(r.test, r.null)
            if r.test not in tests:
                tests.append(r.test)
    seen_notes: set[str] = set()
    for test in tests:
        note = method_note(test)
        if note is None:
            blocks += [Heading(msg("report.methods.unnamed", test=test)),
                       Paragraph(msg("report.methods.no_note", test=test,
                                     null=nulls.get(test) or "—"))]
            continue
        if note.test in seen_notes:
            continue
        seen_notes.add(note.test)
        blocks += [Heading(note.title), Paragraph(note.method),
                   Paragraph(msg("report.methods.limitations", text=note.limitations))]
        if note.references:
            blocks.append(BulletList(tuple(msg("report.methods.reference", text=ref)
                                           for ref in note.references)))
    return Section(id="methods", title=msg("report.section.methods.title"),
                   blocks=tuple(blocks))


# --------------------------------------------------------------------------------------------
# Title and provenance
# --------------------------------------------------------------------------------------------


def _kind(ctx: ReportContext) -> Message:
    """The kind of election in words: "presidential (simulated)" -> "Presidential election"
    (the qualifier in parentheses is dropped; a simulated case says so on its title page)."""
    base = ctx.election.kind.split("(")[0].strip().lower()
    key = f"report.kind.{base}"
    return msg(key) if base and has_message(key) else msg("report.kind.generic")


def _subtitle(ctx: ReportContext) -> Message:
    e = ctx.election
    return msg("report.subtitle", kind=_kind(ctx), country=country_name(e.country, ctx.lang),
               date=e.date)


def _title(ctx: ReportContext) -> TitleBlock:
    e, lang = ctx.election, ctx.lang
    facts: list[tuple[Message, str]] = [
        (msg("report.fact.date"), format_date(e.date, lang)),
        (msg("report.fact.country"), country_name(e.country, lang) or "—"),
        (msg("report.fact.candidates"), cell(len(e.candidates), "int", lang)),
    ]
    if e.registered:
        facts.append((msg("report.fact.registered"), cell(e.registered, "int", lang)))
    if e.tables:
        facts.append((msg("report.fact.tables"), cell(e.tables, "int", lang)))
    if e.centers:
        facts.append((msg("report.fact.centers"), cell(e.centers, "int", lang)))
    if ctx.sheets is not None:
        facts.append((msg("report.fact.sheets"), cell(len(ctx.sheets), "int", lang)))
    facts.append((msg("report.fact.case"), ctx.case.name))
    facts.append((msg("report.fact.version"), __version__))
    table = Table(columns=(Column("fact", msg("report.col.fact")),
                           Column("value", msg("report.col.value"))),
                  rows=tuple(facts), name="facts")
    return TitleBlock(title=msg("report.title"), subtitle=_subtitle(ctx), case=ctx.case.name,
                      election_id=e.id, election_date=e.date, country=e.country, facts=table,
                      notice=msg("report.simulated_notice") if ctx.simulated else None)


def _case_file(ctx: ReportContext, name: str, role: str) -> InputFile | None:
    path = ctx.case.path / name
    if not path.is_file():
        return None
    return InputFile(path=f"{ctx.case.name}/{name}", role=role, sha256=sha256_file(path),
                     bytes=path.stat().st_size)


def _provenance(ctx: ReportContext) -> ProvenanceInfo:
    inputs: list[InputFile] = []
    if ctx.ingest is not None:
        ingest = ctx.ingest
        inputs += [InputFile(path=p.path, role="sheets", sha256=p.sha256, bytes=p.bytes,
                             rows=p.rows_read, profile=p.profile) for p in ingest.files]
        if ingest.join is not None:
            j = ingest.join.file
            inputs.append(InputFile(path=j.path, role="joined", sha256=j.sha256, bytes=j.bytes,
                                    rows=j.rows_read, profile=j.profile))
        profile_path = Path(ingest.profile.path) if ingest.profile.path else None
        if profile_path is not None and profile_path.is_file():
            inputs.append(InputFile(path=profile_path.name, role="profile",
                                    sha256=sha256_file(profile_path),
                                    bytes=profile_path.stat().st_size))
    elif ctx.sheets is not None:
        inputs += [InputFile(path=p.path, role=p.role, sha256=p.sha256, bytes=p.bytes,
                             rows=p.rows_read, profile=p.profile) for p in ctx.sheets.provenance]
    inputs += [InputFile(path=p.path, role="compared", sha256=p.sha256, bytes=p.bytes,
                         rows=p.rows_read, profile=p.profile)
               for p in ctx.state.compared]
    for name, role in (("election.toml", "election"), ("sources.toml", "manifest"),
                       ("claims.yaml", "claims")):
        entry = _case_file(ctx, name, role)
        if entry is not None:
            inputs.append(entry)
    dispute = ctx.state.dispute
    for source in (dispute.sheets if dispute is not None else ()):
        entry = _case_file(ctx, f"aggregates_{source.label}.csv", "aggregates") \
            if source.kind == "aggregates" else None
        if entry is not None:
            inputs.append(entry)
    parameters = dict(ctx.options.parameters())
    if ctx.ingest is not None:
        parameters["profile"] = ctx.ingest.profile.name
    return ProvenanceInfo(inputs=tuple(inputs), package_version=__version__,
                          parameters=parameters, seed=ctx.options.seed,
                          command=ctx.options.command)


def _provenance_section(ctx: ReportContext, prov: ProvenanceInfo,
                        data: Sequence[str] = ()) -> Section:
    inputs = Table(columns=(
        Column("path", msg("report.col.file")),
        Column("role", msg("report.col.role")),
        Column("bytes", msg("report.col.bytes"), "int"),
        Column("rows", msg("report.col.rows"), "int"),
        Column("sha256", msg("report.col.sha256"), "code"),
    ), rows=tuple((i.path, msg(f"report.role.{i.role}") if has_message(f"report.role.{i.role}")
                   else i.role, i.bytes, i.rows, i.sha256) for i in prov.inputs),
        name="inputs", caption=msg("report.provenance.inputs_caption"), max_rows=200)
    params = Table(columns=(Column("name", msg("report.col.parameter"), "code"),
                            Column("value", msg("report.col.value"), "code")),
                   rows=tuple((k, v if isinstance(v, str) else json.dumps(v))
                              for k, v in sorted(prov.parameters.items())),
                   name="parameters", caption=msg("report.provenance.parameters_caption"))
    command = prov.command or msg("report.provenance.library_call")
    blocks: list[Block] = [
        Paragraph(msg("report.section.provenance.intro")), inputs,
        Paragraph(msg("report.provenance.software", version=prov.package_version)), params,
        Paragraph(msg("report.provenance.command", command=command)),
    ]
    if data:
        blocks.append(Paragraph(msg("report.provenance.data_files",
                                    files=", ".join(f"<name>-{n}.csv" for n in data))))
    if ctx.case.sources:
        blocks.append(Heading(msg("report.provenance.sources_heading")))
        blocks.append(Table(columns=(
            Column("id", msg("report.col.id"), "code"),
            Column("source", msg("report.col.source")),
            Column("side", msg("report.col.side")),
            Column("date", msg("report.col.date")),
            Column("link", msg("report.col.primary"), "link"),
        ), rows=tuple(
            (s.id, s.about.get(ctx.lang) or s.about.get("en") or s.citation or s.file,
             msg(f"report.side.{s.side}") if has_message(f"report.side.{s.side}")
             else msg("report.side.unknown"),
             s.date or "—", s.data_files[0].urls[0] if s.data_files[0].urls else None)
            for s in ctx.case.sources), name="case-sources",
            caption=msg("report.provenance.sources_caption")))
    dispute = ctx.state.dispute
    if dispute is not None and len(dispute.ledger):
        blocks.append(Table(columns=(
            Column("id", msg("report.col.id"), "code"),
            Column("claim", msg("report.col.claim")),
        ), rows=tuple((c.id, capitalize(c.name(ctx.lang))) for c in dispute.ledger.timeline()),
            name="claim-ids", max_rows=500, caption=msg("report.provenance.claims_caption")))
    return Section(id="provenance", title=msg("report.section.provenance.title"),
                   blocks=tuple(blocks))


__all__ = ["build_report", "how_to_supply", "need_message"]
