"""Property tests: hostile tally-sheet files never break an invariant (issue 13).

``tests/hostile.py`` generates the files and states the invariants. The suite runs a few
dozen examples per test; ``nox -s fuzz`` runs thousands (``HYPOTHESIS_PROFILE=fuzz``) and
the atheris target on the regression corpus.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hostile import MAPPING_TEXT, check_inert_csv, check_ingest_file, check_message, corpus_files
from hostile import hostile_csv as hostile_csvs
from hypothesis import HealthCheck, given, settings

from audit.cli import main
from audit.ingest.output import write_ingest_outputs

pytestmark = pytest.mark.filterwarnings("ignore")


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_csvs())
def test_a_hostile_csv_keeps_every_invariant(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        path = work / "in" / "sheets.csv"
        path.write_bytes(data)
        check_ingest_file(path, work, write=write_ingest_outputs)
        assert path.read_bytes() == data


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
          max_examples=max(15, settings.default.max_examples // 10))
@given(hostile_csvs())
def test_the_ingest_command_exits_0_or_2_and_writes_only_its_outputs(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "sheets.csv"
        path.write_bytes(data)
        mapping = work / "mapping.toml"
        mapping.write_text(MAPPING_TEXT, encoding="utf-8")
        out = work / "out"
        with pytest.raises(SystemExit) as exit_:
            main(["ingest", str(path), "--mapping", str(mapping), "--out", str(out), "--json"])
        assert exit_.value.code in (0, 2, None)
        assert sorted(p.name for p in work.iterdir()) == sorted(
            ["sheets.csv", "mapping.toml", *(["out"] if out.exists() else [])])
        assert path.read_bytes() == data
        if exit_.value.code in (0, None):
            assert json.loads((out / "ingest.json").read_text())["rows_read"] >= 0
            for csv in out.glob("*.csv"):
                check_inert_csv(csv)


@pytest.mark.parametrize("path", corpus_files("sheets"), ids=lambda p: p.name)
def test_the_regression_corpus_keeps_every_invariant(path: Path, tmp_path: Path) -> None:
    """Every defect of the adversarial review, as a file (tests/data/hostile/README.md)."""
    (tmp_path / "in").mkdir()
    copy = tmp_path / "in" / path.name
    copy.write_bytes(path.read_bytes())
    mapping = tmp_path / "mapping.toml"
    own = path.with_suffix(".toml")
    mapping.write_text(own.read_text() if own.exists() else MAPPING_TEXT, encoding="utf-8")
    if path.suffix == ".toml":
        pytest.skip("a mapping, used by the file of the same name")
    try:
        check_ingest_file(copy, tmp_path, mapping=mapping, write=write_ingest_outputs)
    except Exception as exc:  # a refusal is fine only as an AuditError (checked inside)
        check_message(str(exc))
        raise
