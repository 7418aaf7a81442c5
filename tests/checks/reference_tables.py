"""Tables for check tests: built from plain count lists, or real reference elections.

Plain functions (test modules wrap them in fixtures), not a conftest.py: a second module named
``conftest`` would shadow tests/conftest.py for ``from conftest import ...``.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.model import SheetTable, vote_column


def table_from_counts(a: Sequence[int], b: Sequence[int] | None = None, *,
                      regions: Sequence[str] | None = None) -> SheetTable:
    """Two candidates A and B; valid = A + B; one centre per table; optional regions."""
    a_arr = np.asarray(a, dtype=np.int64)
    b_arr = np.asarray(b if b is not None else np.maximum(a_arr // 2, 1), dtype=np.int64)
    n = a_arr.size
    codes = list(regions) if regions is not None else ["R1"] * n
    frame = pd.DataFrame({
        "region_region_code": pd.array(codes, dtype="string"),
        "center_id": pd.array([f"c{i}" for i in range(n)], dtype="string"),
        "table_id": pd.array(["1"] * n, dtype="string"),
        "valid": a_arr + b_arr,
        vote_column("A"): a_arr,
        vote_column("B"): b_arr,
        "source": pd.array(["test"] * n, dtype="string"),
        "line": np.arange(2, n + 2, dtype=np.int64),
    })
    return SheetTable(frame, candidates=("A", "B"), levels=("region",), name="counts")


_DATA_DIR = Path(os.environ.get("ELECTION_AUDIT_DATA",
                                Path(__file__).resolve().parents[2].parent / "shared" / "data"))


def _real(folder: str, name: str) -> Path:
    """Same rule as tests/conftest.py::real_file: the path, or skip with the reason."""
    path = _DATA_DIR / folder / name
    if not path.exists():
        pytest.skip(f"real dataset not available: {path} (set ELECTION_AUDIT_DATA)")
    return path


@cache
def load_chile() -> SheetTable:
    """Chile 2021 first round by mesa (clean reference), built directly with pandas.

    The ingest profile for this dataset is written separately; building the canonical table
    here keeps these tests independent of it.
    """
    folder = _real("chile_2021_presidential_first_round_mesas", "de_nuble.csv").parent
    files = sorted(glob.glob(str(folder / "*.csv")))
    d = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    cands = {"BORIC": "GABRIEL BORIC", "KAST": "JOSE ANTONIO KAST",
             "PARISI": "FRANCO ALDO PARISI", "SICHEL": "SEBASTIAN SICHEL",
             "PROVOSTE": "YASNA PROVOSTE", "MEO": "MARCO ENRIQUEZ-OMINAMI",
             "ARTES": "EDUARDO ARTES"}
    circ = d["REGION"] + "|" + d["CIRCUNSCRIPCION ELECTORAL"]
    out = pd.DataFrame({
        "region_region_code": d["REGION"].astype("string"),
        "region_region_name": d["REGION"].astype("string"),
        "region_circ_code": circ.astype("string"),
        "region_circ_name": d["CIRCUNSCRIPCION ELECTORAL"].astype("string"),
        "center_id": (circ + "|" + d["LOCAL"]).astype("string"),
        "table_id": d["MESA"].astype(str).astype("string"),
        "voters": pd.array(d["NUM VOTOS"], dtype="Int64"),
        "null": pd.array(d["VOTOS NULOS"], dtype="Int64"),
        "blank": pd.array(d["VOTOS EN BLANCO"], dtype="Int64"),
    })
    for key, col in cands.items():
        out[vote_column(key)] = d[col].astype(np.int64)
    out["valid"] = out[[vote_column(k) for k in cands]].sum(axis=1).astype(np.int64)
    out["source"] = pd.array(["chile-2021"] * len(d), dtype="string")
    out["line"] = np.arange(2, len(d) + 2, dtype=np.int64)
    return SheetTable(out, candidates=list(cands), levels=("region", "circ"), name="chile-2021")


@cache
def load_cordoba() -> SheetTable:
    """Córdoba 2019 governor by mesa (clean reference), built directly with pandas."""
    path = _real("argentina_cordoba_2019_gobernador_mesas",
                 "gobernador-cordoba-2019-provisorio-por-mesas.csv")
    d = pd.read_csv(path)
    parties = list(d.columns[4:16])
    keys = [f"P{i:02d}" for i in range(len(parties))]
    parts = d["id_ubicacion"].str.split(".", expand=True)
    registered = np.rint(d["cant_votantes"] / (d["porcentaje_participacion"] / 100))
    out = pd.DataFrame({
        "region_seccion_code": parts[1].astype("string"),
        "region_circuito_code": (parts[1] + "." + parts[2]).astype("string"),
        "center_id": (parts[1] + "." + parts[2] + "." + parts[3]).astype("string"),
        "table_id": d["mesa"].astype(str).astype("string"),
        "registered": pd.array(np.maximum(registered.astype("int64"), d["cant_votantes"]),
                               dtype="Int64"),
        "voters": pd.array(d["cant_votantes"], dtype="Int64"),
        "blank": pd.array(d["Voto en BLANCO"], dtype="Int64"),
        "null": pd.array(d["cant_votos_negativos"], dtype="Int64"),
    })
    for key, col in zip(keys, parties, strict=True):
        out[vote_column(key)] = d[col].astype(np.int64)
    out["valid"] = out[[vote_column(k) for k in keys]].sum(axis=1).astype(np.int64)
    out["source"] = pd.array(["cordoba-2019"] * len(d), dtype="string")
    out["line"] = np.arange(2, len(d) + 2, dtype=np.int64)
    return SheetTable(out, candidates=keys, levels=("seccion", "circuito"),
                      name="cordoba-2019")


@cache
def load_russia_2011() -> pd.DataFrame:
    """The dkobak/Shpilkin Russia 2011 UIK file as a DataFrame (Russian headers)."""
    return pd.read_csv(_real("russia_federal_elections_shpilkin", "2011.csv"))
