"""Cross-source comparison: hand-computed examples, properties, and the three real pairs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit._json import dumps
from audit.checks.crosscheck import (
    DISCREPANCY_COLUMNS,
    VIOLATION_COLUMNS,
    CrosscheckResult,
    LowerBoundResult,
    compare_sources,
    lower_bound_check,
)
from audit.checks.result import Evidence
from audit.errors import AuditError
from audit.ingest import read_sheets
from audit.messages import catalogue, template_fields
from audit.model import SheetTable
from tests.conftest import FIXTURES, real_file


def sheets(rows: Sequence[tuple[str, str, str, int, int]], *, name: str,
           null: Sequence[int | None] | None = None) -> SheetTable:
    """A two-candidate table from (region, centre, table, votes X, votes Y) rows."""
    frame = pd.DataFrame({
        "region_r_code": pd.array([r[0] for r in rows], dtype="string"),
        "center_id": pd.array([r[1] for r in rows], dtype="string"),
        "table_id": pd.array([r[2] for r in rows], dtype="string"),
        "valid": np.array([r[3] + r[4] for r in rows], dtype=np.int64),
        "votes_X": np.array([r[3] for r in rows], dtype=np.int64),
        "votes_Y": np.array([r[4] for r in rows], dtype=np.int64),
        "source": pd.array([name] * len(rows), dtype="string"),
        "line": np.arange(2, len(rows) + 2, dtype=np.int64),
    })
    if null is not None:
        frame["null"] = pd.array(list(null), dtype="Int64")
    return SheetTable(frame, candidates=("X", "Y"), levels=("r",), name=name)


A = sheets([("N", "c1", "1", 10, 5), ("N", "c1", "2", 7, 7), ("S", "c2", "1", 0, 0),
            ("S", "c2", "2", 3, 1)], name="first", null=[1, 2, None, 0])
B = sheets([("N", "c1", "2", 9, 7), ("N", "c1", "1", 10, 5), ("S", "c2", "1", 4, 6),
            ("S", "c3", "1", 1, 1)], name="second", null=[2, 1, 0, 0])


class TestCompareSources:
    res = compare_sources(A, B)

    def test_matching_both_ways(self) -> None:
        r = self.res
        assert (r.n_a, r.n_b, r.n_matched, r.n_agree) == (4, 4, 3, 1)
        assert r.unmatched_a[["center_id", "table_id", "region_code", "line"]].values.tolist() \
            == [["c2", "2", "S", 5]]
        assert r.unmatched_b[["center_id", "table_id", "line"]].values.tolist() \
            == [["c3", "1", 5]]
        assert r.agreement_rate == pytest.approx(1 / 3)
        assert (r.zero_a, r.zero_b) == (1, 0)  # c2/1 is all zero in A, 10 votes in B

    def test_discrepancies_largest_first(self) -> None:
        d = self.res.discrepancies
        assert tuple(d.columns) == DISCREPANCY_COLUMNS
        # (c2,1): X 0->4, Y 0->6, valid 0->10; (c1,2): X 7->9, valid 14->16 (null 2 in both).
        # null of (c2,1) is not stated in A, so it is not compared.
        assert d[["table_id", "center_id", "column", "a", "b", "difference"]].values.tolist() \
            == [["1", "c2", "valid", 0, 10, 10], ["1", "c2", "votes_Y", 0, 6, 6],
                ["1", "c2", "votes_X", 0, 4, 4], ["2", "c1", "votes_X", 7, 9, 2],
                ["2", "c1", "valid", 14, 16, 2]]
        largest = self.res.largest(2)
        assert largest[["center_id", "candidate", "difference"]].values.tolist() \
            == [["c2", "Y", 6], ["c2", "X", 4]]

    def test_per_column_summary(self) -> None:
        t = self.res.table.set_index("column")
        assert list(t.index) == ["votes_X", "votes_Y", "valid", "null"]
        x = t.loc["votes_X"]
        assert (x["total_a"], x["total_b"], x["matched_a"], x["matched_b"]) == (20, 24, 17, 23)
        assert (x["difference"], x["tables_differing"], x["max_abs_difference"]) == (6, 2, 4)
        assert t.loc["null", "tables_compared"] == 2  # one matched table states no null in A
        assert t.loc["votes_Y", "agreement_rate"] == pytest.approx(2 / 3)

    def test_regions(self) -> None:
        reg = self.res.regions.set_index("region_code")
        assert reg.loc["N", ["tables_a", "tables_b", "matched", "agree", "differ"]].tolist() \
            == [2, 2, 2, 1, 1]
        assert reg.loc["S", ["tables_a", "tables_b", "matched", "only_a", "only_b"]].tolist() \
            == [2, 2, 1, 1, 1]
        assert reg.loc["S", "abs_difference"] == 10
        votes = self.res.region_votes
        row = votes.loc[(votes["region_code"] == "N") & (votes["column"] == "votes_X")].iloc[0]
        assert (row["a"], row["b"], row["difference"], row["tables_differing"]) == (17, 19, 2, 1)

    def test_result_fields(self) -> None:
        r = self.res
        assert r.test == "crosscheck.compare"
        assert (r.statistic, r.effect, r.n, r.pvalue) == (2.0, 12.0, 3, None)
        assert r.evidence is Evidence.NOT_TESTED
        assert r.excluded == {"only_in_a": 1, "only_in_b": 1}
        assert r.differing_tables()["table_id"].tolist() == ["1", "2"]
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.n = 0  # type: ignore[misc]

    def test_to_dict_is_json_without_pairs(self) -> None:
        out = json.loads(dumps(self.res.to_dict()))
        assert "pairs" not in out
        assert out["n_matched"] == 3
        assert out["sentence"].startswith("3 tables appear in both first (4 tables) and second")

    def test_messages(self) -> None:
        assert self.res.sentence == (
            "3 tables appear in both first (4 tables) and second (4); tables only in first: 1, "
            "only in second: 1. Every candidate count agrees on 1 of the 3 tables (33.33%); "
            "where they differ, the largest difference is 6 votes for Y at table c2/1 (0 in "
            "first, 6 in second).")
        es = self.res.message.render("es")
        assert "coinciden en 1 de las 3 mesas (33,33\u00a0%)" in es

    def test_candidates_and_counts_options(self) -> None:
        only_x = compare_sources(A, B, candidates=["X"], compare_counts=False, by=None)
        assert only_x.columns == ("votes_X",)
        assert only_x.n_agree == 1
        assert only_x.regions.empty
        assert compare_sources(A, A).message.id == "crosscheck.compare.all_agree"

    def test_errors(self) -> None:
        with pytest.raises(AuditError, match="no candidate Z"):
            compare_sources(A, B, candidates=["Z"])
        with pytest.raises(AuditError, match="unknown region level"):
            compare_sources(A, B, by="province")
        with pytest.raises(AuditError, match="does not identify a table"):
            compare_sources(A, B, on=("table_id",))
        z_only = SheetTable(A.data.rename(columns={"votes_X": "votes_Z"}), candidates=("Z",),
                            levels=("r",))
        with pytest.raises(AuditError, match="share no candidate"):
            compare_sources(z_only, B)

    def test_no_match(self) -> None:
        far = sheets([("N", "z", "9", 1, 1)], name="far")
        r = compare_sources(A, far)
        assert (r.n_matched, len(r.unmatched_a), len(r.unmatched_b)) == (0, 4, 1)
        assert r.message.id == "crosscheck.compare.no_match"
        assert np.isnan(r.agreement_rate)


keys = st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(["1", "2", "3", "4"]))
rows = st.dictionaries(keys, st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=12)


def _from(d: dict[tuple[str, str], tuple[int, int]], name: str) -> SheetTable:
    return sheets([("R" + c[-1], c, t, x, y) for (c, t), (x, y) in sorted(d.items())],
                  name=name)


class TestProperties:
    @given(rows)
    def test_a_source_agrees_with_itself(self, d: dict) -> None:
        s = _from(d, "s")
        r = compare_sources(s, s)
        assert (r.n_matched, r.n_agree, len(r.discrepancies)) == (len(d), len(d), 0)

    @given(rows, rows)
    def test_swapping_the_sources_negates_the_differences(self, da: dict, db: dict) -> None:
        a, b = _from(da, "a"), _from(db, "b")
        ab, ba = compare_sources(a, b), compare_sources(b, a)
        assert ab.n_matched == ba.n_matched == len(set(da) & set(db))
        assert ab.n_agree == ba.n_agree
        assert len(ab.unmatched_a) == len(ba.unmatched_b) == len(set(da) - set(db))
        assert ab.table["difference"].tolist() == (-ba.table["difference"]).tolist()
        assert int(ab.regions["matched"].sum()) == ab.n_matched
        assert len(ab.discrepancies) == int(ab.table["tables_differing"].sum())
        assert ab.n_matched - ab.n_agree == len(ab.differing_tables())


OFFICIAL = sheets([("N", "", "s1", 100, 20), ("N", "", "s2", 50, 60), ("S", "", "s3", 80, 5),
                   ("S", "", "s4", 10, 10)], name="official")
PHOTOS = sheets([("N", "", "s1", 3, 25), ("N", "", "s2", 2, 40), ("S", "", "s3", 81, 9),
                 ("S", "", "s5", 0, 50)], name="photos")


class TestLowerBound:
    res = lower_bound_check(OFFICIAL, PHOTOS)

    def test_violations(self) -> None:
        r = self.res
        assert tuple(r.violations.columns) == VIOLATION_COLUMNS
        # s1: Y 20 < 25 (5); s3: X 80 < 81 (1), Y 5 < 9 (4)
        assert r.violations[["table_id", "candidate", "official", "bound", "shortfall"]] \
            .values.tolist() == [["s1", "Y", 20, 25, 5], ["s3", "Y", 5, 9, 4],
                                 ["s3", "X", 80, 81, 1]]
        assert (r.n_matched, r.n_violating, r.statistic, r.effect) == (3, 2, 2.0, 10.0)
        assert r.evidence is Evidence.IMPOSSIBLE
        assert r.unmatched_bound["table_id"].tolist() == ["s5"]
        assert r.for_candidate("X")["table_id"].tolist() == ["s3"]

    def test_tables(self) -> None:
        t = self.res.table.set_index("candidate")
        assert t.loc["Y", ["tables_violating", "shortfall", "official_at_violating",
                           "bound_at_violating", "official_total", "bound_total"]].tolist() \
            == [2, 9, 25, 34, 85, 74]
        reg = self.res.regions.set_index("region_code")
        assert reg.loc["S", ["matched", "violating", "shortfall"]].tolist() == [1, 1, 5]

    def test_message(self) -> None:
        assert self.res.sentence.startswith(
            "At 2 of the 3 tables found in both sources (66.67%), the count in official is "
            "below the independent lower bound from photos for at least one candidate, by 10 "
            "votes in all; most often for Y (2 tables, 9 votes).")
        clean = lower_bound_check(OFFICIAL, OFFICIAL)
        assert clean.evidence is Evidence.CONSISTENT
        assert clean.message.id == "crosscheck.lower_bound.none"

    def test_to_dict(self) -> None:
        out = json.loads(dumps(self.res.to_dict()))
        assert out["evidence"] == "impossible"
        assert "pairs" not in out


def test_catalogues_agree_across_languages() -> None:
    en, es = catalogue("en"), catalogue("es")
    ids = {k for k in en if k.startswith("crosscheck.")}
    assert ids == {k for k in es if k.startswith("crosscheck.")}
    for key in ids:
        assert template_fields(en[key]) == template_fields(es[key]), key
        assert "fraud" not in en[key].lower()
        assert "fraude" not in es[key].lower()


# --------------------------------------------------------------------------------------------
# Real data: the three comparisons of issue 4
# --------------------------------------------------------------------------------------------

BOLIVIA = "bolivia_2019_computo_trep"
QR = "venezuela_2024_actas_qr_decoded"
VE = "venezuela_2024_resultadosconvzla_actas"


def _read(folder: str, name: str, profile: str) -> SheetTable:
    return read_sheets(real_file(folder, name), profile=profile).sheets


@pytest.fixture(scope="module")
def computo() -> SheetTable:
    return _read(BOLIVIA, "final_computo.csv", "bolivia-2019-computo")


@pytest.fixture(scope="module")
def v2() -> SheetTable:
    return _read(VE, "RESULTADOS_2024_CSV_V2.csv", "venezuela-2024-opposition-v2")


@pytest.mark.realdata
class TestBolivia:
    """TREP snapshots against the final count. PROVENANCE.md: both TREP snapshots are subsets
    of the cómputo mesas, and MAS and CC agree for "about 99.5%" of common mesas: each of the
    two agrees on 99.55% / 99.52% (20 Oct) of the mesas, both together on 99.28%."""

    @pytest.mark.parametrize(("name", "profile", "expected"), [
        ("trep_acta_2019-10-20_19-40-57.csv", "bolivia-2019-trep-2019-10-20",
         {"matched": 28975, "only_b": 5580, "agree": 28548, "mas_cc": 28767, "mas": 28844,
          "cc": 28835, "zero_a": 4}),
        ("trep_acta_2019-10-21_18-29-53.csv", "bolivia-2019-trep-2019-10-21",
         {"matched": 32806, "only_b": 1749, "agree": 32260, "mas_cc": 32532, "mas": 32632,
          "cc": 32627, "zero_a": 5}),
    ])
    def test_trep_against_computo(self, computo: SheetTable, name: str, profile: str,
                                  expected: dict[str, int]) -> None:
        res = compare_sources(_read(BOLIVIA, name, profile), computo, by="department")
        assert (res.n_matched, len(res.unmatched_a), len(res.unmatched_b)) \
            == (expected["matched"], 0, expected["only_b"])
        assert res.n_agree == expected["agree"]
        assert res.zero_a == expected["zero_a"]
        assert res.zero_b == 0
        mas_cc = compare_sources(_read(BOLIVIA, name, profile), computo,
                                 candidates=["MAS", "CC"], by=None)
        assert mas_cc.n_agree == expected["mas_cc"]
        t = res.table.set_index("candidate")
        assert res.n_matched - t.loc["MAS", "tables_differing"] == expected["mas"]
        assert res.n_matched - t.loc["CC", "tables_differing"] == expected["cc"]
        assert t.loc["MAS", "agreement_rate"] == pytest.approx(0.995, abs=0.001)
        assert res.table.set_index("column").loc["registered", "tables_differing"] == 0
        # the largest: 213 votes written under MTS in the TREP, under MAS in the final count
        top = res.largest(2)
        assert top[["table_id", "candidate", "a", "b"]].values.tolist() \
            == [["36127", "MTS", 213, 0], ["36127", "MAS", 0, 213]]


@pytest.mark.realdata
def test_belarus_official_against_photographed_ballots() -> None:
    photo = _read("belarus_2020_voice_platform", "voice.csv", "belarus-2020-voice-photo")
    official = _read("belarus_2020_voice_platform", "voice.csv", "belarus-2020-official")
    res = lower_bound_check(official, photo)
    assert (res.n_official, res.n_bound, res.n_matched) == (1277, 5709, 1277)
    t = res.table.set_index("candidate")
    assert t.loc["TSIKHANOUSKAYA", ["tables_violating", "shortfall"]].tolist() == [421, 48019]
    assert t.loc["AGAINST", "tables_violating"] == 4
    assert t.loc["LUKASHENKO", "tables_violating"] == 0
    assert res.n_violating == 422
    minsk = res.regions.set_index("region_code").loc["7"]
    assert (minsk["matched"], minsk["violating"]) == (405, 271)


@pytest.mark.realdata
def test_belarus_441_stations_of_provenance() -> None:
    """PROVENANCE.md: "At 441 stations the number of photo-confirmed ballots for
    Tsikhanouskaya exceeds her official count" (all 1,395 stations with her official count,
    partial protocols included). The bundled profile accepts only complete protocols (1,277);
    a mapping of the two main candidates keeps every station with her count."""
    path = real_file("belarus_2020_voice_platform", "voice.csv")
    official = read_sheets(path, profile=FIXTURES / "belarus_two_candidates_official.toml")
    photo = read_sheets(path, profile=FIXTURES / "belarus_two_candidates_photo.toml")
    assert official.accepted == 1395
    res = lower_bound_check(official.sheets, photo.sheets, candidates=["TSIKHANOUSKAYA"])
    assert res.n_violating == 441


@pytest.mark.realdata
class TestVenezuelaQR:
    def test_zentraedi_against_v2(self, v2: SheetTable) -> None:
        # PROVENANCE.md: 21,937 of the 21,952 decoded actas match a V2 row; all 10 candidate
        # counts agree for 21,930; 7 differ by 1-3 votes.
        qr = _read(QR, "2024_vzla_presidential.csv", "venezuela-2024-qr-zentraedi")
        res = compare_sources(v2, qr)
        assert (res.n_matched, len(res.unmatched_b), res.n_agree) == (21937, 15, 21930)
        differ = res.differing_tables()
        codes = sorted(differ["center_id"] + "." + differ["table_id"].str.zfill(2))
        assert codes == ["030602001.02", "070301020.01", "070904028.04", "070908043.01",
                         "110202070.01", "190601010.01", "200701014.02"]
        assert differ["max_abs_difference"].between(1, 3).all()

    def test_ipince_against_v2(self, v2: SheetTable) -> None:
        # PROVENANCE.md: 8,031 of 8,039 rows match V2 (2 acta codes appear twice: collapsed on
        # ingest, so 8,029 tables); null votes agree 100%; 4 rows are failed all-zero decodes.
        qr = _read(QR, "ipince_qr_resultados.csv", "venezuela-2024-qr-ipince")
        res = compare_sources(v2, qr)
        assert (res.n_matched, len(res.unmatched_b), res.n_agree) == (8029, 8, 8025)
        assert res.zero_b == 4
        codes = sorted(res.differing_tables()["center_id"])
        assert codes == ["020301037", "020302013", "210513018", "230103025"]
        null = res.table.set_index("column").loc["null"]
        assert (null["tables_compared"], null["tables_differing"]) == (8029, 0)


def test_results_are_frozen_check_results() -> None:
    from audit.checks.result import CheckResult

    for cls in (CrosscheckResult, LowerBoundResult):
        assert issubclass(cls, CheckResult)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
