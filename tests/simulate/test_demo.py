"""The simulated demo case: reproducible, labelled as simulated, consistent with its truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from audit.cases import load_case
from audit.cli import main
from audit.ingest import read_sheets
from audit.resources import datasets_dir
from audit.simulate.demo import FILES, make_demo

BUNDLED = datasets_dir() / "demo"


def test_bundled_demo_is_what_the_command_makes(tmp_path: Path) -> None:
    make_demo(tmp_path / "demo")
    for name in FILES:
        assert (tmp_path / "demo" / name).read_bytes() == (BUNDLED / name).read_bytes(), name


def test_demo_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text("mine")
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", str(tmp_path), "--tables", "200"])
    assert exit_info.value.code == 2
    assert "not empty" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", str(tmp_path), "--tables", "200", "--force", "--json"])
    assert exit_info.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"] == 200
    assert out["observed_tables"] == 160


def test_everything_is_labelled_simulated() -> None:
    case = load_case(BUNDLED)
    assert "SIMULATED" in case.election.name
    assert all("simulated" in c.name for c in case.election.candidates)
    for name in ("README.md", "election.toml", "sources.toml", "claims.yaml",
                 "observers-profile.toml"):
        assert "SIMULATED" in (BUNDLED / name).read_text(encoding="utf-8"), name
    claims = yaml.safe_load((BUNDLED / "claims.yaml").read_text(encoding="utf-8"))
    assert claims["election"] == case.election.id
    assert all("SIMULATED" in c["source"]["citation"] for c in claims["claims"])


def test_story_matches_truth() -> None:
    case = load_case(BUNDLED)
    source = case.main_source
    assert source is not None
    sheets = read_sheets(BUNDLED / source.file, profile=BUNDLED / source.profile).sheets
    truth = pd.read_csv(BUNDLED / "truth" / "stations.csv",
                        dtype={"center_id": "string", "table_id": "string"})
    summary = json.loads((BUNDLED / "truth" / "summary.json").read_text())
    claims = {c["id"]: c for c in yaml.safe_load(
        (BUNDLED / "claims.yaml").read_text(encoding="utf-8"))["claims"]}
    # observers hold 80% of the 2,000 tables; their sum is the observers' claim
    assert len(sheets) == 1600 == truth["in_observer_file"].sum()
    assert sheets.totals() == claims["observers-tally"]["counts"]
    assert claims["observers-tally"]["coverage"]["tables_pct"] == "80"
    # the honest count and the observers say B; the altered announcement says A
    assert summary["clean"]["shares"]["B"] > summary["clean"]["shares"]["A"]
    assert sheets.leader() == "B"
    official = claims["authority-final"]["counts"]
    assert official["A"] > official["B"]
    assert sum(official.values()) == claims["authority-final"]["valid"]
    # stuffing at ~14% of tables (12% incremental + 2% extreme), all for A: 288 of 2,000;
    # a binomial count, so 14% +- 3 SD (0.8 points)
    assert 0.116 < truth["stuffed"].mean() < 0.164
    stuffed = truth[truth["stuffed"]]
    assert (stuffed["ballots_stuffed"] + stuffed["votes_stolen"] > 0).all()
    # the ingested sheets carry the stuffed counts: A = clean + stuffed + stolen
    merged = sheets.data.merge(truth, on=["center_id", "table_id"], validate="one_to_one")
    gain = merged["votes_A"] - merged["clean_votes_A"]
    assert (gain == merged["ballots_stuffed"] + merged["votes_stolen"]).all()
    assert np.isclose(summary["parameters"]["coverage"], 0.8)
