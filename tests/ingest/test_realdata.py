"""Every real dataset ingests with the accounting identity, and with the counts found by hand.

The data-driven test runs over every entry of every ``datasets/*/sources.toml``. The explicit
tests pin the numbers checked by hand (with pandas, independently of this package) and, where
one exists, against the published figure cited beside it. They skip with a reason when the
shared data folder is absent (``tests/helpers.py``).
"""

from __future__ import annotations

from functools import cache

import pytest
from helpers import DATA_DIR

from audit.cases import bundled_case_names, load_case
from audit.data import load_source, locate, source_profile
from audit.errors import DataUnavailableError
from audit.ingest import IngestResult
from audit.ingest.core import RULES

pytestmark = pytest.mark.realdata

SOURCES = [(case, s.id) for case in bundled_case_names() for s in load_case(case).sources]


@cache
def ingest(case: str, source_id: str) -> IngestResult:
    return load_source(case, source_id, data_dir=DATA_DIR, download=False)


def need(case: str, source_id: str) -> IngestResult:
    """The ingested source, or skip (not cached) when one of its files is absent."""
    try:
        locate(case, source_id, data_dir=DATA_DIR, download=False)
    except DataUnavailableError as exc:
        pytest.skip(f"real dataset not available: {exc}")
    return ingest(case, source_id)


@pytest.mark.parametrize(("case", "source_id"), SOURCES)
def test_every_source_ingests_with_the_identity(case: str, source_id: str) -> None:
    source = load_case(case).source(source_id)
    result = need(case, source_id)
    assert result.rows_read == result.accepted + result.quarantined \
        + result.duplicates_collapsed
    assert result.rows_read == source.rows
    assert set(result.quarantine["rule"]) <= set(RULES)
    assert [p.sha256 for p in result.files] == [f.sha256 for f in source.data_files]
    assert result.profile.name == source_profile(load_case(case), source).name
    assert result.sheets.election is not None
    assert result.sheets.election.id == load_case(case).election.id


def summary(result: IngestResult) -> dict[str, object]:
    d = result.to_dict()
    return {k: d[k] for k in ("rows_read", "accepted", "quarantined", "duplicates_collapsed",
                              "quarantine_reasons")}


class TestVenezuela2024:
    def test_v1_must_show(self) -> None:
        """Issue 2: V1 24,532 rows accepted; EG 7,156,462; NM 3,241,461; valid 10,659,128;
        null 1,139; registered 17,745,239."""
        r = need("venezuela-2024", "opposition-v1")
        assert summary(r) == {"rows_read": 24532, "accepted": 24532, "quarantined": 0,
                              "duplicates_collapsed": 0, "quarantine_reasons": {}}
        totals = r.sheets.totals()
        assert (totals["EG"], totals["NM"]) == (7_156_462, 3_241_461)
        assert r.sheets.total("valid") == 10_659_128
        assert r.sheets.total("null") == 1_139
        assert r.sheets.total("registered") == 17_745_239

    def test_v2_with_registered_from_v1(self) -> None:
        """Issue 2: V2 joined with V1 has 25,073 rows, registered known for 24,530."""
        r = need("venezuela-2024", "opposition-v2")
        assert summary(r) == {"rows_read": 25073, "accepted": 25073, "quarantined": 0,
                              "duplicates_collapsed": 0, "quarantine_reasons": {}}
        assert int(r.sheets.data["registered"].notna().sum()) == 24530
        assert r.join is not None
        assert (r.join.matched, len(r.join.unmatched_main), len(r.join.unmatched_other)) \
            == (24530, 543, 2)
        # V2 keeps every vote of V1 (datasets.md): same candidate totals on the matched rows.
        assert r.sheets.totals()["EG"] >= 7_156_462


class TestVenezuela2012:
    def test_counts(self) -> None:
        r = need("venezuela-2012", "cne-centres")
        assert summary(r) == {"rows_read": 13671, "accepted": 13517, "quarantined": 154,
                              "duplicates_collapsed": 0,
                              "quarantine_reasons": {"missing_value": 2, "no_counts": 152}}
        # The two partly totalised centres (votes for some candidates, N/A elsewhere).
        partial = r.quarantine.loc[r.quarantine["rule"] == "missing_value", "line"]
        assert sorted(set(partial)) == [11350, 11790]
        assert set(r.quarantine.loc[partial.index, "value"]) == {"N/A"}

    def test_totals_against_provenance(self) -> None:
        """PROVENANCE.md: Chávez 8,116,086, Capriles 6,480,389, valid 14,684,491, electors
        counted 18,553,571 over the whole file; the quarantined partial rows hold 94 + 352
        Chávez and 5 + 444 Capriles votes (checked by hand)."""
        r = need("venezuela-2012", "cne-centres")
        totals = r.sheets.totals()
        assert totals["CHAVEZ"] == 8_116_086 - 94 - 352
        assert totals["CAPRILES"] == 6_480_389 - 5 - 444
        assert r.sheets.total("valid") == 14_684_491
        assert r.sheets.total("registered") == 18_553_571
        assert r.sheets.total("voters") == 14_968_747
        assert r.sheets.total("null") == 284_256


