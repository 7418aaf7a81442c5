"""Claims against the sheets never contradict themselves.

Properties (hypothesis): a claim that is the true total of any set of tables (the sheets
held plus any completion of the tables without sheets) is never declared impossible,
whichever of its null votes, voters, valid votes, registered voters and coverage it states
and whether or not the sheets state registered voters and null votes; and every sentence's
numbers satisfy the inequality it states.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from helpers import parsed_claim
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.checks.claims import check_against_sheets
from audit.checks.result import Evidence
from audit.model import Election, SheetTable

KEYS = ("A", "B", "C")


@st.composite
def elections(draw: st.DrawFn) -> dict[str, Any]:
    """Tables with registered voters, ballots, null votes and three candidates' votes."""
    n = draw(st.integers(3, 12))
    rows = []
    for _ in range(n):
        registered = draw(st.integers(0, 60))
        ballots = draw(st.integers(0, registered))
        null = draw(st.integers(0, ballots))
        a = draw(st.integers(0, ballots - null))
        b = draw(st.integers(0, ballots - null - a))
        rows.append({"registered": registered, "null": null, "A": a, "B": b,
                     "C": ballots - null - a - b})
    held = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(
        lambda h: 0 < sum(h) < len(h)))
    return {"rows": rows, "held": held,
            "extra_registered": draw(st.integers(0, 50)),
            "sheet_registered": draw(st.booleans()), "sheet_null": draw(st.booleans())}


def build(spec: dict[str, Any]) -> tuple[SheetTable, Election, pd.DataFrame]:
    frame = pd.DataFrame(spec["rows"])
    election = Election.from_dict({
        "id": "prop", "name": "prop", "date": "2024-01-01", "tables": len(frame),
        "registered": int(frame["registered"].sum()) + spec["extra_registered"],
        "candidates": [{"key": k, "name": k} for k in KEYS]})
    held = frame[np.array(spec["held"])].reset_index(drop=True)
    n = len(held)
    data = pd.DataFrame({"center_id": ["c"] * n, "table_id": [str(i) for i in range(n)],
                         "valid": (held["A"] + held["B"] + held["C"]).to_numpy()})
    if spec["sheet_registered"]:
        data["registered"] = pd.array(held["registered"], dtype="Int64")
    if spec["sheet_null"]:
        data["null"] = pd.array(held["null"], dtype="Int64")
    for k in KEYS:
        data[f"votes_{k}"] = held[k].to_numpy()
    data["source"] = "prop"
    data["line"] = np.arange(2, n + 2)
    return SheetTable(data, candidates=KEYS, election=election, name="prop"), election, frame


