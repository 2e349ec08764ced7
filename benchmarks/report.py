"""Render ``benchmarks/RESULTS.md`` from the JSON rows in ``benchmarks/results/``.

One table per results file (scene × ratio × method), then a summary: mean PSNR, SAM and time
per method over the scenes each file covers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("PSNR", "SAM", "ERGAS", "CC", "RMSE", "seconds")


def _commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def _label(row: dict) -> str:
    parts = [row["method"]]
    if row.get("preset", "-") != "-":
        parts.append(row["preset"])
    if row.get("degradation", "-") != "-":
        parts.append(f"{row['degradation']} PSF/SRF")
    return " / ".join(parts)


def table(rows: list[dict]) -> list[str]:
    lines = ["| scene | r | method | PSNR dB | SAM ° | ERGAS | CC | RMSE | time s | device |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: (r["scene"], r["scale"])):
        lines.append(
            f"| {row['scene']} | {row['scale']} | {_label(row)} | {row['PSNR']:.2f} | {row['SAM']:.2f} | "
            f"{row['ERGAS']:.3f} | {row['CC']:.4f} | {row['RMSE']:.4f} | {row['seconds']:.1f} | {row['device']} |"
        )
    return lines


def summary(rows: list[dict]) -> list[str]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[_label(row)].append(row)
    lines = ["| method | runs | mean PSNR dB | mean SAM ° | mean time s |", "|---|---|---|---|---|"]
    for label, group in sorted(groups.items(), key=lambda kv: -sum(r["PSNR"] for r in kv[1]) / len(kv[1])):
        n = len(group)
        lines.append(f"| {label} | {n} | {sum(r['PSNR'] for r in group) / n:.2f} | "
                     f"{sum(r['SAM'] for r in group) / n:.2f} | {sum(r['seconds'] for r in group) / n:.1f} |")
    return lines


def registration_note(rows: list[dict]) -> list[str]:
    """How the methods of a file's rows were registered, where its rows say (the real pair)."""
    shifts = {tuple(r["registration_hr_px"]) for r in rows if "registration_hr_px" in r}
    if not shifts:
        return []
    text = ", ".join(f"{dy:+.2f} rows, {dx:+.2f} columns" for dy, dx in sorted(shifts))
    return ["Every method of a pair is given one registration: the misregistration the pipeline "
            f"measures from the two inputs alone ({text} of an HR pixel: the estimation job's "
            "co-registration and PSF offset, `benchmarks/registration.py`; never the reference). "
            "A given PSF (\"true\") is moved to it, and every result made from the HR-MSI is moved "
            "by it onto the LR-HSI's geometry, where the reference lies (bicubic lies there "
            "already); all are scored on the rows and columns such a moved result covers. "
            "The blind rows' pipeline measures the same shift itself.", ""]


def main() -> int:
    out = ["# Benchmark results", "",
           f"Rendered by `benchmarks/report.py` at commit `{_commit()}`. How to reproduce: "
           "`benchmarks/README.md`.", ""]
    for path in sorted((HERE / "results").glob("*.json")):
        rows = json.loads(path.read_text())
        if not isinstance(rows, list) or not rows or "PSNR" not in rows[0]:
            continue  # other benchmarks' records (real products, trust): their own files
        machines = sorted({f"{r['machine']} ({r['date']})" for r in rows})
        out += [f"## {path.stem}", "", "Measured on: " + "; ".join(machines), ""] + registration_note(rows)
        out += summary(rows) + [""] + table(rows) + [""]
    (HERE / "RESULTS.md").write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
