"""Synthetic elections: honest ones with realistic structure, and manipulated ones with
ground-truth labels. Simulated tables use the canonical :class:`~audit.model.SheetTable`
schema, so every check runs on them. See ``docs/simulate.md``.

* :class:`ElectionShape`, :func:`fit_shape` ("clean like this one") and :func:`simulate`:
  clean elections with regions, sub-regions, centres holding several tables, heavy-tailed
  station sizes, size effects and overdispersed turnout and shares
  (:mod:`audit.simulate.shape`, :mod:`audit.simulate.engine`).
* :func:`simulate_clean`: the first, minimal simulator (kept for its users).
* Manipulations with per-station ground truth (:mod:`audit.simulate.manipulate`).
* Calibration and power of the registered checks (:mod:`audit.simulate.calibrate`).
* A simulated disputed election case folder (:mod:`audit.simulate.demo`).
"""

from audit.simulate.clean import simulate_clean
from audit.simulate.engine import generate_structure, simulate
from audit.simulate.manipulate import (
    alter_totals,
    duplicate_sheets,
    fabricate_sheets,
    inflate_turnout,
    klimek_fraud,
    stuff_ballots,
    switch_votes,
    withhold_sheets,
)
from audit.simulate.shape import ElectionShape, Structure, fit_shape

__all__ = ["ElectionShape", "Structure", "alter_totals", "duplicate_sheets",
           "fabricate_sheets", "fit_shape", "generate_structure", "inflate_turnout",
           "klimek_fraud", "simulate", "simulate_clean", "stuff_ballots", "switch_votes",
           "withhold_sheets"]
