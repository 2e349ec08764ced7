"""What DISAGREEMENT_FROM_HSI buys and costs, on the planted-change pairs of ``benchmarks/trust.py``.

Each planted pair (a 24×24 HR-pixel patch of the HR-MSI replaced by the same sensor's view of
another scene: a change seen only by the HR-MSI) is fused by SSCF (default settings) through
:func:`fusion_core.pipeline.fuse_arrays`, with and without the option. The truth everywhere is
the reference the LR-HSI was simulated from, so inside the patch the right answer is what the
LR-HSI sees. Error against it (PSNR with each band's peak over the whole reference, and SAM):

* inside the patch (what the option buys);
* in the margin replaced around it (the flagged area's rest, the PSF's reach and the feather:
  HR pixels whose LR-HSI weight is above zero, outside the patch), where the true scene is the
  same in both images, so the HR-MSI's detail is lost there (what it costs);
* everywhere else, which the option leaves bit for bit as it was (checked, and shown).

Each pair is fused twice over: with the degradation model estimated blindly on it, as users
run it (the patch takes part in the estimation; Pavia Centre ← SAMSON is refused, see
TRUST.md), and with the model estimated blindly on the same pair without the patch given
(DEGRADATION: the option's own effect, the model being right). Bicubic interpolation of the
LR-HSI is shown for scale.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.fallback [--threads 2]

writes ``benchmarks/FALLBACK.md`` (a few minutes on a busy 2-core CPU).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from benchmarks.run_methods import machine
from benchmarks.scenes import SimulatedScene
from benchmarks.trust import HERE, _commit, planted_pairs
from fusion_core import FusionRequest, fuse_arrays
from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel
from fusion_core.errors import InputError
from fusion_core.metrics import sam
from fusion_core.pipeline.disagreement import hsi_fallback, measure_disagreement
from fusion_core.windows.in_memory import ArraySource


def region_errors(reference: np.ndarray, estimate: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """PSNR (dB; each band's peak over the whole reference) and SAM (degrees) over the HR
    pixels ``where`` ``(H, W)``."""
    ref, est = reference[:, where], estimate[:, where]
    peak = reference.max(axis=(1, 2))
    mse = np.mean((ref - est) ** 2, axis=1)
    return float(np.mean(10 * np.log10(peak ** 2 / mse))), sam(ref[:, :, None], est[:, :, None])


def _fuse(pair: SimulatedScene, model: Optional[DegradationModel], on: bool):
    request = FusionRequest(seed=0, disagreement_from_hsi=on)
    return fuse_arrays(request, pair.lr_hsi, pair.hr_msi, model=model,
                       wavelengths=pair.model.hsi_wavelengths)


def fallback_row(row: dict, pair: SimulatedScene, patch: np.ndarray,
                 model: Optional[DegradationModel]) -> dict:
    """Errors inside the patch, in the replaced margin and elsewhere, with and without the option
    (``model`` given, or estimated blindly when None)."""
    without = _fuse(pair, model, False)
    given = model is not None
    used = without.model
    with_option = _fuse(pair, model, True)
    found = measure_disagreement(ArraySource.whole(pair.lr_hsi, pair.hr_msi, pair.scale), used, 2 ** 28)
    fallback = hsi_fallback(found, used)
    shape = pair.lr_hsi.shape[1:]
    weight = (fallback.weights((0, 0, *shape), pair.scale) if fallback is not None
              else np.zeros(pair.hr_msi.shape[1:], np.float32))
    regions = {"patch": patch, "margin": (weight > 0) & ~patch, "rest": weight == 0}
    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), pair.scale).numpy()
    out = {**row, "model": "given (clean pair's)" if given else "blind", "areas": found.areas,
           "replaced_share": float((weight > 0).mean()),
           "rest_identical": bool(np.array_equal(with_option.fused[:, weight == 0],
                                                 without.fused[:, weight == 0]))}
    for name, where in regions.items():
        if where.any():
            out[name] = {label: region_errors(pair.reference, image, where)
                         for label, image in (("without", without.fused), ("with", with_option.fused),
                                              ("bicubic", bicubic))}
    return out


def render(rows: list[dict], stamp: str) -> str:
    """FALLBACK.md from the rows."""
    lines = ["# Fusing the areas where the inputs disagree from the LR-HSI alone", "",
             f"{stamp}. Command: `OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.fallback "
             "--threads 2` (protocol: its docstring). SSCF, default settings, through `fuse_arrays`, "
             "without and with DISAGREEMENT_FROM_HSI (`--disagreement-from-hsi`). PSNR in dB (each "
             "band's peak over the whole reference) / SAM in degrees, against the scene the LR-HSI "
             "sees.", "",
             "| scene | patch from | SNR | model | areas | replaced (% of scene) | region "
             "| without option | with option | bicubic LR-HSI |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        head = f"| {row['scene']} | {row['donor']} | {row['snr_db'] or 'clean'} | {row['model']} | "
        if "refused" in row:
            lines.append(head + f"| | refused by the blind estimation: {row['refused']} | | | |")
            continue
        head += f"{row['areas']} | {100 * row['replaced_share']:.1f} % | "
        for name, label in (("patch", "inside the patch"), ("margin", "replaced margin around it"),
                            ("rest", "rest of the scene")):
            if name not in row:
                continue
            cells = " | ".join(f"{row[name][k][0]:.2f} / {row[name][k][1]:.2f}"
                               for k in ("without", "with", "bicubic"))
            lines.append(head + f"{label} | {cells} |")
            head = "| | | | | | | "
        lines.append(head + "rest bit-identical without and with | "
                     + ("yes" if row["rest_identical"] else "**no**") + " | | |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--out", default=str(HERE / "FALLBACK.md"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows: list[dict] = []
    clean_model: Optional[DegradationModel] = None
    for row, pair, patch in planted_pairs():
        if patch is None:
            clean_model = _fuse(pair, None, False).model
            continue
        try:
            rows.append(fallback_row(row, pair, patch, None))
        except InputError as exc:
            rows.append({**row, "model": "blind", "refused": str(exc)})
        rows.append(fallback_row(row, pair, patch, clean_model))
        print(rows[-2:], flush=True)
    stamp = f"Measured {date.today().isoformat()} on {machine()}, commit `{_commit()}`"
    Path(args.out).write_text(render(rows, stamp), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
