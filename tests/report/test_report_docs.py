"""docs/json.md ("report") and docs/reports.md are checked against the code."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from report_fakes import fast

from audit.cases import Case
from audit.model import SheetTable
from audit.report import build_report, section_ids
from audit.report.formats.json import report_dict
from audit.report.model import ColumnKind

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _block(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n(.*?)<!-- /{marker} -->", text, re.S)
    assert match, marker
    return match.group(1)


def _rows(table: str) -> dict[str, str]:
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", table, re.M))


def test_json_report_keys_and_block_types(demo_case: Case, demo_sheets: SheetTable) -> None:
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    data = report_dict(build_report(demo_case, demo_sheets, fast(figures=True)))
    assert set(_rows(_block(text, "keys: report"))) == set(data)
    documented = _rows(_block(text, "keys: report blocks"))
    seen: dict[str, set[str]] = {}
    for section in data["sections"]:
        for b in section["blocks"]:
            seen.setdefault(b["type"], set()).update(set(b) - {"type"})
    for kind, keys in seen.items():
        assert kind in documented, kind
        assert keys == set(re.findall(r"`([^`]+)`", documented[kind])), kind


def test_json_doc_names_every_column_kind_and_section() -> None:
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    for kind in typing.get_args(ColumnKind):
        assert f"`{kind}`" in text or (kind in ("f2", "f3") and "`f1`–`f4`" in text), kind
    for section in section_ids():
        assert section in text


def test_reports_doc_lists_every_section() -> None:
    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", text, re.M)
    assert [int(n) for n, _ in rows] == list(range(1, len(section_ids()) + 1))
