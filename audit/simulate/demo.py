"""A simulated disputed election, as a case folder for learning the tool and for tests.

:func:`make_demo` writes a case folder in which **everything is simulated** (the names, the
numbers, the authority and the observers) and labelled so in every file:

* the tally sheets signed at the tables contain **ballot stuffing** for candidate A (Klimek
  et al. 2012 incremental and extreme fraud) at a known share of tables;
* the electoral authority's **announced totals are altered at aggregation**: a share of the
  valid votes of each province is moved from the other candidates to A, which turns B's win
  on the sheets into A's win in the announcement;
* independent **observers** hold copies of 80% of the tally sheets, in their own column layout
  (``observer_tally_sheets.csv``, described by ``observers-profile.toml``);
* ``election.toml``, ``sources.toml`` and ``claims.yaml`` (the official announcement, by
  province and national, and the observers' tally) follow the formats of real cases;
* ``truth/`` holds what a real case never has: the clean counts, which tables were stuffed
  and by how much, and the altered totals.

The same seed and size give byte-identical files (the package version is not written, so a
release that leaves the simulator unchanged leaves the files unchanged). The bundled copy
``datasets/demo/`` is made by ``election-audit demo datasets/demo --force``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from audit._random import spawn
from audit.errors import AuditError
from audit.model import SheetTable, vote_column
from audit.simulate.engine import simulate
from audit.simulate.manipulate import alter_totals, klimek_fraud
from audit.simulate.shape import ElectionShape

ELECTION_ID = "demo-simulated"
CANDIDATES = (("A", "Candidate A (simulated incumbent)", "Party A (simulated)"),
              ("B", "Candidate B (simulated challenger)", "Party B (simulated)"),
              ("C", "Candidate C (simulated)", "Party C (simulated)"))
PROVINCES = ("North Province (simulated)", "East Province (simulated)",
             "South Province (simulated)", "West Province (simulated)",
             "Capital District (simulated)", "Island Province (simulated)")
#: Observer file layout: canonical column -> the observers' column name.
LAYOUT = {"region_province_code": "PROV", "region_province_name": "PROV_NAME",
          "region_district_code": "DIST", "center_id": "CENTRE_CODE", "table_id": "TABLE_NO",
          "registered": "ELECTORS", "voters": "BALLOTS", "null": "NULL_VOTES",
          "blank": "BLANK_VOTES", "valid": "VALID_VOTES", "votes_A": "VOTES_A",
          "votes_B": "VOTES_B", "votes_C": "VOTES_C"}
#: The publisher label of the simulated authority's claims, per language.
AUTHORITY = {"en": "Simulated electoral authority", "es": "Autoridad electoral simulada"}
FILES = ("README.md", "election.toml", "sources.toml", "claims.yaml",
         "observer_tally_sheets.csv", "observers-profile.toml",
         "official_totals_by_province.csv", "truth/stations.csv", "truth/summary.json")


@dataclass(frozen=True)
class Demo:
    """What :func:`make_demo` wrote and the key numbers of the story."""

    folder: Path
    files: tuple[str, ...]
    tables: int
    observed_tables: int
    stuffed_tables: int
    sheet_shares: Mapping[str, float]
    official_shares: Mapping[str, float]
    observer_shares: Mapping[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "files": list(self.files), "tables": self.tables,
                "observed_tables": self.observed_tables,
                "stuffed_tables": self.stuffed_tables,
                "sheet_shares": dict(self.sheet_shares),
                "official_shares": dict(self.official_shares),
                "observer_shares": dict(self.observer_shares)}


def make_demo(folder: str | Path, *, tables: int = 2_000, seed: int = 20240728,
              coverage: float = 0.8, stuffing: float = 0.12, extreme: float = 0.02,
              shift: float = 0.06, force: bool = False) -> Demo:
    """Write a simulated disputed election case to ``folder``.

    Parameters
    ----------
    tables
        Polling tables in the election.
    seed
        Seed of every random step (same seed and parameters: byte-identical files).
    coverage
        Share of tables whose sheets the observers hold.
    stuffing, extreme
        Shares of tables with incremental and extreme ballot stuffing for A. The defaults
        (about 14% of tables) are large enough for the forensics battery to find them with
        strong evidence on the observers' sheets (``tests/test_known_cases.py``), while B
        still wins on the sheets: the announced totals, altered at aggregation, are what
        make A the winner.
    shift
        Share of each province's valid votes moved to A in the announced totals.
    force
        Overwrite the demo files in a folder that already holds some.
    """
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()) and not force:
        raise AuditError(f"{folder} is not empty; choose another folder or pass --force")
    if not 0 < coverage <= 1:
        raise AuditError("coverage must be in (0, 1]")
    (folder / "truth").mkdir(parents=True, exist_ok=True)
    r_shape, r_clean, r_fraud, r_alter, r_cover = spawn(seed, 5)

    shape = ElectionShape.synthetic(
        n_tables=tables, shares=(0.43, 0.52, 0.05), candidates=("A", "B", "C"),
        candidate_names=[c[1] for c in CANDIDATES], n_regions=len(PROVINCES),
        subregions_per_region=5, turnout=0.62, size_median=420, size_sigma=0.5,
        size_min=40, size_max=1200, size_correlation=0.6, null_rate=0.015, blank_rate=0.01,
        size_effect=-0.3, levels=("province", "district"), region_names=PROVINCES,
        rng=r_shape)
    clean = _dash_codes(simulate(shape, r_clean, name="demo-clean"))
    sheets, fraud = klimek_fraud(clean, f_i=stuffing, f_e=extreme, alpha=2.0, candidate="A",
                                 rng=r_fraud)
    _, official = alter_totals(sheets, shift=shift, candidate="A", level="province",
                               rng=r_alter)
    n = len(sheets)
    observed = np.zeros(n, dtype=bool)
    observed[r_cover.choice(n, round(coverage * n), replace=False)] = True
    observer = sheets.subset(observed, name="observers")

    # -- files ---------------------------------------------------------------------------
    csv = _observer_csv(observer)
    (folder / "observer_tally_sheets.csv").write_bytes(csv)
    (folder / "observers-profile.toml").write_text(_profile_toml(), encoding="utf-8")
    _official_csv(official).to_csv(folder / "official_totals_by_province.csv", index=False,
                                   lineterminator="\n")
    (folder / "election.toml").write_text(_election_toml(sheets, shape, seed), encoding="utf-8")
    (folder / "sources.toml").write_text(_sources_toml(csv, len(observer), seed, tables),
                                         encoding="utf-8")
    claims = _claims(sheets, official, observer, coverage)
    (folder / "claims.yaml").write_text(_yaml_header(seed, tables) + yaml.safe_dump(
        claims, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    truth = _truth_frame(clean, sheets, fraud, observed)
    truth.to_csv(folder / "truth" / "stations.csv", index=False, lineterminator="\n")
    summary = _summary(clean, sheets, official, observer, fraud, observed, seed, tables,
                       coverage, stuffing, extreme, shift)
    (folder / "truth" / "summary.json").write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(_readme(summary, seed, tables), encoding="utf-8")
    return Demo(folder=folder, files=FILES, tables=n, observed_tables=len(observer),
                stuffed_tables=int(fraud["manipulated"].sum()),
                sheet_shares=summary["sheets"]["shares"],
                official_shares=summary["official"]["shares"],
                observer_shares=summary["observers"]["shares"])


# --------------------------------------------------------------------------------------------
# pieces
# --------------------------------------------------------------------------------------------


def _dash_codes(sheets: SheetTable) -> SheetTable:
    """District codes ``1-3`` rather than ``1.3``: a code that reads as a number (1.3, 1.30)
    would lose its meaning in a spreadsheet or a CSV reader."""
    df = sheets.data.copy()
    for col in ("region_district_code", "region_district_name"):
        df[col] = df[col].str.replace(".", "-", regex=False)
    return SheetTable(df, candidates=sheets.candidates, levels=sheets.levels,
                      election=sheets.election, name=sheets.name, unique_keys_checked=True)


def _observer_csv(observer: SheetTable) -> bytes:
    df = observer.data
    frame = pd.DataFrame({LAYOUT[c]: df[c].to_numpy() for c in LAYOUT})
    frame = frame.sort_values(["CENTRE_CODE", "TABLE_NO"], kind="stable",
                              key=lambda s: s.astype(str).str.zfill(8))
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _official_csv(official: pd.DataFrame) -> pd.DataFrame:
    cols = ["region_code", "region_name", "tables", "registered", "voters", "valid", "null",
            "blank", *(vote_column(k) for k, _, _ in CANDIDATES)]
    out = official[cols].rename(columns={"region_code": "province_code",
                                         "region_name": "province"})
    return out


def _profile_toml() -> str:
    lines = ['# SIMULATED data: the observers\' column layout of the demo case (not real data).',
             'name = "demo-simulated-observers"',
             'title = "SIMULATED demo: observers\' tally sheets (not real data)"',
             'election = "election.toml"',
             'source_label = "observers (simulated)"',
             'encoding = "utf-8"', 'delimiter = ","', "", "[columns]"]
    lines.append(f'center_id = {{ column = "{LAYOUT["center_id"]}", zfill = 6 }}')
    for canon in ("table_id", "registered", "voters", "null", "blank", "valid"):
        lines.append(f'{canon} = "{LAYOUT[canon]}"')
    lines += ["", "[[regions]]", 'level = "province"', 'code = "PROV"', 'name = "PROV_NAME"',
              "", "[[regions]]", 'level = "district"', 'code = "DIST"', "", "[candidates]"]
    lines += [f'{k} = "VOTES_{k}"' for k, _, _ in CANDIDATES]
    return "\n".join(lines) + "\n"


def _election_toml(sheets: SheetTable, shape: ElectionShape, seed: int) -> str:
    registered = sheets.total("registered")
    centres = sheets.data["center_id"].nunique()
    lines = [
        "# SIMULATED election made by `election-audit demo`: every name and number is invented.",
        f'id = "{ELECTION_ID}"',
        'name = "SIMULATED demo election (not real data)"',
        "date = 2001-01-01",
        'country = "ZZ"        # user-assigned code: no real country',
        'kind = "presidential (simulated)"',
        'timezone = "UTC"',
        f"tables = {len(sheets)}",
        f"centers = {centres}",
        'region_levels = ["province", "district"]',
        'declared_winner = "A"  # the simulated authority\'s announcement',
        f'notes = "Simulated with seed {seed} by election-audit demo; see README.md."',
        "", "[registered]", f"total = {registered}", ""]
    for key, name, party in CANDIDATES:
        lines += ["[[candidates]]", f'key = "{key}"', f'name = "{name}"',
                  f'short_name = "{key} (simulated)"', f'parties = ["{party}"]', ""]
    codes = shape.unit_labels["region_province_code"]
    for code, name in zip(codes, PROVINCES, strict=True):
        lines += ["[[regions]]", f'code = "{code}"', f'name = "{name}"', 'level = "province"',
                  ""]
    return "\n".join(lines)


def _sources_toml(csv: bytes, rows: int, seed: int, tables: int) -> str:
    sha = hashlib.sha256(csv).hexdigest()
    return "\n".join([
        "# SIMULATED sources of the demo case (not real data).", "",
        "[[sources]]",
        'id = "observers"',
        'label = { en = "simulated observers", es = "los observadores simulados" }',
        "main = true",
        'file = "observer_tally_sheets.csv"',
        'folder = ""              # in this case folder',
        'profile = "observers-profile.toml"   # relative to this case folder',
        f'sha256 = "{sha}"',
        f"bytes = {len(csv)}",
        f"rows = {rows}",
        'side = "observer"',
        'licence = "CC0-1.0 (simulated data)"',
        f'citation = "SIMULATED: election-audit demo --seed {seed} --tables {tables}; '
        f'not real data"',
        'description = "Copies of the tally sheets held by the simulated observers '
        '(80% of tables), in their own column layout."', ""])


def _shares(counts: Mapping[str, int]) -> dict[str, str]:
    total = sum(counts.values())
    return {k: f"{100 * v / total:.2f}" for k, v in counts.items()}


def _claims(sheets: SheetTable, official: pd.DataFrame, observer: SheetTable,
            coverage: float) -> dict[str, Any]:
    keys = [k for k, _, _ in CANDIDATES]
    counts = {k: int(official[vote_column(k)].sum()) for k in keys}
    valid = int(official["valid"].sum())
    null = int(official["null"].sum())
    blank = int(official["blank"].sum())
    voters = int(official["voters"].sum())
    registered = int(official["registered"].sum())
    claims: list[dict[str, Any]] = [{
        "id": "authority-final",
        "label": {"en": "the simulated authority's final bulletin",
                  "es": "el boletín final de la autoridad simulada"},
        "datetime": "2001-01-02T02:00:00+00:00",
        "side": "official",
        "source": {"citation": "SIMULATED electoral authority, final national bulletin "
                               "(not real data)", "label": AUTHORITY},
        "scope": "national",
        "coverage": {"tables_pct": "100", "tables": len(sheets), "registered": registered},
        "counts": counts,
        "percentages": _shares(counts),
        "percent_base": "valid",
        "valid": valid,
        "null_votes": null,
        "blank_votes": blank,
        "voters": voters,
        "registered": registered,
        "turnout_pct": f"{100 * voters / registered:.2f}",
        "derived": False,
        "notes": "SIMULATED. These totals were altered at aggregation (truth/summary.json).",
    }]
    for _, row in official.iterrows():
        prov = {k: int(row[vote_column(k)]) for k in keys}
        claims.append({
            "id": f"authority-final.province-{row['region_code']}",
            "label": {"en": f"the simulated authority's final bulletin, {row['region_name']}",
                      "es": f"el boletín final de la autoridad simulada, {row['region_name']}"},
            "datetime": "2001-01-02T02:00:00+00:00",
            "side": "official",
            "source": {"citation": "SIMULATED electoral authority, final bulletin by province "
                                   "(not real data)", "label": AUTHORITY},
            "scope": str(row["region_code"]),
            "scope_level": "province",
            "coverage": {"tables_pct": "100", "tables": int(row["tables"])},
            "counts": prov,
            "percentages": _shares(prov),
            "percent_base": "valid",
            "valid": int(row["valid"]),
            "voters": int(row["voters"]),
            "registered": int(row["registered"]),
            "derived": False,
            "notes": "SIMULATED.",
        })
    obs = observer.totals()
    claims.append({
        "id": "observers-tally",
        "label": {"en": "the simulated observers' sum of their tally sheets",
                  "es": "la suma de las actas de los observadores simulados"},
        "datetime": "2001-01-03T12:00:00+00:00",
        "side": "observer",
        "source": {"citation": "SIMULATED independent observers, sum of the tally-sheet "
                               "copies they hold (observer_tally_sheets.csv; not real data)",
                   "label": {"en": "Simulated observers", "es": "Observadores simulados"}},
        "scope": "national",
        "coverage": {"tables_pct": f"{100 * coverage:g}", "tables": len(observer),
                     "registered": observer.total("registered")},
        "counts": {k: int(obs[k]) for k in keys},
        "percentages": _shares({k: int(obs[k]) for k in keys}),
        "percent_base": "valid",
        "valid": observer.total("valid"),
        "null_votes": observer.total("null"),
        "blank_votes": observer.total("blank"),
        "voters": observer.total("voters"),
        "registered": observer.total("registered"),
        "turnout_pct": f"{100 * (observer.total('voters') or 0) / (observer.total('registered') or 1):.2f}",  # noqa: E501
        "derived": False,
        "notes": "SIMULATED. Covers the tables whose sheets the observers hold, not all.",
    })
    return {"election": ELECTION_ID, "claims": claims}


def _yaml_header(seed: int, tables: int) -> str:
    return (f"# SIMULATED claims ledger of the demo case (election-audit demo --seed {seed} "
            f"--tables {tables}).\n# Every claim, source and number is invented; see "
            f"README.md.\n")


def _truth_frame(clean: SheetTable, sheets: SheetTable, fraud: pd.DataFrame,
                 observed: np.ndarray) -> pd.DataFrame:
    df = sheets.data
    out = pd.DataFrame({
        "province": df["region_province_code"].to_numpy(),
        "center_id": df["center_id"].to_numpy(), "table_id": df["table_id"].to_numpy(),
        "in_observer_file": observed, "stuffed": fraud["manipulated"].to_numpy(),
        "kind": fraud["kind"].to_numpy(), "x": np.round(fraud["x"].to_numpy(), 6),
        "ballots_stuffed": fraud["stuffed"].to_numpy(), "votes_stolen": fraud["stolen"].to_numpy(),
    })
    for k in clean.candidates:
        out[f"clean_votes_{k}"] = clean.data[vote_column(k)].to_numpy()
    return out


def _summary(clean: SheetTable, sheets: SheetTable, official: pd.DataFrame,
             observer: SheetTable, fraud: pd.DataFrame, observed: np.ndarray, seed: int,
             tables: int, coverage: float, stuffing: float, extreme: float, shift: float
             ) -> dict[str, Any]:
    def block(counts: Mapping[str, int]) -> dict[str, Any]:
        total = sum(counts.values())
        return {"votes": {k: int(v) for k, v in counts.items()},
                "shares": {k: round(v / total, 6) for k, v in counts.items()}}

    keys = [k for k, _, _ in CANDIDATES]
    return {
        "simulated": True,
        "generator": f"election-audit demo --seed {seed} --tables {tables}",
        "parameters": {"seed": seed, "tables": tables, "coverage": coverage,
                       "stuffing_incremental": stuffing, "stuffing_extreme": extreme,
                       "shift_at_aggregation": shift},
        "clean": block(clean.totals()),
        "sheets": block(sheets.totals()),
        "official": block({k: int(official[vote_column(k)].sum()) for k in keys}),
        "observers": block(observer.totals()),
        "stuffed_tables": int(fraud["manipulated"].sum()),
        "ballots_stuffed": int(fraud["stuffed"].sum()),
        "votes_stolen": int(fraud["stolen"].sum()),
        "observed_tables": len(observer),
        # what was done, in the form reports read (audit.report.truth)
        "manipulations": [
            {"kind": "ballot_stuffing", "beneficiary": "A", "where": "sheets",
             "tables": int(fraud["manipulated"].sum()), "tables_total": len(sheets),
             "tables_in_sheets": int((fraud["manipulated"].to_numpy(bool) & observed).sum()),
             "ballots_added": int(fraud["stuffed"].sum()),
             "votes_moved": int(fraud["stolen"].sum())},
            {"kind": "altered_totals", "beneficiary": "A", "where": "announced",
             "claim": "authority-final", "share_moved": shift, "level": "province"},
        ],
    }


def _readme(summary: Mapping[str, Any], seed: int, tables: int) -> str:
    def pct(block: str, key: str) -> str:
        return f"{100 * summary[block]['shares'][key]:.2f}%"

    return f"""# SIMULATED demo election — NOT REAL DATA

