"""The public face of the registered checks: one signature family for plain arrays.

Every test registered in :mod:`audit.checks.registry` is exported from :mod:`audit.checks`
under the name of its family function, callable on plain arrays (one value per polling
station) in the manner of :mod:`scipy.stats`, or on a :class:`~audit.model.SheetTable`:

* digit tests take the tested counts and the station totals they are drawn from::

      second_digit_test(counts, totals, *, voters=None, registered=None,
                        n_resamples=999, rng=7)

* turnout and fingerprint tests take a candidate's votes, the ballots cast and the
  registered voters::

      integer_percentages(votes, voters, registered)

* every one of them also takes tally sheets and the candidate to test::

      second_digit_test(sheets, candidate="NM", rng=7)

``candidate`` is the one keyword for the candidate everywhere: with sheets, the key of the
candidate whose counts are tested (default: the leader on the sheets; a list pools several,
for the digit tests); with arrays, the label the result and its figures carry. Monte Carlo
tests take ``n_resamples`` (default :data:`DEFAULT_RESAMPLES`, the package's one default)
and ``rng`` (a seed, a ``numpy.random.Generator``, a ``SeedSequence`` or None). Other
options are passed through to the family function, documented there.

The wrappers build a minimal table from the arrays (:func:`sheets_from_arrays`) and call the
family function. The numbers are the tally sheets' when the arrays carry what the sheets do:
the honest null of the digit tests predicts each station's share from its size and turnout
and groups stations by region and polling centre, so give ``voters``, ``registered``,
``regions`` and ``centers`` as the sheets hold them. The battery and the command line draw
each test's redraws from a stream of their own: :func:`~audit.checks.battery_rng` gives it.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from audit._random import RNGLike
from audit.checks import digits, fingerprints, turnout
from audit.checks._options import DEFAULT_RESAMPLES
from audit.checks.result import CheckResult
from audit.checks.stations import TurnoutUnavailableError
from audit.model import SheetTable, region_code_column, vote_column

#: The key of the votes that are not the tested candidate's, in tables built from arrays.
OTHERS = "others"

#: The region level of tables built from arrays with ``regions=``.
REGION_LEVEL = "region"

ArrayLike = npt.ArrayLike


def _counts(name: str, values: ArrayLike, n: int | None = None, *,
            nullable: bool = False) -> np.ndarray:
    """``values`` as a 1-D float array of non-negative whole numbers (NaN allowed where
    ``nullable``), checked against the length ``n``; errors name the parameter ``name``."""
    try:
        x = values.to_numpy(dtype=np.float64, na_value=np.nan) \
            if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)) \
            else np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}= must hold numbers (counts per station), got "
                         f"{_kind(values)}") from None
    if x.ndim != 1:
        raise ValueError(f"{name}= must be one-dimensional (one value per station), "
                         f"got shape {x.shape}")
    if n is not None and len(x) != n:
        raise ValueError(f"{name}= has {len(x)} values, expected {n} (one per station)")
    missing = np.isnan(x)
    if missing.any() and not nullable:
        count = int(missing.sum())
        raise ValueError(f"{name}= has {count:,} missing value{'s' if count > 1 else ''} "
                         "(NaN); drop those stations from every array")
    finite = x[~missing]
    if np.any(np.isinf(finite)) or np.any(finite < 0) or np.any(finite != np.round(finite)):
        raise ValueError(f"{name}= must hold non-negative whole numbers (counts)")
    return x


def _kind(values: object) -> str:
    """What ``values`` holds, for a message (its dtype, else its type)."""
    dtype = getattr(values, "dtype", None)
    return f"dtype {dtype}" if dtype is not None else type(values).__name__


def _nullable(x: np.ndarray) -> Any:
    """A nullable integer array (NaN: not stated)."""
    return pd.array(x, dtype="Int64")


def sheets_from_arrays(votes: ArrayLike, valid: ArrayLike | None = None, *,
                       registered: ArrayLike | None = None, voters: ArrayLike | None = None,
                       regions: ArrayLike | None = None, centers: ArrayLike | None = None,
                       candidate: str = "candidate",
                       name: str = "arrays") -> SheetTable:
    """A :class:`~audit.model.SheetTable` of one station per array element.

    Parameters
    ----------
    votes
        The tested candidate's votes per station.
    valid
        Valid votes per station (the share's denominator and the digit tests' totals);
        default ``voters``. The votes of everyone else are ``valid - votes``, under the key
        :data:`OTHERS`.
    registered, voters
        Registered voters and ballots cast per station (optional; NaN: not stated). With
        both ``valid`` and ``voters``, the ballots cast but not valid, ``voters - valid``,
        are the table's null ballots.
    regions
        A region code per station (level :data:`REGION_LEVEL`), for the checks that compare
        or group stations within regions.
    centers
        A polling-centre code per station (default: one centre per station): the stations of
        one centre share a reflection in the sign-flip nulls and a group in the honest
        digit null.
    candidate
        The key and label of the tested candidate.
    name
        The table's name.
    """
    return _table(votes, valid, registered=registered, voters=voters, regions=regions,
                  centers=centers, candidate=candidate, name=name, names={})


def _table(votes: ArrayLike, valid: ArrayLike | None, *, registered: ArrayLike | None,
           voters: ArrayLike | None, regions: ArrayLike | None, centers: ArrayLike | None,
           candidate: str, name: str, names: dict[str, str]) -> SheetTable:
    """:func:`sheets_from_arrays`, its errors naming each array as the caller's function
    names it (``names``: this function's parameter -> the caller's, e.g. ``votes`` ->
    ``counts`` for the digit tests)."""
    def said(parameter: str) -> str:
        return names.get(parameter, parameter)

    k = _counts(said("votes"), votes)
    n = len(k)
    if n == 0:
        raise ValueError(f"{said('votes')}= is empty: no station to test")
    if valid is not None:
        total = _counts(said("valid"), valid, n)
    elif voters is not None:
        total = _counts(said("voters"), voters, n)
    else:
        raise ValueError(names.get("missing", "valid= (or voters=) is needed: the totals "
                                   "the votes are drawn from"))
    if np.any(k > total):
        totals = said("valid") if valid is not None else said("voters")
        raise ValueError(f"{said('votes')}= exceed {totals}= at "
                         f"{int(np.sum(k > total)):,} stations (a count cannot exceed its "
                         "total)")
    if not candidate or candidate == OTHERS:
        raise ValueError(f"candidate= must be a non-empty label other than {OTHERS!r}")
    data: dict[str, Any] = {}
    levels: tuple[str, ...] = ()
    if regions is not None:
        codes = np.asarray(regions).astype(str)
        if codes.shape != (n,):
            raise ValueError(f"regions= must hold one code per station ({n})")
        data[region_code_column(REGION_LEVEL)] = codes
        levels = (REGION_LEVEL,)
    if centers is None:
        data["center_id"] = np.arange(1, n + 1).astype(str)
        data["table_id"] = np.full(n, "1")
    else:
        data["center_id"] = np.asarray(centers).astype(str)
        if data["center_id"].shape != (n,):
            raise ValueError(f"centers= must hold one code per station ({n})")
        data["table_id"] = np.arange(1, n + 1).astype(str)
    for column, values in (("registered", registered), ("voters", voters)):
        if values is not None:
            data[column] = _nullable(_counts(said(column), values, n, nullable=True))
    if valid is not None and voters is not None:
        # ballots cast but not valid: the share of ballots counted (Kobak et al. 2016 [kobak2016])
        invalid = data["voters"].to_numpy(dtype=np.float64, na_value=np.nan) - total
        if np.any(invalid < 0):
            raise ValueError(f"{said('valid')}= exceed {said('voters')}= at "
                             f"{int(np.sum(invalid < 0)):,} stations (valid votes are "
                             "ballots cast, so they cannot exceed them)")
        data["null"] = _nullable(np.where(invalid >= 0, invalid, np.nan))
    data["valid"] = total.astype(np.int64)
    data[vote_column(candidate)] = k.astype(np.int64)
    data[vote_column(OTHERS)] = (total - k).astype(np.int64)
    data["source"] = np.full(n, name)
    data["line"] = np.arange(2, n + 2, dtype=np.int64)
    return SheetTable(pd.DataFrame(data), candidates=(candidate, OTHERS), levels=levels,
                      name=name)


#: Count columns a digit test may take for ``candidate=`` besides candidate keys.
COUNT_COLUMNS: tuple[str, ...] = ("valid", "voters", "null", "blank", "registered")


def _sheets(data: SheetTable | ArrayLike, valid: ArrayLike | None, *,
            registered: ArrayLike | None, voters: ArrayLike | None, regions: ArrayLike | None,
            centers: ArrayLike | None, candidate: str | Sequence[str] | None,
            names: dict[str, str], one_candidate: bool) -> tuple[SheetTable, Any]:
    """The table to test and the candidate to pass on: ``data`` itself when it is sheets
    (``candidate`` checked against them), else the table built from the arrays with the
    tested candidate's key. ``names`` maps :func:`sheets_from_arrays`'s parameters to the
    caller's, so that errors name what the user typed."""
    if isinstance(data, SheetTable):
        given = [names.get(p, p) for p, v in (
            ("valid", valid), ("voters", voters), ("registered", registered),
            ("regions", regions), ("centers", centers)) if v is not None]
        if given:
            raise TypeError(f"with tally sheets, pass no arrays ({'=, '.join(given)}=): the "
                            "sheets hold them; choose the candidate with candidate=")
        _known(data, candidate, one_candidate)
        return data, candidate
    if candidate is not None and not isinstance(candidate, str):
        raise TypeError("with arrays, candidate= is the label of the counts (a string), "
                        f"got {type(candidate).__name__}")
    label = candidate or "candidate"
    return _table(data, valid, registered=registered, voters=voters, regions=regions,
                  centers=centers, candidate=label, name="arrays", names=names), label


