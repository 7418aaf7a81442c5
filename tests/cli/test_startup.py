"""Start-up: ``election-audit --help`` imports the command line and nothing heavy; commands
that need no statistics never load matplotlib or the battery of checks.

Each probe runs in a fresh interpreter (modules imported by other tests would hide an import).
The timing against ``import pandas`` is a benchmark (benchmarks/bench_startup.py), never
asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHEETS = ROOT / "tests" / "data" / "broken_sheets.csv"
MAPPING = ROOT / "tests" / "data" / "mini_profile.toml"

PROBE = """
import json, sys
before = set(sys.modules)
from audit.cli import main
try:
    main({args!r})
except SystemExit:
    pass
json.dump(sorted(set(sys.modules) - before), open({out!r}, "w"))
"""
#: The battery of checks and the figures: never needed to list, ingest or check claims.
HEAVY = ("matplotlib", "audit.checks.registry", "audit.checks.forensics", "audit.checks.digits",
         "audit.checks.turnout", "audit.checks.fingerprints", "audit.figures",
         "audit.report", "audit.simulate")


def imported(args: list[str], tmp_path: Path) -> list[str]:
    out = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", PROBE.format(args=args, out=str(out))], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    return list(json.loads(out.read_text(encoding="utf-8")))


def test_help_imports_only_the_command_line(tmp_path: Path) -> None:
    modules = imported(["--help"], tmp_path)
    top = {m.split(".")[0] for m in modules}
    third_party = {m for m in top if m not in sys.stdlib_module_names and not m.startswith("_")}
    assert third_party <= {"audit", "click", "rich"}, sorted(third_party)
    ours = {m for m in modules if m.startswith("audit")}
    assert ours <= {"audit", "audit._version", "audit.errors", "audit.resources", "audit.cli"} | {
        m for m in ours if m.startswith("audit.cli.")}, sorted(ours)
    assert len(modules) < 300, len(modules)  # today about 160 (stdlib, click, rich, audit.cli)


@pytest.mark.parametrize("args", [
    ["cases"],
    ["claims", "list", "venezuela-2024"],
    ["dispute", "venezuela-2024"],
    ["ingest", str(SHEETS), "--mapping", str(MAPPING)],
    ["ingest", "--help"],
], ids=["cases", "claims", "dispute", "ingest", "ingest-help"])
def test_light_commands_never_load_the_battery(args: list[str], tmp_path: Path) -> None:
    modules = set(imported(args, tmp_path))
    loaded = sorted(m for m in modules if m.startswith(HEAVY))
    assert not loaded, loaded
