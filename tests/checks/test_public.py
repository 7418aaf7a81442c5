"""The public namespace: every registered check from ``audit.checks``, on plain arrays."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from audit import checks
from audit.checks.registry import registered
from audit.model import SheetTable
from audit.simulate import simulate_clean

SHEETS = simulate_clean(n_tables=400, n_regions=4, rng=3)
DATA = SHEETS.data
VOTES = DATA["votes_C1"].to_numpy()
VALID = DATA["valid"].to_numpy()
VOTERS = SHEETS.counts("voters")
REGISTERED = SHEETS.counts("registered")
REGIONS = DATA["region_region_code"].to_numpy()
CENTERS = (DATA["region_region_code"] + "/" + DATA["center_id"]).to_numpy()


def _same(a: float | None, b: float | None) -> bool:
    return a is b or a == pytest.approx(b, rel=1e-12, nan_ok=True)


def _options(spec: checks.CheckSpec) -> dict[str, object]:
    function, fixed = spec.family_function()
    options: dict[str, object] = dict(fixed)
    if spec.family == "digits":
        # the honest null grouped by the same regions in both tables (the simulated sheets
        # also have polling centres, which plain arrays do not)
        options.update(n_resamples=49, rng=1, level="region")
    elif function.__name__ == "klimek_fit":
        options.update(n_bootstrap=0, rng=1)
    elif getattr(spec.run, "monte_carlo", False):
        options.update(n_resamples=49, rng=1)
    return options


@pytest.mark.parametrize("spec", registered(), ids=lambda s: s.name)
def test_every_registered_check_runs_on_plain_arrays(spec: checks.CheckSpec) -> None:
    """Walks the registry: each check's family function is exported by ``audit.checks``
    under its own name, takes numpy arrays, and gives the statistic it gives on the same
    stations as tally sheets with ``candidate=`` (one number for one question; the same
    observed counts where the null is honest redraws)."""
    function, _ = spec.family_function()
    public = getattr(checks, function.__name__)
    assert function.__name__ in checks.__all__
    assert public is checks.TESTS[function.__name__]
    options = _options(spec)
    if spec.family == "digits":
        from_arrays = public(VOTES, VALID, regions=REGIONS, centers=CENTERS,
                             candidate="C1", **options)
    else:
        from_arrays = public(VOTES, VOTERS, REGISTERED, valid=VALID, regions=REGIONS,
                             centers=CENTERS, candidate="C1", **options)
    from_sheets = public(SHEETS, candidate="C1", **options)
    assert isinstance(from_arrays, checks.CheckResult)
    assert from_arrays.test.split(".")[0] == spec.family
    assert from_arrays.n == from_sheets.n
    if from_arrays.null.startswith("simulation"):
        # honest redraws depend on the other candidates' columns too (three on the sheets,
        # one "others" column in the arrays): the same observed counts, other draws
        if "observed" in from_arrays.table:
            assert from_arrays.table["observed"].tolist() == \
                from_sheets.table["observed"].tolist()
        assert from_arrays.pvalue is None or 0 < from_arrays.pvalue <= 1
    else:
        assert _same(from_arrays.statistic, from_sheets.statistic)
        assert _same(from_arrays.pvalue, from_sheets.pvalue)


def test_public_namespace_lists_every_registered_function() -> None:
    names = {spec.family_function()[0].__name__ for spec in registered()}
    assert names == set(checks.TESTS)
    assert checks.DEFAULT_RESAMPLES == 999
    assert checks.adjust.__module__ == "audit.checks.multiple"


def test_arrays_label_the_candidate_and_default_redraws() -> None:
    res = checks.last_digit_mean_test(VOTES, VALID, candidate="Putin", rng=2)
    assert res.candidate == "Putin"
    assert res.params["n_resamples"] == checks.DEFAULT_RESAMPLES


def test_array_errors_name_parameters() -> None:
    with pytest.raises(ValueError, match=r"valid= \(or voters=\) is needed"):
        checks.sheets_from_arrays(VOTES)
    with pytest.raises(ValueError, match=r"counts= exceed totals="):
        checks.second_digit_test(VALID + 1, VALID)
    with pytest.raises(ValueError, match=r"registered= has 3 values, expected 400"):
        checks.integer_percentages(VOTES, VOTERS, REGISTERED[:3])
    with pytest.raises(TypeError, match="with tally sheets, pass no arrays"):
        checks.second_digit_test(SHEETS, VALID)


def test_results_frame_is_tidy() -> None:
    results = [checks.second_digit_test(VOTES, VALID, candidate="C1", n_resamples=99, rng=1),
               checks.integer_percentages(VOTES, VOTERS, REGISTERED, valid=VALID,
                                          candidate="C1")]
    frame = checks.results_frame(results)
    assert list(frame.columns[:9]) == ["test", "scope", "candidate", "statistic", "z",
                                       "pvalue", "pvalue_adjusted", "pvalue_method",
                                       "evidence"]
    assert frame["test"].tolist() == ["digits.second_digit", "turnout.integer_percentages"]
    assert frame.loc[0, "pvalue"] == results[0].pvalue
    assert isinstance(frame, pd.DataFrame)
    assert np.all(frame["candidate"] == "C1")


def test_result_repr_is_one_short_line() -> None:
    res = checks.second_digit_test(VOTES, VALID, candidate="C1", n_resamples=99, rng=1)
    text = repr(res)
    assert "\n" not in text
    assert len(text) < 200
    assert text.startswith("DigitTestResult('digits.second_digit', candidate='C1', ")
    assert f"pvalue={res.pvalue:.4g}" in text
    assert f"method='{res.pvalue_method}'" in text
    assert "table" not in text


def test_result_html_for_notebooks() -> None:
    res = checks.integer_percentages(VOTES, VOTERS, REGISTERED, valid=VALID, candidate="<b>")
    page = res._repr_html_()
    assert "&lt;b&gt;" in page
    assert "<b>" not in page
    assert "turnout.integer_percentages" in page
    assert "<details>" in page
    assert res.to_dict()["candidate"] == "<b>"


def test_result_plot_labels_the_candidate_by_name() -> None:
    res = checks.last_digit_test(VOTES, VALID, candidate="C1", n_resamples=49, rng=1)
    title = res.plot().axes[0].get_title()
    assert "C1" in title
    assert "votes_" not in title
    named = res.plot(candidate="Putin").axes[0].get_title()
    assert "Putin" in named
    with pytest.raises(TypeError, match="no figure"):
        checks.sobyanin_sukhovolsky(VOTES, VOTERS, REGISTERED, valid=VALID).plot()


def test_result_plot_takes_the_name_from_the_sheets_metadata(
        demo_observers: SheetTable) -> None:
    """Without ``candidate=``, the figure shows the name the election metadata gives the
    candidate tested ("A (simulated)"), never the key alone; the battery's results too."""
    res = checks.fingerprint(demo_observers, candidate="A")
    assert res.candidate == "A"
    assert res.candidate_name == "A (simulated)"
    labels = [ax.yaxis.label.get_text() for ax in res.plot().axes]
    assert "share of A (simulated) (%)" in labels
    digits = checks.last_digit_test(demo_observers, candidate="B", n_resamples=19, rng=1)
    assert "B (simulated)" in digits.plot().axes[0].get_title()
    battery = checks.run_forensics(demo_observers, seed=1, n_resamples=19, progress=False,
                                   checks=["fingerprints.fingerprint"])
    assert {(e.result.candidate, e.result.candidate_name) for e in battery.entries} == {
        ("A", "A (simulated)"), ("B", "B (simulated)")}
    assert "candidate_name" not in res.to_dict()  # the JSON is unchanged


