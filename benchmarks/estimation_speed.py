"""Speed (and accuracy) of the blind degradation estimate on a 240×240 HR-MSI with r = 8.

The HR-HSI is Jasper Ridge (AVIRIS, 198 bands) mirrored to 240×240 pixels; the HR-MSI has ten
Sentinel-2A bands whose true curves sit 10 nm off the published table; the PSF is a 17×17
anisotropic Gaussian, off the grid by (2, 1) HR pixels; 30 dB noise on both images. Also times
the TianGong-1 pair (r = 12). Prints a Markdown table row per case for benchmarks/ESTIMATION.md.

Run: ``.venv/bin/python benchmarks/estimation_speed.py`` (needs ../shared/data).
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.io as sio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fusion_core.degradation import DegradationModel, sensor_psf, simulate_pair  # noqa: E402
from fusion_core.estimation import estimate_degradation  # noqa: E402
from fusion_core.srf import SrfPrior, SrfTable, load_preset, resample_srf  # noqa: E402

DATA = REPO.parent / "shared" / "data"
BANDS = ["B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12"]
REPEATS = 3


def psf_error(est: np.ndarray, true: np.ndarray, r: int) -> float:
    size = max(est.shape[0], true.shape[0]) + 2

    def frame(k):
        out = np.zeros((size, size))
        o = (size - r) // 2 - (k.shape[0] - r) // 2
        out[o:o + k.shape[0], o:o + k.shape[1]] = k
        return out

    return float(np.linalg.norm(frame(est) - frame(true)) / np.linalg.norm(true))


def timed(fn):
    times, result = [], None
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, min(times), float(np.median(times))


def jasper_case():
    mat = sio.loadmat(DATA / "jasper_ridge_aviris_100x100x198.mat")
    cube = np.clip(mat["cube"].astype(np.float64), 0, None).transpose(2, 0, 1)
    cube = np.pad(cube / cube.max(), ((0, 0), (70, 70), (70, 70)), mode="reflect")
    wl = mat["wavelengths_nm"].ravel()
    table = load_preset("sentinel-2a").select(BANDS)
    truth = DegradationModel(8, sensor_psf(8, (10.0, 5.0), size=17, angle_deg=30, shift=(2.0, 1.0)),
                             resample_srf(SrfTable("+10 nm", table.wavelengths + 10, table.responses,
                                                   table.band_names), wl), wl)
    lr, hr = simulate_pair(cube, truth, snr_db=30, seed=0)
    return cube, wl, table, truth, lr, hr


def stamp() -> str:
    """The line naming the machine, the date and the commit of a run."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    return f"machine: {cpu}, {os.cpu_count()} cores; date {datetime.date.today()}; commit {commit}"


def main() -> None:
    print(stamp())
    print("| case | shape (HR-MSI, r, C×M) | time min / median (s) | PSF error | SRF effect error | SRF error |")
    print("|---|---|---|---|---|---|")
    cube, wl, table, truth, lr, hr = jasper_case()
    ref = np.einsum("chw,cm->mhw", cube, truth.srf)
    for label, prior in (("blind", None), ("published table as prior", SrfPrior.from_table(table, wl))):
        model, t_min, t_med = timed(lambda prior=prior: estimate_degradation(lr, hr, 8, srf_prior=prior,
                                                                      hsi_wavelengths=wl))
        effect = np.linalg.norm(np.einsum("chw,cm->mhw", cube, model.srf) - ref) / np.linalg.norm(ref)
        srf_err = np.linalg.norm(model.srf - truth.srf) / np.linalg.norm(truth.srf)
        print(f"| Jasper mirrored, 30 dB, {label} | 240×240×10, r=8, 198×10 | {t_min:.2f} / {t_med:.2f} | "
              f"{100 * psf_error(model.psf, truth.psf, 8):.1f} % | {100 * effect:.2f} % | {100 * srf_err:.1f} % |")
    folder = DATA / "tiangong1_r12"

    def load(name):
        return next(v for k, v in sio.loadmat(folder / f"{name}.mat").items() if not k.startswith("__"))

    lr, hr, psf, srf = (load("lr_hsi").transpose(2, 0, 1), load("hr_msi").transpose(2, 0, 1),
                        load("psf_gt"), load("srf_gt"))
    model, t_min, t_med = timed(lambda: estimate_degradation(lr, hr, 12))
    print(f"| TianGong-1 (no noise), blind | 240×240×8, r=12, 54×8 | {t_min:.2f} / {t_med:.2f} | "
          f"{100 * psf_error(model.psf, psf, 12):.1f} % | — | "
          f"{100 * np.linalg.norm(model.srf - srf) / np.linalg.norm(srf):.1f} % |")


if __name__ == "__main__":
    main()