Everything in this folder was invented by `election-audit demo --seed {seed} --tables {tables}`
to learn the tool and to test it: the country, the provinces, the candidates, the electoral
authority, the observers and every number.

## The story

* {tables:,} polling tables in 6 provinces; candidate **B** wins the honest count
  (A {pct('clean', 'A')}, B {pct('clean', 'B')}, C {pct('clean', 'C')} of valid votes).
* At {summary['stuffed_tables']:,} tables the sheets signed on election night contain **ballot
  stuffing** and stolen votes for A ({summary['ballots_stuffed']:,} ballots stuffed,
  {summary['votes_stolen']:,} votes taken from B and C; Klimek et al. 2012 incremental and
  extreme fraud). On all the sheets: A {pct('sheets', 'A')}, B {pct('sheets', 'B')}.
* The authority's **announced totals were altered at aggregation**
  ({100 * summary['parameters']['shift_at_aggregation']:g}% of each province's valid votes
  moved to A): it announces A {pct('official', 'A')}, B {pct('official', 'B')}.
* The **observers** hold copies of {summary['observed_tables']:,} sheets
  ({100 * summary['parameters']['coverage']:g}% of tables, chosen at random); their sum gives
  A {pct('observers', 'A')}, B {pct('observers', 'B')}.

## Files

