"""Renderers of a :class:`~audit.report.model.ReportModel`: PDF, HTML, JSON, Markdown.

PDF, HTML and Markdown start from :func:`~audit.report.formats.prepare.prepare`, which turns
the model into plain strings in the report's language (every number formatted, every message
rendered); JSON starts from the model itself and keeps every number raw.
"""
