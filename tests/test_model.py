"""The canonical table and election metadata (audit.model)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.errors import MetadataError
from audit.model import Candidate, Election, SheetTable, candidate_label, vote_key


def frame(**over: object) -> pd.DataFrame:
    """Four tables in two states; hand-made so every statistic below is checkable."""
    data: dict[str, object] = {
        "region_state_code": ["1", "1", "2", "2"],
        "region_state_name": ["North", "North", "South", "South"],
        "center_id": ["c1", "c1", "c2", "c3"],
        "table_id": ["1", "2", "1", "1"],
        "registered": pd.array([100, 200, None, 0], dtype="Int64"),
        "voters": pd.array([60, None, 40, 0], dtype="Int64"),
        "valid": np.array([58, 120, 38, 0], dtype=np.int64),
        "null": pd.array([2, 5, None, 0], dtype="Int64"),
        "votes_A": np.array([40, 70, 8, 0], dtype=np.int64),
        "votes_B": np.array([18, 50, 30, 0], dtype=np.int64),
        "source": ["s"] * 4,
        "line": np.array([2, 3, 4, 5], dtype=np.int64),
    }
    data.update(over)
    return pd.DataFrame(data)


@pytest.fixture
def table() -> SheetTable:
    return SheetTable(frame(), candidates=("A", "B"), levels=("state",))


class TestInvariants:
    def test_missing_columns(self) -> None:
        with pytest.raises(ValueError, match=r"missing canonical columns.*votes_C"):
            SheetTable(frame(), candidates=("A", "B", "C"))
        with pytest.raises(ValueError, match=r"missing canonical columns.*valid"):
            SheetTable(frame().drop(columns="valid"), candidates=("A", "B"))

    def test_needs_a_candidate(self) -> None:
        with pytest.raises(ValueError, match="at least one candidate"):
            SheetTable(frame(), candidates=())

    def test_count_dtypes_and_signs(self) -> None:
        with pytest.raises(ValueError, match="votes_A must be int64"):
            SheetTable(frame(votes_A=[40.0, 70.0, 8.0, 0.0]), candidates=("A", "B"))
        with pytest.raises(ValueError, match="votes_B has negative"):
            SheetTable(frame(votes_B=np.array([18, -1, 30, 0])), candidates=("A", "B"))
        with pytest.raises(ValueError, match="registered must be nullable Int64"):
            SheetTable(frame(registered=[100, 200, 0, 0]), candidates=("A", "B"))
        with pytest.raises(ValueError, match="null has negative"):
            SheetTable(frame(null=pd.array([2, -5, None, 0], dtype="Int64")),
                       candidates=("A", "B"))

    def test_keys_unique(self) -> None:
        with pytest.raises(ValueError, match="not unique"):
            SheetTable(frame(table_id=["1", "1", "1", "1"]), candidates=("A", "B"))


class TestStatistics:
    def test_votes_totals_leader(self, table: SheetTable) -> None:
        assert table.votes.tolist() == [[40, 18], [70, 50], [8, 30], [0, 0]]
        assert table.totals() == {"A": 118, "B": 98}
        assert table.leader() == "A"
        assert table.total("valid") == 216
        assert table.total("registered") == 300  # missing values skipped
        assert table.total("blank") is None
        assert table.has("voters")
        assert not table.has("blank")

    def test_ballots_turnout_share(self, table: SheetTable) -> None:
        # voters where stated, else valid + null (+ blank): row 2 -> 120 + 5.
        assert table.ballots().tolist() == [60, 125, 40, 0]
        turnout = table.turnout()
        assert turnout[:2].tolist() == [0.6, 125 / 200]
        assert np.isnan(turnout[2])  # registered unknown
        assert np.isnan(turnout[3])  # zero registered
        share = table.share("A")
        assert share[:3].tolist() == [40 / 58, 70 / 120, 8 / 38]
        assert np.isnan(share[3])  # no valid votes

    def test_turnout_without_registered(self) -> None:
        t = SheetTable(frame().drop(columns="registered"), candidates=("A", "B"))
        assert np.isnan(t.turnout()).all()

    def test_aggregate_by_level_and_nationally(self, table: SheetTable) -> None:
        by_state = table.aggregate("state")
        assert by_state["region_code"].tolist() == ["1", "2"]
        assert by_state["region_name"].tolist() == ["North", "South"]
        assert by_state["tables"].tolist() == [2, 2]
        assert by_state["votes_A"].tolist() == [110, 8]
        assert by_state["registered"].tolist() == [300, 0]
        assert by_state["registered_tables"].tolist() == [2, 1]
        assert by_state["voters"].tolist() == [60, 40]  # sums skip missing values
        national = table.aggregate()
        assert national["tables"].tolist() == [4]
        assert national["valid"].tolist() == [216]
        with pytest.raises(KeyError, match="unknown region level"):
            table.aggregate("district")

    def test_aggregate_sorts_codes_numerically(self) -> None:
        t = SheetTable(frame(region_state_code=["10", "10", "9", "9"]),
                       candidates=("A", "B"), levels=("state",))
        assert t.aggregate("state")["region_code"].tolist() == ["9", "10"]

    def test_subset(self, table: SheetTable) -> None:
        sub = table.subset(table.data["region_state_code"] == "2", name="south")
        assert len(sub) == 2
        assert sub.name == "south"
        assert sub.totals() == {"A": 8, "B": 30}
        assert sub.data.index.tolist() == [0, 1]


ELECTION = """
id = "x"
name = "Test"
date = 2024-01-01
region_levels = ["state"]
registered = 1000
[[candidates]]
key = "A"
name = "Alice"
parties = ["P1", "P2"]
[[regions]]
code = "1"
name = "North"
"""


class TestElection:
    def test_loads(self, tmp_path: Path) -> None:
        path = tmp_path / "election.toml"
        path.write_text(ELECTION, encoding="utf-8")
        e = Election.from_toml(path)
        assert (e.id, e.date, e.registered) == ("x", dt.date(2024, 1, 1), 1000)
        assert e.candidate("A").parties == ("P1", "P2")
        assert e.candidate("A").label == "Alice"
        assert e.regions_at("state")[0].name == "North"
        with pytest.raises(KeyError, match="unknown candidate"):
            e.candidate("Z")

    @pytest.mark.parametrize(("change", "match"), [
        (('id = "x"\n', ""), "missing required field 'id'"),
        (("date = 2024-01-01", 'date = "1 Jan 2024"'), "YYYY-MM-DD"),
        (('name = "Alice"\n', ""), "needs 'key' and 'name'"),
        (('code = "1"\nname = "North"\n', 'code = "1"\nname = "North"\nlevel = "city"\n'),
         "unknown level 'city'"),
        (("[[regions]]", '[[candidates]]\nkey = "A"\nname = "Again"\n[[regions]]'),
         "not unique"),
        (("registered = 1000", "registered = [1000"), "not valid TOML"),
    ])
    def test_errors(self, tmp_path: Path, change: tuple[str, str], match: str) -> None:
        path = tmp_path / "election.toml"
        path.write_text(ELECTION.replace(*change), encoding="utf-8")
        with pytest.raises(MetadataError, match=match):
            Election.from_toml(path)

    def test_not_found(self, tmp_path: Path) -> None:
        with pytest.raises(MetadataError, match="not found"):
            Election.from_toml(tmp_path / "absent.toml")


def test_natural_order_is_one_order_for_codes() -> None:
    from audit.model import natural_order, natural_sorted

    codes = ["10", "2", "(none)", "1", "B", "A", "02"]
    assert natural_sorted(codes) == ["1", "02", "2", "10", "(none)", "A", "B"]
    assert natural_sorted(reversed(codes)) == natural_sorted(codes)
    assert natural_order(pd.Series(["b", "a"])).tolist() == [1, 0]


def test_candidate_label_is_one_rule_for_names() -> None:
    """Short name, else name; the first metadata that lists the key; else the key itself."""
    a = Election(id="a", name="A", date=dt.date(2024, 7, 28), country="VE",
                 candidates=(Candidate("EG", "Edmundo González", short_name="González"),
                             Candidate("NM", "Nicolás Maduro")))
    b = Election(id="b", name="B", date=dt.date(2024, 7, 28), country="VE",
                 candidates=(Candidate("XX", "Someone Else", short_name="Else"),))
    assert a.labels() == {"EG": "González", "NM": "Nicolás Maduro"}
    assert a.label("ZZ") == "ZZ"
    assert candidate_label("XX", None, a, b) == "Else"
    assert candidate_label("EG", b, a) == "González"
    assert candidate_label("QQ", a, b) == "QQ"
    assert vote_key("votes_EG") == "EG"
    assert vote_key("valid") is None


def test_named_streams_follow_one_recipe() -> None:
    """audit._random.stream: SeedSequence(seed, spawn_key=names), texts as their CRC-32, so
    forensics' (scope, family) streams and calibration's (sim, step) streams are the same
    recipe, and a stream depends on nothing but the seed and its names."""
    import zlib

    from audit._random import stream
    from audit.checks.forensics import scope_generator

    expected = np.random.default_rng(np.random.SeedSequence(
        5, spawn_key=(3, zlib.crc32(b"clean"), zlib.crc32(b"digits")))).random(3)
    np.testing.assert_array_equal(stream(5, 3, "clean", "digits").random(3), expected)
    np.testing.assert_array_equal(scope_generator(5, "national", "digits").random(3),
                                  stream(5, "national\x00digits").random(3))
    assert stream(5, "digits").random() != stream(5, "turnout").random()
    assert stream(5, "digits").random() != stream(6, "digits").random()
