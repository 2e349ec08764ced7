"""Large-scene benchmark: a 3000×3000 HR-MSI and a 1000×1000×198 LR-HSI fused in bounded memory.

The scene is built from real data: the AVIRIS Jasper Ridge cube of ``../shared/data``
(100×100 pixels, 198 bands, 380–2500 nm, scaled to [0, 1] by :func:`benchmarks.scenes.load_scene`)
is tiled 30×30 times with mirrored copies (tile ``(i, j)`` flipped vertically when ``i`` is odd
and horizontally when ``j`` is odd, so the mosaic is continuous) into a 3000×3000×198 reference.
Wald's protocol at ratio 3 gives the pair: the LR-HSI is the reference blurred by a 3×3 Gaussian
PSF of FWHM 3 and decimated by 3 (1000×1000×198, 30 m pixels), the HR-MSI the reference through
the Sentinel-2A SRF of its 12 non-cirrus bands (3000×3000×12, 10 m pixels), both with 40 dB of
white noise. The pair is written strip by strip, so building it needs about 1 GB.

Usage::

    python -m benchmarks.large_scene build /tmp/large_scene
    python -m benchmarks.large_scene run /tmp/large_scene --method sscf --threads 2 \\
        --max-memory-gb 4 --json /tmp/large_scene/result.json

``run`` fuses the pair with :func:`fusion_core.pipeline.fuse_files` (degradation estimated
blindly, as a user would run it), samples the resident memory of the process and its children
every 0.2 s, and records wall time, peak RSS, throughput (HR megapixels × bands per second) and
the PSNR of four 256×256 crops against the reference (rebuilt on the fly). ``--method`` takes a
CATALOG id or index (default: the default method, SSCF) or ``module:Class``. Results go to
``benchmarks/LARGE_SCENE.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import resource
import threading
import time
from pathlib import Path
from typing import Optional

import numpy as np
import psutil
import torch
from affine import Affine
from rasterio.crs import CRS

from fusion_core.degradation import DegradationModel, sensor_psf, spatial_degrade, spectral_degrade
from fusion_core.degradation.simulate import add_noise
from fusion_core.io import RasterGrid
from fusion_core.io.output_format import OutputOptions
from fusion_core.windows.output import TiledOutput

from .scenes import SHARED, load_scene, sampled_srf

SIZE, SCALE, STRIP_LR, SNR_DB = 3000, 3, 128, 40.0
ORIGIN = (500_000.0, 4_150_000.0)  # UTM 10N, where Jasper Ridge is
CRS_UTM10N = CRS.from_epsg(32610)
#: How the pair is stored: DEFLATE level 6, as when the benchmark was first built.
INPUT_ENCODING = OutputOptions(codec="DEFLATE", level=6)


def mirrored(cube: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Pixels ``rows × cols`` of the mirrored mosaic of ``cube`` ``(C, h, w)``."""
    def fold(index, n):
        i = np.mod(index, 2 * n)
        return np.where(i < n, i, 2 * n - 1 - i)

    return cube[:, fold(rows, cube.shape[1])[:, None], fold(cols, cube.shape[2])[None, :]]


def true_model(shared: Path = SHARED) -> tuple[DegradationModel, np.ndarray, list[str]]:
    scene = load_scene("jasper_ridge", shared)
    srf, names = sampled_srf(scene, shared)
    model = DegradationModel(SCALE, sensor_psf(SCALE, float(SCALE), size=SCALE), srf,
                             scene.wavelengths, list(names), {"source": "benchmarks/large_scene.py"})
    return model, scene.cube.astype(np.float32), list(names)


def build(folder: Path, size: int = SIZE, shared: Path = SHARED) -> None:
    """Write ``lr_hsi.tif``, ``hr_msi.tif`` and ``true_model.json`` into ``folder``.

    ``size`` is the HR edge (a multiple of the ratio, 3): the full benchmark is 3000, smaller
    scenes of the same mosaic serve for profiling.
    """
    folder.mkdir(parents=True, exist_ok=True)
    model, cube, names = true_model(shared)
    hr_grid = RasterGrid(CRS_UTM10N, Affine(10.0, 0, ORIGIN[0], 0, -10.0, ORIGIN[1]), size, size)
    lr_grid = hr_grid.scaled(SCALE)
    bands = [f"{w:.1f} nm" for w in model.hsi_wavelengths]
    lr_out = TiledOutput(folder / "lr_hsi.tif", lr_grid, cube.shape[0], STRIP_LR, bands,
                         model.hsi_wavelengths, options=INPUT_ENCODING)
    hr_out = TiledOutput(folder / "hr_msi.tif", hr_grid, len(names), STRIP_LR, names, options=INPUT_ENCODING)
    lr_out.open(durable=False)
    hr_out.open(durable=False)
    rng = np.random.default_rng(0)
    n_lr = size // SCALE
    for lr_row in range(0, n_lr, STRIP_LR):  # strips of whole tiles: each tile written once
        strip = min(STRIP_LR, n_lr - lr_row)
        rows = np.arange(lr_row * SCALE, (lr_row + strip) * SCALE)
        ref = torch.from_numpy(mirrored(cube, rows, np.arange(size)))[None]
        lr = spatial_degrade(ref, model.psf, SCALE)[0].numpy()
        hr = spectral_degrade(ref, model.srf)[0].numpy()
        del ref
        lr_out.write((lr_row, 0, strip, n_lr), add_noise(lr, SNR_DB, rng))
        hr_out.write((lr_row * SCALE, 0, strip * SCALE, size), add_noise(hr, SNR_DB, rng))
        print(f"LR rows {lr_row}–{lr_row + strip} of {n_lr}", flush=True)
    lr_out.finish()
    hr_out.finish()
    model.save(folder / "true_model.json")


