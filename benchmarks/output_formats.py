"""Output formats for big fused rasters: write cost, size and how fast a zoomed-out view reads.

Takes a fused raster (e.g. the 1002×1002×198 result of ``large_scene run --size 1002 --keep``),
and writes it again with each :class:`~fusion_core.io.output_format.OutputOptions` of
``CANDIDATES`` through :class:`~fusion_core.windows.output.TiledOutput`, region by region
(240-pixel regions, as a windowed run writes them), then measures:

* write: wall time and CPU time of the process (GDAL's compression threads included), from the
  first region to the final name (overviews or the COG rewrite included);
* size on disk, and the error of the stored values against the float32 source (max, and PSNR
  over the source's peak) — zero for the lossless codecs;
* zoomed-out view: reading bands 30, 20, 10 at 1000 pixels across, as QGIS renders a
  zoomed-out RGB view (``gdal_translate -outsize 1000 0 -b 30 -b 20 -b 10``), with GDAL's
  cache emptied (a new process per read), and a QGIS render of that view
  (``QgsMapRendererSequentialJob``, 1000×1000) when PyQGIS is present.

``--layouts`` instead takes a big fused GeoTIFF as written by a run (e.g. the 3000×3000×198
result) and measures what the layouts cost at the end of a run and give afterwards: internal
overviews built in place, and the COG rewrite (each on a copy), then the zoomed-out view and the
QGIS render of the plain file, the one with overviews and the COG.

Usage::

    python -m benchmarks.output_formats /tmp/large_scene/fused.tif --out benchmarks/OUTPUT_FORMATS.md
    python -m benchmarks.output_formats --layouts /tmp/large_scene/fused.tif --tmp /tmp
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from fusion_core.io import RasterGrid
from fusion_core.io.output_format import OutputOptions
from fusion_core.windows.output import TiledOutput

CANDIDATES = (
    ("DEFLATE 6 + float predictor, 1 thread (before)", OutputOptions(codec="DEFLATE", level=6, predictor=True), 1),
    ("DEFLATE 1 + float predictor", OutputOptions(codec="DEFLATE", predictor=True), None),
    ("ZSTD 1 + float predictor", OutputOptions(predictor=True), None),
    ("ZSTD 9 + float predictor", OutputOptions(level=9, predictor=True), None),
    ("ZSTD 1 (default)", OutputOptions(), None),
    ("LERC_ZSTD lossless", OutputOptions(codec="LERC_ZSTD"), None),
    ("uncompressed", OutputOptions(codec="NONE"), None),
    ("int16 scaled, ZSTD 1 + horizontal predictor", OutputOptions(dtype="int16"), None),
    ("ZSTD 1 + internal overviews", OutputOptions(overviews=True), None),
    ("COG (ZSTD 1, overviews)", OutputOptions(format="COG"), None),
)
REGION = 240
VIEW_BANDS = (30, 20, 10)
VIEW_SIZE = 1000


def write_with(data: np.ndarray, grid: RasterGrid, names: list[str], target: Path,
               options: OutputOptions, threads: int | None) -> dict:
    """Write ``data`` ``(C, H, W)`` (in memory) as ``options`` say; wall/CPU seconds and the size."""
    options = options.with_data_scale(float(np.nanpercentile(data[:, ::16, ::16], 99.9)))
    out = TiledOutput(target, grid, data.shape[0], REGION, names, options=options,
                      threads=threads or "ALL_CPUS")
    wall, cpu = time.perf_counter(), time.process_time()
    with rasterio.Env(GDAL_CACHEMAX=64 * 2**20):
        out.open(durable=False)
        for row in range(0, grid.height, REGION):
            for col in range(0, grid.width, REGION):
                out.write((row, col, min(REGION, grid.height - row), min(REGION, grid.width - col)),
                          data[:, row:row + REGION, col:col + REGION])
        out.finish()
    return {"options": options, "write_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu, "bytes": target.stat().st_size}


def stored_error(data: np.ndarray, target: Path) -> tuple[float, float]:
    """Largest absolute error of the stored values and their PSNR (dB, over the data's peak)."""
    worst, sq, n = 0.0, 0.0, 0
    with rasterio.open(target) as b:
        for row in range(0, b.height, 250):
            window = Window(0, row, b.width, min(250, b.height - row))
            y = b.read(window=window, masked=True).astype(np.float64).filled(np.nan)
            d = np.abs(data[:, row:row + 250].astype(np.float64) - (y * b.scales[0] + b.offsets[0]))
            worst = max(worst, float(np.nanmax(d)))
            sq += float(np.nansum(d ** 2))
            n += int(np.isfinite(d).sum())
    mse = sq / max(n, 1)
    peak = float(np.nanmax(np.abs(data)))
    return worst, (float("inf") if mse == 0 else 10 * np.log10(peak ** 2 / mse))


def view_seconds(path: Path) -> float:
    """Seconds to read the zoomed-out RGB view in a fresh process (GDAL's cache empty)."""
    code = (
        "import time, rasterio\n"
        f"t = time.perf_counter()\n"
        f"with rasterio.open({str(path)!r}) as ds:\n"
        f"    h = round(ds.height * {VIEW_SIZE} / ds.width)\n"
        f"    ds.read({VIEW_BANDS!r}, out_shape=(3, h, {VIEW_SIZE}))\n"
        "print(time.perf_counter() - t)\n"
    )
    return float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout)


