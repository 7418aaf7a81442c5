"""The dispute checks against a simulated national election of 1,000,000 tables.

Runs a claim against table-level sheets (sums, exact top-m bounds, feasibility and the
covered distribution) and the per-region aggregation. Run:
``python benchmarks/bench_dispute.py [TABLES]``.
"""

from __future__ import annotations

import sys
import time

from audit.aggregate import aggregate_sheets, summarise
from audit.checks.claims import check_against_sheets, check_successive
from audit.ledger import parse_claim
from audit.model import Election
from audit.simulate import simulate_clean


def main(n_tables: int = 1_000_000) -> None:
    t0 = time.perf_counter()
    sheets = simulate_clean(n_tables=n_tables, shares=(0.6, 0.35, 0.05),
                            candidates=("A", "B", "C"), rng=1)
    held = sheets.subset(sheets.data.index.to_numpy() % 5 != 0)  # 80% of the tables held
    registered = int(sheets.data["registered"].sum())
    election = Election.from_dict({
        "id": "bench", "name": "bench", "date": "2024-01-01", "tables": n_tables,
        "registered": registered,
        "candidates": [{"key": k, "name": k} for k in ("A", "B", "C")]})
    totals = sheets.totals()
    raw = {"id": "official", "datetime": "2024-01-02", "side": "official",
           "source": {"citation": "simulated"}, "coverage": {"tables": n_tables},
           "counts": {"A": totals["B"], "B": totals["A"], "C": totals["C"]},
           "valid": sum(totals.values())}
    claim, _ = parse_claim(raw, election=election)
    assert claim is not None
    t1 = time.perf_counter()
    summary = summarise(held)
    t2 = time.perf_counter()
    result = check_against_sheets(claim, summary or held, election)
    t3 = time.perf_counter()
    frame = aggregate_sheets(held, "region")
    t4 = time.perf_counter()
    check_successive(claim, claim, election, sheets=summary)
    t5 = time.perf_counter()
    print(f"{n_tables:,} tables simulated in {t1 - t0:.1f} s; {len(held):,} held")
    print(f"summarise (sums, top-m bounds): {t2 - t1:.2f} s")
    print(f"check_against_sheets: {t3 - t2:.2f} s -> {result.verdict}")
    print(f"aggregate_sheets by region ({len(frame)} regions): {t4 - t3:.2f} s")
    print(f"check_successive with table dispersion: {t5 - t4:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