def _known(sheets: SheetTable, candidate: str | Sequence[str] | None,
           one_candidate: bool) -> None:
    """Raise when ``candidate`` is not a key the test can take on ``sheets``."""
    if candidate is None:
        return
    if isinstance(candidate, str):
        keys = [candidate]
    elif one_candidate:
        raise TypeError(f"candidate= must be one candidate key (a string) for this test, "
                        f"got {type(candidate).__name__}")
    else:
        keys = list(candidate)
    extra = () if one_candidate else tuple(c for c in COUNT_COLUMNS if sheets.has(c))
    unknown = [k for k in keys if k not in sheets.candidates and k not in extra]
    if unknown:
        raise ValueError(f"candidate={', '.join(map(repr, unknown))} is not on these sheets; "
                         f"their candidates are {', '.join(sheets.candidates)}"
                         + (f" (or a count: {', '.join(extra)})" if extra else ""))


_DIGIT_PARAMETERS = """
    Parameters
    ----------
    counts : array_like or SheetTable
        The tested counts, one per station; or tally sheets (then no other array).
    totals : array_like, optional
        The totals the counts are drawn from (valid votes), one per station.
    candidate : str or list of str, optional
        With sheets, the candidate key(s) tested (default: the leader; a list pools them);
        with arrays, the label of the counts.
    voters, registered : array_like, optional
        Ballots cast and registered voters per station: the honest null predicts each
        station's share from its size and turnout, so the p-value of arrays equals that of
        the same stations' tally sheets only when these, ``regions`` and ``centers`` are
        given as the sheets hold them.
    regions, centers : array_like, optional
        Region and polling-centre codes per station, for the honest null's groups.
    n_resamples : int, optional
        Most honest redraws of the null (default :data:`DEFAULT_RESAMPLES`).
    rng : int, Generator, SeedSequence or None, optional
        Seed or generator of the redraws.
    **options
        Options of the family function (``null``, ``model``, ``min_count`` ...: the other
        parameters below).
"""

