"""What a section builder sees: the case, the sheets, options, language and random streams,
and the state the sections of one report share (:class:`ReportState`: the one run of the
forensics battery, the dispute, what was read besides the sheets), held in explicit typed
fields of the context, never in module globals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from audit._random import stream
from audit.cases import Case, SourceFile
from audit.checks import DEFAULT_RESAMPLES
from audit.checks.result import CheckResult, Message
from audit.messages import LANGUAGES
from audit.model import Election, Provenance, SheetTable

if TYPE_CHECKING:
    from audit.aggregate import SheetAggregates
    from audit.checks.dispute import DisputeResult
    from audit.ingest import IngestResult
    from audit.report.battery import Battery, BatteryMemo
    from audit.simulate.calibrate import CalibrationSummary

#: Default seed, the same as the command line's ``--seed`` default.
DEFAULT_SEED = 20240728
#: Most Monte Carlo redraws of the report's simulation nulls: the package's one default
#: (sequential nulls stop early where the p-value is clearly large).
REPORT_RESAMPLES = DEFAULT_RESAMPLES


@dataclass(frozen=True)
class ReportOptions:
    """Options of a report.

    Attributes
    ----------
    lang : {"en", "es"}
        Language of the text and of the figure labels.
    seed : int
        Seed of every Monte Carlo step (each family gets its own child stream).
    max_table_rows : int
        Rows shown per table in PDF, HTML and Markdown (JSON keeps every row).
    figures : bool
        Draw figures (False gives a text-only report, faster).
    command : str
        The exact command that produced the report, for the provenance appendix.
    data_dir : Path, optional
        Where other sources of the case are looked up for cross-source comparisons (never
        downloaded by the report itself).
    n_resamples : int
        Monte Carlo redraws of every simulation null (digit tests ...); stated in the methods.
    regional : bool
        Also run the main calibrated checks in each top-level region (the slow model fit
        stays national).
    skip_checks : tuple of str
        Registered checks (names or families) left out of the report, e.g.
        ``("fingerprints.klimek",)`` for a quick draft without the slow model fit.
    level : str, optional
        Region level of the regional runs (default: the sheets' top level).
    only_sheets : bool
        The report covers only the sheets it was given: the per-region aggregates bundled
        with the case and its other sources on disk are left out (an observer's report on
        their own sheets).
    progress : callable, optional
        Called with each stage's name (a section title, in the report's language) as the
        report is built; the command line prints it on stderr. Not part of the output.
    """

    lang: str = "en"
    seed: int = DEFAULT_SEED
    max_table_rows: int = 60
    figures: bool = True
    command: str = ""
    data_dir: Path | None = None
    n_resamples: int = REPORT_RESAMPLES
    regional: bool = True
    skip_checks: tuple[str, ...] = ()
    level: str | None = None
    only_sheets: bool = False
    progress: Callable[[str], None] | None = field(default=None, compare=False, repr=False)

    def stage(self, name: str) -> None:
        """Report that a stage starts (no-op without a ``progress`` callback)."""
        if self.progress is not None:
            self.progress(name)

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported language {self.lang!r}; choose one of "
                             f"{', '.join(LANGUAGES)}")
        if self.n_resamples < 1:
            raise ValueError("n_resamples must be at least 1")

    def parameters(self) -> dict[str, Any]:
        """The options recorded in the provenance appendix (no paths)."""
        return {"lang": self.lang, "seed": self.seed, "max_table_rows": self.max_table_rows,
                "figures": self.figures, "n_resamples": self.n_resamples,
                "regional": self.regional, "skip_checks": list(self.skip_checks),
                **({"level": self.level} if self.level else {}),
                **({"only_sheets": True} if self.only_sheets else {})}


@dataclass
class ReportState:
    """What the sections of one report compute once and share, each in its own field (None:
    not computed yet). Filled through the :class:`ReportContext` methods that compute them
    (:meth:`ReportContext.battery`, :meth:`ReportContext.dispute` ...); read by the summary,
    the methods and the appendix."""

    #: The report's one run of the forensics battery (:mod:`audit.report.battery`).
    battery: Battery | None = None
    #: The dispute tracker's result (:func:`audit.checks.dispute.audit_dispute`).
    dispute: DisputeResult | None = None
    #: The case's calibration summary, once read (``calibration`` is None without one).
    calibration_read: bool = False
    calibration: CalibrationSummary | None = None
    #: Files of the other sources compared with the sheets (for the appendix).
    compared: list[Provenance] = field(default_factory=list)
    #: Labels of ids (sources, claims) in the report's language.
    names: dict[str, str] | None = None
    #: The case's ``context.toml``, once read.
    case_context: dict[str, Any] | None = None
    #: Other sources of the case found on disk.
    other_sources: tuple[SourceFile, ...] | None = None


@dataclass(frozen=True)
class ReportContext:
    """Inputs of one report, handed to every section builder.

    Attributes
    ----------
    case : Case
        Metadata, sources and claims ledger path.
    sheets : SheetTable or None
        The accepted tally sheets, when any were supplied or found.
    ingest : IngestResult or None
        The ingestion behind ``sheets`` (quarantine, duplicates, provenance), when read from
        files.
    source : SourceFile or None
        The manifest entry the sheets came from, when found through the case's manifest.
    results : mapping
        Results passed by the caller, by family.
    state : ReportState
        What the sections of this report compute once and share.
    memo : BatteryMemo, optional
        Batteries of earlier reports to reuse for the same sheets and options (shared by the
        caller between reports, e.g. one per language); None: none.
    """

    case: Case
    options: ReportOptions
    sheets: SheetTable | None = None
    ingest: IngestResult | None = None
    source: SourceFile | None = None
    results: Mapping[str, Sequence[CheckResult]] = field(default_factory=dict)
    state: ReportState = field(default_factory=ReportState, compare=False, repr=False)
    memo: BatteryMemo | None = field(default=None, compare=False, repr=False)

    @property
    def election(self) -> Election:
        return self.case.election

    @property
    def lang(self) -> str:
        return self.options.lang

    def rng(self, family: str) -> np.random.Generator:
        """An independent random stream for ``family``, derived from the seed and the name.

        Streams depend only on (seed, family), so adding or removing a family never changes
        the numbers of another.
        """
        return stream(self.options.seed, family)

    def text(self, message_id: str, **params: Any) -> str:
        """A message in the report's language (for figure labels)."""
        from audit.report.i18n import text

        return text(Message(message_id, params), self.lang)

    def has(self, need: str) -> bool:
        """Whether an input the hooks can need is available (see ``registry.NEEDS``)."""
        if need == "sheets":
            return self.sheets is not None and len(self.sheets) > 0
        if need == "registered":
            return self.sheets is not None and self.sheets.has("registered")
        if need == "claims":
            return self.case.claims_path is not None
        if need == "second_source":
            return "crosscheck" in self.results or bool(self.other_sources())
        raise ValueError(f"unknown need {need!r}")

    def case_context(self) -> dict[str, Any]:
        """The case's context in the report's language (``context.toml`` of the case folder:
        a table per language with ``summary``, ``cannot`` and ``[[<lang>.items]]`` of
        ``heading`` and ``text``), or an empty mapping."""
        if self.state.case_context is None:
            from audit.cases import read_toml  # size-capped, one-line errors (issue 13)

            path = self.case.path / "context.toml"
            self.state.case_context = read_toml(path) if path.is_file() else {}
        table = self.state.case_context
        chosen = table.get(self.lang) or table.get("en") or {}
        return dict(chosen) if isinstance(chosen, dict) else {}

    @property
    def simulated(self) -> bool:
        """Whether the election is simulated (its metadata ``kind`` says so)."""
        return "simulated" in self.election.kind.lower()

    def other_sources(self) -> list[SourceFile]:
        """Sources of the case other than the sheets' own (and its joined file) whose files
        are on disk (data directory, ``$ELECTION_AUDIT_DATA``, case folder or cache), for
        cross-source comparisons. Nothing is downloaded."""
        if self.state.other_sources is not None:
            return list(self.state.other_sources)
        from audit.data import locate
        from audit.errors import ChecksumError, DataUnavailableError

        found: list[SourceFile] = []
        if self.sheets is not None and not self.options.only_sheets:
            own = {self.source.id, self.source.join} if self.source is not None else set()
            read = {p.sha256 for p in self.ingest.files} if self.ingest is not None else set()
            for source in self.case.sources:
                if source.id in own or source.sha256 in read:
                    continue
                try:
                    locate(self.case, source.id, data_dir=self.options.data_dir,
                           download=False)
                except ChecksumError:
                    raise
                except DataUnavailableError:
                    continue
                found.append(source)
        self.state.other_sources = tuple(found)
        return found

    def battery(self) -> Battery:
        """The report's one run of the registered sheet-level checks on :attr:`sheets`
        (:func:`audit.report.battery.run_battery` with the report's options)."""
        if self.state.battery is None:
            from audit.report.battery import run_battery

            if self.sheets is None:
                raise ValueError("the forensics battery needs tally sheets")
            o = self.options
            self.state.battery = run_battery(self.sheets, seed=o.seed,
                                             n_resamples=o.n_resamples, regional=o.regional,
                                             level=o.level, skip=o.skip_checks,
                                             memo=self.memo)
        return self.state.battery

    def calibration(self) -> CalibrationSummary | None:
        """The case's calibration summary (``calibration.json`` in its folder, read by
        :func:`audit.simulate.calibrate.load_calibration`), once per report; None without
        one. Its rates stand beside each measured test's flag in the battery tables."""
        if not self.state.calibration_read:
            from audit.simulate.calibrate import load_calibration

            self.state.calibration = load_calibration(self.case.path)
            self.state.calibration_read = True
        return self.state.calibration

    def sheet_sources(self) -> dict[str, SheetTable | SheetAggregates]:
        """The report's sheets (as a table) and the bundled aggregates of the other
        sources, by source id."""
        from audit.checks.dispute import bundled_aggregates

        out: dict[str, SheetTable | SheetAggregates] = {}
        own = None
        if self.sheets is not None and len(self.sheets):
            own = self.source.id if self.source is not None else "sheets"
            out[own] = self.sheets
        for agg in () if self.options.only_sheets else bundled_aggregates(self.case):
            if agg.label != own:
                out.setdefault(agg.label, agg)
        return out

    def dispute(self) -> DisputeResult:
        """The dispute tracker's result for the case and :meth:`sheet_sources`, once per
        report."""
        if self.state.dispute is None:
            from audit.checks.dispute import audit_dispute

            self.state.dispute = audit_dispute(self.case, self.sheet_sources() or None)
        return self.state.dispute