def qgis_render_seconds(path: Path) -> float | None:
    """Seconds for QGIS to render the zoomed-out RGB view (1000×1000), in a fresh process."""
    code = f"""
import time, os
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsMapRendererSequentialJob, QgsMapSettings,
                       QgsMultiBandColorRenderer, QgsRasterLayer)
from qgis.PyQt.QtCore import QSize
app = QgsApplication([], False)
app.initQgis()
layer = QgsRasterLayer({str(path)!r}, "fused")
assert layer.isValid()
renderer = QgsMultiBandColorRenderer(layer.dataProvider(), *{VIEW_BANDS!r})
layer.setRenderer(renderer)
settings = QgsMapSettings()
settings.setLayers([layer])
settings.setDestinationCrs(layer.crs())
settings.setExtent(layer.extent())
settings.setOutputSize(QSize({VIEW_SIZE}, {VIEW_SIZE}))
t = time.perf_counter()
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
seconds = time.perf_counter() - t
image = job.renderedImage()
painted = sum(image.pixelColor(x, y).alpha() > 0 for x in range(0, {VIEW_SIZE}, 50) for y in range(0, {VIEW_SIZE}, 50))
assert painted > 100, painted  # the view was drawn
print(seconds)
"""
    try:
        done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                              text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    return float(done.stdout.strip().splitlines()[-1])


def layouts(source: Path, tmp: Path | None) -> list[str]:
    """Markdown rows: the end-of-run cost of overviews and of the COG rewrite of ``source``, and
    the zoomed-out view and QGIS render of each layout."""
    import shutil

    from fusion_core.io.output_format import finish_layout

    rows = ["| layout | added at the end of the run, s (wall / CPU) | size GB | zoomed-out view s | QGIS render s |",
            "|---|---|---|---|---|",
            f"| GTiff, no overviews | 0 | {source.stat().st_size / 2**30:.2f} | {view_seconds(source):.2f} | "
            f"{_seconds(qgis_render_seconds(source))} |"]
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        for label, options in (("GTiff + internal overviews", OutputOptions(overviews=True)),
                               ("COG (GDAL's COG driver)", OutputOptions(format="COG"))):
            copy = Path(folder) / "copy.tif"
            shutil.copyfile(source, copy)
            wall, cpu = time.perf_counter(), time.process_time()
            finish_layout(copy, options, 256)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rows.append(f"| {label} | {wall:.0f} / {cpu:.0f} | {copy.stat().st_size / 2**30:.2f} | "
                        f"{view_seconds(copy):.2f} | {_seconds(qgis_render_seconds(copy))} |")
            print(rows[-1], flush=True)
            copy.unlink()
    return rows


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="a fused float32 raster")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/OUTPUT_FORMATS.md"))
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the rewritten files")
    parser.add_argument("--layouts", action="store_true", help="measure overviews and COG on a big result")
    args = parser.parse_args()
    if args.layouts:
        print("\n".join(layouts(args.source, args.tmp)))
        return 0
    from benchmarks.cost_growth import _cpu

    with rasterio.open(args.source) as src:
        data = src.read(out_dtype=np.float32)
        grid = RasterGrid(src.crs, src.transform, src.width, src.height)
        names = list(src.descriptions)
    shape = data.shape
    raw = data.nbytes
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for label, options, threads in CANDIDATES:
            target = Path(tmp) / "out.tif"
            rec = write_with(data, grid, names, target, options, threads)
            worst, quality = stored_error(data, target)
            view = view_seconds(target)
            render = qgis_render_seconds(target)
            rows.append((label, rec, worst, quality, view, render))
            print(label, rec["write_s"], rec["cpu_s"], rec["bytes"] / 2**20, worst, quality, view, render,
                  flush=True)
            target.unlink()
    commit = subprocess.run(["git", "rev-parse", "--short=8", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "# Output formats for big fused rasters", "",
        f"Measured {date.today().isoformat()} on {_cpu()}, {os.cpu_count()} cores, commit {commit}, "
        f"load average {load:.1f} at the start (the machine was shared), by "
        f"`python -m benchmarks.output_formats` (how: its docstring). Source: "
        f"{shape[2]}×{shape[1]} pixels × {shape[0]} bands, float32 ({raw / 2**20:.0f} MB raw), "
        f"written again in regions of {REGION} pixels through `TiledOutput`.", "",
        "| output | write s | CPU s | MB/s (raw) | size MB | ratio | max error | PSNR of the stored values | "
        "zoomed-out view s | QGIS render s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, rec, worst, quality, view, render in rows:
        lines.append(
            f"| {label} | {rec['write_s']:.1f} | {rec['cpu_s']:.1f} | {raw / 2**20 / rec['write_s']:.0f} | "
            f"{rec['bytes'] / 2**20:.0f} | {raw / rec['bytes']:.2f} | {worst:.2g} | "
            f"{'lossless' if quality == float('inf') else f'{quality:.1f} dB'} | {view:.2f} | "
            f"{_seconds(render)} |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
