"""Per-region aggregates: the bundled files equal what the generator makes from the real files,
their header records the sources' SHA-256, and they read back losslessly."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import real_file

from audit.aggregate import (
    aggregate_files,
    aggregate_sheets,
    read_aggregates,
    summarise,
    write_aggregates,
)
from audit.cases import load_case
from audit.errors import InputFileError
from audit.ingest import read_sheets

CASE = load_case("venezuela-2024")
SHEETS = "venezuela_2024_resultadosconvzla_actas"


def test_bundled_headers_record_the_sources() -> None:
    for source in CASE.sources[:2]:
        aggs = read_aggregates(CASE.path / f"aggregates_{source.id}.csv")
        assert aggs.meta["source_id"] == source.id
        assert f"sha256={source.sha256}" in aggs.meta["source"]
        assert aggs.level == "state"
        assert len(aggs.frame) == 24
        assert aggs.tables == source.rows
    v2 = read_aggregates(CASE.path / "aggregates_opposition-v2.csv")
    v1_sha = CASE.source("opposition-v1").sha256
    assert f"sha256={v1_sha}" in v2.meta["join"]
    assert "matched=24530 unmatched=543" in v2.meta["join"]


def test_bundled_totals_match_the_published_figures() -> None:
    # fact file §4.1 (recomputed from the CSVs): V1 and V2 totals
    v1 = read_aggregates(CASE.path / "aggregates_opposition-v1.csv")
    assert v1.totals()["EG"] == 7156462
    assert v1.totals()["NM"] == 3241461
    assert int(v1.frame["registered"].sum()) == 17745239
    assert int(v1.frame["null"].sum()) == 1139
    v2 = read_aggregates(CASE.path / "aggregates_opposition-v2.csv")
    assert v2.totals()["EG"] == 7303480
    assert int(v2.frame["valid"].sum()) == 10887262
    # fact file §4.2: Sucre, the narrowest state in V2
    sucre = v2.frame.set_index("region_code").loc["17"]
    assert (int(sucre["tables"]), int(sucre["votes_EG"]), int(sucre["votes_NM"])) == \
        (1042, 220214, 209600)


@pytest.mark.parametrize(("source_id", "main", "join"), [
    ("opposition-v1", "RESULTADOS_2024_CSV_V1.csv", None),
    ("opposition-v2", "RESULTADOS_2024_CSV_V2.csv", "RESULTADOS_2024_CSV_V1.csv")])
def test_bundled_files_equal_the_generator_output(source_id: str, main: str,
                                                  join: str | None, tmp_path: Path) -> None:
    path = real_file(SHEETS, main)
    join_path = real_file(SHEETS, join) if join else None
    frame, meta = aggregate_files([path], level="state", join=join_path, source_id=source_id)
    bundled = read_aggregates(CASE.path / f"aggregates_{source_id}.csv")
    pd.testing.assert_frame_equal(frame.reset_index(drop=True),
                                  bundled.frame.reset_index(drop=True), check_dtype=False)
    assert {k: v for k, v in bundled.meta.items() if k != "schema"} == meta
    out = write_aggregates(frame, tmp_path / "a.csv", meta)
    assert out.read_bytes() == (CASE.path / f"aggregates_{source_id}.csv").read_bytes()


def test_fixture_round_trip(fixtures: Path, tmp_path: Path) -> None:
    result = read_sheets(fixtures / "broken_sheets.csv", profile=fixtures / "mini_profile.toml")
    frame = aggregate_sheets(result.sheets, "district")
    assert frame["region_code"].tolist() == ["N", "S"]
    assert frame["tables"].tolist() == [2, 4]
    assert frame["votes_A"].tolist() == [70, 660]
    assert frame["max_votes_A"].tolist() == [40, 300]
    written = write_aggregates(frame, tmp_path / "agg.csv", {"source_id": "fixture",
                                                             "level": "district"})
    back = read_aggregates(written)
    pd.testing.assert_frame_equal(back.frame, frame, check_dtype=False)
    s = summarise(back)
    t = summarise(result.sheets)
    assert s is not None
    assert t is not None
    assert dict(s.totals) == dict(t.totals)
    assert s.top_sum("A", 1) == t.top_sum("A", 1) == 300
    assert s.top_sum("A", 2) >= t.top_sum("A", 2)
    national = aggregate_sheets(result.sheets, None)
    assert national["region_code"].tolist() == ["national"]


def test_not_an_aggregates_file(fixtures: Path) -> None:
    with pytest.raises(InputFileError, match="not an election-audit aggregates file"):
        read_aggregates(fixtures / "broken_sheets.csv")
    with pytest.raises(InputFileError, match="not found"):
        read_aggregates(fixtures / "nope.csv")
