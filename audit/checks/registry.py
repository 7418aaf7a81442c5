"""A registry of checks that run on tally sheets, for the forensics battery and calibration.

Each family module (``audit/checks/<family>.py``) registers its sheet-level checks at import
with :func:`register`. The forensics command, the calibration of false-positive rates on
simulated clean elections, the report (a section of its own for a family without one:
:func:`audit.report.registry.sections`) and the contract test suite all iterate over the
registry, so a new check is picked up by all of them by registering it once
(``tests/report/test_report_new_check.py`` shows it with an example check).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import numpy as np

from audit.checks._options import BatteryOptions
from audit.checks.result import CheckResult
from audit.model import SheetTable

#: Why an uncalibrated check is shown as descriptive (message ``forensics.descriptive.<code>``).
UNCALIBRATED_REASONS: tuple[str, ...] = ("textbook", "benchmark", "descriptive", "composition",
                                         "miscalibrated", "extrapolated", "multimodal",
                                         "model")

class Runner(Protocol):
    """``run(sheets, rng, options=None) -> result``: the check with the battery's options
    (``None``: the defaults of :class:`~audit.checks._options.BatteryOptions`)."""

    def __call__(self, sheets: SheetTable, rng: np.random.Generator,
                 options: BatteryOptions | None = None, /) -> CheckResult: ...


@dataclass(frozen=True)
class _Runner:
    """A picklable registry runner (see :func:`runner`), so that checks reach workers."""

    check: Callable[..., CheckResult]
    monte_carlo: bool
    candidate: str | None
    fixed: tuple[tuple[str, Any], ...]
    shares_draws: bool = False

    def __call__(self, sheets: SheetTable, rng: np.random.Generator,
                 options: BatteryOptions | None = None, /, **extra: Any) -> CheckResult:
        options = options or BatteryOptions()
        kwargs = dict(self.fixed, **extra)
        if self.candidate is not None:
            kwargs[self.candidate] = options.candidate_for(sheets)
        if self.monte_carlo:
            kwargs["rng"] = rng
            kwargs["n_resamples"] = options.n_resamples
        if self.shares_draws and options.cache is not None:
            kwargs["cache"] = options.cache
        return self.check(sheets, **kwargs)


def runner(check: Callable[..., CheckResult], *, monte_carlo: bool = False,
           shares_draws: bool = False, candidate: str | None = "candidate",
           **fixed: Any) -> Runner:
    """The registry runner of ``check``: the one way battery options reach a check.

    ``run(sheets, rng, options)`` calls ``check(sheets, **fixed)`` and adds, from the options
    the battery passes (:class:`~audit.checks._options.BatteryOptions`; the defaults when
    none): the battery's candidate as keyword ``candidate``
    (None: the check takes no candidate), and for a ``monte_carlo`` check ``rng`` and
    ``n_resamples``, so that every Monte Carlo null uses the battery's redraws and seed
    stream; a check that ``shares_draws`` also gets the battery's
    :class:`~audit.checks._cache.DrawCache` as ``cache``. ``check`` must be a module-level
    function (or a ``functools.partial`` of one) so that the runner can be sent to worker
    processes.
    """
    return _Runner(check, monte_carlo, candidate, tuple(sorted(fixed.items())), shares_draws)


@dataclass(frozen=True)
class CheckSpec:
    """How to run one registered check with default options.

    Attributes
    ----------
    name : str
        The result's ``test`` id, e.g. ``"digits.last_digit"``.
    family : str
        ``digits``, ``turnout``, ``fingerprints``, ``crosscheck`` ...
    run : Runner
        Runs the check on a table with a generator (for Monte Carlo nulls).
    needs : frozenset of str
        Canonical columns the check needs besides votes (e.g. ``{"registered"}``); the
        battery skips the check, saying why, where they are missing.
    calibrated : bool
        True when the check's null is meant to hold on honest elections like the one
        analysed (simulation nulls); calibration reports its false-positive rate against the
        nominal level. Textbook nulls (raw Benford) are registered with False and shown as
        such.
    fast : bool
        Cheap enough to run on every one of ~1,000 simulated elections. The forensics
        battery runs checks that are not fast nationally only unless asked.
    by_region : bool
        Meaningful when run separately within each region.
    min_units : int
        Fewest usable sheets for the check to run.
    per_candidate : bool
        Sensitive to manipulation in favour of one candidate (ballot stuffing): the battery
        runs it for every candidate it tests (the leader on the sheets, the declared winner,
        every candidate above a share; :func:`audit.checks.forensics.candidates_to_test`), not only
        for the first.
    function : callable or None
        The family function of a check registered with a hand-written ``run`` (see
        :meth:`family_function`).
    national_draws : bool
        The check's regional runs can take their simulation null from the national redraws
        (its ``run`` accepts the keyword ``shared``, an
        :class:`audit.checks.null.NationalDraws`): the forensics battery then redraws once
        per table for every region (the digit tests).
    uncalibrated : str
        Why a check that is not ``calibrated`` gets no evidence label, one of
        :data:`UNCALIBRATED_REASONS` (shown with its result as the message
        ``forensics.descriptive.<reason>``). Required when ``calibrated`` is False.
    """

    name: str
    family: str
    run: Runner
    needs: frozenset[str] = field(default_factory=frozenset)
    calibrated: bool = True
    fast: bool = True
    by_region: bool = True
    min_units: int = 30
    description: str = ""
    per_candidate: bool = False
    uncalibrated: str = ""
    national_draws: bool = False
    function: Callable[..., CheckResult] | None = None

    def family_function(self) -> tuple[Callable[..., CheckResult], dict[str, Any]]:
        """The family function the check runs and the options the registry fixes (e.g.
        ``quantity="share"``): :mod:`audit.checks` exports a function of the same name.

        Read from a :func:`runner`; a check registered with a hand-written runner names its
        function with the field ``function``.
        """
        check: Any = self.function or self.run
        fixed: dict[str, Any] = {}
        if isinstance(check, _Runner):
            fixed = dict(check.fixed)
            check = check.check
        if isinstance(check, partial):
            fixed = {**check.keywords, **fixed}
            check = check.func
        return check, fixed

    def __post_init__(self) -> None:
        if not self.calibrated and self.uncalibrated not in UNCALIBRATED_REASONS:
            raise ValueError(f"{self.name}: an uncalibrated check must say why, one of "
                             f"{', '.join(UNCALIBRATED_REASONS)} (got {self.uncalibrated!r})")


_REGISTRY: dict[str, CheckSpec] = {}


def register(spec: CheckSpec) -> CheckSpec:
    """Add a check (re-registering the same name replaces it)."""
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove a registered check (for tests that register an example of their own)."""
    _REGISTRY.pop(name, None)


def load_all() -> None:
    """Import every family module of :mod:`audit.checks` so that all checks are registered."""
    import audit.checks as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_") and module.name != "registry":
            importlib.import_module(f"audit.checks.{module.name}")


def registered(family: str | None = None) -> list[CheckSpec]:
    """Registered checks (of one family), sorted by name.

    Raises
    ------
    ValueError
        When ``family`` names no family of registered checks (a typo would otherwise give
        an empty list).
    """
    load_all()
    specs = sorted((s for s in _REGISTRY.values() if family is None or s.family == family),
                   key=lambda s: s.name)
    if family is not None and not specs:
        known = sorted({s.family for s in _REGISTRY.values()})
        raise ValueError(f"family={family!r} is not a family of registered checks; known: "
                         f"{', '.join(known)}")
    return specs


def get(name: str) -> CheckSpec:
    load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no registered check {name!r}; known: {', '.join(sorted(_REGISTRY))}") \
            from None
