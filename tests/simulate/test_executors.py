"""Calibration on a dask.distributed cluster gives the same files as local processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audit.cli import main
from audit.cli.cmd_calibrate import _without_execution_options
from audit.simulate.executors import SchedulerError, map_chunks

ARGS = ["calibrate", "--varied", "--tables", "300", "--n-sims", "6", "--n-power", "1",
        "--scenarios", "ballot_stuffing", "--checks",
        "digits.last_digit,digits.second_digit,turnout.dip_turnout", "--n-resamples", "99",
        "--seed", "7", "--label", "t", "--summary"]


def _calibrate(folder: Path, extra: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    monkeypatch.chdir(folder)  # relative outputs: the recorded commands are the same
    args = [*ARGS, "calibration.json", "-o", ".", *extra]
    monkeypatch.setattr(sys, "argv", ["election-audit", *args])
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 0


@pytest.mark.slow
def test_calibrate_on_a_local_dask_cluster_writes_identical_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("distributed")
    local, dask = tmp_path / "local", tmp_path / "dask"
    _calibrate(local, ["--workers", "1"], monkeypatch)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        _calibrate(dask, ["--scheduler", cluster.scheduler_address], monkeypatch)
    names = sorted(p.name for p in local.iterdir())
    assert names == ["calibration-t.csv", "calibration-t.json", "calibration-t.md",
                     "calibration-t.svg", "calibration.json"]
    assert sorted(p.name for p in dask.iterdir()) == names
    for name in names:
        assert (local / name).read_bytes() == (dask / name).read_bytes(), name
    assert "--scheduler" not in (dask / "calibration-t.md").read_text(encoding="utf-8")


def _double(job: int, chunk: list[int]) -> list[int]:
    return [job * i for i in chunk]


def test_map_chunks_covers_every_item_once_in_process() -> None:
    got = sorted(x for _, part in map_chunks(_double, 3, range(40), workers=1) for x in part)
    assert got == [3 * i for i in range(40)]


def test_unreachable_or_missing_dask_is_one_clear_error(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(SchedulerError, match=r"pip install 'election-audit\[distributed\]'"):
        list(map_chunks(_double, 1, [1, 2], scheduler="tcp://127.0.0.1:1"))
    with pytest.raises(SystemExit) as exit_info:
        main([*ARGS[:4], "--n-sims", "1", "--scheduler", "tcp://127.0.0.1:1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "election-audit[distributed]" in err
    assert "Traceback" not in err


def test_an_unreachable_scheduler_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr("audit.simulate.executors.CONNECT_TIMEOUT", 1)
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at tcp://"):
        list(map_chunks(_double, 1, [1, 2], scheduler="tcp://127.0.0.1:1"))


def test_the_recorded_command_leaves_out_where_it_ran() -> None:
    args = ["x.csv", "--workers", "4", "--scheduler=tcp://h:8786", "--no-progress", "--seed",
            "3", "--progress", "--scheduler", "tcp://h:1"]
    assert _without_execution_options(args) == ["x.csv", "--seed", "3"]


def test_workers_with_other_versions_are_refused() -> None:
    from audit.simulate.executors import _check_versions, package_versions

    class Client:
        def run(self, func: object) -> dict[str, dict[str, str]]:
            return {"tcp://w:1": package_versions(),
                    "tcp://w:2": {**package_versions(), "numpy": "1.0.0"}}

    with pytest.raises(SchedulerError, match=r"tcp://w:2 runs numpy 1.0.0 \(here "):
        _check_versions(Client(), "tcp://s:8786")
