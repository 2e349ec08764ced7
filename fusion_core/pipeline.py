"""File-to-file jobs: what the QGIS algorithms and the command line run.

Each job checks its inputs before any compute, reads rasters with their georeferencing, calls the
engine, and writes outputs atomically, so a failed or cancelled job leaves nothing behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .degradation import DegradationModel, normalize_psf, sensor_psf, simulate_pair
from .errors import InputError
from .io import Raster, RasterGrid, check_pair, read_raster, read_raster_info, write_raster
from .io.output_format import OutputOptions
from .progress import Progress

__all__ = [
    "SrfSource",
    "FusionResult",
    "simulate_pair_files",
    "estimate_files",
    "fuse_files",
    "metrics_files",
    "load_psf_kernel",
]


@dataclass
class SrfSource:
    """Where a spectral response comes from: a sensor preset or a CSV table, optional band subset."""

    sensor: Optional[str] = None
    csv_path: Optional[str] = None
    bands: Optional[Sequence[str]] = None

    @property
    def given(self) -> bool:
        return bool(self.sensor or self.csv_path)

    def table(self):
        """The :class:`fusion_core.srf.SrfTable` (wavelengths + one curve per band)."""
        from . import srf

        if self.sensor and self.csv_path:
            raise InputError("Give either a sensor preset or an SRF CSV file, not both.")
        table = srf.load_preset(self.sensor) if self.sensor else srf.read_srf_csv(self.csv_path)
        return table.select(self.bands) if self.bands else table

    def prior(self, hsi_wavelengths: Optional[np.ndarray], hsi_fwhm: Optional[np.ndarray],
              n_msi: Optional[int] = None, role: str = "LR-HSI"):
        """The SRF on the HSI bands as a :class:`fusion_core.srf.SrfPrior` (``.matrix`` is ``(C, M)``).

        Raises:
            InputError: no wavelengths on the HSI, or a band count that differs from the HR-MSI's.
        """
        from .srf import SrfPrior

        table = self.table()
        if hsi_wavelengths is None:
            raise InputError(
                f"The {role} has no wavelength metadata, which is needed to use an SRF preset "
                "or CSV: set the band wavelengths (ENVI 'wavelength' metadata, in nm) or run "
                "without an SRF prior."
            )
        if n_msi is not None and table.n_bands != n_msi:
            raise InputError(
                f"The SRF ({table.name}) has {table.n_bands} bands ({', '.join(table.band_names)}) "
                f"but the HR-MSI has {n_msi}: choose the HR-MSI's bands by name, in raster order "
                "(MSI_BANDS)."
            )
        return SrfPrior.from_table(table, hsi_wavelengths, hsi_fwhm)


@dataclass
class FusionResult:
    """What :func:`fuse_files` produced."""

    output: str
    model: DegradationModel
    method: str
    seconds: dict[str, float] = field(default_factory=dict)


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
    msi_wl = _band_centres(srf_matrix, ref.wavelengths)
    write_raster(hr_path, hr, grid, table_names, msi_wl)
    if model_path:
        model.save(model_path)
    progress.update(1.0, "Done")
    return model


def _read_pair(lr_path: str, hr_path: str) -> tuple[Raster, Raster, int]:
    """Check the grids from metadata alone, then read both rasters."""
    scale = check_pair(read_raster_info(lr_path, "LR-HSI"), read_raster_info(hr_path, "HR-MSI"))
    return read_raster(lr_path, "LR-HSI"), read_raster(hr_path, "HR-MSI"), scale


def _normaliser(lr: np.ndarray) -> float:
    """One common factor for both images so the LR-HSI's 99.9th percentile is 1."""
    value = float(np.percentile(np.abs(lr), 99.9))
    if not np.isfinite(value) or value <= 0:
        raise InputError("The LR-HSI is empty (all zeros): check the input raster.")
    return value


def _srf_prior(srf_source: Optional[SrfSource], lr: Raster, hr: Raster):
    if srf_source is None or not srf_source.given:
        return None
    return srf_source.prior(lr.wavelengths, lr.fwhm, n_msi=hr.count)


def _estimate(lr: Raster, hr: Raster, scale: int, prior, psf_size: Optional[int],
              progress: Progress) -> DegradationModel:
    """Blind estimation on the pair, both images scaled by one common factor."""
    from .estimation import estimate_degradation

    norm = _normaliser(lr.data)
    return estimate_degradation(
        lr.data / norm, hr.data / norm, scale, srf_prior=prior, psf_size=psf_size,
        hsi_wavelengths=lr.wavelengths, msi_band_names=hr.band_names, progress=progress,
    )


def estimate_files(
    lr_path: str,
    hr_path: str,
    model_path: str,
    srf_source: Optional[SrfSource] = None,
    psf_size: Optional[int] = None,
    progress: Optional[Progress] = None,
):
    """Estimate the degradation model of a pair and write it as JSON.

    Returns:
        (model, prior): the :class:`DegradationModel` and the SRF prior it started from (None
        without one), e.g. for :func:`ui.degradation_plot.plot_degradation`.
    """
    progress = progress or Progress()
    lr, hr, scale = _read_pair(lr_path, hr_path)
    prior = _srf_prior(srf_source, lr, hr)
    model = _estimate(lr, hr, scale, prior, psf_size, progress.child(0.0, 0.95))
    model.save(model_path)
    progress.update(1.0, "Degradation model written")
    return model, prior


