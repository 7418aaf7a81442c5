"""Synthetic elections: honest ones with realistic structure, and manipulated ones with
ground-truth labels. Simulated tables use the canonical :class:`~audit.model.SheetTable`
schema, so every check runs on them.

* :class:`ElectionShape`, :func:`fit_shape` ("clean like this one") and :func:`simulate`:
  clean elections with regions, sub-regions, centres holding several tables, heavy-tailed
  station sizes and overdispersed turnout and shares (see :mod:`audit.simulate.shape`).
* :func:`simulate_clean`: the first, minimal simulator (kept for its users).
* Manipulations with per-station ground truth (:mod:`audit.simulate.manipulate`).
* Calibration and power of the registered checks (:mod:`audit.simulate.calibrate`).
"""

from audit.simulate.clean import simulate_clean
from audit.simulate.engine import generate_structure, simulate
from audit.simulate.manipulate import stuff_ballots
from audit.simulate.shape import ElectionShape, Structure, fit_shape

__all__ = ["ElectionShape", "Structure", "fit_shape", "generate_structure", "simulate",
           "simulate_clean", "stuff_ballots"]