_STATION_PARAMETERS = """
    Parameters
    ----------
    votes : array_like or SheetTable
        The tested candidate's votes, one per station; or tally sheets (then no other array).
    voters : array_like, optional
        Ballots cast per station (the share's denominator unless ``valid`` is given).
    registered : array_like, optional
        Registered voters per station (turnout's denominator).
    valid : array_like, optional
        Valid votes per station, where they differ from ballots cast.
    candidate : str, optional
        With sheets, the candidate key tested (default: the leader); with arrays, its label.
    regions, centers : array_like, optional
        Region and polling-centre codes per station, for tests that group stations.
    **options
        Options of the family function{mc} (the other parameters below).
"""


#: Parameters of the family functions that the public faces take themselves (or that are
#: the battery's own), left out of their "Other Parameters".
_OWN_PARAMETERS = frozenset({"sheets", "column", "candidate", "shared"})

_SECTION = re.compile(r"^([A-Z][A-Za-z ]+)\n-{3,}\n", re.MULTILINE)


def _sections(doc: str) -> tuple[str, dict[str, str]]:
    """A numpydoc docstring as (its extended summary, {section title: body}), dedented and
    without the one-line summary."""
    text = inspect.cleandoc(doc).partition("\n")[2].strip("\n") + "\n"
    heads = list(_SECTION.finditer(text))
    intro = text[:heads[0].start()] if heads else text
    bodies = {h.group(1): text[h.end():nxt.start() if nxt else len(text)].strip("\n")
              for h, nxt in zip(heads, [*heads[1:], None], strict=False)}
    return intro.strip("\n"), bodies


