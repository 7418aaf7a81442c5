"""Real reference elections as SheetTables, built directly with pandas.

The ingest profiles for these datasets are written elsewhere; these small builders keep the
turnout and fingerprint tests independent of them. Each fixture skips with a reason when the
shared data folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import real_file

from audit.model import SheetTable, region_code_column, region_name_column, vote_column


def real_path(folder: str, name: str) -> Path:
    """Path of a real dataset file, or skip the test with the reason."""
    return real_file(folder, name)

RUSSIA_PARTIES = {
    "SR": "СПРАВЕДЛИВАЯ РОССИЯ", "LDPR": "Либерально-демократическая", "PR": "ПАТРИОТЫ",
    "KPRF": "Коммунистическая", "YABLOKO": "ЯБЛОКО", "ER": "ЕДИНАЯ РОССИЯ",
    "PD": "ПРАВОЕ ДЕЛО"}


def _column(frame: pd.DataFrame, fragment: str, *, startswith: bool = False) -> str:
    hits = [c for c in frame.columns
            if (c.startswith(fragment) if startswith else fragment in c)]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


def _int64(s: pd.Series) -> pd.Series:
    return pd.array(s.to_numpy(), dtype="Int64")


def build_russia_2011() -> SheetTable:
    """Russia 2011 Duma, one row per UIK, as in Kobak et al. (2016): voters = ballots issued
    (early + in the station + outside), null = invalid ballots found in the boxes."""
    raw = pd.read_csv(real_path("russia_federal_elections_shpilkin", "2011.csv"))
    issued = raw[[c for c in raw.columns if "бюллетеней, выданных" in c]].sum(axis=1)
    data = pd.DataFrame({
        region_code_column("region"): raw["region"].astype("string"),
        region_name_column("region"): raw["region"].astype("string"),
        "center_id": (raw["region"] + " / " + raw["tik"]).astype("string"),
        "table_id": raw["uik"].astype(str).astype("string"),
        "registered": _int64(raw[_column(raw, "Число избирателей, внесенных")]),
        "voters": _int64(issued),
        "valid": raw[_column(raw, "Число действительных", startswith=True)].astype("int64"),
        "null": _int64(raw[_column(raw, "Число недействительных", startswith=True)]),
    })
    for key, fragment in RUSSIA_PARTIES.items():
        data[vote_column(key)] = raw[_column(raw, fragment)].astype("int64")
    data["source"] = pd.array(["russia-2011"] * len(data), dtype="string")
    data["line"] = pd.Series(range(2, len(data) + 2), dtype="int64")
    return SheetTable(data, candidates=tuple(RUSSIA_PARTIES), levels=("region",),
                      name="russia-2011")


CORDOBA_PARTIES = {
    "UC": "Partido Unión Ciudadana", "VI": "Vecinalismo Independiente",
    "MAS": "Movimiento Avanzada Socialista", "MST": "MST - Nueva Izquierda",
    "CC": "Córdoba Cambia", "FIT": "Frente de Izquierda y de los Trabajadores",
    "HPC": "Hacemos por Córdoba", "PH": "Partido Humanista", "UCR": "Unión Cívica Radical",
    "UCEDE": "Unión del Centro Democrático (U.CE.DE.)", "EV": "Encuentro Vecinal Córdoba",
    "MAV": "Movimiento de Acción Vecinal"}


def build_cordoba_2019() -> SheetTable:
    """Córdoba 2019 governor, one row per mesa. Registered voters are recovered from the
    rounded turnout percentage: round(voters / (percent / 100)) (PROVENANCE.md: ±1 voter)."""
    raw = pd.read_csv(real_path("argentina_cordoba_2019_gobernador_mesas",
                                "gobernador-cordoba-2019-provisorio-por-mesas.csv"))
    parts = raw["id_ubicacion"].str.split(".", expand=True)
    registered = (raw["cant_votantes"] / (raw["porcentaje_participacion"] / 100)).round()
    votes = {vote_column(k): raw[c].astype("int64") for k, c in CORDOBA_PARTIES.items()}
    data = pd.DataFrame({
        region_code_column("seccion"): parts[1].astype("string"),
        "center_id": (parts[1] + "." + parts[2]).astype("string"),
        "table_id": raw["mesa"].astype(str).astype("string"),
        "registered": _int64(registered.astype("int64")),
        "voters": _int64(raw["cant_votantes"]),
        "valid": sum(votes.values()).astype("int64"),
        "null": _int64(raw["cant_votos_negativos"]),
        "blank": _int64(raw["Voto en BLANCO"]),
        **votes,
    })
    data["source"] = pd.array(["cordoba-2019"] * len(data), dtype="string")
    data["line"] = pd.Series(range(2, len(data) + 2), dtype="int64")
    return SheetTable(data, candidates=tuple(CORDOBA_PARTIES), levels=("seccion",),
                      name="cordoba-2019")


CHILE_CANDIDATES = {
    "ARTES": "EDUARDO ARTES", "PARISI": "FRANCO ALDO PARISI", "BORIC": "GABRIEL BORIC",
    "KAST": "JOSE ANTONIO KAST", "MEO": "MARCO ENRIQUEZ-OMINAMI", "SICHEL": "SEBASTIAN SICHEL",
    "PROVOSTE": "YASNA PROVOSTE"}


def build_chile_2021() -> SheetTable:
    """Chile 2021 first round, domestic mesas (no registered voters: voting was voluntary)."""
    folder = real_path("chile_2021_presidential_first_round_mesas", "de_atacama.csv").parent
    raw = pd.concat([pd.read_csv(p) for p in sorted(folder.glob("*.csv"))], ignore_index=True)
    votes = {vote_column(k): raw[c].astype("int64") for k, c in CHILE_CANDIDATES.items()}
    data = pd.DataFrame({
        region_code_column("region"): raw["REGION"].astype("string"),
        "center_id": (raw["REGION"] + " / " + raw["CIRCUNSCRIPCION ELECTORAL"] + " / "
                      + raw["LOCAL"]).astype("string"),
        "table_id": raw["MESA"].astype(str).astype("string"),
        "voters": _int64(raw["NUM VOTOS"]),
        "valid": sum(votes.values()).astype("int64"),
        "null": _int64(raw["VOTOS NULOS"]),
        "blank": _int64(raw["VOTOS EN BLANCO"]),
        **votes,
    })
    data["source"] = pd.array(["chile-2021"] * len(data), dtype="string")
    data["line"] = pd.Series(range(2, len(data) + 2), dtype="int64")
    return SheetTable(data, candidates=tuple(CHILE_CANDIDATES), levels=("region",),
                      name="chile-2021")


@pytest.fixture(scope="session")
def russia_2011() -> SheetTable:
    return build_russia_2011()


@pytest.fixture(scope="session")
def cordoba_2019() -> SheetTable:
    return build_cordoba_2019()


@pytest.fixture(scope="session")
def chile_2021() -> SheetTable:
    return build_chile_2021()
