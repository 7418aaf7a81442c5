"""Two entry desks adding at the same time lose nothing (SQLite file and PostgreSQL)."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest
from night_sheets import sheet_row, write_batch

from audit.model import Election
from audit.track import TrackStore

PROFILE = Path(__file__).resolve().parents[1] / "data" / "mini_profile.toml"
BATCHES_PER_DESK = 10


def _desk(db: str, case: str, files: list[str], desk: str, start: object) -> None:
    """One entry desk: open the database (creating it if needed) and add its batches."""
    from audit.ingest import read_sheets

    election = Election.from_toml(Path(case) / "election.toml")
    results = [read_sheets(f, profile=PROFILE, election=election) for f in files]
    start.wait(timeout=60)  # type: ignore[attr-defined]
    store = TrackStore.open(db, election, create=True)
    for result in results:
        store.add(result, sender=desk)


@pytest.mark.slow  # two fresh interpreters
def test_two_desks_at_once_lose_nothing(db_url: str, mini_case: Path, tmp_path: Path) -> None:
    # desk A keys tables 1-20 (two per batch), desk B the same tables, table 3 read
    # differently by B: every reading must arrive, and exactly one conflict
    files: dict[str, list[str]] = {"A": [], "B": []}
    for desk in files:
        for i in range(BATCHES_PER_DESK):
            tables = (2 * i + 1, 2 * i + 2)
            rows = [sheet_row(t, b=25) if desk == "B" and t == 3 else sheet_row(t)
                    for t in tables]
            files[desk].append(str(write_batch(tmp_path / f"{desk}{i}.csv", rows)))
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_desk, args=(db_url, str(mini_case), files[d], d, start))
             for d in files]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    store = TrackStore.open(db_url, Election.from_toml(mini_case / "election.toml"))
    batches, readings, _ = store.read()
    assert len(batches) == 2 * BATCHES_PER_DESK
    assert batches["sender"].value_counts().tolist() == [BATCHES_PER_DESK] * 2
    assert len(readings) == 2 * 2 * BATCHES_PER_DESK
    assert batches["id"].tolist() == list(range(1, 2 * BATCHES_PER_DESK + 1))
    state = store.state()
    assert state.totals()["held"] == 2 * BATCHES_PER_DESK
    assert state.totals()["agreed"] == 2 * BATCHES_PER_DESK - 1
    assert state.conflicts()["table_id"].unique().tolist() == ["3"]
