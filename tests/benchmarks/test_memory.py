"""The memory benchmark: its committed measurements stay below the factors the methods declare."""

import json
from pathlib import Path

from benchmarks.memory import RUNS, render

MEASURED = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "memory" / "cpu.json"


def test_every_measured_run_fits_the_declared_factor(tmp_path):
    measured = json.loads(MEASURED.read_text(encoding="utf-8"))
    assert {(r["method"], r["preset"], r["bands"]) for r in measured["rows"]} == set(RUNS)

    render(measured, tmp_path / "MEMORY.md")

    rows = [line.split(" | ") for line in (tmp_path / "MEMORY.md").read_text().splitlines()
            if line.startswith("| ") and line[2:3].isalpha() and not line.startswith("| method")]
    assert len(rows) == len(RUNS)
    for row in rows:
        needed, declared = float(row[4]), float(row[5].rstrip(" |"))
        assert declared >= needed, row


def test_a_row_needs_its_memory_per_pixel_in_output_copies_beyond_the_output(tmp_path):
    measured = {"date": "d", "machine": "m",
                "rows": [{"method": "sscf", "preset": "fast", "bands": 100, "bytes_per_pixel": 4 * 100 * 11.0}]}

    render(measured, tmp_path / "MEMORY.md")

    assert "| sscf | fast | 100 | 4.3 | 10.0 | " in (tmp_path / "MEMORY.md").read_text()
