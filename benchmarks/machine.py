"""What this machine does per second, measured: the rates the roofline's lower bounds divide by.

One core each (the bounds are in core-seconds): memory bandwidth (a 512 MB copy: bytes read and
written), float32 matrix product (``torch.mm``, 2048²), FFT (a float64 ``rfft2`` of 24 maps
of 1024², counted as ``2.5 N log2 N`` flops per map), the codecs on real fused data (float32 with
the floating-point predictor, through GDAL on a 240² × 198 tile stack, MB of raw data per
second, compressing and decoding), and the disk (writing 1 GB with ``fsync``; reading it back
comes from the page cache, i.e. memory). Each rate is the best of three: the machine is shared,
and the best run is the one least disturbed.

Usage::

    python -m benchmarks.machine [--data fused.tif] [--json out.json]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from fusion_core.io.output_format import OutputOptions

#: Codecs timed (raw MB/s through GDAL, one thread): the inputs' (DEFLATE 6 with the
#: floating-point predictor), the old output's (the same) and the new default (ZSTD 1).
CODECS = {
    "DEFLATE 6 + float predictor": OutputOptions(codec="DEFLATE", level=6, predictor=True),
    "ZSTD 1 + float predictor": OutputOptions(predictor=True),
    "ZSTD 1": OutputOptions(),
    "LERC_ZSTD lossless": OutputOptions(codec="LERC_ZSTD"),
}


def best_of(run: Callable[[], float], times: int = 3) -> float:
    """The shortest of ``times`` runs of ``run`` (which returns its own seconds)."""
    return min(run() for _ in range(times))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def memory_bandwidth() -> float:
    """Bytes per second moved by a copy (read + write), one core."""
    a = np.ones(64 * 2**20)  # 512 MB of float64
    b = np.empty_like(a)
    return 2 * a.nbytes / best_of(lambda: _timed(lambda: np.copyto(b, a)))


def gemm_flops() -> float:
    """float32 matrix-product flops per second, one core."""
    n = 2048
    a, b = torch.rand(n, n), torch.rand(n, n)
    return 2 * n ** 3 / best_of(lambda: _timed(lambda: torch.mm(a, b)))


def fft_flops() -> float:
    """float64 real 2-D FFT flops per second (``2.5 N log2 N`` per map), one core."""
    x = torch.rand(24, 1024, 1024, dtype=torch.float64)
    n = 1024 * 1024
    return 24 * 2.5 * n * math.log2(n) / best_of(lambda: _timed(lambda: torch.fft.rfft2(x)))


def codec_rates(data: np.ndarray) -> dict[str, dict[str, float]]:
    """Compression and decoding speed (raw MB/s, one thread) and ratio of each codec on ``data``."""
    import rasterio

    c, h, w = data.shape
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, options in CODECS.items():
            path = Path(tmp) / "codec.tif"
            profile = dict(driver="GTiff", width=w, height=h, count=c, tiled=True, blockxsize=w,
                           blockysize=h, interleave="band", **options.profile(threads=1))

            def write(path: Path = path, profile: dict = profile) -> float:
                start = time.perf_counter()
                with rasterio.open(path, "w", **profile) as dst:
                    dst.write(data)
                return time.perf_counter() - start

            def read(path: Path = path) -> float:
                start = time.perf_counter()
                with rasterio.open(path) as src:
                    src.read()
                return time.perf_counter() - start

            write_s = best_of(write)
            read_s = best_of(read)
            out[label] = {"compress_mb_s": data.nbytes / 2**20 / write_s,
                                       "decode_mb_s": data.nbytes / 2**20 / read_s,
                                       "ratio": data.nbytes / path.stat().st_size}
    return out


def disk_write_bandwidth(folder: Optional[Path] = None) -> float:
    """Bytes per second written to disk (1 GB, ``fsync``)."""
    block = os.urandom(64 * 2**20)

    def run() -> float:
        with tempfile.NamedTemporaryFile(dir=folder) as f:
            start = time.perf_counter()
            for _ in range(16):
                f.write(block)
            f.flush()
            os.fsync(f.fileno())
            return time.perf_counter() - start

    return 16 * len(block) / best_of(run, 2)


def measure(data: Optional[np.ndarray] = None, folder: Optional[Path] = None) -> dict:
    """Every rate, on one thread (torch's setting is restored)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        rates = {"memory_bytes_s": memory_bandwidth(), "gemm_flops_s": gemm_flops(),
                 "fft_flops_s": fft_flops(), "disk_write_bytes_s": disk_write_bandwidth(folder),
                 "load_average": os.getloadavg()[0]}
    finally:
        torch.set_num_threads(threads)
    if data is not None:
        rates["codecs"] = codec_rates(data)
    return rates


def sample_tile(path: Path, side: int = 240) -> np.ndarray:
    """A ``side``² stack of all bands from the middle of a raster (real data for the codecs)."""
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(path) as src:
        return src.read(window=Window((src.width - side) // 2, (src.height - side) // 2, side, side),
                        out_dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, help="a fused raster for the codec rates")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    from .large_scene import emit

    emit(measure(sample_tile(args.data) if args.data else None), args.json)


if __name__ == "__main__":
    main()
