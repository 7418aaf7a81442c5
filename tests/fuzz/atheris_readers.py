"""atheris (libFuzzer) target: the readers and the ingest on arbitrary bytes (issue 13).

Run by ``nox -s fuzz`` (``python tests/fuzz/atheris_readers.py CORPUS -max_total_time=N``),
seeded with the regression corpus ``tests/data/hostile/sheets``. The first byte chooses how
the rest is read (CSV, Excel or Parquet by its magic bytes, as the readers decide); every
invariant of ``tests/hostile.py`` is asserted, so a violation is a crash that libFuzzer
saves with its input. Memory is bounded by libFuzzer's ``-rss_limit_mb``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: hostile.py

with atheris.instrument_imports(include=["audit"]):
    from hostile import MAPPING_TEXT, check_ingest_file

    from audit.ingest.output import write_ingest_outputs

warnings.simplefilter("ignore")
_WORK = Path(tempfile.mkdtemp(prefix="election-audit-fuzz-"))
(_WORK / "mapping.toml").write_text(MAPPING_TEXT, encoding="utf-8")
_SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


def test_one_input(data: bytes) -> None:
    suffix = _SUFFIXES[data[0] % len(_SUFFIXES)] if data else ".csv"
    with tempfile.TemporaryDirectory(dir=_WORK) as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        path = work / "in" / f"sheets{suffix}"
        path.write_bytes(data[1:])
        check_ingest_file(path, work, mapping=_WORK / "mapping.toml",
                          write=write_ingest_outputs if len(data) % 4 == 0 else None)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