class PeakMemory:
    """Samples the summed resident memory of processes and their children in a background
    thread (default: this process)."""

    def __init__(self, every_s: float = 0.2, pids: Optional[list[int]] = None):
        self.peak = 0
        self._every = every_s
        self._pids = pids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._pids or [None]:
                try:
                    proc = psutil.Process(pid)
                    total += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self._every)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def load(method: str):
    """A method of the catalog by id (None: the request's), or ``module:Class`` instantiated."""
    if ":" in method:
        module, cls = method.split(":")
        return getattr(importlib.import_module(module), cls)()
    return None


def crop_psnr(output: Path, n: int = 4, side: int = 256, seed: int = 0, shared: Path = SHARED) -> float:
    """PSNR of ``n`` random ``side``² crops of the output against the mosaic reference."""
    import rasterio
    from rasterio.windows import Window

    from fusion_core.metrics import psnr

    _, cube, _ = true_model(shared)
    rng = np.random.default_rng(seed)
    values = []
    with rasterio.open(output) as ds:
        for _ in range(n):
            y, x = rng.integers(0, min(ds.height, ds.width) - side, 2)
            est = ds.read(window=Window(int(x), int(y), side, side), out_dtype=np.float32)
            scales, offsets = (np.asarray(v, np.float32)[:, None, None] for v in (ds.scales, ds.offsets))
            est = est * scales + offsets
            ref = mirrored(cube, np.arange(y, y + side), np.arange(x, x + side))
            values.append(psnr(ref, est))
    return float(np.mean(values))


def run(folder: Path, method: str, threads: int, max_memory_gb: float, device: str,
        scheduler: str, blind: bool, shared: Path = SHARED, output: Optional[OutputOptions] = None,
        stages: bool = False, keep: bool = False) -> dict:
    """Fuse the pair of ``folder`` once; the record of ``LARGE_SCENE.md`` (see the module docstring).

    ``stages`` times each stage on every thread (:mod:`benchmarks.stages`); ``keep`` keeps the output.
    """
    import os

    import rasterio

    from fusion_core import FusionRequest, fuse_files
    from fusion_core.progress import Progress

    from .stages import StageClock

    torch.set_num_threads(threads)
    out = folder / f"fused_{method.replace(':', '_')}_{device}.tif"
    log = []
    progress = Progress(lambda pct, msg: None, log=lambda m: (log.append(m), print(m, flush=True)))
    clock = StageClock() if stages else None
    load_before = os.getloadavg()
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    with PeakMemory() as mem, (clock or contextlib.nullcontext()):
        output = output or OutputOptions()
        request = FusionRequest(
            str(folder / "lr_hsi.tif"), str(folder / "hr_msi.tif"), str(out), device=device,
            method=method if ":" not in method else "sscf",
            max_memory_gb=max_memory_gb, dask_scheduler=scheduler,
            degradation=None if blind else str(folder / "true_model.json"),
            output_format=output.format, output_compression=output.codec, output_type=output.dtype,
            output_scale=output.scale, output_overviews=output.overviews)
        result = fuse_files(request, progress, method=load(method))
    wall = time.perf_counter() - t0
    bands = result.model.n_hsi_bands
    with rasterio.open(out) as ds:
        hr_pixels = ds.width * ds.height
    record = {
        "method": method, "device": device, "torch_threads": threads, "dask": scheduler or None,
        "max_memory_gb": max_memory_gb, "output": str(output), "wall_s": round(wall, 1),
        "cpu_s": round(_cpu_seconds() - cpu0, 1),
        "load_average_before": [round(v, 1) for v in load_before],
        "load_average_after": [round(v, 1) for v in os.getloadavg()],
        "seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        "peak_rss_gb_sampled": round(mem.peak / 2**30, 3),
        "peak_rss_gb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "throughput_mpx_bands_per_s": round(hr_pixels / 1e6 * bands / wall, 2),
        "output_gb": round(out.stat().st_size / 2**30, 2),
        "psnr_4_crops_db": round(crop_psnr(out, shared=shared), 2),
        "log": log,
    }
    if clock is not None:
        record["stages"] = clock.report()
    if not keep:
        out.unlink()
    return record


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (an embedded cluster's workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED,
                        help="the project's shared data folder (default ../shared/data)")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("folder", type=Path)
    b.add_argument("--size", type=int, default=SIZE, help="HR edge, a multiple of 3 (default 3000)")
    r = sub.add_parser("run")
    r.add_argument("folder", type=Path)
    r.add_argument("--method", default="sscf")
    r.add_argument("--threads", type=int, default=2)
    r.add_argument("--max-memory-gb", type=float, default=4.0)
    r.add_argument("--device", default="cpu")
    r.add_argument("--dask", default="")
    r.add_argument("--true-model", action="store_true", help="use the true degradation model")
    r.add_argument("--json", type=Path)
    r.add_argument("--stages", action="store_true", help="time each stage (benchmarks/stages.py)")
    r.add_argument("--keep", action="store_true", help="keep the fused raster")
    r.add_argument("--format", default="GTiff")
    r.add_argument("--codec", default="ZSTD")
    r.add_argument("--dtype", default="float32")
    args = parser.parse_args()
    if args.command == "build":
        build(args.folder, args.size, args.shared)
        return
    output = OutputOptions(format=args.format, codec=args.codec, dtype=args.dtype)
    record = run(args.folder, args.method, args.threads, args.max_memory_gb, args.device,
                 args.dask, not args.true_model, args.shared, output, args.stages, args.keep)
    emit(record, args.json)


def emit(record: dict, path: Optional[Path]) -> None:
    """Print a record as JSON, and write it to ``path`` when given."""
    text = json.dumps(record, indent=1)
    print(text)
    if path:
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
