"""Calibration and power of the registered checks on simulated elections (the one engine).

:func:`calibrate` runs every registered sheet-level check (:mod:`audit.checks.registry`) on
``n_sims`` clean elections and, on the first ``n_power`` of them, after each manipulation of
:data:`DEFAULT_SCENARIOS` at several intensities. The clean elections are either

* **shaped like one election** (an :class:`~audit.simulate.ElectionShape`, e.g. fitted to real
  tally sheets with :func:`~audit.simulate.fit_shape`: "clean like this one"), or
* **varied** (a :class:`ShapeSampler`): every simulated election gets its own synthetic shape
  with parameters drawn from documented ranges (station sizes, turnout, shares and the number
  of candidates, regional and station heterogeneity, size effects, turnout–share correlation),
  so that a rate says how a check behaves across many kinds of honest elections (issue 4).

It reports, per check, the **false-positive rate** at level ``alpha`` on the clean elections
with an exact (Clopper–Pearson) 95% confidence interval, and the **power** (share of
manipulated elections flagged) per manipulation and intensity. A row ``battery`` gives the same
for "any calibrated check flags after Benjamini–Hochberg adjustment across the checks".

Reproducibility: simulation ``j`` draws from ``SeedSequence(seed).spawn(n_sims)[j]`` (built
directly as ``spawn_key = (j,)``), and each shape, manipulation and check *family* from its own
child keyed by ``j`` and a CRC-32 of its name. Every check of a family starts from the same
generator state, so the digit tests share one Monte Carlo sample of honest redraws (as in the
forensics battery), and results do not depend on the number of workers, the order in which
they finish, nor on which other checks are run. Checks run with the battery options of
:class:`audit.checks.BatteryOptions` passed to each (``n_resamples`` redraws per
Monte Carlo null). Work is
spread over local processes or a dask.distributed cluster (:mod:`audit.simulate.executors`,
the same results for a seed); a progress bar goes to stderr.

A check's rejection is ``p <= alpha`` (valid p-values, including Monte Carlo ones
``(k + 1)/(R + 1)``, satisfy ``P(p <= alpha) <= alpha`` under their null).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import pandas as pd
from scipy import stats

from audit._json import jsonable
from audit._random import stream
from audit._version import __version__
from audit.checks import DEFAULT_RESAMPLES, BatteryOptions, DrawCache
from audit.checks.multiple import adjusted_pvalues, family
from audit.checks.registry import CheckSpec, registered
from audit.model import SheetTable
from audit.simulate.engine import simulate
from audit.simulate.executors import map_chunks
from audit.simulate.manipulate import (
    RUNNER_UP,
    duplicate_sheets,
    fabricate_sheets,
    inflate_turnout,
    klimek_fraud,
    stuff_ballots,
    switch_votes,
    withhold_sheets,
)
from audit.simulate.shape import ElectionShape, fit_shape

CLEAN = "clean"
BATTERY = "battery"
#: The row of the battery's own verdict (flagged or not), when a verdict function is given.
VERDICT = "verdict"
Manipulation = Callable[..., tuple[SheetTable, pd.DataFrame]]
#: A verdict on one election: ``verdict(sheets, seed) -> flagged`` (see :func:`calibrate`).
VerdictFunction = Callable[[SheetTable, int], bool]


@dataclass(frozen=True)
class Scenario:
    """A manipulation run at several intensities for power.

    ``func(sheets, **kwargs, **{parameter: intensity}, rng=...)`` must return
    ``(sheets, truth)`` (the functions of :mod:`audit.simulate.manipulate`).
    """

    name: str
    func: Manipulation
    parameter: str
    intensities: tuple[float, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    needs: frozenset[str] = frozenset()
    description: str = ""

    def apply(self, sheets: SheetTable, intensity: float, rng: np.random.Generator
              ) -> SheetTable:
        return self.func(sheets, **self.kwargs, **{self.parameter: intensity}, rng=rng)[0]


REG = frozenset({"registered"})

#: The manipulations of :mod:`audit.simulate.manipulate` that act on sheets, with intensities
#: spanning "barely there" to "blatant". Totals altered at aggregation leave the sheets
#: untouched, so no sheet-level check can see them: they are tested by comparing claims with
#: sheets, not here.
DEFAULT_SCENARIOS: tuple[Scenario, ...] = (
    Scenario("klimek_incremental", klimek_fraud, "f_i", (0.05, 0.1, 0.2, 0.4),
             {"alpha": 2.0}, REG,
             "Klimek et al. (2012) incremental fraud (stuffing + stealing) at a share f_i of "
             "stations"),
    Scenario("klimek_extreme", klimek_fraud, "f_e", (0.005, 0.01, 0.02, 0.05),
             {"f_i": 0.0}, REG,
             "Klimek et al. (2012) extreme fraud (turnout and share near 100%) at a share f_e "
             "of stations"),
    Scenario("ballot_stuffing", stuff_ballots, "fraction", (0.02, 0.05, 0.1, 0.2),
             {"intensity": (0.05, 0.3)}, REG,
             "5-30% of non-voters stuffed for the leader at a share of stations"),
    Scenario("ballot_stuffing_runner_up", stuff_ballots, "fraction", (0.02, 0.05, 0.1, 0.2),
             {"intensity": (0.05, 0.3), "candidate": RUNNER_UP}, REG,
             "5-30% of non-voters stuffed for the runner-up at a share of stations"),
    Scenario("vote_switching", switch_votes, "fraction", (0.05, 0.1, 0.2, 0.4),
             {"share": (0.05, 0.2)}, frozenset(),
             "5-20% of the other candidates' votes moved to the leader at a share of stations"),
    Scenario("turnout_inflation", inflate_turnout, "fraction", (0.05, 0.1, 0.2, 0.4),
             {"share": (0.1, 0.3)}, REG,
             "10-30% of non-voters added as ballots split like the station's votes"),
    Scenario("round_percent", fabricate_sheets, "fraction", (0.01, 0.02, 0.05, 0.1),
             {"method": "round_percent"}, frozenset(),
             "turnout and the leader's result rounded to whole percentages"),
    Scenario("digit_preference", fabricate_sheets, "fraction", (0.05, 0.1, 0.2, 0.4),
             {"method": "digit_preference"}, frozenset(),
             "last digits of the counts replaced with human digit preferences"),
    Scenario("invented", fabricate_sheets, "fraction", (0.01, 0.02, 0.05, 0.1),
             {"method": "invented"}, frozenset(),
             "numbers invented without counting"),
    Scenario("withheld", withhold_sheets, "fraction", (0.05, 0.1, 0.2),
             {"strength": 2.0}, frozenset(),
             "tables where the runner-up did best withheld"),
    Scenario("duplicates", duplicate_sheets, "fraction", (0.01, 0.02, 0.05, 0.1),
             {"within": "center"}, frozenset(),
             "results copied from another table of the same centre"),
)


# --------------------------------------------------------------------------------------------
# varied clean elections
# --------------------------------------------------------------------------------------------

#: Ranges of the varied clean elections: (low, high), drawn uniformly, or log-uniformly for the
#: keys in :data:`LOG_UNIFORM`. Concentrations are Beta concentrations of the sub-region, centre
#: and table layers (smaller: more heterogeneity); ``size_effect`` is the logit slope of
#: turnout on log station size; ``correlation`` that of turnout and the leader's share between
#: centres.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "size_median": (120.0, 700.0),
    "size_sigma": (0.2, 0.6),
    "turnout": (0.45, 0.8),
    "leader_share": (0.35, 0.65),
    "others": (1, 3),
    "n_regions": (5, 30),
    "region_concentration": (60.0, 400.0),
    "subregion_concentration": (100.0, 2000.0),
    "centre_concentration": (100.0, 2000.0),
    "table_concentration": (80.0, 600.0),
    "null_rate": (0.005, 0.04),
    "size_effect": (-0.3, 0.3),
    "correlation": (-0.3, 0.3),
}
#: Extra ranges of the *layered* varied elections (region > sub-region > municipality >
#: centre > table): units per parent at the two random region levels, the municipality
#: layer's Beta concentration (Venezuela 2024 within states: about 60 for the leader's share;
#: Córdoba 2019 circuits within sections: about 10) and its turnout–leader correlation (a
#: municipality's turnout and leaning go together, in either direction).
LAYERED_RANGES: dict[str, tuple[float, float]] = {
    "subregions_per_region": (2, 6),
    "municipalities_per_subregion": (2, 8),
    "municipality_concentration": (10.0, 300.0),
    "municipality_correlation": (-0.5, 0.5),
}
LOG_UNIFORM = frozenset({"size_median", "region_concentration", "subregion_concentration",
                         "centre_concentration", "table_concentration",
                         "municipality_concentration"})
_INTEGER = frozenset({"others", "n_regions", "subregions_per_region",
                      "municipalities_per_subregion"})


@dataclass(frozen=True)
class ShapeSampler:
    """Varied clean elections: a new synthetic shape per simulated election.

    Each draw picks the parameters of :meth:`ElectionShape.synthetic` from ``ranges`` (default
    :data:`PARAMETER_RANGES`; integers for ``others`` and ``n_regions``): the leader's share,
    1-3 other candidates sharing the rest (Dirichlet with concentration 3 each), station sizes
    (log-normal, at least 20 voters), turnout, null votes, regional means and the dispersion
    of every layer below them, a size effect and a turnout–share correlation. A false-positive
    rate over these elections says how a check behaves across many kinds of honest election
    of about ``n_tables`` tables.
    """

    n_tables: int = 5_000
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    name: str = ""
    layered: bool = False

    def __post_init__(self) -> None:
        if not self.ranges:
            ranges = dict(PARAMETER_RANGES)
            if self.layered:
                ranges.update(LAYERED_RANGES)
            object.__setattr__(self, "ranges", ranges)
        if not self.name:
            object.__setattr__(self, "name", "layered" if self.layered else "varied")

    def parameters(self, rng: np.random.Generator) -> dict[str, Any]:
        """One draw of the parameters (see :data:`PARAMETER_RANGES`, :data:`LAYERED_RANGES`)."""
        out: dict[str, Any] = {}
        for key, (low, high) in self.ranges.items():
            if key in _INTEGER:
                out[key] = int(rng.integers(int(low), int(high) + 1))
            elif key in LOG_UNIFORM:
                out[key] = float(np.exp(rng.uniform(np.log(low), np.log(high))))
            else:
                out[key] = float(rng.uniform(low, high))
        leader = out.pop("leader_share")
        others = rng.dirichlet(np.full(out.pop("others"), 3.0)) * (1.0 - leader)
        out["shares"] = [leader, *map(float, others)]
        return out

    def draw(self, rng: np.random.Generator) -> ElectionShape:
        """A synthetic shape with parameters drawn from the ranges."""
        p = self.parameters(rng)
        layers: dict[str, Any] = {
            "concentration": (p["subregion_concentration"], p["centre_concentration"],
                              p["table_concentration"]),
            "correlation": p["correlation"]}
        if self.layered:
            layers = {
                "levels": ("region", "subregion", "municipality"),
                "subregions_per_region": (p["subregions_per_region"],
                                          p["municipalities_per_subregion"]),
                "concentration": (p["subregion_concentration"],
                                  p["municipality_concentration"],
                                  p["centre_concentration"], p["table_concentration"]),
                "correlation": (0.0, p["municipality_correlation"], p["correlation"], 0.0)}
        return ElectionShape.synthetic(
            n_tables=self.n_tables, shares=p["shares"], n_regions=p["n_regions"],
            turnout=p["turnout"], size_median=p["size_median"], size_sigma=p["size_sigma"],
            size_min=20, null_rate=p["null_rate"],
            region_concentration=p["region_concentration"], size_effect=p["size_effect"],
            rng=rng, **layers)

    @property
    def n_units(self) -> int:
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tables": self.n_tables, "varied": True,
                "layered": self.layered,
                "levels": ["region", "subregion", "municipality"] if self.layered
                else ["region", "subregion"],
                "ranges": {k: list(v) for k, v in self.ranges.items()},
                "log_uniform": sorted(LOG_UNIFORM & set(self.ranges))}


@dataclass(frozen=True)
class Calibration:
    """False-positive rates and power of checks on simulated elections.

    Attributes
    ----------
    table : DataFrame
        One row per check × scenario × intensity: ``check``, ``family``, ``calibrated``,
        ``scenario`` (``"clean"`` or a manipulation), ``intensity``, ``sims`` (elections),
        ``tested`` (with a p-value), ``rejections`` (``p <= alpha``), ``rate`` and its 95%
        Clopper–Pearson interval ``ci_low``/``ci_high``, ``skipped``, ``errors``,
        ``error_example`` and, on clean rows, ``verdict`` (``calibrated``,
        ``anti-conservative``, ``conservative``).
    runs : DataFrame
        One row per election and check: ``scenario``, ``intensity``, ``sim``, ``check``,
        ``pvalue``, ``status`` (``ok``, ``no-pvalue``, ``skipped``, ``error``), ``detail``.
    shape : ElectionShape or ShapeSampler
        The shape the clean elections were drawn from (or the sampler of varied shapes).
    n_resamples : int
        Monte Carlo redraws per simulation null of every check.
    """

    table: pd.DataFrame
    runs: pd.DataFrame
    shape: ElectionShape | ShapeSampler
    seed: int
    n_sims: int
    n_power: int
    alpha: float
    checks: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    provenance: tuple[dict[str, Any], ...] = ()
    n_resamples: int = DEFAULT_RESAMPLES

    def false_positive_rates(self) -> pd.DataFrame:
        return self.table[self.table["scenario"] == CLEAN].reset_index(drop=True)

    def power(self) -> pd.DataFrame:
        return self.table[self.table["scenario"] != CLEAN].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe summary (the per-run p-values are left out)."""
        return {
            "schema": "election-audit/calibration",
            "version": 1,
            "package_version": __version__,
            "seed": self.seed,
            "n_sims": self.n_sims,
            "n_power": self.n_power,
            "n_resamples": self.n_resamples,
            "alpha": self.alpha,
            "checks": list(self.checks),
            "scenarios": [{"name": s.name, "parameter": s.parameter,
                           "intensities": list(s.intensities), "description": s.description,
                           "options": jsonable(dict(s.kwargs))} for s in self.scenarios],
            "shape": self.shape.to_dict(),
            "provenance": list(self.provenance),
            "table": jsonable(self.table),
        }

    def summary(self, *, label: str = "", command: str = "") -> dict[str, Any]:
        """A small JSON-safe summary (a few kB): per test its false-positive rate with the
        95% interval and, for calibrated tests, its power per manipulation and intensity;
        the simulator's settings, the seed and the command. Read back with
        :func:`load_calibration`; the full table is :attr:`table` (the CSV output)."""
        fpr = self.false_positive_rates()
        false_positive = {
            str(r["check"]): {"calibrated": bool(r["calibrated"]), "tested": int(r["tested"]),
                              "rejections": int(r["rejections"]), "rate": _sig(r["rate"]),
                              "ci": [_sig(r["ci_low"]), _sig(r["ci_high"])],
                              "verdict": str(r["verdict"])}
            for _, r in fpr.iterrows()}
        power: dict[str, dict[str, Any]] = {}
        table = self.power()
        for (check, scenario), g in table[table["calibrated"]].groupby(
                ["check", "scenario"], sort=False):
            power.setdefault(str(check), {})[str(scenario)] = {
                "intensity": [float(x) for x in g["intensity"]],
                "rate": [_sig(x) for x in g["rate"]],
                "tested": [int(x) for x in g["tested"]]}
        return {
            "schema": SUMMARY_SCHEMA, "version": 1, "package_version": __version__,
            "label": label, "command": command, "seed": self.seed, "n_sims": self.n_sims,
            "n_power": self.n_power, "n_resamples": self.n_resamples, "alpha": self.alpha,
            "simulator": _simulator_settings(self.shape),
            "scenarios": {sc.name: {"parameter": sc.parameter, "description": sc.description}
                          for sc in self.scenarios},
            "provenance": [{k: p.get(k) for k in ("path", "sha256", "rows_read", "profile")}
                           for p in self.provenance],
            "false_positive": false_positive,
            "power": power,
        }


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def calibrate(target: ElectionShape | ShapeSampler | SheetTable, *,
              checks: Sequence[CheckSpec] | None = None, n_sims: int = 200,
              n_power: int | None = None, n_slow: int | None = None,
              scenarios: Sequence[Scenario] | None = DEFAULT_SCENARIOS, alpha: float = 0.05,
              seed: int | None = 20240728, n_resamples: int = DEFAULT_RESAMPLES,
              workers: int | None = None, progress: bool = False,
              verdict: VerdictFunction | None = None,
              scheduler: str | None = None) -> Calibration:
    """False-positive rates and power of checks on elections shaped like ``target``.

    Parameters
    ----------
    target
        A shape, a :class:`ShapeSampler` (a new varied shape per election), or tally sheets
        to fit a shape to (:func:`fit_shape` with defaults).
    checks
        Checks to run (default: every registered check).
    n_sims
        Clean elections simulated.
    n_power
        Of these, how many are also manipulated for each scenario and intensity (default
        ``min(n_sims, 100)``).
    n_slow
        Elections on which checks registered as not ``fast`` run (default ``n_sims // 5``).
    scenarios
        Manipulations for power (None or empty: false-positive rates only).
    alpha
        Nominal level.
    seed
        Root seed; the same seed gives the same tables (None: fresh entropy, recorded in
        the result).
    n_resamples
        Monte Carlo redraws per simulation null (the battery option every check reads).
    workers
        Processes (default: all cores; 1 runs in this process).
    progress
        Show a progress bar on stderr.
    verdict
        A function ``verdict(sheets, seed) -> bool`` giving the battery's verdict on one
        election (flagged or not), e.g. :func:`forensics_verdict`; its flag rate gets a row
        ``verdict`` (the family-wise flag rate on clean elections, the power on manipulated
        ones). Must be picklable (a module-level function) when ``workers > 1``.
    scheduler
        Address of a dask.distributed scheduler (``tcp://host:8786``) to run the simulations
        on instead of local processes (:mod:`audit.simulate.executors`); the results are the
        same for a seed.
    """
    shape = target if isinstance(target, (ElectionShape, ShapeSampler)) else fit_shape(target)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    specs = tuple(checks) if checks is not None else tuple(registered())
    if n_sims < 1:
        raise ValueError("n_sims must be at least 1")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")
    n_power = min(n_sims, 100 if n_power is None else n_power)
    n_slow = min(n_sims, max(1, n_sims // 5) if n_slow is None else n_slow)
    chosen = tuple(s for s in (scenarios or ()) if s.needs <= _columns(shape))
    conditions = [(s, x) for s in chosen for x in s.intensities]
    job = _Job(shape=shape, checks=specs, conditions=tuple(conditions), seed=seed,
               n_power=n_power, n_slow=n_slow, n_resamples=n_resamples, verdict=verdict)
    workers = (os.cpu_count() or 1) if workers is None else max(1, workers)
    records = _run(job, n_sims, workers, progress, scheduler)
    runs = pd.DataFrame.from_records(records, columns=list(_Job.COLUMNS))
    runs = runs.sort_values(["scenario", "intensity", "sim", "check"], kind="stable",
                            key=_scenario_order(chosen)).reset_index(drop=True)
    table = summarise(runs, specs, chosen, alpha)
    provenance = tuple(p.to_dict() for p in getattr(target, "provenance", ()))
    return Calibration(table=table, runs=runs, shape=shape, seed=seed, n_sims=n_sims,
                       n_power=n_power if chosen else 0, alpha=alpha,
                       checks=tuple(s.name for s in specs), scenarios=chosen,
                       provenance=provenance, n_resamples=n_resamples)


def _columns(shape: ElectionShape | ShapeSampler) -> frozenset[str]:
    if isinstance(shape, ShapeSampler):  # synthetic shapes: registered, voters and null
        return frozenset({"valid", "registered", "voters", "null"})
    cols = {"valid"}
    for flag, col in ((shape.has_registered, "registered"), (shape.has_voters, "voters"),
                      (shape.has_null, "null"), (shape.has_blank, "blank")):
        if flag:
            cols.add(col)
    return frozenset(cols)


def _scenario_order(scenarios: Sequence[Scenario]) -> Callable[[pd.Series], pd.Series]:
    rank = {CLEAN: -1, **{s.name: i for i, s in enumerate(scenarios)}}

    def key(col: pd.Series) -> pd.Series:
        return col.map(rank) if col.name == "scenario" else col

    return key


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs (pickled once per worker)."""

    shape: ElectionShape | ShapeSampler
    checks: tuple[CheckSpec, ...]
    conditions: tuple[tuple[Scenario, float], ...]
    seed: int
    n_power: int
    n_slow: int
    n_resamples: int = DEFAULT_RESAMPLES
    verdict: VerdictFunction | None = None

    COLUMNS = ("scenario", "intensity", "sim", "check", "pvalue", "status", "detail")

    def seed_for(self, sim: int, *parts: str) -> np.random.Generator:
        """The generator of simulation ``sim`` and a named step (independent streams)."""
        return stream(self.seed, sim, *parts)

    def run_sim(self, sim: int) -> list[tuple[Any, ...]]:
        shape = self.shape.draw(self.seed_for(sim, "shape")) \
            if isinstance(self.shape, ShapeSampler) else self.shape
        sheets = simulate(shape, self.seed_for(sim, "clean"))
        out = self.run_checks(sheets, sim, CLEAN, np.nan)
        if sim < self.n_power:
            for scenario, x in self.conditions:
                tag = f"{scenario.name}:{x!r}"
                manipulated = scenario.apply(sheets, x, self.seed_for(sim, tag))
                out += self.run_checks(manipulated, sim, scenario.name, x, tag)
        return out

    def run_checks(self, sheets: SheetTable, sim: int, scenario: str, intensity: float,
                   tag: str = CLEAN) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        options = BatteryOptions(n_resamples=self.n_resamples, cache=DrawCache())
        for spec in self.checks:
            row = self._run_one(spec, sheets, sim, scenario, intensity, tag, options)
            if row:
                rows.append(row)
        if self.verdict is not None:
            rows.append(self._verdict(sheets, sim, scenario, intensity, tag))
        return rows

    def _verdict(self, sheets: SheetTable, sim: int, scenario: str, intensity: float,
                 tag: str) -> tuple[Any, ...]:
        """The verdict row: ``pvalue`` 0 when flagged, 1 when not (so ``p <= alpha`` counts
        the flags), ``detail`` says which; errors are reported like a check's."""
        assert self.verdict is not None
        seed = int(self.seed_for(sim, tag, VERDICT).integers(2 ** 63))
        try:
            flagged = bool(self.verdict(sheets, seed))
        except Exception as exc:  # reported in the table, never hidden
            return (scenario, intensity, sim, VERDICT, np.nan, "error",
                    f"{type(exc).__name__}: {exc}")
        return (scenario, intensity, sim, VERDICT, 0.0 if flagged else 1.0, "ok",
                "flagged" if flagged else "not flagged")

    def _run_one(self, spec: CheckSpec, sheets: SheetTable, sim: int, scenario: str,
                 intensity: float, tag: str, options: BatteryOptions) -> tuple[Any, ...]:
        """One check on one election: a row of :attr:`COLUMNS` (never raises)."""
        if not spec.fast and sim >= self.n_slow:
            return ()
        missing = sorted(c for c in spec.needs if not sheets.has(c))
        if missing:
            return (scenario, intensity, sim, spec.name, np.nan, "skipped",
                    f"needs {', '.join(missing)}")
        if len(sheets) < spec.min_units:
            return (scenario, intensity, sim, spec.name, np.nan, "skipped",
                    f"fewer than {spec.min_units} sheets")
        try:
            # one generator per check family: the checks of a family share their redraws
            result = spec.run(sheets, self.seed_for(sim, tag, spec.family), options)
        except Exception as exc:  # reported in the table, never hidden
            return (scenario, intensity, sim, spec.name, np.nan, "error",
                    f"{type(exc).__name__}: {exc}")
        p = result.pvalue
        if p is None or not np.isfinite(p):
            return (scenario, intensity, sim, spec.name, np.nan, "no-pvalue", "")
        return (scenario, intensity, sim, spec.name, float(p), "ok", "")


def _run_sims(job: _Job, sims: Sequence[int]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for sim in sims:
        out += job.run_sim(sim)
    return out


def _run(job: _Job, n_sims: int, workers: int, progress: bool,
         scheduler: str | None = None) -> list[tuple[Any, ...]]:
    bar = _progress(n_sims, progress)
    records: list[tuple[Any, ...]] = []
    try:
        for done, rows in map_chunks(_run_sims, job, range(n_sims), workers=workers,
                                     scheduler=scheduler):
            records += rows
            bar.update(done)
        return records
    finally:
        bar.close()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool) -> Any:
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="simulated elections", unit="election", file=sys.stderr,
                dynamic_ncols=True)


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact binomial confidence interval for ``k`` successes in ``n`` trials."""
    if n == 0:
        return (np.nan, np.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def summarise(runs: pd.DataFrame, checks: Sequence[CheckSpec], scenarios: Sequence[Scenario],
              alpha: float) -> pd.DataFrame:
    """The calibration table from per-run p-values (see :class:`Calibration`)."""
    spec = {s.name: s for s in checks}
    runs = runs[runs["check"].isin(spec) | (runs["check"] == VERDICT)]
    rows: list[dict[str, Any]] = []
    groups: list[tuple[str, float]] = [(CLEAN, np.nan)]
    groups += [(s.name, x) for s in scenarios for x in s.intensities]
    for scenario, intensity in groups:
        sel = runs[(runs["scenario"] == scenario)
                   & ((runs["intensity"] == intensity) if scenario != CLEAN else True)]
        for name in [s.name for s in checks]:
            part = sel[sel["check"] == name]
            rows.append(_row(name, spec[name].family, spec[name].calibrated, scenario,
                             intensity, part, alpha))
        rows.append(_battery_row(sel[sel["check"] != VERDICT], spec, scenario, intensity,
                                 alpha))
        if (sel["check"] == VERDICT).any():
            rows.append(_row(VERDICT, "", True, scenario, intensity,
                             sel[sel["check"] == VERDICT], alpha))
    table = pd.DataFrame(rows)
    return table


def _row(name: str, family: str, calibrated: bool, scenario: str, intensity: float,
         part: pd.DataFrame, alpha: float) -> dict[str, Any]:
    ok = part[part["status"] == "ok"]
    k = int((ok["pvalue"] <= alpha).sum())
    n = len(ok)
    low, high = clopper_pearson(k, n)
    errors = part[part["status"] == "error"]
    verdict = ""
    if scenario == CLEAN and n:
        verdict = ("anti-conservative" if low > alpha else
                   "conservative" if high < alpha else "calibrated")
    return {"check": name, "family": family, "calibrated": calibrated, "scenario": scenario,
            "intensity": intensity, "sims": int(part["sim"].nunique()), "tested": n,
            "rejections": k, "rate": k / n if n else np.nan, "ci_low": low, "ci_high": high,
            "skipped": int((part["status"] == "skipped").sum()),
            "errors": len(errors),
            "error_example": str(errors["detail"].iloc[0]) if len(errors) else "",
            "verdict": verdict}


def _battery_row(sel: pd.DataFrame, spec: Mapping[str, CheckSpec], scenario: str,
                 intensity: float, alpha: float) -> dict[str, Any]:
    """Any calibrated check flags after the national adjustment of
    :mod:`audit.checks.multiple` (Benjamini–Hochberg across the checks of a run)."""
    ok = sel[(sel["status"] == "ok") & sel["check"].map(lambda c: spec[c].calibrated)]
    flags = [any(p is not None and p <= alpha for p in adjusted_pvalues(
                 list(g["pvalue"]), [family(None, c, None) for c in g["check"]]))
             for _, g in ok.groupby("sim", sort=True)]
    k, n = int(sum(flags)), len(flags)
    low, high = clopper_pearson(k, n)
    verdict = ""
    if scenario == CLEAN and n:
        verdict = ("anti-conservative" if low > alpha else
                   "conservative" if high < alpha else "calibrated")
    return {"check": BATTERY, "family": "", "calibrated": True, "scenario": scenario,
            "intensity": intensity, "sims": n, "tested": n, "rejections": k,
            "rate": k / n if n else np.nan, "ci_low": low, "ci_high": high, "skipped": 0,
            "errors": 0, "error_example": "", "verdict": verdict}


# --------------------------------------------------------------------------------------------
# markdown
# --------------------------------------------------------------------------------------------


def to_markdown(cal: Calibration, *, title: str, command: str = "",
                figure: str | None = None) -> str:
    """A Markdown report of a calibration (deterministic: no dates)."""
    shape = cal.shape.to_dict()
    lines = [f"# {title}", ""]
    if command:
        lines += ["Generated by the command below; do not edit by hand.", "", "```bash",
                  command, "```", ""]
    lines += [
        f"- package version {__version__}; seed {cal.seed}; alpha {cal.alpha:g}; "
        f"{cal.n_resamples} Monte Carlo redraws per null",
        f"- {cal.n_sims} clean simulated elections; power on {cal.n_power} per manipulation "
        f"and intensity",
    ]
    if isinstance(cal.shape, ShapeSampler):
        ranges = "; ".join(f"{k} {_range(v)}" + (" (log-uniform)" if k in LOG_UNIFORM else "")
                           for k, v in cal.shape.ranges.items())
        lines.append(f"- varied shapes: every election has its own synthetic shape of "
                     f"{shape['tables']:,} tables (region levels "
                     f"{' > '.join(shape['levels'])}, then centres and tables), parameters "
                     f"drawn uniformly from: {ranges}")
    else:
        lines.append(
            f"- shape: {shape['tables']:,} tables; region levels "
            f"{' > '.join(shape['levels']) or 'none'}; means fixed per "
            f"{shape['mean_level'] or 'nation'} ({shape['mean_level_units']:,} units), layers "
            f"of variation {', '.join(shape['intraclass_correlation'])}; "
            f"{'observed tables reused' if shape['fixed_structure'] else 'geography drawn anew'}")
    for p in cal.provenance:
        lines.append(f"- input {p.get('path')} (sha256 {str(p.get('sha256'))[:16]}…, "
                     f"{p.get('rows_read')} rows, profile {p.get('profile')})")
    fit = shape.get("fit", {})
    if fit.get("tables"):
        lines.append(f"- fit: {fit.get('used'):,} of {fit.get('tables'):,} tables used; "
                     f"{fit.get('excluded_outliers'):,} left out as outliers (robust z > "
                     f"{fit.get('outlier_z')}), {fit.get('excluded_impossible'):,} with more "
                     f"ballots than voters")
    lines += ["", "## False-positive rates on clean simulated elections", "",
              f"Share of clean elections in which the check gives p ≤ {cal.alpha:g}, with a "
              "95% Clopper–Pearson interval. A calibrated check should be near "
              f"{cal.alpha:g}; `anti-conservative` means its interval lies above it (the check "
              "flags honest elections of this shape too often).", "",
              "| check | calibrated null | elections | rate | 95% CI | verdict | notes |",
              "|---|---|---:|---:|---|---|---|"]
    for _, r in cal.false_positive_rates().iterrows():
        lines.append(f"| {r['check']} | {'yes' if r['calibrated'] else 'no (textbook)'} | "
                     f"{r['tested']} | {_pct(r['rate'])} | {_ci(r)} | {r['verdict']} | "
                     f"{row_notes(r)} |")
    if cal.scenarios:
        lines += ["", "## Power against manipulations", "",
                  f"Share of manipulated elections in which the check gives p ≤ {cal.alpha:g}."
                  " Intensity is the manipulation's parameter (share of stations unless "
                  "noted).", ""]
        power = cal.power()
        checks = list(dict.fromkeys(power["check"]))
        header = "| manipulation | intensity | " + " | ".join(checks) + " |"
        lines += [header, "|---|---:|" + "---:|" * len(checks)]
        for (scenario, intensity), g in power.groupby(["scenario", "intensity"], sort=False):
            rates = g.set_index("check")["rate"]
            lines.append(f"| {scenario} | {intensity:g} | "
                         + " | ".join(_pct(rates.get(c, np.nan)) for c in checks) + " |")
        lines += ["", "Manipulations:", ""]
        for s in cal.scenarios:
            lines.append(f"- `{s.name}` ({s.parameter}): {s.description}")
    if figure:
        lines += ["", f"![Calibration]({figure})"]
    lines += ["", "How to read this: a rate is an estimate from a finite number of simulated "
              "elections; the model behind them (docs/simulate.md) is a clean election *of "
              "this shape*, not the truth about the real one. Heterogeneity the model does not "
              "reproduce (see its known limits) can still make a check flag a real honest "
              "election.", ""]
    return "\n".join(lines)


def row_notes(row: pd.Series, *, example: int = 60) -> str:
    """Skipped runs and errors of a calibration table row, as a short note."""
    notes = []
    if row["skipped"]:
        notes.append(f"skipped {row['skipped']}")
    if row["errors"]:
        notes.append(f"errors {row['errors']}: {str(row['error_example'])[:example]}")
    return "; ".join(notes)


def _range(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g}–{bounds[1]:g}"


def _pct(x: float) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"


def _ci(r: pd.Series) -> str:
    if not np.isfinite(r["ci_low"]):
        return "—"
    return f"{100 * r['ci_low']:.1f}–{100 * r['ci_high']:.1f}%"


# --------------------------------------------------------------------------------------------
# per-case summaries: what the outputs show beside each calibrated test
# --------------------------------------------------------------------------------------------

SUMMARY_SCHEMA = "election-audit/calibration-summary"
#: The power a test's "best" manipulation must reach (:meth:`CalibrationSummary.best_power`).
POWER_TARGET = 0.8
#: File name of a case's calibration summary, in the case folder.
CASE_FILE = "calibration.json"


def _sig(x: Any, digits: int = 4) -> float | None:
    """``x`` to ``digits`` significant digits (None for NaN): small, stable JSON."""
    value = float(x)
    return None if not np.isfinite(value) else float(f"{value:.{digits}g}")


def _simulator_settings(shape: ElectionShape | ShapeSampler) -> dict[str, Any]:
    """The simulator's settings without the per-region detail (see ``docs/simulate.md``)."""
    info = shape.to_dict()
    if isinstance(shape, ShapeSampler):
        return info
    keep = ("name", "tables", "levels", "mean_level", "mean_level_units", "columns",
            "fixed_structure", "size_quantiles", "size_correlation", "tables_per_center")
    out = {k: info[k] for k in keep if k in info}
    out["layers"] = list(shape.layers)
    out["intraclass_correlation"] = {
        layer: {split: _sig(v) for split, v in splits.items()}
        for layer, splits in info["intraclass_correlation"].items()}
    out["turnout_leader_correlation"] = {k: _sig(v) for k, v in
                                         info["turnout_leader_correlation"].items()}
    out["size_effect"] = {k: _sig(v) for k, v in info["size_effect"].items()}
    out["fit"] = {k: v for k, v in info.get("fit", {}).items()}
    return out


def summary_json(summary: Mapping[str, Any]) -> str:
    """A summary as deterministic JSON, one line per test, setting and manipulation (small
    and readable in a diff; ``json.loads`` reads it as any JSON)."""
    import json

    from audit._json import jsonable

    def one(value: Any) -> str:
        return json.dumps(jsonable(value), sort_keys=True, ensure_ascii=False,
                          allow_nan=False)

    lines = ["{"]
    items = sorted(summary.items())
    for i, (key, value) in enumerate(items):
        end = "," if i < len(items) - 1 else ""
        if isinstance(value, Mapping) and value:
            lines.append(f"  {one(key)}: {{")
            inner = sorted(value.items())
            lines += [f"    {one(k)}: {one(v)}{',' if j < len(inner) - 1 else ''}"
                      for j, (k, v) in enumerate(inner)]
            lines.append(f"  }}{end}")
        else:
            lines.append(f"  {one(key)}: {one(value)}{end}")
    return "\n".join(lines) + "\n}\n"


@dataclass(frozen=True)
class CalibrationSummary:
    """A calibration summary read back (:func:`load_calibration`).

    ``data`` is the JSON written by :meth:`Calibration.summary`. The methods answer what an
    output shows beside a calibrated test's flag: its measured false-positive rate on
    simulated clean elections shaped like the audited one, with the interval, and its power.
    """

    data: Mapping[str, Any]
    path: str = ""

    @property
    def seed(self) -> int:
        return int(self.data["seed"])

    @property
    def n_sims(self) -> int:
        return int(self.data["n_sims"])

    @property
    def alpha(self) -> float:
        return float(self.data["alpha"])

    @property
    def simulator(self) -> Mapping[str, Any]:
        """The simulator's settings (shape summary or the varied ranges)."""
        return self.data["simulator"]

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(self.data["false_positive"])

    def false_positive(self, test: str) -> Mapping[str, Any] | None:
        """``{"rate", "ci": [low, high], "tested", "rejections", "verdict", "calibrated"}``
        of ``test`` (a registered check name, ``battery`` or ``verdict``), or None."""
        return self.data["false_positive"].get(test)

    def power(self, test: str) -> Mapping[str, Any]:
        """Per manipulation: ``{"intensity": [...], "rate": [...], "tested": [...]}``."""
        return self.data.get("power", {}).get(test, {})

    def rate(self, test: str) -> MeasuredRate | None:
        """``test``'s false-positive rate on the clean elections with its interval, or None
        when the summary has none (or a malformed one: a case folder may come from anyone,
        so nothing in it is trusted to be a number)."""
        entry = self.false_positive(test) if isinstance(
            self.data.get("false_positive"), Mapping) else None
        if not isinstance(entry, Mapping):
            return None
        ci = entry.get("ci")
        values = (entry.get("rate"), *(ci if isinstance(ci, list) and len(ci) == 2 else ()))
        tested = entry.get("tested")
        if len(values) != 3 or not _proportions(*values) or not _count(tested):
            return None
        rate, low, high = (float(v) for v in values)
        return MeasuredRate(rate, low, high, tested)

    def best_power(self, test: str, *, target: float = POWER_TARGET) -> MeasuredPower | None:
        """What ``test`` finds best: over every manipulation and intensity measured, the
        smallest intensity (share of tables) at which its power reaches ``target`` (ties:
        the higher power, then the name); when none does, its highest power (ties: the
        smaller intensity). None without a (well-formed) power table."""
        table = self.power(test) if isinstance(self.data.get("power"), Mapping) else {}
        found = []
        for scenario, cell in (table.items() if isinstance(table, Mapping) else ()):
            if not isinstance(cell, Mapping):
                continue
            found += [MeasuredPower(str(scenario), float(x), float(r), int(n))
                      for x, r, n in zip(cell.get("intensity") or (), cell.get("rate") or (),
                                         cell.get("tested") or (), strict=False)
                      if _proportions(x, r) and _count(n) and n > 0]
        reached = [p for p in found if p.rate >= target]
        if reached:
            return min(reached, key=lambda p: (p.intensity, -p.rate, p.manipulation))
        return min(found, key=lambda p: (-p.rate, p.intensity, p.manipulation), default=None)

    def measured(self, tests: Sequence[str]) -> dict[str, Any]:
        """JSON-safe, per test of ``tests`` measured here: ``false_positive_rate``, its
        95% interval ``ci``, ``tested`` and ``power`` (the manipulation it finds best, as in
        :meth:`best_power`, or None): what ``forensics --json`` carries beside the results,
        the same numbers the report shows."""
        out: dict[str, Any] = {}
        for test in dict.fromkeys(tests):
            rate = self.rate(test)
            if rate is None:
                continue
            power = self.best_power(test)
            out[test] = {"false_positive_rate": rate.rate, "ci": [rate.low, rate.high],
                         "tested": rate.tested,
                         "power": None if power is None else dataclasses.asdict(power)}
        return out

    def to_dict(self, tests: Sequence[str]) -> dict[str, Any]:
        """The summary's identity (label, seed, elections, level) and :meth:`measured`
        (no file path: the same case gives the same bytes on every machine)."""
        label = self.data.get("label")
        return {"label": label if isinstance(label, str) else "", "seed": self.seed,
                "n_sims": self.n_sims, "alpha": self.alpha, "tests": self.measured(tests)}


@dataclass(frozen=True)
class MeasuredRate:
    """A false-positive rate measured on ``tested`` clean elections, with its 95%
    Clopper–Pearson interval (fractions)."""

    rate: float
    low: float
    high: float
    tested: int


@dataclass(frozen=True)
class MeasuredPower:
    """Power against ``manipulation`` at ``intensity`` (its share of tables), over
    ``tested`` manipulated elections."""

    manipulation: str
    intensity: float
    rate: float
    tested: int


def _proportions(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0
               for v in values)


def _count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def load_calibration(case: str | Path) -> CalibrationSummary | None:
    """The committed calibration summary of a case (bundled name or case folder), or None.

    Reads ``<case folder>/calibration.json``, written by ``election-audit calibrate <case>
    --summary <case folder>/calibration.json`` (``nox -s calibrate``).

    Examples
    --------
    >>> cal = load_calibration("venezuela-2024")
    >>> cal is None or cal.false_positive("fingerprints.corner") is not None
    True
    """
    import json

    from audit.cases import case_dir
    from audit.errors import AuditError

    path = case_dir(case) / CASE_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditError(f"{path}: not a readable calibration summary ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SUMMARY_SCHEMA:
        raise AuditError(f"{path}: not a calibration summary (schema {SUMMARY_SCHEMA!r})")
    return CalibrationSummary(data=data, path=str(path))


def forensics_verdict(sheets: SheetTable, seed: int) -> bool:
    """The default battery's national verdict on one election: flagged or not.

    Runs :func:`audit.checks.forensics.run_forensics` nationally with ``seed`` and its default
    options, on the calibrated checks only (the verdict reads nothing else; the slow
    uncalibrated fits are skipped), and reads its verdict (``result.verdict().flagged``).
    For :func:`calibrate`'s ``verdict``.
    """
    from audit.checks import forensics
    from audit.errors import AuditError

    calibrated = [spec.name for spec in registered() if spec.calibrated]
    result = forensics.run_forensics(sheets, seed=seed, checks=calibrated, progress=False)
    verdict = getattr(result, "verdict", None)
    if verdict is None:
        raise AuditError("this version of audit.checks.forensics gives no national verdict")
    outcome = verdict() if callable(verdict) else verdict
    return bool(outcome.flagged)
