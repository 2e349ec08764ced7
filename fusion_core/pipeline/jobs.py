"""The other file-to-file jobs: simulate a pair, estimate its degradation, score a result.

Each takes its typed request (:mod:`fusion_core.job_requests`; estimation the fusion request of
the pair), checks its inputs before any compute, reads rasters with their georeferencing and writes
outputs atomically, so a failed or cancelled job leaves nothing behind. Estimation plans the pair
by a fusion run's own steps (:func:`fusion_core.pipeline.plan.plan_inputs`), so the model it
writes fits the fusion of the same pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..degradation import DegradationModel, normalize_psf, sensor_psf, simulate_pair
from ..errors import InputError
from ..io import RasterGrid, read_raster, write_raster
from ..job_requests import MetricsRequest, SimulationRequest
from ..progress import Progress
from ..request import FusionRequest
from .preflight import estimation_files, guarded, request_files, simulation_files

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
def simulate_pair_files(request: SimulationRequest, progress: Optional[Progress] = None
                        ) -> DegradationModel:
    """Simulate an LR-HSI and an HR-MSI from a reference HR-HSI raster (Wald's protocol).

    The reference is cropped to a multiple of ``scale`` (same origin). LR pixel = ``scale`` × HR
    pixel, same origin and CRS. The PSF is a Gaussian of FWHM ``psf_fwhm`` HR pixels centred on
    each LR block (default FWHM = ``scale``) or the kernel in ``psf_file``.
    """
    progress = progress or Progress()
    n, scale = request.name_of, request.scale
    srf_source = request.srf_source
    if not srf_source.given:
        raise InputError("Choose an SRF for the HR-MSI: a sensor preset or an SRF CSV file "
                         f"({n('sensor')} or {n('srf_file')}).")
    ref = read_raster(request.reference, role="reference")
    if ref.wavelengths is None:
        raise InputError(f"{n('reference')} ({request.reference}) has no band wavelengths, which "
                         "integrating it by an SRF needs: give a raster with wavelengths in its "
                         "metadata (GDAL or ENVI 'wavelength', in nm).")
    c, h, w = ref.data.shape
    h2, w2 = h - h % scale, w - w % scale
    if h2 == 0 or w2 == 0:
        raise InputError(f"{n('reference')} ({w}×{h} pixels) is smaller than {n('scale')}={scale}.")
    if (h2, w2) != (h, w):
        progress.info(f"Reference cropped from {w}×{h} to {w2}×{h2} pixels (a multiple of "
                      f"{n('scale')}).")
    data = ref.data[:, :h2, :w2]
    grid = RasterGrid(ref.grid.crs, ref.grid.transform, w2, h2)
    srf_matrix = srf_source.prior(ref.wavelengths, ref.fwhm, role="reference").matrix
    if request.psf_file:
        psf = load_psf_kernel(request.psf_file)
    else:
        psf = sensor_psf(scale, float(request.psf_fwhm or scale))
    table_names = srf_source.table().band_names
    model = DegradationModel(scale, psf, srf_matrix, ref.wavelengths, list(table_names),
                             diagnostics={"source": "simulatepair", "snr_db": request.snr_db,
                                          "seed": request.seed})
    progress.update(0.2, "Degrading the reference")
    lr, hr = simulate_pair(data, model, snr_db=request.snr_db, seed=request.seed)
    progress.update(0.7, "Writing the LR-HSI and HR-MSI")
    write_raster(request.lr_hsi, lr, grid.scaled(scale), ref.band_names, ref.wavelengths, ref.fwhm)
    write_raster(request.hr_msi, hr, grid, table_names, _band_centres(srf_matrix, ref.wavelengths))
    if request.true_degradation:
        model.save(request.true_degradation)
    progress.update(1.0, "Done")
    return model


@guarded(estimation_files)
def estimate_files(request: FusionRequest, model_path: str, psf_size: Optional[int] = None,
                   progress: Optional[Progress] = None):
    """Estimate the degradation model of the request's pair and write it as JSON.

    The pair is planned by the steps a fusion run takes (:func:`.plan.plan_inputs`: overlap,
    grids, bands, masks) and its scene prepared as fusion prepares it (co-registration), so the
    model fits the fusion of the same pair.

    Returns:
        (model, prior): the :class:`DegradationModel` and the SRF prior it started from (None
        without one), e.g. for :func:`ui.degradation_plot.plot_degradation`.
    """
    from ..windows import PairSource
    from .estimate import srf_prior
    from .plan import plan_inputs
    from .scene import prepare_scene

    progress = progress or Progress()
    inputs, lr, hr, pair = plan_inputs(request, progress)
    grid = pair.hr_source_grid(hr)
    prepared = prepare_scene(request.with_(degradation=None), lr, hr,
                             PairSource(inputs.lr.dataset, inputs.hr.dataset, pair, lr.count),
                             (grid.height, grid.width), progress.child(0.0, 0.95),
                             psf_size=psf_size)
    prepared.model.save(model_path)
    progress.update(1.0, "Degradation model written")
    return prepared.model, srf_prior(request, lr.select(prepared.source.lr_bands), hr)


@guarded(request_files)
def metrics_files(request: MetricsRequest) -> dict[str, float]:
    """Quality metrics of an estimate against a reference raster, optionally written as a report."""
    from ..io.raster import atomic_output
    from ..metrics import format_report, quality_metrics

    ref = read_raster(request.reference, "reference")
    est = read_raster(request.estimate, "estimate")
    if ref.data.shape != est.data.shape:
        c1, h1, w1 = ref.data.shape
        c2, h2, w2 = est.data.shape
        raise InputError(
            f"{request.name_of('reference')} is {w1}×{h1} pixels × {c1} bands but "
            f"{request.name_of('estimate')} is {w2}×{h2} × {c2}: compare rasters of the same "
            "size and bands."
        )
    values = quality_metrics(ref.data, est.data, request.scale)
    if request.report:
        with atomic_output(request.report) as tmp:
            title = f"{Path(request.estimate).name} vs {Path(request.reference).name}"
            Path(tmp).write_text(format_report(values, title), encoding="utf-8")
    return values