def _other_parameters(body: str) -> str:
    """The entries of a Parameters section but those the face takes itself."""
    entries: list[list[str]] = []
    for line in body.splitlines():
        if line and not line[0].isspace():
            entries.append([line])
        elif entries:
            entries[-1].append(line)
    kept = [e for e in entries
            if {n.strip() for n in e[0].split(":")[0].split(",")} - _OWN_PARAMETERS]
    return "\n".join("\n".join(e) for e in kept)


def _public(impl: Callable[..., CheckResult], wrapper: Callable[..., CheckResult],
            parameters: str) -> Callable[..., CheckResult]:
    """``wrapper`` named and documented as the public face of ``impl``: the face's own
    parameters, then the family function's description, its other options, what it returns,
    its notes and references (its examples stay with the family function, whose signature
    they use)."""
    wrapper.__name__ = wrapper.__qualname__ = impl.__name__
    wrapper.__module__ = "audit.checks"
    doc = impl.__doc__ or impl.__name__
    summary = inspect.cleandoc(doc).splitlines()[0]
    intro, sections = _sections(doc)
    returned = getattr(inspect.signature(impl).return_annotation, "__name__", None) or \
        str(inspect.signature(impl).return_annotation)
    parts = [intro,
             "The test on plain arrays (one value per station, see :mod:`audit.checks.arrays`)\n"
             "or on tally sheets with ``candidate=``; the null, the statistic and the result\n"
             f"are those of the family function ``{impl.__module__}.{impl.__name__}``.",
             inspect.cleandoc(parameters)]
    other = _other_parameters(sections.get("Parameters", ""))
    if other:
        parts.append(f"Other Parameters\n----------------\n{other}")
    parts.append("Returns\n-------\n" + sections.get(
        "Returns", f"{returned}\n    The family's result (see :class:`CheckResult`)."))
    parts += [f"{title}\n{'-' * len(title)}\n{sections[title]}"
              for title in ("Notes", "References") if title in sections]
    body = "\n\n".join(p for p in parts if p)
    wrapper.__doc__ = summary + "\n\n" + textwrap.indent(body, "    ",
                                                          lambda line: bool(line.strip()))
    return wrapper


#: How the digit tests name :func:`sheets_from_arrays`'s arrays.
_DIGIT_NAMES = {"votes": "counts", "valid": "totals",
                "missing": "totals= is needed: the totals the counts are drawn from (valid "
                           "votes), one per station"}


