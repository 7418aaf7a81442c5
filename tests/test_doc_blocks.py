"""Every ```python block of README.md and docs/ runs as written, and so do the commands of
the tutorials (``docs/tutorial-*.md``).

The blocks of one file run in order in one namespace (a later block may use what an earlier
one made), in a temporary folder, with ``ELECTION_AUDIT_DATA`` set to the real datasets and
downloads off. A block preceded by ``<!-- not-run: REASON -->`` is skipped for that reason;
a file whose blocks need a real dataset that is absent is skipped, saying which.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import matplotlib
import pytest
from helpers import DATA_DIR

from audit.cli import main
from audit.errors import DataUnavailableError

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"(?:<!-- not-run: (?P<reason>[^>]+?) -->\n)?```python\n(?P<code>.*?)^```",
                   re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str | None, int]]:
    """``(code, reason not to run it or None, line)`` of each Python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(m["code"], m["reason"], text.count("\n", 0, m.start("code")) + 1)
            for m in BLOCK.finditer(text)]


#: Files whose blocks take more than a few seconds (a whole report).
SLOW = {"reports.md", "tutorial-ngo.md"}
WITH_BLOCKS = [pytest.param(p, marks=[pytest.mark.slow] if p.name in SLOW else [],
                            id=str(p.relative_to(ROOT))) for p in FILES if blocks(p)]


def test_the_block_reader_sees_markers() -> None:
    text = ("x\n```python\na = 1\n```\n<!-- not-run: needs a server -->\n```python\nb\n```\n"
            "```bash\nls\n```\n")
    found = [(m["code"], m["reason"]) for m in BLOCK.finditer(text)]
    assert found == [("a = 1\n", None), ("b\n", "needs a server")]


def test_readme_and_results_have_runnable_examples() -> None:
    for name in ("README.md", "docs/results.md"):
        assert any(reason is None for _, reason, _ in blocks(ROOT / name)), name


@pytest.mark.parametrize("path", WITH_BLOCKS)
def test_python_blocks_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ELECTION_AUDIT_DATA", str(DATA_DIR))
    namespace: dict[str, object] = {"__name__": f"doc_{path.stem}"}
    for code, reason, line in blocks(path):
        if reason is not None:
            continue
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except DataUnavailableError as exc:
            if DATA_DIR.is_dir():
                raise
            pytest.skip(f"{path.name}:{line} needs a real dataset: {exc}")


TUTORIALS = sorted((ROOT / "docs").glob("tutorial-*.md"))
COMMANDS = re.compile(r"```bash\n(.*?)^```", re.S | re.M)


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_commands_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """Each ``election-audit`` line of a tutorial's bash blocks, in order, in one empty
    folder: every one exits 0."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ELECTION_AUDIT_DATA", str(DATA_DIR))
    lines = [line for block in COMMANDS.findall(path.read_text(encoding="utf-8"))
             for line in block.splitlines() if line.startswith("election-audit ")]
    assert lines or path.name == "tutorial-academic.md"
    for line in lines:
        with pytest.raises(SystemExit) as exit_:
            main(shlex.split(line)[1:])
        assert exit_.value.code in (0, None), (line, capsys.readouterr().err)
