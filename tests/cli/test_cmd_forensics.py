"""``election-audit forensics`` end to end on a small file in the mini fixture layout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.cli import main
from audit.simulate import simulate_clean

FIXTURES = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def sheets_csv(tmp_path_factory) -> Path:
    sim = simulate_clean(n_tables=400, shares=(0.6, 0.4), n_regions=2, rng=5)
    d = sim.data
    frame = pd.DataFrame({
        "region": np.where(d["region_region_code"] == "R01", "N", "S"),
        "station": np.arange(1, len(d) + 1),
        "registered": d["registered"].astype(int), "voters": d["voters"].astype(int),
        "valid": d["valid"], "null": d["null"].astype(int),
        "A": d["votes_C1"], "B": d["votes_C2"],
    })
    path = tmp_path_factory.mktemp("forensics") / "sheets.csv"
    frame.to_csv(path, index=False)
    return path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_json_output(capsys, sheets_csv) -> None:
    code, out, err = _run(capsys, "forensics", str(sheets_csv), "--profile",
                          str(FIXTURES / "mini_profile.toml"), "--seed", "3",
                          "--n-resamples", "19", "--check", "digits", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["schema"] == "election-audit/forensics"
    assert payload["seed"] == 3
    assert payload["level"] == "district"
    assert payload["candidate"] == "A"
    assert {s["scope"] for s in payload["scopes"]} == {"national", "district:N",
                                                       "district:S"}
    assert len(payload["results"]) == 60
    assert err == ""  # no progress bar when stderr is not a terminal


def test_human_summary_in_both_languages(capsys, sheets_csv) -> None:
    args = ("forensics", str(sheets_csv), "--profile", str(FIXTURES / "mini_profile.toml"),
            "--n-resamples", "19", "--check", "digits.second_digit", "--check",
            "digits.first_digit")
    code, out, _ = _run(capsys, *args)
    text = " ".join(out.split())
    assert code == 0
    assert "Statistical forensics on tally sheets" in text
    assert "digits.second_digit" in text
    assert "never proof" in text
    assert "fraud detected" not in text.lower()
    code, out, _ = _run(capsys, *args, "--lang", "es")
    text = " ".join(out.split())
    assert "Análisis estadístico forense de las actas" in text
    assert "nunca una prueba" in text
    assert "compatible" in text


def test_errors_are_one_line(capsys, sheets_csv, tmp_path) -> None:
    code, _out, err = _run(capsys, "forensics", str(tmp_path / "missing.csv"))
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("election-audit: error:")
    code, _, err = _run(capsys, "forensics", str(sheets_csv), "--profile",
                        str(FIXTURES / "mini_profile.toml"), "--by", "state")
    assert code == 2
    assert "unknown region level 'state'" in err
    code, _, err = _run(capsys, "forensics", "no-such-case")
    assert code == 2
    assert "no case 'no-such-case'" in err
    code, _, err = _run(capsys, "forensics", str(sheets_csv), "--source", "x")
    assert code == 2
    assert "--source names a source of a case" in err


def test_a_case_by_name_finds_its_main_source(capsys) -> None:
    # the bundled demo case ships its sheets in the case folder (audit.data.locate)
    code, out, _ = _run(capsys, "forensics", "demo", "--check", "digits.c05", "--n-resamples",
                        "19", "--by", "none", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["provenance"][0]["path"] == "observer_tally_sheets.csv"
    assert [r["test"] for r in payload["results"]] == ["digits.c05"]


def test_human_output_fits_80_columns(capsys, monkeypatch) -> None:
    # the bundled demo: two candidates (leader B, declared winner A), regions, calibrated
    # and descriptive tables, the verdict and its legends, in both languages
    monkeypatch.setenv("COLUMNS", "80")
    for lang in ("en", "es"):
        code, out, _ = _run(capsys, "forensics", "demo", "--check", "digits", "--check",
                            "turnout", "--check", "fingerprints.corner", "--lang", lang)
        assert code == 0
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, max(lines, key=len)
        text = " ".join(out.split())
        if lang == "en":
            assert "Verdict: flagged. Strong evidence against honest counting" in text
            assert "1. fingerprints.corner for A" in text
            assert "A (declared winner)" in text
            assert "Why descriptive: benchmark = a Gaussian benchmark" in text
        else:
            assert "Veredicto: señalada. Evidencia fuerte" in text


def test_defaults_in_help_are_the_librarys() -> None:
    from audit.checks import forensics as library
    from audit.cli import cmd_forensics

    assert cmd_forensics.CANDIDATE_SHARE == library.CANDIDATE_SHARE
