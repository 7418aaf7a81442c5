"""Quick count: allocation, the public draw, the stratified ratio estimator (hand-computed),
the official result against the interval, and interval coverage on simulated elections."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from audit.checks.quickcount import (
    QuickCountSample,
    SamplingFrame,
    official_shares,
    quick_count,
    ratio_estimate,
)
from audit.checks.result import Evidence
from audit.checks.sampling import uniform_draws
from audit.errors import AuditError
from audit.ledger import parse_ledger
from audit.simulate import simulate_clean


def _frame(sizes: dict[str, int]) -> SamplingFrame:
    codes = [h for h, n in sizes.items() for _ in range(n)]
    table = pd.DataFrame({"table_id": [str(i + 1) for i in range(len(codes))],
                          "region_r_code": codes})
    return SamplingFrame.from_frame(table, "r", sha256="0" * 64, source="test")


@pytest.mark.parametrize(("sizes", "n", "expected"), [
    ({"A": 50, "B": 30, "C": 20}, 10, [5, 3, 2]),      # quotas exact
    ({"A": 50, "B": 30, "C": 20}, 7, [3, 2, 2]),       # 3.5, 2.1, 1.4: C raised to 2
    ({"A": 97, "B": 2, "C": 1}, 6, [3, 2, 1]),         # floors 2, 2, 1 taken from A
    ({"A": 5, "B": 5}, 10, [5, 5]),                    # everything
    ({"1": 10, "2": 10, "10": 10}, 4, [2, 1, 1]),      # one seat left: first stratum
])
def test_allocation(sizes: dict[str, int], n: int, expected: list[int]) -> None:
    frame = _frame(sizes)
    alloc = frame.allocate(n, minimum=2 if n >= 2 * len(sizes) else 1)
    assert alloc.sum() == n
    assert alloc.tolist() == expected


def test_allocation_refuses_impossible_sizes() -> None:
    frame = _frame({"A": 10, "B": 10, "C": 10})
    with pytest.raises(AuditError, match="cannot give 2 to each of 3 strata"):
        frame.allocate(5)
    with pytest.raises(AuditError, match="cannot draw 31 tables"):
        frame.allocate(31)


def test_draw_is_the_public_uniform_procedure_per_stratum() -> None:
    frame = _frame({"A": 40, "B": 25})
    sample = frame.draw(13, seed="38405817294016637281")
    draws = sample.draws
    assert draws["stratum"].tolist() == ["A"] * 8 + ["B"] * 5
    # each stratum is drawn with the procedure of `sample-size --public-seed`, seeded
    # "<seed>/<stratum>", on the stratum's tables in frame order
    first_b = int.from_bytes(hashlib.sha256(b"38405817294016637281/B,1").digest(), "big") % 25
    assert draws.loc[draws["stratum"] == "B", "frame_index"].iloc[0] == 40 + first_b + 1
    for h, offset, size in (("A", 0, 40), ("B", 40, 25)):
        mine = draws.loc[draws["stratum"] == h, "frame_index"].to_numpy() - 1 - offset
        n_h = len(mine)
        assert mine.tolist() == uniform_draws(f"38405817294016637281/{h}", n_h, size).tolist()
    assert draws["stratum_tables"].tolist() == [40] * 8 + [25] * 5
    assert draws["stratum_sample"].tolist() == [8] * 8 + [5] * 5
    assert not draws.duplicated("frame_index").any()
    assert frame.draw(13, seed="38405817294016637281").draws.equals(draws)
    assert not frame.draw(13, seed="38405817294016637282").draws.equals(draws)


def test_sample_file_round_trip(tmp_path: Path) -> None:
    sample = _frame({"N": 12, "S": 9}).draw(6, seed="dice 4 2 6")
    path = tmp_path / "sample.csv"
    sample.to_csv(path)
    text = path.read_text()
    assert text.startswith("# schema: election-audit/quickcount-sample 1\n# seed: dice 4 2 6\n")
    back = QuickCountSample.from_csv(path)
    assert back.draws.equals(sample.draws)
    assert (back.seed, back.level, back.frame_tables) == ("dice 4 2 6", "r", 21)
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(AuditError, match="not a quick-count sample"):
        QuickCountSample.from_csv(tmp_path / "other.csv")


def test_ratio_estimator_by_hand() -> None:
    # stratum 1: N = 4, sample (y, x) = (3, 10), (5, 10); stratum 2: N = 6, sample (2, 5),
    # (4, 5), (6, 10). Y = 4*4 + 6*4 = 40, X = 4*10 + 6*20/3 = 80, R = 0.5.
    # residuals y - 0.5 x: (-2, 0) with s² = 2; (-0.5, 1.5, 1) with s² = 13/12.
    # v = [16 (1 - 2/4) 2/2 + 36 (1 - 3/6) (13/12)/3] / 80² = 14.5 / 6400; df = 1 + 2 = 3
    y = np.array([3, 5, 2, 4, 6])
    x = np.array([10, 10, 5, 5, 10])
    est = ratio_estimate(y, x, np.array([0, 0, 1, 1, 1]), np.array([4, 6]))
    assert est.estimate[0] == pytest.approx(0.5)
    assert est.se[0] == pytest.approx(np.sqrt(14.5 / 6400))
    assert est.df == 3
    low, high = est.interval(0.95)
    half = stats.t.ppf(0.975, 3) * np.sqrt(14.5 / 6400)
    assert (low[0], high[0]) == pytest.approx((0.5 - half, 0.5 + half))
    # a census of every stratum has no sampling error (finite-population correction)
    census = ratio_estimate(y[:2], x[:2], np.array([0, 0]), np.array([2]))
    assert census.se[0] == 0.0


def test_single_sheet_strata_use_the_pooled_variance() -> None:
    # stratum 0 holds two sheets (s² of residuals known), stratum 1 one: its term uses s²_0
    y = np.array([3.0, 5.0, 4.0])
    x = np.array([10.0, 10.0, 10.0])
    est = ratio_estimate(y, x, np.array([0, 0, 1]), np.array([10, 10]))
    r = 0.5 * (4 / 10) + 0.5 * (4 / 10)
    assert est.estimate[0] == pytest.approx(r)
    s2 = 2.0  # residuals -1, +1
    v = (100 * (1 - 2 / 10) * s2 / 2 + 100 * (1 - 1 / 10) * s2 / 1) / 200**2
    assert est.se[0] == pytest.approx(np.sqrt(v))


@pytest.fixture(scope="module")
def population():
    return simulate_clean(n_tables=3000, n_regions=10, shares=(0.47, 0.41, 0.12),
                          rng=20240728)


def _ledger(percentages: dict[str, str]):
    items = ", ".join(f'{k}: "{v}"' for k, v in percentages.items())
    return parse_ledger(f"""election: simulated
