"""``election-audit profile new``: a mapping drafted from a file's header and values.

A simulated observers' spreadsheet for Venezuela 2024, in Spanish, with accents, upper case
and partial candidate names, a state code that lost its leading zero... is drafted column by
column exactly as constructed, and the draft ingests every row.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from audit.cases import load_case
from audit.cli import cli
from audit.ingest import read_sheets
from audit.ingest.draft import draft_mapping, fold
from audit.ingest.profiles import Profile

#: Spreadsheet header -> candidate key, as an observer might write the names.
NAMES = {"gonzalez": "EG", "N. MADURO": "NM", "Luis E. Martínez": "LM", "Bertucci": "JABE",
         "Brito": "JOBR", "ECARRI": "AE", "Fermin": "CF", "Ceballos": "DC",
         "Márquez": "EM", "Rausseo": "BERA"}


def spreadsheet(rows: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    state = rng.integers(1, 25, rows)
    registered = rng.integers(200, 700, rows)
    voters = rng.binomial(registered, 0.6)
    null = rng.binomial(voters, 0.01)
    shares = rng.dirichlet([60, 30, 1, 1, 1, 1, 1, 1, 1, 1], rows)
    votes = np.array([rng.multinomial(v - n, p) for v, n, p in zip(voters, null, shares,
                                                                   strict=True)])
    center = state * 10_000_000 + rng.integers(10_000, 99_999, rows)  # EEMMPPCCC, zero lost
    return pd.DataFrame({
        "Cód. Estado": [f"{s:02d}" for s in state],  # "01": the election lists "1"
        "Estado": [f"EDO. {s}" for s in state],
        "Municipio": [f"MP. SUCRE {m}" for m in rng.integers(1, 4, rows)],  # names repeat
        "Centro de votación": center, "Mesa": np.arange(rows) % 3 + 1,
        "Electores inscritos": registered, "Sufragios": voters, "Nulos": null,
        "Válidos": voters - null,
        **{name: votes[:, i] for i, name in enumerate(NAMES)},
        "Observador": rng.choice(["Ana", "Luis", "María"], rows),
        "Hora de envío": "21:05",
    })


@pytest.fixture
def actas(tmp_path: Path) -> Path:
    path = tmp_path / "actas.csv"
    spreadsheet().to_csv(path, index=False, sep=";")
    return path


def test_fold_ignores_accents_case_and_punctuation() -> None:
    assert fold("Cód. Estado") == "cod estado"
    assert fold("  GONZÁLEZ-Urrutia ") == "gonzalez urrutia"


def test_draft_maps_every_column_as_constructed(actas: Path) -> None:
    election = load_case("venezuela-2024").election
    draft = draft_mapping(actas, election, election_ref="venezuela-2024")
    assert {k: json.loads(m.rule) for k, m in draft.candidates.items()} == \
        {key: name for name, key in NAMES.items()}
    assert draft.missing_candidates == {}
    cols = {k: m.rule for k, m in draft.columns.items()}
    assert cols == {
        "center_id": '{ column = "Centro de votación", zfill = 9 }',
        "table_id": '"Mesa"',
        "registered": '"Electores inscritos"',  # by name
        "voters": '"Sufragios"',  # by content: valid + null
        "valid": '"Válidos"',  # by content: the candidates' sum
        "null": '"Nulos"',
    }
    assert "equals the candidates' sum on 100.0% of rows" in draft.columns["valid"].how
    assert "equals valid + Nulos" in draft.columns["voters"].how
    (state, code, name), (level, municipality, _) = draft.regions
    assert (state, code.rule, name and name.rule) == (
        "state", '{ column = "Cód. Estado", lstrip = "0" }', '"Estado"')
    assert "100.0% of values are state codes of venezuela-2024" in code.how
    assert (level, municipality.rule) == (
        "municipality", '{ join = ["Cód. Estado", "Municipio"], sep = "." }')
    assert list(draft.unmapped) == ["Observador", "Hora de envío"]


def test_the_draft_ingests_every_row(actas: Path, tmp_path: Path) -> None:
    out = tmp_path / "actas.toml"
    result = CliRunner().invoke(cli, ["profile", "new", str(actas), "--case",
                                      "venezuela-2024", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"election-audit ingest {actas} --mapping {out}" in " ".join(result.output.split())
    assert Profile.from_toml(out).election == "venezuela-2024"
    ingested = read_sheets(actas, profile=out)
    assert (ingested.rows_read, ingested.accepted) == (300, 300)
    frame = spreadsheet()
    assert ingested.sheets.total("votes_EG") == int(frame["gonzalez"].sum())
    assert ingested.sheets.data["region_state_code"].iloc[0] == \
        str(int(frame["Cód. Estado"].iloc[0]))


def test_missing_candidates_are_named_in_the_draft_and_on_ingest(actas: Path,
                                                                 tmp_path: Path) -> None:
    frame = pd.read_csv(actas, sep=";", dtype=str)
    frame = frame.rename(columns={"Brito": "Candidato 5", "Fermin": "Candidato 7"})
    renamed = tmp_path / "renamed.csv"
    frame.to_csv(renamed, index=False, sep=";")
    out = tmp_path / "renamed.toml"
    result = CliRunner().invoke(cli, ["profile", "new", str(renamed), "--case",
                                      "venezuela-2024", "-o", str(out), "--json"])
    draft = json.loads(result.output)
    assert draft["missing_candidates"] == {"JOBR": "José Brito", "CF": "Claudio Fermín"}
    assert set(draft["unmapped"]) >= {"Candidato 5", "Candidato 7"}
    result = CliRunner().invoke(cli, ["ingest", str(renamed), "--mapping", str(out)],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    mismatched = int((frame[["Candidato 5", "Candidato 7"]].astype(int).sum(axis=1) > 0)
                     .sum())
    assert f"{mismatched:,} rows were quarantined because the candidates' votes do not add " \
           f"up to the valid votes" in text
    assert "has no column for 2 candidate(s) of venezuela-2024: JOBR (José Brito), CF " \
           "(Claudio Fermín)" in text


def test_an_existing_mapping_is_not_overwritten(actas: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.toml"
    out.write_text("# my careful mapping\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["profile", "new", str(actas), "--case",
                                      "venezuela-2024", "-o", str(out)])
    assert result.exit_code != 0
    assert "already exists" in str(result.exception)
    assert out.read_text(encoding="utf-8") == "# my careful mapping\n"
