"""The roofline of a large-scene run: each stage's measured CPU time beside a lower bound.

A stage's lower bound is the least time this machine needs for the work the stage cannot
avoid, on one core: the bytes it must move over the measured memory (or disk, or codec) rate,
or the flops it must do over the measured float32 matrix-product (or FFT) rate, whichever is
larger (:mod:`benchmarks.machine` measures the rates). The work is counted from the scene
(``N`` HR pixels, ``n`` LR pixels, ``C`` HSI and ``M`` MSI bands), the method's subspace size
``p`` (the mean over the windows, from the log) and the share ``s`` of the scene the windows
read (halo and ramp included, from the layout line of the log):

* read inputs: both inputs decoded once, ``4 (C n + M N)`` bytes at the input codec's decoding rate;
* estimation: the Gram matrix of the estimation crop, ``2 (C + 1)² n_crop`` flops;
* spectral maps: at HR, the local map applied, ``10 p M N s`` flops (bilinear weights and the
  product); at LR, its box sums and solves, ``(10 (M²/2 + 2 p M) + 2 M² p) n s`` flops, and
  the Gram matrix of the LR pixels the noise estimates and the subspace come from,
  ``2 (C + M)² n s`` flops in float64 (counted at half the float32 rate);
* scene scan: the masks and the disagreement map, the LR-MSI and the SRF integral of the LR-HSI
  ``2 (C M + r² M) n`` flops (its reads count as reads);
* alignment: per window, 25 trial kernels, forward and backward, on the 64² LR fit square
  (``3 · 8 M (64 r)²`` flops each), and the warp of the window (two FFTs of ``M`` maps);
* consistency solve: per channel, an FFT of the LR residual and an inverse real FFT at HR
  (``2.5 N s log2 N`` flops), at the FFT rate;
* band composition: ``2 C (M + p) N s`` flops at the matrix-product rate;
* blend: the weighted output read and written once, ``8 C N s`` bytes;
* compress: the output, ``4 C N`` bytes, at the output codec's compression rate;
* write: the compressed output at the disk's rate;
* report: not bounded (its scans and figures; shown for completeness).

Usage: ``python -m benchmarks.roofline <run.json> <machine.json>`` prints the table (the
``compare`` command of :mod:`benchmarks.large_scene` writes it into ``LARGE_SCENE.md``).
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Optional

#: Stages of :mod:`benchmarks.stages` whose CPU time is compared with each bound.
MEASURED = {
    "read inputs": ("read inputs",),
    "estimation": ("estimation",),
    "spectral maps": ("spectral maps", "window: the rest (normalising, the method's small steps)"),
    "alignment": ("alignment",),
    "consistency solve": ("consistency solve",),
    "band composition": ("band composition",),
    "blend": ("blend (weights, sums)",),
    "compress + write": ("encode + write (calling thread)", "GDAL threads (compression) and the rest"),
    "scene scan": ("scene scan (masks, disagreement)",),
    "report": ("report",),
    "other Python": ("other Python (main thread, outside the stages)",),
}


def scene_facts(record: dict, shape: tuple[int, int, int, int], scale: int) -> dict:
    """Counts the bounds need, from the run's log and the scene's shape ``(C, M, H, W)``."""
    from fusion_core.windows.layout import AxisLayout

    c, m, h, w = shape
    log = record["log"]
    dims = [int(v) for line in log for v in re.findall(r"signal subspace of (\d+) components", line)]
    layout = next(line for line in log if "window(s)" in line)
    core = int(re.search(r"cores of (\d+) HR", layout).group(1)) // scale
    halo = int(re.search(r"halo of (\d+)", layout).group(1))
    ramp = int(re.search(r"ramp of (\d+)", layout).group(1))
    windows = int(re.search(r"(\d+) window\(s\)", layout).group(1))
    share = 1.0
    for n in (h // scale, w // scale):
        axis = AxisLayout.build(n, core, halo, ramp)
        share *= sum(axis.extent(k)[1] - axis.extent(k)[0] for k in range(axis.count)) / n
    crop = next((re.search(r"on the (\d+)×(\d+) LR pixels", line) for line in log
                 if "estimated on the" in line), None)
    n_crop = int(crop.group(1)) * int(crop.group(2)) if crop else (h // scale) * (w // scale)
    return {"C": c, "M": m, "N": h * w, "n": h * w // scale ** 2, "p": sum(dims) / max(len(dims), 1),
            "s": share, "windows": windows, "n_crop": n_crop, "r": scale}


def bounds(f: dict, rates: dict, output_bytes: float, input_codec: str, output_codec: str) -> dict:
    """Lower bound of each stage in core-seconds, and how it is reached."""
    c, m, big, n, p, s, r = f["C"], f["M"], f["N"], f["n"], f["p"], f["s"], f["r"]
    gemm, fft, mem = rates["gemm_flops_s"], rates["fft_flops_s"], rates["memory_bytes_s"]
    mb = 2 ** 20
    fit = 64 * r
    align = f["windows"] * (25 * 3 * 8 * m * fit ** 2 + 2 * 2.5 * m * (big * s / f["windows"])
                            * math.log2(big * s / f["windows"]))
    solve = p * (2.5 * big * s * math.log2(big * s / f["windows"])
                 + 5 * n * s * math.log2(n * s / f["windows"]))
    decode, gram = rates["codecs"][input_codec]["decode_mb_s"], 2 * (c + 1) ** 2 * f["n_crop"]
    maps = (10 * p * m * big * s + (10 * (m * m / 2 + 2 * p * m) + 2 * m * m * p) * n * s
            + 2 * 2 * (c + m) ** 2 * n * s)  # the Gram in float64: twice the float32 time
    scan = 2 * (c * m + r * r * m) * n
    compress = rates["codecs"][output_codec]["compress_mb_s"]
    return {
        "read inputs": (4 * (c * n + m * big) / (decode * mb),
                        f"{4 * (c * n + m * big) / 2**30:.2f} GB decoded at {decode:.0f} MB/s"),
        "estimation": (gram / gemm, f"Gram of {f['n_crop'] / 1e3:.0f} k LR pixels, {gram / 1e9:.0f} GFLOP"),
        "spectral maps": (maps / gemm, f"{maps / 1e9:.0f} GFLOP"),
        "alignment": (align / fft, f"{align / 1e9:.0f} GFLOP at the FFT rate"),
        "consistency solve": (solve / fft, f"{solve / 1e9:.0f} GFLOP at the FFT rate"),
        "band composition": (2 * c * (m + p) * big * s / gemm, f"{2 * c * (m + p) * big * s / 1e9:.0f} GFLOP"),
        "blend": (8 * c * big * s / mem, f"{8 * c * big * s / 2**30:.1f} GB through memory"),
        "compress + write": (4 * c * big / (compress * mb) + output_bytes / rates["disk_write_bytes_s"],
                             f"{4 * c * big / 2**30:.1f} GB at {compress:.0f} MB/s, "
                             f"{output_bytes / 2**30:.1f} GB at {rates['disk_write_bytes_s'] / mb:.0f} MB/s to disk"),
        "scene scan": (scan / gemm, f"{scan / 1e9:.0f} GFLOP (its reads are under read inputs)"),
        "report": (0.0, "not bounded"),
        "other Python": (0.0, "not bounded (the main thread outside the stages)"),
    }


def table(record: dict, rates: dict, shape: tuple[int, int, int, int], scale: int,
          input_codec: str = "DEFLATE 6 + float predictor", output_codec: str = "ZSTD 1",
          before: Optional[dict] = None) -> list[str]:
    """Markdown rows: stage, measured CPU s (and ``before``'s, a run of an earlier commit, when
    given), lower bound s, ratio, how the bound is counted."""
    facts = scene_facts(record, shape, scale)
    stages = record["stages"]["stages_cpu_s"]
    limits = bounds(facts, rates, record["output_gb"] * 2**30, input_codec, output_codec)
    old = before["stages"]["stages_cpu_s"] if before is not None else None
    lines = [
        f"Scene: N = {facts['N'] / 1e6:.0f} M HR pixels, C = {facts['C']}, M = {facts['M']}, "
        f"p = {facts['p']:.1f} (mean subspace size), windows read s = {facts['s']:.2f} × the "
        f"scene ({facts['windows']} windows). Rates (one core, best of three): memory "
        f"{rates['memory_bytes_s'] / 1e9:.1f} GB/s, float32 product {rates['gemm_flops_s'] / 1e9:.0f} "
        f"GFLOP/s, FFT {rates['fft_flops_s'] / 1e9:.1f} GFLOP/s, disk write "
        f"{rates['disk_write_bytes_s'] / 2**20:.0f} MB/s (load average {rates['load_average']:.1f} "
        "while measuring).", "",
        "| stage | " + ("before, CPU s | " if old is not None else "")
        + "measured, CPU s (all threads) | lower bound, core-s | measured / bound | bound counted as |",
        "|---|---|---|---|---|" + ("---|" if old is not None else ""),
    ]
    total_measured = total_bound = total_old = 0.0
    for stage, names in MEASURED.items():
        measured = sum(stages.get(name, 0.0) for name in names)
        bound, how = limits[stage]
        total_measured += measured
        total_bound += bound
        ratio = f"{measured / bound:.0f}×" if bound > 0 else "—"
        earlier = ""
        if old is not None:
            value = sum(old.get(name, 0.0) for name in names)
            total_old += value
            earlier = f"{value:.1f} | "
        lines.append(f"| {stage} | {earlier}{measured:.1f} | {bound:.1f} | {ratio} | {how} |")
    earlier = f"**{total_old:.1f}** | " if old is not None else ""
    lines.append(f"| **all stages** | {earlier}**{total_measured:.1f}** | **{total_bound:.1f}** | "
                 f"{total_measured / total_bound:.0f}× | process CPU {record['cpu_s']:.0f} s, wall "
                 f"{record['wall_s']:.0f} s on {record['torch_threads']} threads |")
    return lines


def main() -> None:
    record = json.loads(Path(sys.argv[1]).read_text())
    rates = json.loads(Path(sys.argv[2]).read_text())
    print("\n".join(table(record, rates, (198, 12, 3000, 3000), 3)))


if __name__ == "__main__":
    main()