claims:
  - id: bulletin
    datetime: "2000-01-02"
    side: official
    source: {{citation: "test"}}
    percentages: {{{items}}}
    percent_base: valid
""")


def test_official_result_inside_and_outside(population) -> None:
    frame = SamplingFrame.from_sheets(population, "region")
    sample = frame.draw(600, seed="20240728")
    truth = population.votes.sum(axis=0) / population.counts("valid").sum()
    honest = _ledger({k: f"{100 * s:.2f}" for k, s in zip(population.candidates, truth,
                                                             strict=True)}).get("bulletin")
    result = quick_count(population, sample, official=honest)
    assert (result.drawn, result.held, result.strata) == (600, 600, 10)
    assert result.inside is True
    assert result.evidence is Evidence.CONSISTENT
    assert result.message.id == "quickcount.official_inside"
    # a bulletin moving 8 points from C1 to C2 lies far outside
    shifted = {"C1": f"{100 * truth[0] - 8:.2f}", "C2": f"{100 * truth[1] + 8:.2f}",
               "C3": f"{100 * truth[2]:.2f}"}
    result = quick_count(population, sample, official=_ledger(shifted).get("bulletin"))
    assert result.inside is False
    assert result.evidence is Evidence.STRONG
    assert result.table.set_index("key")["inside"].tolist() == [False, False, True]
    assert result.message.id == "quickcount.official_outside"
    assert "outside the quick count's interval" in result.sentence


def test_official_shares_from_counts_and_percentages() -> None:
    ledger = parse_ledger("""election: x
claims:
  - id: counts
    datetime: "2000-01-02"
    side: official
    source: {citation: "t"}
    counts: {A: 600, B: 300, OTHERS: 100}
  - id: pct
    datetime: "2000-01-03"
    side: official
    source: {citation: "t"}
    percentages: {A: "51.2", B: "~45"}
    percent_base: valid
""")
    assert official_shares(ledger.get("counts"), ["A", "B", "C"]) == {
        "A": (0.6, 0.6), "B": (0.3, 0.3), "OTHERS": (0.1, 0.1)}
    assert official_shares(ledger.get("pct"), ["A", "B"]) == {
        "A": pytest.approx((0.5115, 0.5125))}  # "~45" is approximate: not compared
    assert ledger.latest("official").id == "pct"


def test_sampled_tables_without_sheets(population) -> None:
    frame = SamplingFrame.from_sheets(population, "region")
    sample = frame.draw(200, seed="s")
    held = population.subset(~population.data["table_id"].isin(
        sample.draws["table_id"].iloc[:50]))
    result = quick_count(held, sample)
    assert (result.drawn, result.held) == (200, 150)
    assert result.message.id == "quickcount.estimate"
    with pytest.raises(AuditError, match="none of the 200 sampled tables has a sheet"):
        quick_count(population.subset(np.zeros(len(population), dtype=bool)), sample)


@pytest.mark.slow  # 1,000 stratified draws and estimates, about 3 s
def test_interval_coverage_on_simulated_samples(population) -> None:
    # 1,000 samples of 600 of the 3,000 tables (20%, so the finite-population correction
    # matters) drawn with the public procedure, each from its own seed. Coverage must be
    # within 2 points of 95% (Monte Carlo standard error 0.7 points) and within 3 Monte
    # Carlo standard errors of 90% (0.95 points each) for every candidate.
    frame = SamplingFrame.from_sheets(population, "region")
    sizes = frame.strata()
    codes = pd.Index(sizes.index)
    votes, valid = population.votes, population.counts("valid")
    truth = votes.sum(axis=0) / valid.sum()
    reps = 1000
    hits = {0.95: np.zeros(3), 0.90: np.zeros(3)}
    for r in range(reps):
        draws = frame.draw(600, seed=f"coverage-{r}").draws
        rows = draws["frame_index"].to_numpy() - 1
        est = ratio_estimate(votes[rows], valid[rows], codes.get_indexer(draws["stratum"]),
                             sizes.to_numpy())
        for level in hits:
            low, high = est.interval(level)
            hits[level] += (low <= truth) & (truth <= high)
    coverage95, coverage90 = hits[0.95] / reps, hits[0.90] / reps
    assert np.all(np.abs(coverage95 - 0.95) <= 0.02), coverage95
    assert np.all(np.abs(coverage90 - 0.90) <= 3 * np.sqrt(0.9 * 0.1 / reps)), coverage90
