"""An observer's own spreadsheet on election night, from the raw file to the report.

2,000 tally sheets of the Venezuelan opposition's CSV V2, re-typed the way an observer group
keeps them: its own Spanish column names (accents, upper case, short names of candidates),
semicolons, no registered voters, a photo link and the observer's name, and the slips of a
night's data entry (three mistyped candidate counts, two empty null-vote cells, two sheets
entered twice). ``profile new`` drafts the mapping; ``ingest`` accepts every sheet that was
typed correctly (99.65% of the rows read); ``forensics``, ``dispute`` and ``report`` take the
same ``--mapping``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import real_file

from audit.cli import cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

#: V2 column -> the observer's column name.
COLUMNS = {"COD_EDO": "Cód. Estado", "EDO": "Estado", "MUN": "Municipio", "PAR": "Parroquia",
           "CENTRO": "Centro de votación", "MESA": "Mesa", "VOTOS_VALIDOS": "Votos válidos",
           "VOTOS_NULOS": "Votos nulos", "EG": "GONZALEZ", "NM": "Maduro",
           "LM": "Luis E. Martínez", "JABE": "Bertucci", "JOBR": "José Brito",
           "AE": "Ecarri", "CF": "C. Fermín", "DC": "Ceballos", "EM": "Márquez",
           "BERA": "Rausseo", "URL": "Foto del acta"}
ROWS = 2_000
TYPOS = (10, 500, 1500)  # a candidate's count mistyped (+10)
EMPTY_NULL = (20, 1200)  # null votes left empty
TWICE = (30, 1800)  # the same sheet entered twice, identically


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    v2 = pd.read_csv(real_file("venezuela_2024_resultadosconvzla_actas",
                               "RESULTADOS_2024_CSV_V2.csv"), encoding="latin-1", dtype=str)
    rows = v2.iloc[np.sort(np.random.default_rng(28).choice(len(v2), ROWS, replace=False))]
    frame = rows[list(COLUMNS)].rename(columns=COLUMNS).reset_index(drop=True)
    frame["Observador"] = np.where(np.arange(ROWS) % 2, "Ana P.", "Luis R.")
    for i in TYPOS:
        frame.loc[i, "Maduro"] = str(int(frame.loc[i, "Maduro"]) + 10)
    frame.loc[list(EMPTY_NULL), "Votos nulos"] = ""
    frame = pd.concat([frame, frame.iloc[list(TWICE)]], ignore_index=True)
    folder = tmp_path_factory.mktemp("night")
    frame.to_csv(folder / "actas.csv", index=False, sep=";")
    return folder


def invoke(args: list[str], folder: Path) -> str:
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_profile_new_then_ingest_accepts_every_correct_sheet(night: Path) -> None:
    actas, mapping = night / "actas.csv", night / "actas.toml"
    invoke(["profile", "new", str(actas), "--case", "venezuela-2024", "-o", str(mapping),
            "--force"], night)
    draft = json.loads(invoke(["profile", "new", str(actas), "--case", "venezuela-2024",
                               "--json"], night))
    assert {k: json.loads(m["rule"]) for k, m in draft["candidates"].items()} == {
        key: COLUMNS[key] for key in ("NM", "EG", "LM", "JABE", "JOBR", "AE", "CF", "DC",
                                      "EM", "BERA")}
    assert set(draft["columns"]) == {"center_id", "table_id", "valid", "null"}
    assert [r["level"] for r in draft["regions"]] == ["state", "municipality", "parish"]
    assert set(draft["unmapped"]) == {"Foto del acta", "Observador"}
    summary = json.loads(invoke(["ingest", str(actas), "--mapping", str(mapping), "--json"],
                                night))
    assert (summary["rows_read"], summary["accepted"], summary["quarantined"],
            summary["duplicates_collapsed"]) == (2_002, 1_995, 5, 2)
    assert summary["quarantine_reasons"] == {"candidate_sum_mismatch": 3, "missing_value": 2}
    assert summary["accepted"] / summary["rows_read"] >= 0.995


def test_forensics_dispute_and_report_take_the_same_mapping(night: Path) -> None:
    actas, mapping = night / "actas.csv", night / "actas.toml"
    if not mapping.exists():
        invoke(["profile", "new", str(actas), "--case", "venezuela-2024", "-o", str(mapping)],
               night)
    own = ["--mapping", str(mapping)]
    forensics = json.loads(invoke(["forensics", str(actas), *own, "--by", "state",
                                   "--n-resamples", "19", "--skip", "fingerprints.klimek",
                                   "--no-progress", "--json"], night))
    assert forensics["sheets"] == 1_995
    dispute = json.loads(invoke(["dispute", "venezuela-2024", "--sheets", str(actas), *own,
                                 "--json"], night))
    assert [(s["kind"], s["tables"]) for s in dispute["sheets"]] == [("tables", 1_995)]
    out = night / "informe.json"
    run = json.loads(invoke(["report", "venezuela-2024", "--sheets", str(actas), *own,
                             "--lang", "es", "--n-resamples", "19", "--skip",
                             "fingerprints.klimek", "-o", str(out), "--json"], night))
    assert (run["sheets"], run["only_sheets"]) == (1_995, True)
    report = json.loads(out.read_text(encoding="utf-8"))
    roles = {i["path"]: i["role"] for i in report["provenance"]["inputs"]}
    assert roles["actas.csv"] == "sheets"
    assert "aggregates" not in roles.values()  # only what was supplied (--with-bundled adds)
