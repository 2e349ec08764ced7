"""The large scene fused by an old commit and by this checkout, one after the other, same threads.

Each run is a fresh process (``python -m benchmarks.large_scene run``) in its own checkout, with
the same scene, thread count and memory bound; the machine's load average is recorded before
each, and the CPU time of each (the process and its children) beside its wall time, because the
machine may be shared. This checkout's run also times its stages (:mod:`benchmarks.stages`);
its output is then measured whole (PSNR of every pixel against the mosaic reference) and used for
the codec rates of :mod:`benchmarks.machine`, and the roofline table is made from both
(:mod:`benchmarks.roofline`).

Usage::

    git clone . /tmp/old && git -C /tmp/old checkout 89417f3
    python -m benchmarks.large_scene_compare /tmp/large_scene --old /tmp/old --threads 2 \\
        --old-stages --json benchmarks/results/large_scene/compare.json

Both outputs are measured whole (each right after its run: they share a path).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import numpy as np

from .scenes import SHARED

HERE = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_in(checkout: Path, folder: Path, threads: int, before: list[str], after: list[str]) -> dict:
    """``large_scene [before] run folder [after]`` of ``checkout``; its record plus the load at
    the start and the CPU seconds of the process and its children."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        env = dict(os.environ, PYTHONPATH=str(checkout))
        load, cpu = os.getloadavg(), _children_cpu()
        subprocess.run([sys.executable, "-m", "benchmarks.large_scene", *before, "run", str(folder),
                        "--threads", str(threads), "--json", str(out), *after],
                       cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
        record = json.loads(out.read_text())
    record["load_average_at_start"] = [round(v, 1) for v in load]
    record["cpu_s_measured_outside"] = round(_children_cpu() - cpu, 1)
    return record


def full_psnr(output: Path, shared: Path) -> float:
    """PSNR (dB) of every pixel of ``output`` against the mosaic reference."""
    import rasterio
    from rasterio.windows import Window

    from .large_scene import mirrored, true_model

    _, cube, _ = true_model(shared)
    sq, count, peak = 0.0, 0, 0.0
    with rasterio.open(output) as ds:
        for row in range(0, ds.height, 150):
            rows = min(150, ds.height - row)
            est = ds.read(window=Window(0, row, ds.width, rows)).astype(np.float64)
            ref = mirrored(cube, np.arange(row, row + rows), np.arange(ds.width)).astype(np.float64)
            sq += float(((est - ref) ** 2).sum())
            count += est.size
            peak = max(peak, float(ref.max()))
    return float(10 * np.log10(peak ** 2 / (sq / count)))


def side_by_side(old: dict, new: dict, labels: tuple[str, str] = ("old", "new")) -> list[str]:
    """Markdown rows: the two runs' figures and their ratio."""
    def row(label: str, key, fmt: str, ratio: bool = False) -> str:
        a, b = key(old), key(new)
        extra = f" | **{a / b:.1f}×**" if ratio else " | "
        return f"| {label} | {fmt.format(a)} | {fmt.format(b)}{extra} |"

    return [
        f"| | {labels[0]} | {labels[1]} | before / after |", "|---|---|---|---|",
        row("wall time, s", lambda r: r["wall_s"], "{:.0f}", True),
        row("CPU time, s (process and children)", lambda r: r["cpu_s_measured_outside"], "{:.0f}", True),
        row("of which: degradation estimation, s (wall)", lambda r: r["seconds"].get("estimation", 0.0),
            "{:.1f}", True),
        row("fusion of the windows, blended and written, s (wall)", lambda r: r["seconds"]["fusion"], "{:.0f}", True),
        row("load average at the start (1 min)", lambda r: r["load_average_at_start"][0], "{:.1f}"),
        row("peak RSS, GB (sampled; bound 4 GB)", lambda r: r["peak_rss_gb_sampled"], "{:.2f}"),
        row("PSNR of four 256² crops, dB", lambda r: r["psnr_4_crops_db"], "{:.2f}"),
        row("PSNR of the whole output, dB", lambda r: r.get("full_psnr_db", float("nan")), "{:.2f}"),
        row("throughput, HR Mpx × bands / s", lambda r: r["throughput_mpx_bands_per_s"], "{:.2f}"),
        row("output, GB", lambda r: r["output_gb"], "{:.2f}"),
        "| window layout | " + " | ".join(_layout_line(r) for r in (old, new)) + " | |",
    ]


def _layout_line(record: dict) -> str:
    """The log line that describes a run's windows."""
    return next(line for line in record["log"] if "window(s) (" in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="the built scene (large_scene build)")
    parser.add_argument("--old", type=Path, required=True, help="a checkout of the old commit")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--old-stages", action="store_true",
                        help="time the old commit's stages too (its benchmarks/stages.py)")
    args = parser.parse_args()
    from .machine import measure, sample_tile
    from .roofline import table

    output = args.folder / "fused_sscf_cpu.tif"
    old = run_in(args.old, args.folder, args.threads, [], (["--stages"] if args.old_stages else []) + ["--keep"])
    print("old:", old["wall_s"], "s", flush=True)
    if output.exists():  # both runs write the same file: the old one is measured first
        old["full_psnr_db"] = round(full_psnr(output, args.shared), 2)
        output.unlink()
    new = run_in(HERE, args.folder, args.threads, ["--shared", str(args.shared)], ["--stages", "--keep"])
    print("new:", new["wall_s"], "s", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short=8", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip()
    old_commit = subprocess.run(["git", "rev-parse", "--short=8", "HEAD"], cwd=args.old, capture_output=True,
                                text=True).stdout.strip()
    result = {"date": date.today().isoformat(), "commit": commit, "old_commit": old_commit, "threads": args.threads,
              "old": old, "new": new}
    if output.exists():
        new["full_psnr_db"] = result["new_full_psnr_db"] = round(full_psnr(output, args.shared), 2)
        result["machine"] = measure(sample_tile(output), args.folder)
        output.unlink()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print("\n".join(side_by_side(old, new, (f"before ({old_commit})", f"after ({commit})"))))
    if "machine" in result:
        before = old if "stages" in old else None
        print("\n".join(table(new, result["machine"], (198, 12, 3000, 3000), 3, before=before)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
