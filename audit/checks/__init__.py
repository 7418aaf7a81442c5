"""Checks, one module per family: consistency, claims, digits, turnout, fingerprints,
crosscheck, sampling. Every check returns a :class:`CheckResult` (see ``_result``)."""

from audit.checks._result import CheckResult, Evidence, Message, evidence_from_pvalue
from audit.checks.multiple import adjust, bh_adjust

__all__ = ["CheckResult", "Evidence", "Message", "adjust", "bh_adjust",
           "evidence_from_pvalue"]
