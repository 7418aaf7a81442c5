"""The one result shape shared by every check (see docs/results.md).

A check is a pure function ``check(inputs, *, options..., rng=None) -> CheckResult`` (or a
subclass adding fields). Results are frozen; derived quantities that need a parameter are
methods returning new values; floats are never rounded here (renderers round).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import pandas as pd

from audit._json import jsonable
from audit.messages import render

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class Evidence(str, Enum):
    """How strongly a result speaks against its null (never a verdict of fraud).

    ``impossible`` is reserved for arithmetic contradictions (no probability involved);
    ``not_tested`` for results that describe without testing (no p-value).
    """

    CONSISTENT = "consistent"
    WEAK = "weak"
    MODERATE = "moderate"
    STRONG = "strong"
    IMPOSSIBLE = "impossible"
    NOT_TESTED = "not_tested"


#: p-value thresholds between evidence levels: p < 0.001 strong, < 0.01 moderate, < 0.05 weak.
EVIDENCE_THRESHOLDS: tuple[tuple[float, Evidence], ...] = (
    (0.001, Evidence.STRONG), (0.01, Evidence.MODERATE), (0.05, Evidence.WEAK))


def evidence_from_pvalue(pvalue: float | None) -> Evidence:
    """The evidence level of a (preferably multiplicity-adjusted) p-value."""
    if pvalue is None or pvalue != pvalue:
        return Evidence.NOT_TESTED
    for threshold, level in EVIDENCE_THRESHOLDS:
        if pvalue < threshold:
            return level
    return Evidence.CONSISTENT


@dataclass(frozen=True)
class Message:
    """A sentence by id and parameters, rendered per language from the catalogues."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str = "en") -> str:
        return render(self.id, self.params, lang)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "params": jsonable(self.params), "text": self.render("en")}


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """Fields every check returns, with the same names in every family.

    Attributes
    ----------
    test : str
        Stable id, e.g. ``"digits.second_digit"``.
    statistic, pvalue : float or None
        As in :mod:`scipy.stats`; ``pvalue`` is None where no test is made.
    effect : float or None
        An effect size in the check's natural unit, named by ``effect_unit``
        (votes, stations, MAD, ...).
    n : int
        Units used (after exclusions, listed in ``excluded`` with their counts).
    null : str
        Which null: ``benford``, ``uniform``, ``simulation(n=999, model=binomial)``,
        ``arithmetic`` ...
    evidence : Evidence
        Strength of evidence against the null (see :class:`Evidence`).
    table : DataFrame
        Tidy detail: one row per digit / region / claim pair; documented per check.
    message : Message
        The plain-language sentence.
    pvalue_adjusted : float or None
        Adjusted for multiple testing by the battery's policy
        (:func:`audit.checks.multiple.adjust`); None outside a battery and for results that
        are descriptive (uncalibrated or textbook nulls).
    pvalue_method : str or None
        How ``pvalue`` was obtained, one of :data:`audit.checks.pvalues.METHODS`
        (``saddlepoint``, ``sequential-monte-carlo``, ``monte-carlo+fitted-tail`` ...).
    z : float or None
        The statistic's standardised distance from the null's centre (observed minus the
        null mean, over the null SD; signed so that positive is the direction tested): the
        strength of a finding where the p-value underflows.
    candidate : str or None
        The candidate whose counts were tested (None: the check is not about one candidate).
    scope : str or None
        Where the battery ran the check: ``"national"`` or ``"<level>:<code>"`` (None
        outside a battery).
    params : mapping
        The options the check ran with (seed included), for reproducibility.
    candidate_name : str or None
        The candidate's name as figures show it (the label in the election metadata of the
        sheets tested; set by the public functions and the battery). Not part of the JSON,
        not compared.
    """

    test: str
    statistic: float | None
    pvalue: float | None
    effect: float | None = None
    effect_unit: str = ""
    n: int = 0
    null: str = ""
    evidence: Evidence = Evidence.NOT_TESTED
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    message: Message = field(default_factory=lambda: Message("common.no_message"))
    pvalue_adjusted: float | None = None
    pvalue_method: str | None = None
    z: float | None = None
    candidate: str | None = None
    scope: str | None = None
    excluded: Mapping[str, int] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    candidate_name: str | None = field(default=None, compare=False,
                                       metadata={"json": False})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # keep the short repr below in subclasses: @dataclass does not replace a __repr__
        # the class itself defines, and it runs after this hook
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = CheckResult.__repr__  # type: ignore[method-assign]

    def __repr__(self) -> str:
        """One line: the test, scope, candidate, statistic, p-value and its method."""
        parts = [repr(self.test)]
        parts += [f"{name}={value!r}" for name, value in (("scope", self.scope),
                                                          ("candidate", self.candidate))
                  if value is not None]
        parts.append(f"statistic={_short(self.statistic)}")
        parts.append(f"pvalue={_short(self.pvalue)}")
        if self.pvalue_adjusted is not None:
            parts.append(f"pvalue_adjusted={_short(self.pvalue_adjusted)}")
        if self.pvalue_method:
            parts.append(f"method={self.pvalue_method!r}")
        parts.append(f"evidence={self.evidence.value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _repr_html_(self) -> str:
        """The result in a notebook: the shared fields, the sentence and the table's head."""
        def short(value: float | None) -> str | None:
            return None if value is None else _short(value)

        who = self.candidate if self.candidate_name in (None, self.candidate) else \
            f"{self.candidate_name} ({self.candidate})"
        rows = [("test", self.test), ("scope", self.scope), ("candidate", who),
                ("statistic", short(self.statistic)), ("z", short(self.z)),
                ("p-value", short(self.pvalue)),
                ("adjusted p-value", short(self.pvalue_adjusted)),
                ("method", self.pvalue_method), ("evidence", self.evidence.value),
                ("effect", f"{_short(self.effect)} {self.effect_unit}".strip()
                 if self.effect is not None else None),
                ("n", f"{self.n:,}"), ("null", self.null)]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                       for k, v in rows if v not in (None, ""))
        table = ""
        if len(self.table):
            shown = self.table.head(12).to_html(index=False, float_format=_short,
                                                border=0)
            more = (f"<p>{len(self.table):,} rows; <code>.table</code> has them all</p>"
                    if len(self.table) > 12 else "")
            table = f"<details><summary>table</summary>{shown}{more}</details>"
        return (f"<div><strong>{html.escape(type(self).__name__)}</strong>"
                f"<table>{body}</table><p>{html.escape(self.sentence)}</p>{table}</div>")

    def plot(self, **options: Any) -> Figure:
        """The result's figure (:func:`audit.figures.plot_result`; options such as
        ``lang=``, ``ax=`` or ``candidate=`` (the name to show; default
        :attr:`candidate_name`, else the key) go to the figure function). Raises
        ``TypeError`` for a result that has no figure."""
        from audit.figures.results import plot_result  # figures import checks: lazily

        return plot_result(self, **options)

    @property
    def sentence(self) -> str:
        """The result in one English sentence (``message.render(lang)`` for others)."""
        return self.message.render("en")

    def named(self, election: Any) -> CheckResult:
        """A copy whose :attr:`candidate_name` is the label ``election`` (an
        :class:`~audit.model.Election`, or None) gives the candidate tested."""
        if self.candidate is None or election is None:
            return self
        return dataclasses.replace(self, candidate_name=election.label(self.candidate))

    def with_adjusted_pvalue(self, adjusted: float | None) -> CheckResult:
        """A copy with ``pvalue_adjusted`` set and the evidence level re-derived from it."""
        evidence = self.evidence
        if adjusted is not None and self.evidence is not Evidence.IMPOSSIBLE:
            evidence = evidence_from_pvalue(adjusted)
        return dataclasses.replace(self, pvalue_adjusted=adjusted, evidence=evidence)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every field (tables as lists of records) but per-station arrays declared
        with ``field(metadata={"json": False})``, which the library result keeps."""
        out = {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
               if f.metadata.get("json", True)}
        out["sentence"] = self.sentence
        return out


def _short(value: float | None) -> str:
    """A number in four significant digits (a repr, never a stored value)."""
    if value is None:
        return "None"
    return f"{value:.4g}"


#: The columns of :func:`results_frame`, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    "test", "scope", "candidate", "statistic", "z", "pvalue", "pvalue_adjusted",
    "pvalue_method", "evidence", "effect", "effect_unit", "n", "null", "sentence")


def results_frame(results: Sequence[CheckResult] | Any) -> pd.DataFrame:
    """One row per result with the shared fields (:data:`RESULT_COLUMNS`): a tidy summary
    table of several tests, pingouin style.

    ``results`` is a sequence of results, one result, or a battery's outcome: the results
    of a :class:`~audit.checks.ForensicsResult` (its ``entries``; its own
    :meth:`~audit.checks.ForensicsResult.results_frame` adds the regions and families) or of
    a :class:`~audit.checks.DisputeResult`.
    """
    if isinstance(results, CheckResult):
        results = [results]
    elif hasattr(results, "entries"):  # a forensics battery
        results = [e.result for e in results.entries]
    elif hasattr(results, "results") and not isinstance(results, Sequence):  # a dispute
        results = list(results.results)
    if isinstance(results, (str, bytes)) or not isinstance(results, Iterable):
        raise TypeError(f"results= must be check results (CheckResult), got "
                        f"{type(results).__name__}")
    results = list(results)
    odd = [type(r).__name__ for r in results if not isinstance(r, CheckResult)]
    if odd:
        raise TypeError(f"results= must hold check results (CheckResult), got {odd[0]}")
    return pd.DataFrame([{
        "test": r.test, "scope": r.scope, "candidate": r.candidate, "statistic": r.statistic,
        "z": r.z, "pvalue": r.pvalue, "pvalue_adjusted": r.pvalue_adjusted,
        "pvalue_method": r.pvalue_method, "evidence": r.evidence.value, "effect": r.effect,
        "effect_unit": r.effect_unit, "n": r.n, "null": r.null, "sentence": r.sentence,
    } for r in results], columns=list(RESULT_COLUMNS))
