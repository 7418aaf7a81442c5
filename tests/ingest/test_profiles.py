"""Column profiles (audit.ingest.profiles): detection, mapping errors and every transform."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.errors import ProfileError
from audit.ingest import Profile, bundled_profiles, detect_profile, get_profile, read_sheets

V1 = ["\ufeffCOD_EDO", "EDO", "COD_MUN", "MUN", "COD_PAR", "PAR", "CENTRO", "MESA", "RE",
      "VOTOS_VALIDOS", "VOTOS_NULOS", "EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM",
      "BERA", "URL"]
V2 = [c for c in V1 if c != "RE"]


def profile(name: str, **columns: str) -> Profile:
    return Profile.from_dict({"name": name, "columns": {"table_id": "t", **columns},
                              "candidates": {"A": "a", "B": "b"}})


class TestDetection:
    def test_bundled_profiles_load_and_have_unique_names(self) -> None:
        names = [p.name for p in bundled_profiles()]
        assert len(names) == len(set(names))
        assert {"venezuela-2012-cne-centres", "russia-2011-duma-uik",
                "russia-2018-presidential-uik", "uganda-2011-ec-stations",
                "uganda-2021-uedp-stations", "chile-2021-servel-mesas",
                "cordoba-2019-provisional-mesas"} <= set(names)

    def test_unambiguous_pick(self) -> None:
        assert detect_profile(V2).name == "venezuela-2024-opposition-v2"

    def test_superset_header_prefers_the_profile_that_explains_more(self) -> None:
        """The V1 header fits both V1 and V2 profiles; V1 also explains RE, so it wins."""
        assert detect_profile(V1).name == "venezuela-2024-opposition-v1"

    def test_no_bundled_profile_is_mistaken_for_another(self) -> None:
        """On its own header a profile is detected, or the ambiguity error names it (several
        bundled profiles may read one file in different ways, e.g. Belarus 2020); detection
        never silently picks another profile."""
        for prof in bundled_profiles():
            header = sorted(prof.source_columns() | set(prof.ignore))
            try:
                found = detect_profile(header).name
            except ProfileError as exc:
                found = str(exc) if "equally well" in str(exc) else "(no fit)"
            assert prof.name in found

    def test_ambiguity_names_both(self) -> None:
        one, two = profile("first", valid="v"), profile("second", valid="v")
        with pytest.raises(ProfileError, match=r"equally well \(first, second\)"):
            detect_profile(["t", "v", "a", "b"], [one, two])

    def test_near_miss_names_what_is_missing(self) -> None:
        header = [c for c in V2 if c != "NM"]
        with pytest.raises(ProfileError) as err:
            detect_profile(header)
        message = str(err.value)
        assert "venezuela-2024-opposition-v2 lacks NM" in message
        # the library names its parameter; the command line, its flag
        assert "Pass profile=FILE" in message
        assert "--mapping" not in message
        assert "Pass --mapping FILE (see" in err.value.for_cli({"profile": "--mapping"})

    def test_nothing_close(self) -> None:
        with pytest.raises(ProfileError, match="no profile fits this file's columns"):
            detect_profile(["x", "y", "z"])

    def test_unknown_profile_name_suggests(self) -> None:
        with pytest.raises(ProfileError, match="did you mean venezuela-2024-opposition-v1"):
            get_profile("venezuela-2024-oposition-v1")


class TestMappingErrors:
    def write(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "m.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_malformed_toml(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, 'name = "x"\n[columns\ntable_id = "t"\n')
        with pytest.raises(ProfileError, match="not a valid TOML mapping"):
            Profile.from_toml(path)

    def test_unknown_canonical_column(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, '[columns]\ntable_id = "t"\nvotes = "v"\n'
                                    '[candidates]\nA = "a"\n')
        with pytest.raises(ProfileError, match=r"unknown canonical columns \['votes'\]"):
            Profile.from_toml(path)

    @pytest.mark.parametrize(("spec", "match"), [
        ('{ column = "t", pad = 3 }', "unknown keys"),
        ('{ column = "t", part = 1 }', "'part' needs 'split'"),
        ('{ column = "t", split = ".", part = [1] }', "range"),
        ('{ count = "x" }', "give one of"),
        ('{ from_percent = "p" }', "needs 'count'"),
        ("3", "expected a column name"),
    ])
    def test_bad_rules(self, tmp_path: Path, spec: str, match: str) -> None:
        path = self.write(tmp_path, f'[columns]\ntable_id = {spec}\n[candidates]\nA = "a"\n')
        with pytest.raises(ProfileError, match=match):
            Profile.from_toml(path)

    def test_needs_table_id_and_candidates(self, tmp_path: Path) -> None:
        with pytest.raises(ProfileError, match="must map 'table_id'"):
            Profile.from_toml(self.write(tmp_path, '[columns]\nvalid = "v"\n'))
        with pytest.raises(ProfileError, match="at least one candidate"):
            Profile.from_toml(self.write(tmp_path, '[columns]\ntable_id = "t"\n'))

    def test_missing_mapping_file(self, tmp_path: Path) -> None:
        with pytest.raises(ProfileError, match="not found"):
            Profile.from_toml(tmp_path / "absent.toml")

    def test_header_lacks_mapped_columns(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, 'name = "m"\n[columns]\ntable_id = "t"\n'
                                    '[candidates]\nA = "a"\nB = "b"\n')
        data = tmp_path / "d.csv"
        data.write_text("t,a\n1,2\n", encoding="utf-8")
        with pytest.raises(ProfileError, match="missing columns b"):
            read_sheets(data, profile=path)


TRANSFORMS = """
name = "transforms"
source_label = "tx"

[columns]
center_id = { column = "loc", split = ".", part = [1, 3] }
table_id = { column = "mesa", lstrip = "0" }
registered = { count = "voters", from_percent = "pct" }
voters = "voters"
null = { sum = ["nul", "spoilt"] }

[[regions]]
level = "state"
code = { column = "code", zfill = 2 }
name = { column = "place", slice = [0, 4] }

[[regions]]
level = "district"
code = { join = ["code", "dist"], sep = "-" }
name = { const = "n/a" }

[candidates]
A = "a"
B = { column = "b" }
"""


def test_every_transform(tmp_path: Path) -> None:
    """Hand-made rows, each transform's result written out by hand."""
    mapping = tmp_path / "tx.toml"
    mapping.write_text(TRANSFORMS, encoding="utf-8")
    data = tmp_path / "tx.csv"
    data.write_text(
        "loc,mesa,voters,pct,nul,spoilt,code,dist,place,a,b\n"
        "CO.1.112.4.7,007,228,67.0588,1,2,3,9,Mérida,100,125\n"
        "CO.2.5.1.1,000,11,55.0,0,0,12,1,Lara,6,5\n", encoding="utf-8")
    result = read_sheets(data, profile=mapping)
    d = result.sheets.data
    assert d["center_id"].tolist() == ["1.112", "2.5"]
    assert d["table_id"].tolist() == ["7", "0"]  # "000" keeps one zero
    assert d["region_state_code"].tolist() == ["03", "12"]
    assert d["region_state_name"].tolist() == ["Méri", "Lara"]
    assert d["region_district_code"].tolist() == ["3-9", "12-1"]
    assert d["region_district_name"].tolist() == ["n/a", "n/a"]
    assert d["registered"].tolist() == [340, 20]  # 228 / 0.670588, 11 / 0.55
    assert d["null"].tolist() == [3, 0]
    assert d["valid"].tolist() == [225, 11]
    assert result.accepted == 2
    assert result.reasons() == {}
