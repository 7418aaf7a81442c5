"""Locate the bundled ``datasets/`` and ``reports/`` folders.

In a wheel they are installed inside the package as ``audit/_bundled/{datasets,reports}``
(hatchling ``force-include``); in a source checkout or an editable install they sit at the
repository root, next to ``audit/``. Code asks this module and never builds these paths itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def _bundled(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled '{name}' folder is missing from this installation")


def datasets_dir() -> Path:
    """The folder of bundled cases, column profiles and manifests."""
    return _bundled("datasets")


def reports_dir() -> Path:
    """The folder of report templates, message catalogues and assets."""
    return _bundled("reports")


def profiles_dir() -> Path:
    """The folder of bundled column profiles (TOML)."""
    return datasets_dir() / "profiles"
