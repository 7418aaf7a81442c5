"""Each calibrated test's measured false-positive rate and power beside its flag (issue 15).

The bundled demo case carries its calibration summary (``datasets/demo/calibration.json``,
``nox -s "calibrate(target='demo')"``); the report's battery tables, its JSON and
``forensics --json`` show the numbers read from it, the same in every output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from report_fakes import fast

from audit.cases import load_case
from audit.cli import main
from audit.data import load_sheets
from audit.report import build_report
from audit.report.formats.json import report_dict
from audit.report.formats.markdown import markdown_text
from audit.report.formats.prepare import prepare

TEST = "digits.last_digit"


def _summary() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (load_case("demo").path / "calibration.json").read_text(encoding="utf-8"))
    return data


def _table(data: dict[str, Any], name: str) -> dict[str, Any]:
    for section in data["sections"]:
        for block in section["blocks"]:
            if block["type"] == "table" and block["name"] == name:
                return block
    raise AssertionError(f"no table {name}")


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_measured_rate_stands_beside_the_test_in_the_table_and_the_json(lang: str
                                                                             ) -> None:
    measured = _summary()["false_positive"][TEST]
    assert measured["tested"] >= 100  # the summary's own elections, not a toy
    case = load_case("demo")
    lookup = load_sheets(case, download=False)
    model = build_report(case, lookup.ingest, fast(lang=lang, figures=False),
                         source=lookup.source)
    table = _table(report_dict(model), "digits-national")
    keys = [c["key"] for c in table["columns"]]
    assert keys[-2:] == ["false_positive_rate", "power"]
    row = next(r for r in table["rows"] if r[0]["id"] == f"report.test.{TEST}")
    cell = row[keys.index("false_positive_rate")]
    assert cell["params"]["rate"] == pytest.approx(100 * measured["rate"])
    assert [cell["params"]["low"], cell["params"]["high"]] == pytest.approx(
        [100 * x for x in measured["ci"]])
    # rendered: "4.5% (2.1%–8.4%)" in English, "4,5 % (2,1 %–8,4 %)" in Spanish
    rate, low, high = (f"{100 * x:.1f}" for x in (measured["rate"], *measured["ci"]))
    nbsp = "\u00a0"
    expected = f"{rate}% ({low}%–{high}%)" if lang == "en" else \
        f"{rate}{nbsp}% ({low}{nbsp}%–{high}{nbsp}%)".replace(".", ",")
    assert cell["text"] == expected
    text = markdown_text(prepare(model), figure_dir=None)
    line = next(t for t in text.splitlines() if t.startswith("| ")
                and row[0]["text"] in t and expected in t)
    # and the power where measured: the smallest share of tables found in >= 80%
    power = row[keys.index("power")]
    assert power is not None
    assert power["text"] in line
    reached = [(x, r) for rates in _summary()["power"][TEST].values()
               for x, r in zip(rates["intensity"], rates["rate"], strict=True) if r >= 0.8]
    assert reached, "the demo's digit preferences are found at some share of tables"
    assert power["params"]["intensity"] == pytest.approx(100 * min(reached)[0])


def test_forensics_json_carries_the_same_rates(capsys: pytest.CaptureFixture[str]) -> None:
    summary = _summary()
    with pytest.raises(SystemExit) as exc:
        main(["forensics", "demo", "--check", "digits.c05", "--check", TEST,
              "--n-resamples", "19", "--by", "none", "--json"])
    assert not exc.value.code
    carried = json.loads(capsys.readouterr().out)["calibration"]
    assert (carried["seed"], carried["n_sims"]) == (summary["seed"], summary["n_sims"])
    assert set(carried["tests"]) == {"digits.c05", TEST}
    for test, entry in carried["tests"].items():
        assert entry["false_positive_rate"] == summary["false_positive"][test]["rate"]
        assert entry["ci"] == summary["false_positive"][test]["ci"]
        assert entry["tested"] == summary["false_positive"][test]["tested"]