class TestRussia:
    def test_2011(self) -> None:
        """Sums over the file (PROVENANCE.md: 95,225 stations, 109,229,337 registered). The
        CEC national totals (UR 32,379,135; registered 109,237,780) are slightly higher."""
        r = need("russia-2011", "cec-uik")
        assert summary(r) == {"rows_read": 95225, "accepted": 95225, "quarantined": 0,
                              "duplicates_collapsed": 0, "quarantine_reasons": {}}
        totals = r.sheets.totals()
        assert totals == {"SR": 8_695_458, "LDPR": 7_664_516, "PR": 639_067,
                          "KPRF": 12_599_420, "YAB": 2_252_327, "UR": 32_371_737,
                          "PD": 392_727}
        assert r.sheets.total("registered") == 109_229_337
        assert r.sheets.total("valid") == 64_615_252
        assert r.sheets.total("null") == 1_033_438
        assert r.sheets.total("voters") == 64_615_252 + 1_033_438

    def test_2018(self) -> None:
        """CEC (23 Mar 2018): Putin 56.43 million, registered 109,008,428."""
        r = need("russia-2018", "cec-uik")
        assert summary(r) == {"rows_read": 97699, "accepted": 97699, "quarantined": 0,
                              "duplicates_collapsed": 0, "quarantine_reasons": {}}
        totals = r.sheets.totals()
        assert totals["PUTIN"] == 56_430_712
        assert (totals["GRUD"], totals["ZHIR"], totals["SOB"]) \
            == (8_659_206, 4_154_985, 1_238_031)
        assert r.sheets.total("registered") == load_case("russia-2018").election.registered
        assert r.sheets.total("valid") == 72_787_734
        assert r.sheets.total("null") == 791_258


class TestUganda:
    def test_2011(self) -> None:
        """141 flagged stations (76 nullified, 65 not received, all non-reporting) with zero
        counts; EC registered voters 13,954,129 = accepted + flagged (78,791)."""
        r = need("uganda-2011", "ec-stations")
        assert summary(r) == {"rows_read": 23968, "accepted": 23827, "quarantined": 141,
                              "duplicates_collapsed": 0,
                              "quarantine_reasons": {"excluded_by_source": 141}}
        flags = r.quarantine.groupby("column")["line"].nunique().to_dict()
        assert flags == {"NON_REP": 141, "NOT_RECEIVED": 65, "NULLIFIED": 76}
        assert r.sheets.total("registered") == 13_954_129 - 78_791
        totals = r.sheets.totals()
        assert (totals["MUSEVENI"], totals["BESIGYE"]) == (5_436_639, 2_071_397)
        assert r.sheets.total("valid") == 7_928_276

    def test_2021(self) -> None:
        """EC final tally (28 Jan 2021): Museveni 6,042,898, Kyagulanyi 3,631,437, 10,744,319
        votes cast; 184 flagged rows (zero counts) quarantined."""
        r = need("uganda-2021", "ec-stations")
        assert summary(r) == {"rows_read": 34767, "accepted": 34583, "quarantined": 184,
                              "duplicates_collapsed": 0,
                              "quarantine_reasons": {"excluded_by_source": 184}}
        totals = r.sheets.totals()
        assert (totals["MUSEVENI"], totals["KYAGULANYI"]) == (6_042_898, 3_631_437)
        assert r.sheets.total("voters") == 10_744_319
        assert r.sheets.total("registered") == 18_157_960 - 120_173


class TestChile2021:
    def test_counts(self) -> None:
        """PROVENANCE.md: 46,605 mesas; Kast 1,953,207, Boric 1,795,691, Parisi 898,505,
        Sichel 894,180, Provoste 812,903, Enríquez-Ominami 533,209, Artés 102,155."""
        r = need("chile-2021", "servel-mesas")
        assert summary(r) == {"rows_read": 46605, "accepted": 46605, "quarantined": 0,
                              "duplicates_collapsed": 0, "quarantine_reasons": {}}
        assert len(r.files) == 16
        assert r.sheets.totals() == {"KAST": 1_953_207, "BORIC": 1_795_691,
                                     "PARISI": 898_505, "SICHEL": 894_180,
                                     "PROVOSTE": 812_903, "MEO": 533_209, "ARTES": 102_155}
        assert (r.sheets.total("null"), r.sheets.total("blank")) == (55_285, 30_397)
        assert not r.sheets.has("registered")
        assert r.sheets.data["source"].str.startswith("servel-2021-mesas/").all()


class TestCordoba2019:
    def test_counts(self) -> None:
        """26 mesas state a turnout above 100% (up to 187.8%): quarantined. Over the whole
        file Hacemos por Córdoba has 1,083,435 votes = 53.97% of the 2,007,499 positive
        votes (PROVENANCE.md); 3,305 of them are on the quarantined mesas."""
        r = need("cordoba-2019", "provisional-mesas")
        assert summary(r) == {"rows_read": 8545, "accepted": 8519, "quarantined": 26,
                              "duplicates_collapsed": 0,
                              "quarantine_reasons": {"voters_exceed_registered": 26}}
        assert r.sheets.totals()["HPC"] == 1_083_435 - 3_305
        assert r.sheets.total("voters") == 2_077_220 - 11_631
        assert r.sheets.total("registered") == 2_846_702

    def test_registered_recovered_from_percentage(self) -> None:
        """Mesa 1 (line 2): 228 voters at 67.0588% turnout -> 340 registered (228/340 =
        0.670588...)."""
        r = need("cordoba-2019", "provisional-mesas")
        first = r.sheets.data.iloc[0]
        assert (first["line"], first["table_id"], first["voters"], first["registered"]) \
            == (2, "1", 228, 340)
        assert first["center_id"] == "1.112.1"
        assert first["region_circuit_code"] == "112"
