"""How much the fused output compresses: the free space the preflight check asks for.

Every real hyperspectral cube in ``../shared/data`` (clipped at 0 and divided by its maximum, as
the benchmark scenes are) is written exactly as a fused image is, by
:class:`fusion_core.windows.TiledOutput` with the default output options (float32, ZSTD
level 1, tiled BigTIFF), once as it is and once upsampled ×4 bicubically (as smooth as a fused image gets); the
ratio is raw bytes over file bytes. The least ratio is what
:data:`fusion_core.pipeline.preflight.COMPRESSION` assumes.

Run ``.venv/bin/python -m benchmarks.output_compression [--shared ../shared/data]`` (writes
``OUTPUT_COMPRESSION.md``).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import scipy.io as sio
import torch
from affine import Affine
from rasterio.crs import CRS

from benchmarks.run_methods import machine
from benchmarks.scenes import SHARED
from fusion_core.baselines import bicubic_upsample
from fusion_core.io import RasterGrid
from fusion_core.pipeline.preflight import COMPRESSION
from fusion_core.windows import TiledOutput

OUT = Path(__file__).with_name("OUTPUT_COMPRESSION.md")


def cubes(shared: Path) -> list[tuple[str, np.ndarray]]:
    """(file and array name, cube ``(C, H, W)`` clipped at 0 and scaled to [0, 1])."""
    found = []
    for path in sorted(shared.glob("*.mat")):
        for key, value in sio.loadmat(path).items():
            if isinstance(value, np.ndarray) and value.ndim == 3 and min(value.shape) > 3:
                cube = np.clip(value.astype(np.float64), 0.0, None).transpose(2, 0, 1)
                found.append((f"{path.name}:{key}", (cube / cube.max()).astype(np.float32)))
    return found


def ratio(data: np.ndarray, folder: Path) -> float:
    """Raw bytes of ``data`` over the bytes of the file TiledOutput writes of it."""
    c, h, w = data.shape
    grid = RasterGrid(CRS.from_epsg(32633), Affine(10.0, 0, 0, 0, -10.0, 0), w, h)
    path = folder / "fused.tif"
    output = TiledOutput(path, grid, c, 16 * max(1, min(16, min(h, w) // 16)))
    output.open()
    output.write((0, 0, h, w), data)
    output.finish()
    return data.nbytes / path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the real scenes' folder")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, cube in cubes(parser.parse_args().shared):
            upsampled = bicubic_upsample(torch.from_numpy(cube), 4).numpy()
            for label, data in (("as is", cube), ("×4 bicubic", upsampled)):
                rows.append((name, label, "×".join(map(str, data.shape)), ratio(data, Path(tmp))))
                print(*rows[-1], flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    least = min(r[3] for r in rows)
    lines = [
        "# How much the fused output compresses", "",
        f"Measured {date.today()} on {machine()}, commit {commit}, by "
        "`python -m benchmarks.output_compression` (how: its docstring). Raw float32 bytes over "
        "the bytes of the GeoTIFF the fusion writes (default options: ZSTD level 1, tiles).", "",
        "| cube | as | bands×rows×columns | ratio |", "|---|---|---|---|",
        *[f"| {n} | {label} | {shape} | {r:.2f} |" for n, label, shape, r in rows], "",
        f"Least ratio: {least:.2f}. The free-space check before a run assumes "
        f"{COMPRESSION:g} (`fusion_core/pipeline/preflight.py`), plus a 10 % margin.", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"least ratio {least:.2f}; wrote {OUT}")


if __name__ == "__main__":
    main()
