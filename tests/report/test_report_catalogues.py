"""Message catalogues: English and Spanish complete and parallel; measured words."""

from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest

from audit.ingest import RULES
from audit.messages import LANGUAGES, catalogue
from audit.resources import reports_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _flat(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(_flat(value, name))
        else:
            out[name] = value
    return out


def _files(lang: str) -> dict[str, dict[str, str]]:
    folder = reports_dir() / "messages" / lang
    return {p.name: _flat(tomllib.loads(p.read_text(encoding="utf-8")))
            for p in sorted(folder.glob("*.toml"))}


def _fields(template: str) -> list[tuple[str, str]]:
    """(name, format spec) of every placeholder, sorted."""
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(template)
                  if name is not None)


def test_every_catalogue_file_exists_in_every_language() -> None:
    names = {lang: set(_files(lang)) for lang in LANGUAGES}
    assert names["en"] == names["es"]
    assert "report.toml" in names["en"]


@pytest.mark.parametrize("filename", sorted(_files("en")))
def test_same_keys_and_placeholders(filename: str) -> None:
    en, es = _files("en")[filename], _files("es")[filename]
    assert sorted(en) == sorted(es), f"{filename}: keys differ: {set(en) ^ set(es)}"
    for key in en:
        assert _fields(en[key]) == _fields(es[key]), f"{filename}:{key} placeholders differ"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_is_empty(lang: str) -> None:
    for filename, messages in _files(lang).items():
        for key, value in messages.items():
            assert isinstance(value, str), f"{lang}/{filename}:{key} is not text"
            assert value.strip(), f"{lang}/{filename}:{key} is empty"


def test_spanish_differs_from_english_where_words_are_involved() -> None:
    en, es = catalogue("en"), catalogue("es")
    same = [k for k in en if k.startswith("report.") and en[k] == es[k]
            and re.search(r"[A-Za-z]{4,}", re.sub(r"\{[^}]*\}", "", en[k]))]
    # Words identical in both languages (a technical code), nothing else.
    assert set(same) <= {"report.col.sha256", "report.col.bytes"}, same


def test_every_ingest_rule_is_explained() -> None:
    messages = catalogue("es")
    for rule in RULES:
        assert f"report.rule.{rule}.name" in messages
        assert f"report.rule.{rule}.text" in messages


@pytest.mark.parametrize("lang", LANGUAGES)
def test_words_are_measured(lang: str) -> None:
    forbidden = re.compile(r"fraud\w* (was |is )?(proven|proved|detected|confirmed)|"
                           r"prove[sd]? (the )?fraud|fraude (probado|demostrado|detectado)|"
                           r"(prueba|demuestra) (el|un) fraude", re.I)
    for key, value in catalogue(lang).items():
        assert not forbidden.search(value), f"{lang}:{key}: {value}"


def test_every_message_id_used_by_the_report_code_exists() -> None:
    """Literal ids in audit/report (msg("report....")) are in both catalogues."""
    used: set[str] = set()
    for path in (ROOT / "audit" / "report").rglob("*.py"):
        used |= set(re.findall(r"""msg\(\s*["'](report\.[a-z_.]+)["']""", path.read_text()))
    assert len(used) > 80
    for lang in LANGUAGES:
        missing = sorted(used - set(catalogue(lang)))
        assert not missing, f"{lang}: {missing}"
