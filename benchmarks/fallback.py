"""Changes between the dates and HR-MSI masks: fused, flagged and taken from the LR-HSI alone.

Each pair of ``benchmarks/trust.py``'s swaps (Jasper Ridge, AVIRIS with Sentinel-2 bands; Pavia
Centre, ROSIS with WorldView-2 bands; r = 4, clean and 35 dB) gets a 24×24 HR-pixel patch of its
HR-MSI (6 % of the 100×100 scene) replaced by the same sensor's view of another scene (Potsdam,
EnMAP; SAMSON) at two places: a change seen only by the HR-MSI, as a new building or a harvested
field between the dates. The issue's pair is Jasper Ridge at 35 dB with the patch at (60, 60):
its first blind model was spoilt and the run refused or fused it wrong. A third case masks the
same 24×24 area of the HR-MSI (nodata: a cloud mask) instead.

Each is fused by SSCF (default settings) through :func:`fusion_core.pipeline.fuse_arrays` with
the degradation model estimated blindly, as users run it, with DISAGREEMENT_FROM_HSI on (the
default) and off. The truth everywhere is the scene the LR-HSI sees. Error against it (PSNR with
each band's peak over the whole reference, and SAM), by the run's PROVENANCE:

* inside the patch (taken from the LR-HSI alone: at least bicubic's quality is the aim);
* in the margin around it taken from the LR-HSI alone or blended (PSF reach and ramp: the seam);
* in the clear rest (fused), against the run on the same pair without the patch.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.fallback [--threads 2]

writes ``benchmarks/FALLBACK.md`` (about ten minutes on a busy 2-core CPU).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import numpy as np
import torch

from benchmarks.run_methods import machine
from benchmarks.scenes import SimulatedScene
from benchmarks.trust import HERE, PATCH, _commit, swap_pairs
from fusion_core import FusionRequest, fuse_arrays
from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import psf_fwhm
from fusion_core.errors import InputError
from fusion_core.metrics import sam
from fusion_core.pipeline.provenance import FUSED

#: Where the patch is pasted (HR row, column of its top-left corner).
PLACES = ((20, 36), (60, 60))


def region_errors(reference: np.ndarray, estimate: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """PSNR (dB; each band's peak over the whole reference) and SAM (degrees) over the HR
    pixels ``where`` ``(H, W)``."""
    ref, est = reference[:, where], estimate[:, where]
    peak = reference.max(axis=(1, 2))
    mse = np.mean((ref - est) ** 2, axis=1)
    return float(np.mean(10 * np.log10(peak ** 2 / mse))), sam(ref[:, :, None], est[:, :, None])


def _fuse(pair: SimulatedScene, hr: np.ndarray, on: bool):
    request = FusionRequest(seed=0, disagreement_from_hsi=on)
    return fuse_arrays(request, pair.lr_hsi, hr, wavelengths=pair.model.hsi_wavelengths,
                       msi_band_names=pair.model.msi_band_names)


def case_row(row: dict, pair: SimulatedScene, hr: np.ndarray, patch: np.ndarray, clean) -> dict:
    """Errors inside the patch, in the margin around it and in the clear rest, with the option
    on and off, beside bicubic and (the rest) the run on the pair without the patch."""
    runs = {}
    for label, on in (("with", True), ("without", False)):
        try:
            runs[label] = _fuse(pair, hr, on)
        except InputError as exc:
            return {**row, "refused": str(exc)}
    codes = runs["with"].provenance
    replaced = codes > FUSED
    regions = {"patch": patch, "margin": replaced & ~patch, "rest": ~replaced & ~patch}
    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), pair.scale).numpy()
    out = {**row, "psf_fwhm": [float(v) for v in psf_fwhm(runs["with"].model.psf)],
           "replaced_share": float(replaced.mean())}
    images = {"with": runs["with"].fused, "without": runs["without"].fused, "clean pair": clean.fused,
              "bicubic": bicubic}
    for name, where in regions.items():
        if where.any():
            out[name] = {label: region_errors(pair.reference, image, where)
                         for label, image in images.items()}
    return out


def cases():
    """``(row, pair, hr, patch, clean run)`` of every case (see the module docstring)."""
    for donor, snr, base, other in swap_pairs():
        clean = _fuse(base, base.hr_msi, True)
        row = {"scene": base.name, "snr_db": snr, "clean_psf_fwhm": [float(v) for v in psf_fwhm(clean.model.psf)]}
        oh, ow = other.hr_msi.shape[1:]
        for top, left in PLACES:
            patch = np.zeros(base.hr_msi.shape[1:], bool)
            patch[top:top + PATCH, left:left + PATCH] = True
            planted = base.hr_msi.copy()
            r0, c0 = min(top, oh - PATCH), min(left, ow - PATCH)
            planted[:, patch] = other.hr_msi[:, r0:r0 + PATCH, c0:c0 + PATCH].reshape(planted.shape[0], -1)
            yield {**row, "case": f"change from {donor} at ({top}, {left})"}, base, planted, patch, clean
        masked = base.hr_msi.copy()
        masked[:, patch] = np.nan
        yield {**row, "case": f"HR-MSI masked at ({top}, {left})"}, base, masked, patch, clean


def render(rows: list[dict], stamp: str) -> str:
    """FALLBACK.md from the rows."""
    lines = ["# Changes and HR-MSI masks: fused, flagged and taken from the LR-HSI alone", "",
             f"{stamp}. Command: `OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.fallback "
             "--threads 2` (protocol: its docstring). SSCF, default settings, blind estimation, "
             "through `fuse_arrays`, with DISAGREEMENT_FROM_HSI on (the default) and off. PSNR in dB "
             "(each band's peak over the whole reference) / SAM in degrees, against the scene the "
             "LR-HSI sees. Regions by the run's PROVENANCE.", "",
             "| scene | SNR | case | PSF FWHM (HR px; clean pair's) | replaced (% of scene) | region "
             "| option on (default) | option off | run on the pair without the patch | bicubic LR-HSI |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        clean = "×".join(f"{v:.2f}" for v in row["clean_psf_fwhm"])
        head = f"| {row['scene']} | {row['snr_db'] or 'clean'} | {row['case']} | "
        if "refused" in row:
            lines.append(head + f"refused: {row['refused']} ({clean}) | | | | | | |")
            continue
        head += f"{'×'.join(f'{v:.2f}' for v in row['psf_fwhm'])} ({clean}) | {100 * row['replaced_share']:.1f} % | "
        for name, label in (("patch", "inside the patch"), ("margin", "margin around it (seam)"),
                            ("rest", "clear rest")):
            if name not in row:
                continue
            cells = " | ".join(f"{row[name][k][0]:.2f} / {row[name][k][1]:.2f}"
                               for k in ("with", "without", "clean pair", "bicubic"))
            lines.append(head + f"{label} | {cells} |")
            head = "| | | | | | "
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", default=str(HERE / "FALLBACK.md"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows: list[dict] = []
    for row, pair, hr, patch, clean in cases():
        rows.append(case_row(row, pair, hr, patch, clean))
        print({k: v for k, v in rows[-1].items() if k in ("scene", "snr_db", "case", "psf_fwhm", "refused")},
              flush=True)
    stamp = f"Measured {date.today().isoformat()} on {machine()}, commit `{_commit()}`"
    Path(args.out).write_text(render(rows, stamp), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
