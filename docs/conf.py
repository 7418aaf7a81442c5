"""Sphinx configuration of the documentation site (``nox -s docs``).

The Markdown pages of this folder are read with myst-parser; the API reference of the
public statistics namespace, :mod:`audit.checks`, is generated with autosummary from the
numpydoc docstrings.
"""

from __future__ import annotations

from audit._version import __version__

project = "election-audit"
author = "election-audit developers"
copyright = "election-audit developers"  # noqa: A001
version = release = __version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "generated/*.md"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
# Markdown links to other files of the repository (code, datasets) are not pages of the site
suppress_warnings = ["myst.xref_missing", "myst.header"]

autosummary_generate = True
# class pages list their public methods and properties (plot, to_dict, sentence ...)
templates_path = ["_templates"]
autodoc_typehints = "none"  # numpydoc shows the documented types
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"election-audit {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
