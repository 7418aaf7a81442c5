"""``election-audit sample-size``: reference numbers through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli import main
from tests.conftest import FIXTURES


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_totals_bravo_and_error_rate(capsys: pytest.CaptureFixture[str]) -> None:
    # Aslam–Popa–Rivest / Lindeman & Stark: U = 3.73, 10 / 15 actas; BRAVO 469 at s = 0.55,
    # α = 0.10;
    # 299 actas bound the error rate below 1% at 95%
    code, out, err = run(["sample-size", "--winner-votes", "6890000", "--loser-votes",
                          "3130000", "--ballots", "10260000", "--alpha", "0.05", "--alpha",
                          "0.01", "--alpha", "0.10", "--share", "0.55", "--error-rate", "0.01",
                          "--json"], capsys)
    assert (code, err) == (0, "")
    payload = json.loads(out)
    assert payload["schema"] == "election-audit/sample-size"
    assert round(payload["ppeb"]["total_error_bound"], 2) == 3.73
    assert payload["ppeb"]["sample_sizes"] == {"0.05": 10, "0.01": 15, "0.1": 8}
    assert round(payload["bravo_asn"]["0.1"]) == 469
    assert payload["error_rate"]["sample_size"] == 299


def test_file_with_public_seed_is_reproducible(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "actas.csv"
    rows = "".join(f"N,{i},100,90,90,0,{50 + i % 7},{40 - i % 7}\n" for i in range(1, 41))
    path.write_text("region,station,registered,voters,valid,null,A,B\n" + rows)
    args = ["sample-size", str(path), "--profile", str(FIXTURES / "mini_profile.toml"),
            "--public-seed", "38405817294016637281", "--alpha", "0.05", "--json"]
    code, out, _ = run(args, capsys)
    first = json.loads(out)
    assert code == 0
    assert first["ppeb"]["winner"] == "A"
    draws = first["draws"]["rows"]
    assert len(draws) == first["ppeb"]["sample_sizes"]["0.05"]
    assert run(args, capsys)[1] == out  # same file, same seed: same draws


def test_input_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["sample-size", "--winner-votes", "10"], capsys)
    assert (code, err) == (2, "election-audit: error: give all three of --winner-votes, "
                              "--loser-votes and --ballots\n")
    code, _, err = run(["sample-size"], capsys)
    assert code == 2
    assert "nothing to compute" in err
    code, _, err = run(["sample-size", "--winner-votes", "1", "--loser-votes", "2",
                        "--ballots", "3"], capsys)
    assert code == 2
    assert "more votes" in err
