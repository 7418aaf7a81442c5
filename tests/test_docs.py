"""The documentation is checked against the code, so it cannot drift."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from audit.cases import Archive, DataFile, SourceFile
from audit.ingest import read_sheets
from audit.ingest.core import RULES
from audit.model import CANONICAL_COLUMNS, Election

DOCS = Path(__file__).resolve().parents[1] / "docs"
FIXTURES = Path(__file__).resolve().parent / "data"


def block(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n(.*?)<!-- /{marker} -->", text, re.S)
    assert match, f"marker {marker!r} not found"
    return match.group(1)


def documented_keys(table: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", table, re.M)


class TestSchema:
    text = (DOCS / "schema.md").read_text(encoding="utf-8")

    def test_columns_table_is_generated_from_the_code(self) -> None:
        expected = "| column | kind | required | meaning |\n|---|---|---|---|\n" + "".join(
            f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | {c.description} |\n"
            for c in CANONICAL_COLUMNS)
        assert block(self.text, "generated: columns") == expected, \
            "docs/schema.md is out of date: regenerate the columns table from CANONICAL_COLUMNS"

    def test_rules_table_is_generated_from_the_code(self) -> None:
        expected = "| rule | meaning |\n|---|---|\n" + "".join(
            f"| `{k}` | {v} |\n" for k, v in RULES.items())
        assert block(self.text, "generated: rules") == expected

    def test_every_election_field_is_described(self) -> None:
        described = set(re.findall(r"^\| `\[{0,2}([a-z_]+)\]{0,2}` \|", self.text, re.M))
        renamed = {"candidates", "regions", "registered", "region_levels"}
        for f in fields(Election):
            if f.name == "registered_abroad":  # `abroad` inside the `registered` table
                continue
            assert f.name in described | renamed, f.name

    def test_every_manifest_field_is_described(self) -> None:
        section = self.text.split("## `sources.toml`")[1]
        described = set(documented_keys(section))
        for cls in (SourceFile, DataFile):
            for f in fields(cls):
                assert f.name in described, f"{cls.__name__}.{f.name}"
        for f in fields(Archive):
            assert f"`{f.name}`" in section


def test_json_ingest_keys_match_the_output() -> None:
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    documented = set(documented_keys(block(text, "keys: ingest")))
    result = read_sheets(FIXTURES / "broken_sheets.csv", profile=FIXTURES / "mini_profile.toml")
    assert documented == set(result.to_dict()) | {"outputs"}


def test_profiles_worked_example_runs_as_described(tmp_path: Path) -> None:
    """The CSV and TOML of docs/profiles.md, ingested: the outcome the text describes."""
    text = (DOCS / "profiles.md").read_text(encoding="utf-8")
    example = text.split("## A worked example")[1].split("## Fields")[0]
    csv_text = re.search(r"```text\n(.*?)```", example, re.S)
    toml_text = re.search(r"```toml\n(.*?)```", example, re.S)
    assert csv_text
    assert toml_text
    (tmp_path / "actas.csv").write_text(csv_text.group(1), encoding="utf-8")
    (tmp_path / "actas.toml").write_text(toml_text.group(1), encoding="utf-8")
    result = read_sheets(tmp_path / "actas.csv", profile=tmp_path / "actas.toml")
    data = result.sheets.data
    assert (result.accepted, result.quarantined) == (2, 1)
    assert data["registered"].tolist() == [1234, 1180]
    assert data["voters"].isna().tolist() == [False, True]
    assert data["region_state_name"].tolist() == ["Zulia", "Zulia"]
    assert result.quarantine[["line", "rule", "column"]].values.tolist() == [
        [4, "missing_value", "Candidata A"]]


@pytest.mark.parametrize("doc", ["schema.md", "profiles.md", "data.md", "json.md"])
def test_docs_exist_and_readme_links(doc: str) -> None:
    assert (DOCS / doc).is_file()


def test_every_pointer_to_a_document_leads_to_one() -> None:
    """``docs/NAME.md`` named in the package, the bundled cases, the README or the docs exists
    (an election.toml once pointed to a document that did not)."""
    root = DOCS.parent
    sources = [root / "README.md", *DOCS.glob("*.md"), *(root / "audit").rglob("*.py"),
               *(p for p in (root / "datasets").rglob("*") if p.suffix in (".toml", ".yaml",
                                                                           ".md", ".csv"))]
    missing = set()
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in re.findall(r"docs/([A-Za-z0-9_.-]+\.md)\b", text):
            if not (DOCS / name).is_file():
                missing.add(f"{path.relative_to(root)}: docs/{name}")
    assert not missing, sorted(missing)
