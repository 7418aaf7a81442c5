"""JSON: every number of the report, raw, with the schema of ``docs/json.md`` ("report").

Numbers are never rounded or formatted here; messages keep their id and parameters beside
the sentence rendered in the report's language, so the JSON can be re-rendered or translated.
Keys are sorted and there is no timestamp: the same inputs and seed give identical bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from audit._json import dumps, jsonable
from audit.checks.result import CheckResult, Evidence, Message
from audit.report.i18n import text
from audit.report.model import (
    Block,
    BulletList,
    Callout,
    FigureBlock,
    Heading,
    MissingInput,
    Paragraph,
    ReportModel,
    Table,
)

SCHEMA = "election-audit/report"
SCHEMA_VERSION = 1


def _value(value: Any, lang: str) -> Any:
    if isinstance(value, Message):
        return message_dict(value, lang)
    if isinstance(value, Evidence):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple) and value and all(isinstance(v, Message) for v in value):
        return [message_dict(v, lang) for v in value]
    return jsonable(value)


def message_dict(message: Message, lang: str) -> dict[str, Any]:
    """``{"id", "params", "text"}``; parameters that are messages are nested the same way."""
    return {"id": message.id,
            "params": {str(k): _value(v, lang) for k, v in message.params.items()},
            "text": text(message, lang)}


def table_dict(table: Table, lang: str) -> dict[str, Any]:
    return {
        "type": "table", "name": table.name,
        "caption": message_dict(table.caption, lang) if table.caption else None,
        "note": message_dict(table.note, lang) if table.note else None,
        "columns": [{"key": c.key, "label": message_dict(c.label, lang), "kind": c.kind}
                    for c in table.columns],
        "rows": [[_value(v, lang) for v in row] for row in table.rows],
    }


def block_dict(block: Block, lang: str) -> dict[str, Any]:
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "message": message_dict(block.message, lang)}
    if isinstance(block, Heading):
        return {"type": "heading", "message": message_dict(block.message, lang)}
    if isinstance(block, BulletList):
        return {"type": "list", "items": [message_dict(m, lang) for m in block.items]}
    if isinstance(block, Callout):
        return {"type": "callout", "evidence": block.evidence.value,
                "message": message_dict(block.message, lang)}
    if isinstance(block, MissingInput):
        return {"type": "missing", "section": block.section,
                "needs": message_dict(block.needs, lang), "how": message_dict(block.how, lang),
                "text": text(block.line, lang)}
    if isinstance(block, Table):
        return table_dict(block, lang)
    if isinstance(block, FigureBlock):
        return {"type": "figure", "name": block.name,
                "caption": message_dict(block.caption, lang)}
    raise TypeError(f"unknown block {type(block).__name__}")


def result_dict(result: CheckResult, lang: str) -> dict[str, Any]:
    """A result's ``to_dict()`` plus its sentence in the report's language."""
    out = result.to_dict()
    out["text"] = text(result.message, lang)
    return out


def report_dict(model: ReportModel) -> dict[str, Any]:
    """The whole report as JSON-safe data (schema in ``docs/json.md``)."""
    lang = model.lang
    t = model.title
    prov = model.provenance
    return {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
        "package_version": prov.package_version, "lang": lang,
        "title": {"title": message_dict(t.title, lang),
                  "subtitle": message_dict(t.subtitle, lang), "case": t.case,
                  "election_id": t.election_id, "election_date": t.election_date.isoformat(),
                  "country": t.country, "facts": table_dict(t.facts, lang),
                  "notice": message_dict(t.notice, lang) if t.notice else None},
        "sections": [{"id": s.id, "title": message_dict(s.title, lang), "status": s.status,
                      "tests": sorted({r.test for r in s.results}),
                      "blocks": [block_dict(b, lang) for b in s.blocks]}
                     for s in model.sections],
        "results": {family: [result_dict(r, lang) for r in results]
                    for family, results in sorted(model.results.items())},
        "verdict": model.verdict.to_dict() if model.verdict is not None else None,
        "provenance": {"inputs": [jsonable(i) for i in prov.inputs],
                       "package_version": prov.package_version,
                       "parameters": jsonable(prov.parameters), "seed": prov.seed,
                       "command": prov.command},
    }


def json_text(model: ReportModel) -> str:
    return dumps(report_dict(model))


def render_json(model: ReportModel, path: str | Path) -> Path:
    """Write ``model`` as JSON at ``path``."""
    path = Path(path)
    path.write_text(json_text(model), encoding="utf-8")
    return path
