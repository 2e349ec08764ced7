"""How wall time and peak memory of the default method grow with pixels and bands.

Scenes are built from real data: the AVIRIS Jasper Ridge cube (100×100×198) mirrored into an
N×N mosaic (N = 128, 256, 512, 1024 HR pixels; :func:`benchmarks.large_scene.mirrored`), and
its LR-HSI bands binned to 50 / 100 / 200 by averaging groups of adjacent bands (198 is the
"200" case; the HR-MSI is always the full cube through the Sentinel-2A SRF, Wald's protocol at
r = 4). Each configuration runs
:func:`fusion_core.pipeline.fuse_files` (blind estimation + windowed fusion, as users run it)
in a fresh process, so its peak RSS is its own.

Usage::

    python -m benchmarks.cost_growth --out benchmarks/COST_GROWTH.md
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import psutil

SIZES = (128, 256, 512, 1024)
BANDS = (50, 100, 198)
SCALE = 4

CHILD = r"""
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[4]))
from fusion_core import FusionRequest, fuse_files
t = time.perf_counter()
fuse_files(FusionRequest(sys.argv[1], sys.argv[2], sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - t}))
"""


def write_pair(folder: Path, size: int, n_bands: int) -> tuple[Path, Path]:
    """The mirrored Jasper Ridge pair of ``size``² HR pixels and ``n_bands`` bands, as GeoTIFFs."""
    from affine import Affine
    from rasterio.crs import CRS

    from benchmarks.large_scene import mirrored
    from benchmarks.scenes import Scene, load_scene, wald_pair
    from fusion_core.io import RasterGrid, write_raster

    scene = load_scene("jasper_ridge")
    idx = np.arange(size)
    pair = wald_pair(Scene(scene.name, mirrored(scene.cube, idx, idx), scene.wavelengths, scene.spec), SCALE)
    groups = np.array_split(np.arange(scene.cube.shape[0]), n_bands)
    lr_hsi = np.stack([pair.lr_hsi[g].mean(axis=0) for g in groups])
    wavelengths = np.array([scene.wavelengths[g].mean() for g in groups])
    grid = RasterGrid(CRS.from_epsg(32610), Affine(10.0, 0, 500_000.0, 0, -10.0, 4_150_000.0), size, size)
    lr, hr = folder / "lr.tif", folder / "hr.tif"
    write_raster(lr, lr_hsi, grid.scaled(SCALE), wavelengths=wavelengths)
    write_raster(hr, pair.hr_msi, grid)
    return lr, hr


def measure(size: int, n_bands: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lr, hr = write_pair(folder, size, n_bands)
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(lr), str(hr), str(folder / "out.tif"),
                                 str(threads)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, cwd=Path(__file__).resolve().parents[1])
        peak = 0  # sampled, as ru_maxrss of a forked child includes its parent's pages
        child = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                peak = max(peak, child.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.1)
        if proc.returncode != 0:
            raise RuntimeError(f"fusion of {size}² × {n_bands} bands failed")
        return {**json.loads(proc.stdout.read().strip().splitlines()[-1]), "peak_rss_gb": peak / 2**30}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/COST_GROWTH.md"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rows = []
    configs = [(s, 198) for s in SIZES] + [(512, b) for b in BANDS if b != 198]
    for size, bands in configs:
        result = measure(size, bands, args.threads)
        rows.append({"size": size, "bands": bands, **result})
        print(json.dumps(rows[-1]), flush=True)
    plot(rows, args.out.with_suffix(".png"))
    lines = [
        "# Cost growth of the default method (SSCF), blind estimation included", "",
        f"Measured {date.today().isoformat()} on {_cpu()}, {args.threads} torch threads, by "
        "`python -m benchmarks.cost_growth` (how the scenes are built: its docstring).", "",
        "| HR size | bands | HR Mpx × bands | wall s | s per (Mpx × band) | peak RSS GB |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        work = r["size"] ** 2 / 1e6 * r["bands"]
        lines.append(f"| {r['size']}² | {r['bands']} | {work:.1f} | {r['seconds']:.1f} | "
                     f"{r['seconds'] / work:.3f} | {r['peak_rss_gb']:.2f} |")
    lines += ["", f"![log-log plot]({args.out.with_suffix('.png').name})", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    return 0


def plot(rows: list[dict], path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), layout="constrained")
    FigureCanvasAgg(fig)
    for ax, key, label in zip(fig.subplots(1, 2), ("seconds", "peak_rss_gb"), ("wall time (s)", "peak RSS (GB)")):
        for bands in sorted({r["bands"] for r in rows}):
            pts = sorted((r["size"] ** 2 / 1e6 * r["bands"], r[key]) for r in rows if r["bands"] == bands)
            ax.loglog(*zip(*pts), "o-", label=f"{bands} bands")
        pts = sorted((r["size"] ** 2 / 1e6 * r["bands"], r[key]) for r in rows if r["size"] == 512)
        ax.loglog(*zip(*pts), "s--", label="512², bands varied")
        ax.set_xlabel("HR megapixels × bands")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path)


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    sys.exit(main())
