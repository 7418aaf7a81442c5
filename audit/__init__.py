"""election-audit: audit disputed election results.

The library is organised as a pipeline: :mod:`audit.ingest` reads tally sheets into a
:class:`~audit.model.SheetTable`; :mod:`audit.checks` holds the statistical checks;
:mod:`audit.simulate` produces synthetic elections; :mod:`audit.report` renders reports.

The names below are imported on first use (PEP 562), so that ``import audit.cli`` (the
command line, ``election-audit --help``) does not load pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit._version import __version__
from audit.errors import AuditError

if TYPE_CHECKING:
    from audit.ingest import read_sheets
    from audit.model import Election, Provenance, SheetTable

_LAZY = {"read_sheets": "audit.ingest", "Election": "audit.model",
         "Provenance": "audit.model", "SheetTable": "audit.model"}

__all__ = ["AuditError", "Election", "Provenance", "SheetTable", "__version__", "read_sheets"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'audit' has no attribute {name!r}")
