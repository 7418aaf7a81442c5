"""Section builders, one module per check family; each registers its hooks at import.

Add ``<family>.py`` here with a ``register_section(SectionHook(...))`` call (see
:mod:`audit.report.registry` and ``docs/reports.md``); :func:`audit.report.registry.load_all`
imports every module of this package.
"""