def _digit_face(impl: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    def test(counts: SheetTable | ArrayLike, totals: ArrayLike | None = None, *,
             voters: ArrayLike | None = None, registered: ArrayLike | None = None,
             candidate: str | Sequence[str] | None = None, regions: ArrayLike | None = None,
             centers: ArrayLike | None = None, n_resamples: int = DEFAULT_RESAMPLES,
             rng: RNGLike = None, **options: Any) -> CheckResult:
        sheets, column = _sheets(counts, totals, registered=registered, voters=voters,
                                 regions=regions, centers=centers, candidate=candidate,
                                 names=_DIGIT_NAMES, one_candidate=False)
        return impl(sheets, column, n_resamples=n_resamples, rng=rng,
                    **options).named(sheets.election)
    return _public(impl, test, _DIGIT_PARAMETERS)


def _check_turnout_below_100(sheets: SheetTable) -> None:
    """Raise the reason a station test failed on arrays when most stations have fewer
    registered voters than ballots cast (turnout over 100%: arrays swapped or shifted), which
    leaves the test too few stations to run."""
    registered, ballots = sheets.counts("registered"), sheets.ballots()
    over = int((ballots > registered).sum())
    if 2 * over > registered.size:
        raise ValueError(f"registered= is below the ballots cast at {over:,} of "
                         f"{registered.size:,} stations (turnout over 100%), too many for "
                         f"this test: registered= takes the registered voters of each "
                         f"station") from None


def _station_face(impl: Callable[..., CheckResult], *,
                  monte_carlo: bool) -> Callable[..., CheckResult]:
    def test(votes: SheetTable | ArrayLike, voters: ArrayLike | None = None,
             registered: ArrayLike | None = None, *, valid: ArrayLike | None = None,
             candidate: str | None = None, regions: ArrayLike | None = None,
             centers: ArrayLike | None = None, **options: Any) -> CheckResult:
        if monte_carlo:
            options.setdefault("n_resamples", DEFAULT_RESAMPLES)
        arrays = not isinstance(votes, SheetTable)
        names = {} if valid is not None else {
            "valid": "voters", "missing": "voters= (or valid=) is needed: the totals the "
                                          "votes are drawn from, one per station"}
        sheets, key = _sheets(votes, valid if valid is not None else voters,
                              registered=registered, voters=voters if arrays else None,
                              regions=regions, centers=centers, candidate=candidate,
                              names=names, one_candidate=True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = impl(sheets, candidate=key, **options)
            for w in caught:  # a run that succeeds passes its warnings on unchanged
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        except TurnoutUnavailableError:
            if arrays and registered is None:
                raise ValueError("registered= is needed: this test uses turnout, the "
                                 "ballots cast over the registered voters of each "
                                 "station") from None
            raise
        except (ValueError, ZeroDivisionError):
            if arrays and registered is not None:
                _check_turnout_below_100(sheets)
            raise
        return result.named(sheets.election)
    mc = (": ``n_resamples`` (default :data:`DEFAULT_RESAMPLES`), ``rng``, ..."
          if monte_carlo else "")
    return _public(impl, test, _STATION_PARAMETERS.format(mc=mc))


first_digit_test = _digit_face(digits.first_digit_test)
second_digit_test = _digit_face(digits.second_digit_test)
first_two_digits_test = _digit_face(digits.first_two_digits_test)
last_digit_test = _digit_face(digits.last_digit_test)
second_digit_mean_test = _digit_face(digits.second_digit_mean_test)
last_digit_mean_test = _digit_face(digits.last_digit_mean_test)
zero_five_test = _digit_face(digits.zero_five_test)
percent_zero_five_test = _digit_face(digits.percent_zero_five_test)
digit_pairs_test = _digit_face(digits.digit_pairs_test)

distribution = _station_face(turnout.distribution, monte_carlo=False)
spike_at_100 = _station_face(turnout.spike_at_100, monte_carlo=False)
integer_percentages = _station_face(turnout.integer_percentages, monte_carlo=False)
regional_outliers = _station_face(turnout.regional_outliers, monte_carlo=True)
turnout_share_correlation = _station_face(turnout.turnout_share_correlation,
                                          monte_carlo=False)
skewness = _station_face(turnout.skewness, monte_carlo=True)
kurtosis = _station_face(turnout.kurtosis, monte_carlo=True)
dip_test = _station_face(turnout.dip_test, monte_carlo=False)
sobyanin_sukhovolsky = _station_face(turnout.sobyanin_sukhovolsky, monte_carlo=False)
shpilkin_excess = _station_face(turnout.shpilkin_excess, monte_carlo=False)

fingerprint = _station_face(fingerprints.fingerprint, monte_carlo=False)
klimek_fit = _station_face(fingerprints.klimek_fit, monte_carlo=False)
corner_asymmetry = _station_face(fingerprints.corner_asymmetry, monte_carlo=True)

#: The public tests, by the name of the family function they face.
TESTS: dict[str, Callable[..., CheckResult]] = {f.__name__: f for f in (
    first_digit_test, second_digit_test, first_two_digits_test, last_digit_test,
    second_digit_mean_test, last_digit_mean_test, zero_five_test, percent_zero_five_test,
    digit_pairs_test, distribution, spike_at_100, integer_percentages, regional_outliers,
    turnout_share_correlation, skewness, kurtosis, dip_test, sobyanin_sukhovolsky,
    shpilkin_excess, fingerprint, klimek_fit, corner_asymmetry)}

__all__ = ["OTHERS", "REGION_LEVEL", "TESTS", "sheets_from_arrays", *TESTS]