| file | what |
|---|---|
| `election.toml` | election metadata (candidates, provinces, registered voters) |
| `sources.toml` | the observers' tally-sheet file with its SHA-256 |
| `claims.yaml` | the announcement (national and by province) and the observers' tally |
| `observer_tally_sheets.csv` | the observers' copies of the tally sheets, their own layout |
| `observers-profile.toml` | the column mapping of that layout (`--mapping`) |
| `official_totals_by_province.csv` | the announced totals by province |
| `truth/stations.csv` | per table: stuffed or not, how much, clean counts, observed or not |
| `truth/summary.json` | the totals at each step and the `manipulations` the report names |

A real case has no `truth/` folder: it is here so that tests and learners can check what the
tools find against what was done.

## Try it

```bash
election-audit ingest observer_tally_sheets.csv --mapping observers-profile.toml
election-audit forensics .    # from this folder: the stuffing for A, with strong evidence
election-audit dispute .      # the announced totals against the sheets
```

`forensics` tests the leader on the sheets (B) and the declared winner (A, named in
`election.toml`): the stuffing served A, the runner-up on the sheets, and the battery finds
it in the corner of the turnout × share fingerprint; compare with `truth/stations.csv`.

Regenerate this folder byte for byte with
`election-audit demo <folder> --seed {seed} --tables {tables}`.
"""