#: Memory the degradation estimator needs, in multiples of the pair it is given (float32).
ESTIMATION_MEMORY_FACTOR = 8
#: Largest estimation crop edge (LR pixels): on the 1000×1000-pixel benchmark scene the PSF and
#: SRF errors are the same from 128² to 564² pixels, and 256² takes a quarter of the time
#: (benchmarks/LARGE_SCENE.md).
ESTIMATION_MAX_SIDE = 256
#: LR-HSI values read to compute the common normalising factor (all of them when fewer).
NORMALISER_SAMPLE = 20_000_000


def _scene_model(source, lr_info: Raster, hr_info: Raster, srf_source: Optional[SrfSource],
                 budget: int, sample: np.ndarray, step: int, progress: Progress) -> DegradationModel:
    """Estimate the degradation once for the scene: on the whole pair when it fits ``budget``,
    else on the most textured crop that does (the model holds for the whole scene)."""
    from dataclasses import replace

    from .windows.sampling import estimation_crop

    rows, cols = source.lr_shape
    r, c, m = source.scale, lr_info.count, hr_info.count
    per_lr_pixel = 4 * (c + m * r * r) * ESTIMATION_MEMORY_FACTOR
    if rows * cols * per_lr_pixel <= budget and max(rows, cols) <= ESTIMATION_MAX_SIDE:
        rect = (0, 0, rows, cols)
    else:
        side = min(ESTIMATION_MAX_SIDE, int(np.sqrt(max(budget, 0) / per_lr_pixel)))
        if side < 8:
            raise InputError(
                f"MAX_MEMORY_GB leaves {budget / 2**30:.2f} GB to estimate the degradation, too "
                "little for a 8×8-pixel crop of the LR-HSI: raise MAX_MEMORY_GB or give a "
                "degradation model (DEGRADATION)."
            )
        rect = estimation_crop(sample, step, (rows, cols), side)
        progress.info(f"The scene is too big to estimate the degradation on at once: it is "
                      f"estimated on the {rect[3]}×{rect[2]} LR pixels from column {rect[1]}, row "
                      f"{rect[0]} (the most textured crop of at most {ESTIMATION_MAX_SIDE}² that "
                      "fits the memory bound).")
    hr_rect = tuple(v * r for v in rect)
    lr = replace(lr_info, data=source.read_lr(rect))
    hr = replace(hr_info, data=source.read_hr(hr_rect))
    return _estimate(lr, hr, r, _srf_prior(srf_source, lr, hr), None, progress)


