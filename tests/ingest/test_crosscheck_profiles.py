"""The two-source profiles (Bolivia 2019, Belarus 2020, Venezuela 2024 QR copies) on real data.

Row counts are those of each dataset's PROVENANCE.md; the quarantine counts are what the
profiles' documented rules give on those files.
"""

from __future__ import annotations

import pytest

from audit.cases import load_case
from audit.ingest import detect_profile, get_profile, read_sheets
from audit.ingest.readers import open_file
from tests.conftest import real_file

pytestmark = pytest.mark.realdata

BOLIVIA = "bolivia_2019_computo_trep"
BELARUS = "belarus_2020_voice_platform"
QR = "venezuela_2024_actas_qr_decoded"


@pytest.mark.parametrize(("folder", "name", "profile", "accepted"), [
    (BOLIVIA, "final_computo.csv", "bolivia-2019-computo", 34555),
    (BOLIVIA, "trep_acta_2019-10-20_19-40-57.csv", "bolivia-2019-trep-2019-10-20", 28975),
    (BOLIVIA, "trep_acta_2019-10-21_18-29-53.csv", "bolivia-2019-trep-2019-10-21", 32806),
    (BELARUS, "voice.csv", "belarus-2020-voice-photo", 5709),
    (BELARUS, "voice.csv", "belarus-2020-voice-registered", 5709),
    (QR, "2024_vzla_presidential.csv", "venezuela-2024-qr-zentraedi", 21952),
])
def test_every_row_accepted(folder: str, name: str, profile: str, accepted: int) -> None:
    result = read_sheets(real_file(folder, name), profile=profile)
    assert result.rows_read == accepted
    assert result.accepted == accepted


def test_bolivia_totals_match_the_official_result() -> None:
    # OEP final count: MAS 2,889,359 (47.08%), CC 2,240,920 (36.51%), registered 7,315,364
    sheets = read_sheets(real_file(BOLIVIA, "final_computo.csv"),
                         profile="bolivia-2019-computo").sheets
    totals = sheets.totals()
    assert totals["MAS"] == 2_889_359
    assert totals["CC"] == 2_240_920
    assert sheets.total("registered") == 7_315_364
    assert round(100 * totals["MAS"] / sheets.total("valid"), 2) == 47.08
    assert load_case("bolivia-2019").election.registered == 7_315_364


def test_bolivia_final_count_profile_is_detected() -> None:
    header = open_file(real_file(BOLIVIA, "final_computo.csv")).header
    assert detect_profile(header).name == "bolivia-2019-computo"


def test_belarus_official_quarantine_reasons() -> None:
    result = read_sheets(real_file(BELARUS, "voice.csv"), profile="belarus-2020-official")
    # PROVENANCE.md: official figures for ~1,395 of 5,709 stations; 3 negative `against`.
    assert result.reasons() == {"excluded_by_source": 4314, "missing_value": 106,
                                "negative_count": 3, "voters_exceed_registered": 9}
    assert result.accepted == 5709 - 4314 - 106 - 3 - 9 == 1277
    first = result.quarantine.iloc[0]
    assert first["message"] == ("line 4: column tihanovkaja_officialVotes is empty: no official "
                                "protocol was collected for this station (excluded_by_source)")


def test_belarus_three_views_of_one_file_are_not_guessed() -> None:
    header = open_file(real_file(BELARUS, "voice.csv")).header
    with pytest.raises(Exception, match="several profiles fit"):
        detect_profile(header)


def test_qr_ipince_collapses_the_two_photographed_twice() -> None:
    # PROVENANCE.md: 8,039 rows; 2 acta codes appear twice (same acta, two file names)
    result = read_sheets(real_file(QR, "ipince_qr_resultados.csv"),
                         profile="venezuela-2024-qr-ipince")
    assert (result.rows_read, result.accepted, result.duplicates_collapsed) == (8039, 8037, 2)
    assert result.duplicates[["line", "kept_line", "center_id", "table_id"]].values.tolist() \
        == [[3798, 3797, "131801022", "5"], [8040, 1582, "040105004", "4"]]


def test_qr_keys_and_regions_follow_the_opposition_csv() -> None:
    sheets = read_sheets(real_file(QR, "2024_vzla_presidential.csv"),
                         profile="venezuela-2024-qr-zentraedi").sheets
    first = sheets.data.iloc[0]
    # Acta 010101001.01.1.0001 -> centre 010101001, mesa "1", state "1", municipality "1.1"
    assert (first["center_id"], first["table_id"]) == ("010101001", "1")
    assert (first["region_state_code"], first["region_municipality_code"]) == ("1", "1.1")
    assert first["region_state_name"] == "Distrito Capital"
    # PROVENANCE.md totals: Maduro 2,891,553; González 6,392,350; others 231,419
    totals = sheets.totals()
    assert (totals["NM"], totals["EG"]) == (2_891_553, 6_392_350)
    assert sum(totals.values()) - totals["NM"] - totals["EG"] == 231_419
    assert get_profile("venezuela-2024-qr-zentraedi").election == "venezuela-2024"
