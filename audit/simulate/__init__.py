"""Synthetic elections: honest ones with realistic structure, and manipulated ones with
ground-truth labels. Simulated tables use the canonical :class:`~audit.model.SheetTable`
schema, so every check runs on them.

This module starts with :func:`simulate_clean` and :func:`stuff_ballots`; the full simulator
(fitting the shape of a real election, every manipulation, calibration) builds on them.
"""

from audit.simulate.clean import simulate_clean
from audit.simulate.manipulate import stuff_ballots

__all__ = ["simulate_clean", "stuff_ballots"]