@pytest.fixture(scope="module")
def demo_observers() -> SheetTable:
    from audit.data import load_source

    return load_source("demo", "observers").sheets


def test_every_public_name_resolves() -> None:
    for name in checks.__all__:
        assert getattr(checks, name) is not None, name
    assert set(checks.__all__) <= set(dir(checks))
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = checks.nonexistent  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(checks.TESTS))
def test_help_shows_the_family_functions_method_options_and_references(name: str) -> None:
    """``help(checks.<test>)`` is the family function's documentation with the public
    signature: its description, its other options, what it returns, its notes and
    references, in numpydoc sections (the API pages are built from it)."""
    import inspect

    public = checks.TESTS[name]
    function = next(s.family_function()[0] for s in registered()
                    if s.family_function()[0].__name__ == name)
    doc = inspect.cleandoc(public.__doc__ or "")
    family = inspect.cleandoc(function.__doc__ or "")
    assert doc.splitlines()[0] == family.splitlines()[0]
    for section in ("Parameters", "Returns", "Notes", "References"):
        if section in ("Parameters", "Returns") or f"\n{section}\n---" in family:
            assert f"\n{section}\n{'-' * len(section)}\n" in doc, section
    assert "\n    sheets\n" not in doc  # the family's own first parameter is not the face's
    if "\nParameters\n---" in family and "\n    share_of\n" in family:
        assert "\nOther Parameters\n----------------\nshare_of\n" in doc
    assert "\nExamples\n" not in doc  # they call the family function's signature


def test_batteries_show_in_one_line_and_as_html(demo_observers: SheetTable) -> None:
    """A battery in a notebook: one line for ``repr`` (not every entry, claim and table:
    tens of thousands of characters before), the verdict and a table for ``_repr_html_``."""
    battery = checks.run_forensics(demo_observers, by="province", seed=1, n_resamples=19,
                                   progress=False, checks=["digits.last_digit"])
    text = repr(battery)
    assert "\n" not in text
    assert len(text) < 250
    assert text.startswith("ForensicsResult(sheets=1,600, level='province', scopes=")
    assert f"results={len(battery.entries)}" in text
    page = battery._repr_html_()
    assert battery.verdict().message.render("en").split(":")[0] in page
    assert page.count("<table") == 2  # national results, summary per scope
    dispute = checks.audit_dispute("demo")
    text = repr(dispute)
    assert text == (f"DisputeResult(case='demo', claims={len(dispute.ledger)}, "
                    f"sheets={len(dispute.sheets)}, results={len(dispute.results)}, "
                    f"findings={len(dispute.findings())})")
    assert "<li>" in dispute._repr_html_() or not dispute.findings()