def fuse_files(
    lr_path: str,
    hr_path: str,
    output_path: str,
    method: Any = 0,
    degradation_path: Optional[str] = None,
    srf_source: Optional[SrfSource] = None,
    preset: str = "fast",
    device: str = "auto",
    seed: int = 0,
    options: Optional[dict[str, Any]] = None,
    model_output_path: Optional[str] = None,
    progress: Optional[Progress] = None,
    max_memory_gb: float = 4.0,
    window_size: int = 0,
    dask_scheduler: Optional[str] = None,
    resume: bool = False,
    resample_hr_msi: bool = False,
    output_options: Optional[OutputOptions] = None,
) -> FusionResult:
    """Fuse an LR-HSI with an HR-MSI into a georeferenced HR-HSI BigTIFF, window by window.

    The output has the (aligned) HR-MSI's CRS, geotransform and size and the LR-HSI's bands,
    band names and wavelengths. The degradation model is read from ``degradation_path`` or
    estimated once for the scene (whole, or on a representative crop when the scene does not fit
    the memory bound); both images are divided by one common factor of the scene; then the
    scene is fused window by window (:mod:`fusion_core.windows`) with peak memory under
    ``max_memory_gb``, and written window by window into a tiled, compressed BigTIFF under a
    temporary name (``<output>.part``), renamed at the end.

    Args:
        method: CATALOG index or id, or a :class:`~fusion_core.methods.base.FusionMethod`.
        max_memory_gb: bound on the run's memory (this process and an embedded cluster's workers).
        window_size: window core edge in HR pixels (0: the largest that fits the bound).
        dask_scheduler: ``"local"`` (embedded cluster), a scheduler address, or ``""``/None to
            fuse in this process; None reads ``$HSI_FUSION_DASK_SCHEDULER``.
        resume: continue an interrupted run of the same inputs and settings from its state
            (``<output>.resume.json``); also keeps the partial output if this run stops.
        resample_hr_msi: warp an HR-MSI whose grid does not nest in the LR-HSI's onto the nested
            grid at the nearest integer ratio (GDAL warp, stated in the log); when False such a
            pair is refused.
        output_options: format, codec and data type of the output (default: float32 GeoTIFF, ZSTD).
    """
    from .device import resolve_device, seed_everything
    from .io.resample import plan_pair
    from .methods import CATALOG, load_method, method_index
    from .methods.base import PRESETS, FusionConfig, FusionMethod
    from .windows import (PairSource, ResumeState, TiledOutput, WindowGrid, WindowJob,
                          choose_tile, file_facts, fingerprint, plan_grid, resolve_scheduler,
                          run_windows)
    from .windows.distributed import local_cluster_shape
    from .windows.memory import process_bytes

    progress = progress or Progress()
    if preset not in PRESETS:
        raise InputError(f"Unknown preset {preset!r}; choose one of {', '.join(PRESETS)}.")
    if not max_memory_gb or max_memory_gb <= 0:
        raise InputError(f"MAX_MEMORY_GB must be positive, got {max_memory_gb}.")
    if isinstance(method, FusionMethod):
        method_id, label = method.name, method.label
    else:
        entry = CATALOG[method_index(method)]
        method_id, label = entry.id, entry.label
    torch_device = resolve_device(device)
    fusion = method if isinstance(method, FusionMethod) else load_method(method_id)
    config = FusionConfig(preset=preset, device=torch_device, seed=seed, options=dict(options or {}))
    fusion.check_config(config)
    scheduler = resolve_scheduler(dask_scheduler)
    max_bytes = int(max_memory_gb * 2**30)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    lr_info, hr_info = read_raster_info(lr_path, "LR-HSI"), read_raster_info(hr_path, "HR-MSI")
    plan = plan_pair(lr_info, hr_info, resample_hr_msi, progress.info)
    source = PairSource(str(lr_path), str(hr_path), plan)
    run_key = fingerprint(
        lr=file_facts(lr_path), hr=file_facts(hr_path), plan=plan, method=method_id,
        preset=preset, seed=seed, options=options or {}, device=torch_device.type,
        degradation=file_facts(degradation_path) if degradation_path else None,
        srf=None if srf_source is None else (srf_source.sensor, srf_source.csv_path, srf_source.bands))
    state = ResumeState.load(output_path, run_key) if resume else None
    if resume and state is None and ResumeState.exists(output_path):
        progress.info("The saved state next to the output is for other inputs or settings: "
                      "starting over.")
    workers, threads = local_cluster_shape(torch_device) if scheduler == "local" else (0, None)
    if state is not None:
        model, norm = state.model, state.norm
        layout = {k: state.layout[k] for k in ("core_lr", "halo_lr", "ramp_lr")}
        grid = WindowGrid.build(*source.lr_shape, plan.scale, layout["core_lr"],
                                layout["halo_lr"], layout["ramp_lr"])
        progress.info(f"Resuming with the degradation model, factor and windows of {state.path}.")
    else:
        step = source.sample_step(NORMALISER_SAMPLE)
        sample = source.read_lr_sample(step)
        norm = _normaliser(sample)
        if degradation_path:
            model = DegradationModel.load(degradation_path)
            model.check_compatible(lr_info.count, hr_info.count, plan.scale)
            progress.info(f"Degradation model read from {degradation_path}.")
        else:
            t1 = time.perf_counter()
            model = _scene_model(source, lr_info, hr_info, srf_source,
                                 max_bytes - process_bytes(), sample, step, progress.child(0.0, 0.1))
            seconds["estimation"] = time.perf_counter() - t1
            progress.info(f"Degradation estimated in {seconds['estimation']:.1f} s.")
        del sample
    if state is None:
        grid = plan_grid(source, fusion, model, max_bytes, window_size, workers, progress.info, config)
        state = ResumeState(output_path, run_key, dict(grid.describe(), tile=choose_tile(grid)),
                            norm, model)
    if not resume:
        state.remove()
    if model_output_path:
        model.save(model_output_path)
    seed_everything(seed)
    progress.info(f"Fusing with {label}, preset {preset}, on {torch_device}"
                  + (f", Dask scheduler {scheduler}." if scheduler else "."))
    job = WindowJob(source, fusion, model, config, norm, grid, threads)
    output = TiledOutput(output_path, plan.hr_grid(hr_info),
                         lr_info.count, choose_tile(grid), lr_info.band_names, lr_info.wavelengths,
                         lr_info.fwhm, (output_options or OutputOptions()).with_data_scale(norm))
    t2 = time.perf_counter()
    stats = run_windows(job, output, state, scheduler, keep_partial=resume,
                        progress=progress.child(0.1, 1.0))
    seconds["fusion"] = time.perf_counter() - t2
    seconds["total"] = time.perf_counter() - t0
    progress.info(f"{stats.fused} window(s) fused in {seconds['fusion']:.1f} s"
                  + (f", {stats.resumed} found done by an earlier run." if stats.resumed else "."))
    progress.update(1.0, "Done")
    return FusionResult(str(output_path), model, method_id, seconds)


def metrics_files(reference_path: str, estimate_path: str, scale: int,
                  report_path: Optional[str] = None) -> dict[str, float]:
    """Quality metrics of an estimate against a reference raster, optionally written as a report."""
    from .io.raster import atomic_output
    from .metrics import format_report, quality_metrics

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
