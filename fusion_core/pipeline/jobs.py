"""The other file-to-file jobs: simulate a pair, estimate its degradation, score a result.

Each checks its inputs before any compute, reads rasters with their georeferencing and writes
outputs atomically, so a failed or cancelled job leaves nothing behind. Estimation plans the pair
exactly as a fusion run does (:func:`fusion_core.pipeline.plan.plan_run`), so the model it writes
fits the fusion of the same pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..degradation import DegradationModel, normalize_psf, sensor_psf, simulate_pair
from ..errors import InputError
from ..io import RasterGrid, read_raster, write_raster
from ..progress import Progress
from ..request import FusionRequest
from ..srf.source import SrfSource
from .preflight import estimation_files, guarded, metrics_report_files, simulation_files

__all__ = ["simulate_pair_files", "estimate_files", "metrics_files", "load_psf_kernel"]


def load_psf_kernel(path: str) -> np.ndarray:
    """Read a PSF kernel from a text/CSV matrix or a ``.npy`` file; returns it normalised."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".npy":
            kernel = np.load(p)
        else:
            text = p.read_text(encoding="utf-8")
            delimiter = "," if "," in text else None
            kernel = np.loadtxt(p, delimiter=delimiter, ndmin=2)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"Cannot read the PSF kernel file {path} ({exc}): give a square matrix as CSV, "
            "whitespace-separated text or .npy."
        ) from None
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise InputError(f"The PSF kernel in {path} must be a square matrix, got shape {kernel.shape}.")
    return normalize_psf(kernel)


def _band_centres(srf_matrix: np.ndarray, wavelengths: np.ndarray) -> np.ndarray:
    return (srf_matrix * wavelengths[:, None]).sum(axis=0) / srf_matrix.sum(axis=0)


@guarded(simulation_files)
def simulate_pair_files(
    reference_path: str,
    lr_path: str,
    hr_path: str,
    scale: int,
    srf_source: SrfSource,
    psf_fwhm: Optional[float] = None,
    psf_kernel_path: Optional[str] = None,
    snr_db: Optional[float] = None,
    seed: int = 0,
    model_path: Optional[str] = None,
    progress: Optional[Progress] = None,
) -> DegradationModel:
    """Simulate an LR-HSI and an HR-MSI from a reference HR-HSI raster (Wald's protocol).

    The reference is cropped to a multiple of ``scale`` (same origin). LR pixel = ``scale`` × HR
    pixel, same origin and CRS. The PSF is a Gaussian of FWHM ``psf_fwhm`` HR pixels centred on
    each LR block (default FWHM = ``scale``) or the kernel in ``psf_kernel_path``.
    """
    progress = progress or Progress()
    if scale < 2:
        raise InputError(f"SCALE must be an integer of at least 2, got {scale}.")
    if not srf_source.given:
        raise InputError("Choose an SRF for the HR-MSI: a sensor preset or an SRF CSV file.")
    ref = read_raster(reference_path, role="reference")
    c, h, w = ref.data.shape
    h2, w2 = h - h % scale, w - w % scale
    if h2 == 0 or w2 == 0:
        raise InputError(f"The reference ({w}×{h} pixels) is smaller than SCALE={scale}.")
    if (h2, w2) != (h, w):
        progress.info(f"Reference cropped from {w}×{h} to {w2}×{h2} pixels (a multiple of SCALE).")
    data = ref.data[:, :h2, :w2]
    grid = RasterGrid(ref.grid.crs, ref.grid.transform, w2, h2)
    srf_matrix = srf_source.prior(ref.wavelengths, ref.fwhm, role="reference").matrix
    if psf_kernel_path:
        psf = load_psf_kernel(psf_kernel_path)
    else:
        psf = sensor_psf(scale, float(psf_fwhm or scale))
    table_names = srf_source.table().band_names
    model = DegradationModel(scale, psf, srf_matrix, ref.wavelengths, list(table_names),
                             diagnostics={"source": "simulatepair", "snr_db": snr_db, "seed": seed})
    progress.update(0.2, "Degrading the reference")
    lr, hr = simulate_pair(data, model, snr_db=snr_db, seed=seed)
    progress.update(0.7, "Writing the LR-HSI and HR-MSI")
    write_raster(lr_path, lr, grid.scaled(scale), ref.band_names, ref.wavelengths, ref.fwhm)
    msi_wl = None if ref.wavelengths is None else _band_centres(srf_matrix, ref.wavelengths)
    write_raster(hr_path, hr, grid, table_names, msi_wl)
    if model_path:
        model.save(model_path)
    progress.update(1.0, "Done")
    return model


@guarded(estimation_files)
def estimate_files(request: FusionRequest, model_path: str, psf_size: Optional[int] = None,
                   progress: Optional[Progress] = None):
    """Estimate the degradation model of the request's pair and write it as JSON.

    The pair is prepared exactly as for fusion (overlap, grids, bands, masks, co-registration),
    so the model fits the fusion of the same pair.

    Returns:
        (model, prior): the :class:`DegradationModel` and the SRF prior it started from (None
        without one), e.g. for :func:`ui.degradation_plot.plot_degradation`.
    """
    from ..io.resample import plan_pair
    from ..windows import PairSource
    from .estimate import srf_prior
    from .plan import log_inputs, open_inputs, read_pair_info
    from .scene import prepare_scene

    progress = progress or Progress()
    inputs = open_inputs(request)
    lr, hr = read_pair_info(request, inputs)
    log_inputs(inputs, lr, hr, progress)
    pair = plan_pair(lr, hr, request.resample_hr_msi, progress.info)
    grid = pair.hr_source_grid(hr)
    prepared = prepare_scene(request.with_(degradation=None), lr, hr,
                             PairSource(inputs.lr.dataset, inputs.hr.dataset, pair),
                             (grid.height, grid.width), progress.child(0.0, 0.95),
                             psf_size=psf_size)
    prepared.model.save(model_path)
    progress.update(1.0, "Degradation model written")
    return prepared.model, srf_prior(request, lr.select(prepared.source.lr_bands), hr)


@guarded(metrics_report_files)
def metrics_files(reference_path: str, estimate_path: str, scale: int,
                  report_path: Optional[str] = None) -> dict[str, float]:
    """Quality metrics of an estimate against a reference raster, optionally written as a report."""
    from ..io.raster import atomic_output
    from ..metrics import format_report, quality_metrics

    ref = read_raster(reference_path, "reference")
    est = read_raster(estimate_path, "estimate")
    if ref.data.shape != est.data.shape:
        c1, h1, w1 = ref.data.shape
        c2, h2, w2 = est.data.shape
        raise InputError(
            f"REFERENCE is {w1}×{h1} pixels × {c1} bands but ESTIMATE is {w2}×{h2} × {c2}: "
            "compare rasters of the same size and bands."
        )
    values = quality_metrics(ref.data, est.data, scale)
    if report_path:
        with atomic_output(report_path) as tmp:
            title = f"{Path(estimate_path).name} vs {Path(reference_path).name}"
            Path(tmp).write_text(format_report(values, title), encoding="utf-8")
    return values