def test_adjust_takes_the_calibration_from_the_registry() -> None:
    """``checks.adjust(results)`` in a notebook: calibrated tests adjusted together with
    Benjamini-Hochberg, textbook ones descriptive, as the battery does."""
    second = checks.second_digit_test(VOTES, VALID, candidate="C1", n_resamples=49, rng=1)
    textbook = checks.second_digit_test(VOTES, VALID, candidate="C1", null="textbook")
    integer = checks.integer_percentages(VOTES, VOTERS, REGISTERED, valid=VALID,
                                         candidate="C1")
    adjusted = checks.adjust([second, textbook, integer])
    assert adjusted == checks.adjust([second, textbook, integer], [True, False, True])
    low, high = sorted([second.pvalue, integer.pvalue])
    assert {adjusted[0].pvalue_adjusted, adjusted[2].pvalue_adjusted} == {
        min(2 * low, high), high}  # BH over the two calibrated results
    assert adjusted[1].pvalue_adjusted is None
    assert adjusted[1].evidence is checks.Evidence.NOT_TESTED
    mine = dataclasses.replace(second, test="mine.new_test")
    with pytest.raises(ValueError, match=r"^calibrated= is needed: mine.new_test is not a "
                                         "registered check"):
        checks.adjust([mine])


def test_the_corner_test_draws_its_reflection_null(demo_observers: SheetTable) -> None:
    """The flagship per-candidate test has a figure: its random reflections and the
    observed ``U - L``, named by the candidate, in English and Spanish."""
    res = checks.corner_asymmetry(demo_observers, candidate="A", n_resamples=199, rng=1)
    [ax] = res.plot().axes
    assert ax.get_title().startswith(f"Upper minus lower corner for A (simulated): "
                                     f"+{res.statistic:.0f} stations")
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [res.statistic]
    assert sum(p.get_height() for p in ax.patches) == len(res.null_distribution) == 199
    [es] = res.plot(lang="es", candidate="Candidata A").axes
    assert es.get_title().startswith("Esquina superior menos inferior para Candidata A")


def test_result_html_leaves_out_what_is_not_there(demo_observers: SheetTable) -> None:
    """No "None" rows (a p-value adjusted outside a battery, a z the test has not) and the
    candidate by name and key."""
    res = checks.fingerprint(demo_observers, candidate="A")
    assert res.pvalue is None
    assert res.pvalue_adjusted is None
    page = res._repr_html_()
    assert ">None<" not in page
    assert "adjusted p-value" not in page
    assert "<td style='text-align:left'>A (simulated) (A)</td>" in page


def test_results_frame_of_a_battery(demo_observers: SheetTable) -> None:
    battery = checks.run_forensics(demo_observers, seed=1, n_resamples=19, progress=False,
                                   checks=["digits.last_digit", "fingerprints.corner"])
    frame = checks.results_frame(battery)
    assert frame.equals(checks.results_frame([e.result for e in battery.entries]))
    assert frame["test"].tolist() == ["digits.last_digit", "fingerprints.corner",
                                      "fingerprints.corner"]
    dispute = checks.audit_dispute("demo")
    assert len(checks.results_frame(dispute)) == len(dispute.results)


#: The turnout and fingerprint checks whose sentence names the candidate tested, with
#: options that keep them quick (the Klimek fit's sentence names no candidate).
NAMED_SENTENCES = {
    "integer_percentages": {}, "turnout_share_correlation": {},
    "corner_asymmetry": {"n_resamples": 49, "rng": 1}, "fingerprint": {},
    "sobyanin_sukhovolsky": {}, "shpilkin_excess": {}, "spike_at_100": {"quantity": "share"},
    "regional_outliers": {"quantity": "share", "n_resamples": 19, "rng": 1},
    "distribution": {}}


@pytest.mark.parametrize("name", sorted(NAMED_SENTENCES))
def test_turnout_and_fingerprint_sentences_name_the_candidate(
        name: str, demo_observers: SheetTable) -> None:
    """The sentence names the candidate as the metadata does ("A (simulated)"), like the
    digit tests and the figures, in English and Spanish; the statistics keep the key."""
    res = getattr(checks, name)(demo_observers, candidate="A", **NAMED_SENTENCES[name])
    assert res.params["candidate"] == "A"
    for lang in ("en", "es"):
        assert "A (simulated)" in res.message.render(lang), (lang, res.message.render(lang))
