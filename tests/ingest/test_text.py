"""Text columns (audit.ingest.text): the fast paths give exactly the plain string results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.ingest.profiles import ColumnRule
from audit.ingest.text import apply_rule, arrow_text, integer_key

N = 40_000  # above the size where the distinct-value paths switch on


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "state": rng.integers(1, 25, N),            # few values: dictionary path
        "muni": rng.integers(1, 30, N),
        "centre": rng.integers(10**7, 10**8, N),   # many values: direct cast
        "name": pd.Series(rng.choice([" Zulia", "Lara ", "Mérida", ""], N), dtype="str"),
    })


def plain(series: pd.Series) -> pd.Series:
    out = series.astype(str).str.strip()
    return out.mask(out == "")


def values(series: pd.Series) -> list[object]:
    return series.astype(object).where(series.notna(), None).tolist()


def test_integer_columns(frame: pd.DataFrame) -> None:
    for col in ("state", "centre"):
        got = apply_rule(ColumnRule(op="copy", sources=(col,)), frame, {col: col})
        assert values(got) == frame[col].astype(str).tolist()


def test_join_through_distinct_combinations(frame: pd.DataFrame) -> None:
    cols = {c: c for c in frame}
    got = apply_rule(ColumnRule(op="join", sources=("state", "muni"), sep="."), frame, cols)
    assert values(got) == (frame["state"].astype(str) + "." + frame["muni"].astype(str)).tolist()


def test_join_with_missing_text_falls_back(frame: pd.DataFrame) -> None:
    cols = {c: c for c in frame}
    got = apply_rule(ColumnRule(op="join", sources=("name", "state"), sep="/"), frame, cols)
    expected = plain(frame["name"]) + "/" + frame["state"].astype(str)
    assert values(got) == values(expected)


def test_zfill_and_trim(frame: pd.DataFrame) -> None:
    got = apply_rule(ColumnRule(op="copy", sources=("state",), zfill=3), frame, {"state": "state"})
    assert values(got) == frame["state"].astype(str).str.zfill(3).tolist()
    assert values(pd.Series(arrow_text(frame["name"]))) == values(plain(frame["name"]))


def test_whole_floats_keep_integer_spelling() -> None:
    got = arrow_text(pd.Series([1.0, 12.0, np.nan]))
    assert got.to_pylist() == ["1", "12", None]
    assert arrow_text(pd.Series([1.5, 2.0])).to_pylist() == ["1.5", "2"]


def test_integer_key_only_when_injective(frame: pd.DataFrame) -> None:
    cols = {c: c for c in frame}
    assert integer_key(ColumnRule(op="copy", sources=("centre",), zfill=9), frame, cols) \
        is not None
    assert integer_key(ColumnRule(op="copy", sources=("centre",), slice=(0, 2)), frame,
                       cols) is None
    assert integer_key(ColumnRule(op="copy", sources=("name",)), frame, cols) is None


@pytest.mark.parametrize("values", [
    ["a", "b c", "d"], ["a ", "b"], [" a", "b"], ["a\t", "b"], ["Perijá", "b"],
    ["a\u00a0", "b"], ["", "b"], ["a", None, "c"]])
def test_text_is_trimmed_like_python(values: list[str | None]) -> None:
    """Blanks at both ends (Unicode ones too) go; empty cells become missing."""
    series = pd.Series(values * 20_000, dtype="str")
    got = pd.Series(arrow_text(series))
    assert values_of(got) == values_of(plain(series))


def values_of(data: pd.Series) -> list[object]:
    return data.astype(object).where(data.notna(), None).tolist()


@pytest.mark.parametrize("low", [-5, 0, 2**63 - 40])
def test_small_integer_ranges_are_spelled_exactly(low: int) -> None:
    """Codes in a small range (gathered from the range's spellings) and joins of two such
    codes read exactly as Python writes them, at the ends of int64 too."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": low + rng.integers(0, 30, N), "b": rng.integers(-3, 20, N)})
    cols = {"a": "a", "b": "b"}
    got = apply_rule(ColumnRule(op="copy", sources=("a",)), frame, cols)
    assert values(got) == [str(v) for v in frame["a"].tolist()]
    joined = apply_rule(ColumnRule(op="join", sources=("a", "b"), sep="."), frame, cols)
    assert values(joined) == [f"{a}.{b}" for a, b in zip(frame["a"], frame["b"], strict=True)]


def _trimmed_reference(series: pd.Series) -> list[object]:
    """Arrow's trim of every value, blanks made missing (what the fast paths must equal)."""
    out = []
    for value in series.astype(object).tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            out.append(None)
            continue
        trimmed = pc.utf8_trim_whitespace(pa.array([value])).to_pylist()[0]
        out.append(trimmed or None)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="ab Z9é\t\u00a0-", max_size=4)),
                min_size=1, max_size=30),
       st.integers(0, 5), st.integers(1, 3))
def test_text_fast_paths_equal_a_full_trim(cells: list[str | None], cut: int,
                                           chunks: int) -> None:
    """Values already trimmed are returned as parsed (read off their first and last bytes,
    on sliced and chunked Arrow buffers too); any other value is trimmed."""
    arrow = pa.chunked_array([pa.array(cells * 3, type=pa.large_string())[cut:]] * chunks)
    series = pd.Series(pd.arrays.ArrowStringArray(arrow))
    assert pd.Series(arrow_text(series)).astype(object).where(
        lambda s: s.notna(), None).tolist() == _trimmed_reference(series)


@pytest.mark.parametrize("width", [1, 3, 9, 12])
def test_zero_filled_integer_codes_match_str_zfill(width: int) -> None:
    """A zero-filled copy of an integer column (built digit by digit when every value fits
    the width) equals Python's ``str(v).zfill(width)``, 0 and the widest value included; a
    value wider than the width keeps all its digits."""
    rng = np.random.default_rng(width)
    top = 10**width
    values = np.concatenate([[0, top - 1], rng.integers(0, top, N)])
    for column in (values, np.append(values, top * 7 + 3)):
        frame = pd.DataFrame({"c": column})
        got = apply_rule(ColumnRule(op="copy", sources=("c",), zfill=width), frame, {"c": "c"})
        assert values_of(got) == [str(v).zfill(width) for v in column.tolist()]