@st.composite
def true_claims(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """An election and the true totals of a set of its tables, stating a random subset of
    what a claim can state."""
    spec = draw(elections())
    n = len(spec["rows"])
    covered = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    rows = [r for r, c in zip(spec["rows"], covered, strict=True) if c]
    votes = {k: sum(r[k] for r in rows) for k in KEYS}
    valid = sum(votes.values())
    null = sum(r["null"] for r in rows)
    registered = sum(r["registered"] for r in rows)
    form = draw(st.sampled_from(["all", "others", "partial"]))
    counts = dict(votes) if form == "all" else (
        {"A": votes["A"], "B": votes["B"], "OTHERS": votes["C"]} if form == "others"
        else {"A": votes["A"]})
    raw: dict[str, Any] = {"counts": counts}
    if draw(st.booleans()):
        raw["valid"] = valid
    if draw(st.booleans()):
        raw["null_votes"] = null
    if draw(st.booleans()):
        raw["voters"] = valid + null
    every = all(covered)
    coverage = draw(st.sampled_from(["tables", "none", "registered"]))
    if coverage == "tables" or (coverage == "registered" and not every):
        raw["coverage"] = {"tables": sum(covered)}
        if coverage == "registered":
            raw["coverage"]["registered"] = registered
    elif coverage == "registered":
        raw["coverage"] = {"registered": registered}
    if every and draw(st.booleans()):
        raw["registered"] = registered + spec["extra_registered"]
    return spec, raw


@settings(max_examples=150)
@given(true_claims())
def test_a_true_claim_is_never_impossible(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    spec, raw = case
    sheets, election, _ = build(spec)
    claim = parsed_claim(raw, election)
    result = check_against_sheets(claim, sheets, election)
    assert result.evidence is not Evidence.IMPOSSIBLE, (result.verdict, result.sentence)
    own = result.feasibility.get("own_totals") or {}
    assert own.get("capacity") is None or own["capacity"] >= 0


def sentence_holds(params: dict[str, Any], message_id: str) -> None:
    """The inequality each sentence states holds for the numbers it quotes."""
    kind = message_id.rsplit(".", 1)[1]
    if kind.startswith("violation") and "held" in params:
        assert params["held"] > params["stated"]
        assert params["excess"] == params["held"] - params["stated"] > 0
        assert params["robust"] <= params["excess"]
        if kind != "violation_if_covering":
            assert params["robust"] > 0
    if kind in ("violation_and_impossible", "violation_and_impossible_regions",
                "impossible_own_totals"):
        assert params["need_own"] > params["capacity"] >= 0
        assert params["need_own"] >= params["need"] > 0
    if kind == "violation_total_below":
        assert params["claim_total"] < params["sheets_total"]
    if kind == "impossible_registered":
        assert params["need_total"] > params["registered_high"] >= 0
    if kind.startswith("beyond_covered"):
        assert params["share"] > params["max_share"]


@settings(max_examples=150)
@given(true_claims(), st.lists(st.integers(-80, 80), min_size=3, max_size=3),
       st.integers(-40, 40))
def test_every_sentence_satisfies_its_own_inequality(
        case: tuple[dict[str, Any], dict[str, Any]], shifts: list[int], total_shift: int
) -> None:
    spec, raw = case
    sheets, election, _ = build(spec)
    raw = dict(raw)
    raw["counts"] = {k: max(0, v + s) for (k, v), s in zip(raw["counts"].items(), shifts,
                                                           strict=False)}
    for field in ("valid", "voters"):
        if field in raw:
            raw[field] = max(0, raw[field] + total_shift)
    raw.pop("registered", None)
    try:
        claim = parsed_claim(raw, election)
    except AssertionError:  # a perturbation the ledger itself rejects
        return
    result = check_against_sheets(claim, sheets, election)
    sentence_holds(dict(result.message.params), result.message.id)
    own = result.feasibility.get("own_totals") or {}
    assert own.get("capacity") is None or own["capacity"] >= 0
    if result.evidence is Evidence.IMPOSSIBLE:
        assert result.verdict in ("violation", "impossible_registered", "impossible_own_totals")


def test_a_total_without_null_votes_leaves_room_for_the_sheets_null_votes() -> None:
    """Hand-computed: 2 tables, one held (A 50, B 40, 10 null); the claim gives the true
    valid total of both (A 80, B 70: 150) without saying whether it is valid or all votes.
    Read as voters, 150 − 100 ballots would leave 50 for 60 needed votes: a false
    contradiction by the sheets' 10 null votes. Read as valid votes it leaves 60: feasible."""
    spec = {"rows": [{"registered": 120, "null": 10, "A": 50, "B": 40, "C": 0},
                     {"registered": 80, "null": 0, "A": 30, "B": 30, "C": 0}],
            "held": [True, False], "extra_registered": 0, "sheet_registered": False,
            "sheet_null": True}
    sheets, election, _ = build(spec)
    claim = parsed_claim({"counts": {"A": 80, "B": 70, "C": 0}, "coverage": {"tables": 2}},
                       election)
    result = check_against_sheets(claim, sheets, election)
    own = result.feasibility["own_totals"]
    assert (own["valid_left"], own["voters_left"], own["need"]) == (60, None, 60)
    assert own["impossible"] is False
    assert result.evidence is not Evidence.IMPOSSIBLE
    # stating 150 voters makes the 10 null votes count: 150 − 100 = 50 < 60 needed
    stated = parsed_claim({"counts": {"A": 80, "B": 70, "C": 0}, "voters": 150,
                         "coverage": {"tables": 2}}, election)
    result = check_against_sheets(stated, sheets, election)
    assert result.verdict == "impossible_own_totals"
    assert result.message.params["need_own"] == 60
    assert result.message.params["capacity"] == 50
