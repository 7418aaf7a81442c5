"""Options a battery passes to every registered check it runs.

Registered runners have the fixed signature ``run(sheets, rng, options)`` (see
:mod:`audit.checks.registry`). Settings that a battery chooses once for all checks — how many
Monte Carlo redraws, which candidate's counts to test — travel as an explicit
:class:`BatteryOptions` argument; no check reads hidden state::

    result = spec.run(sheets, rng, BatteryOptions(n_resamples=499, candidate="EG"))

Without options the defaults apply (at most :data:`DEFAULT_RESAMPLES` redraws; the
leading candidate of the table the check receives). :data:`DEFAULT_RESAMPLES` is the one
default of the package: the forensics battery, the report, the calibration and every
check's own default use it. Simulation nulls draw their redraws sequentially and stop early
where the p-value is clearly large (:mod:`audit.checks.pvalues`), so it is a maximum.

Runners are built with :func:`audit.checks.registry.runner`, which passes the candidate,
``n_resamples`` and the battery's generator to every Monte Carlo check, so that
``--n-resamples`` and ``--seed`` reach all of them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.checks._cache import DrawCache
from audit.model import SheetTable

#: Most Monte Carlo redraws per simulated null (the one default of the package).
DEFAULT_RESAMPLES = 999


#: Default refits of a fitted model (the Klimek fit's parametric bootstrap).
DEFAULT_REFITS = 9


@dataclass(frozen=True)
class BatteryOptions:
    """``n_resamples``: Monte Carlo redraws per null; ``candidate``: the candidate key whose
    counts candidate-level checks test (None: the leader of the table they receive);
    ``n_refits``: refits of a fitted model per parametric bootstrap (each costs a whole
    fit, so far fewer than redraws); ``cache``: the battery run's
    :class:`~audit.checks._cache.DrawCache`, so that checks of one family draw their shared
    redraws once (None: every check draws its own; the numbers are the same)."""

    n_resamples: int = DEFAULT_RESAMPLES
    candidate: str | None = None
    n_refits: int = DEFAULT_REFITS
    cache: DrawCache | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.n_resamples < 1:
            raise ValueError("n_resamples must be at least 1")
        if self.n_refits < 0:
            raise ValueError("n_refits must be non-negative")

    def candidate_for(self, sheets: SheetTable) -> str:
        """The configured candidate when the table has it, else the table's leader."""
        if self.candidate is not None and self.candidate in sheets.candidates:
            return self.candidate
        return sheets.leader()


__all__ = ["DEFAULT_REFITS", "DEFAULT_RESAMPLES", "BatteryOptions"]
