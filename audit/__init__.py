"""election-audit: audit disputed election results.

The library is organised as a pipeline: :mod:`audit.ingest` reads tally sheets into a
:class:`~audit.model.SheetTable`; :mod:`audit.checks` holds the statistical checks;
:mod:`audit.simulate` produces synthetic elections; :mod:`audit.report` renders reports.
"""

from audit._version import __version__
from audit.errors import AuditError
from audit.ingest import read_sheets
from audit.model import Election, Provenance, SheetTable

__all__ = ["AuditError", "Election", "Provenance", "SheetTable", "__version__", "read_sheets"]
