"""A fusion run, from a request to a fused image: plan → scene model → windows.

:func:`fuse_files` is what the QGIS algorithm and the command line run; :func:`fuse_arrays` is the
same run on arrays in memory (the Python API and the benchmarks), through the same scene model and
window loop, so that what is measured is what users run.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
from affine import Affine

from ..degradation import DegradationModel
from ..errors import Cancelled, InputError
from ..io import Raster, RasterGrid
from ..products import Delivery
from ..progress import Progress
from ..request import FusionRequest
from .align import output_grid, to_hsi_geometry
from .lineage import provenance_tags
from .plan import Inputs, RunPlan, method_and_config, plan_run
from .preflight import fusion_files, guarded
from .scene import SceneModel, scene_model

if TYPE_CHECKING:
    from ..methods.base import FusionMethod
    from ..report.reduced import Fuse

__all__ = ["FusionResult", "fuse_files", "fuse_arrays", "array_fusion"]


@dataclass
class FusionResult:
    """What a run produced.

    Attributes:
        output: the output path (``"memory"`` for :func:`fuse_arrays`).
        model: the degradation model used.
        method: the method's id.
        seconds: time by stage (``estimation``, ``fusion``, ``total``).
        fused: the fused image ``(C, H, W)`` float32 (:func:`fuse_arrays` only).
        provenance: ``(H, W)`` uint8, where each pixel of ``fused`` comes from
            (:data:`~fusion_core.pipeline.provenance.CODES`; :func:`fuse_arrays` only).
        request: the request as run, the default paths of its outputs filled in (where the
            report was written: ``request.report``).
    """

    output: str
    model: DegradationModel
    method: str
    seconds: dict[str, float] = field(default_factory=dict)
    fused: Optional[np.ndarray] = None
    provenance: Optional[np.ndarray] = None
    request: Optional[FusionRequest] = None


@dataclass
class _Run:
    """What :func:`_run` gives back: the seconds by stage and the provenance codes (computed
    when the request asks for PROVENANCE or the run is in memory)."""

    seconds: dict[str, float]
    provenance: Optional[np.ndarray] = None


def _run(plan: RunPlan, scene: SceneModel, output, progress: Progress,
         codes: bool = False) -> _Run:
    """Fuse every window of a planned run into ``output``; returns the seconds by stage (the
    report's scan, done while the windows write, counts as the report's, not the fusion's) and
    the provenance codes (written to PROVENANCE when asked for; kept when ``codes``)."""
    import rasterio

    from ..device import seed_everything
    from ..io.reading import kept_open
    from ..windows import TiledOutput, WindowJob, run_windows
    from ..windows.decoded import DecodedCopy, decoded_copy
    from ..windows.distributed import local_cluster_shape, release_session, workers_on_this_machine
    from ..windows.memory import GDAL_CACHE_BYTES
    from .disagreement import hsi_fallback, scene_masks
    from .provenance import provenance_codes, write_provenance
    from .reporting import report_run, report_start

    request = plan.request
    threads = local_cluster_shape(plan.config.device)[1] if plan.scheduler == "local" else None
    seed_everything(request.seed)
    label = getattr(plan.method, "label", request.method)
    progress.info(f"Fusing with {label}, preset {request.preset}, on {plan.config.device}"
                  + (f", Dask scheduler {plan.scheduler}." if plan.scheduler else "."))
    bands = scene.source.lr_bands
    out_bands = None if bands is None else (plan.lr.count, tuple(bands))
    # the scan keeps the inputs decoded for the windows (windows/decoded.py), in this process
    # or on Dask workers of this machine; elsewhere the workers decode their own (the copy would
    # travel through shared storage); here it reads through datasets kept open (GDAL decodes the
    # tiles its strips share once)
    keep = isinstance(output, TiledOutput) and (not plan.scheduler or workers_on_this_machine(plan.scheduler))
    with decoded_copy(scene.source, output.final, output.raw_bytes) if keep else \
            nullcontext(DecodedCopy(scene.source, scene.source)) as copy:
        with kept_open() if keep and not plan.scheduler else nullcontext(), \
                rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES):
            masks = scene_masks(plan, replace(scene, source=copy.recording), progress.child(0.09, 0.1))
        fallback = hsi_fallback(masks, scene.model)
        job = WindowJob(source=copy.reading, method=plan.method, model=scene.model, config=plan.config,
                        norm=scene.norm, grid=scene.grid, torch_threads=threads, out_bands=out_bands,
                        fallback=fallback, worker_device=request.device)
        start = report_start(plan, scene, masks.noise)
        scan = start.scan if start is not None else None
        t0 = time.perf_counter()
        end = 0.9 if start is not None else 1.0
        stats = run_windows(job, output, scene.state, plan.scheduler, keep_partial=request.resume,
                            progress=progress.child(0.1, end), name_of=request.name_of,
                            on_region=scan.add if scan is not None else None,
                            on_inputs=scan.keep if scan is not None else None,
                            region_tasks=(scan.measure, scan.take) if scan is not None else None)
    seconds = dict(scene.seconds, fusion=time.perf_counter() - t0 - (scan.seconds if scan else 0.0))
    release_session(plan.scheduler)  # what follows needs no cluster: an embedded one stops meanwhile
    progress.info(f"{stats.fused} window(s) fused in {seconds['fusion']:.1f} s"
                  + (f", {stats.resumed} found done by an earlier run." if stats.resumed else "."))
    provenance = None
    if request.provenance or codes:
        provenance = provenance_codes(masks, fallback, scene.model.scale)
    if request.provenance and provenance is not None:
        write_provenance(request.provenance, provenance,
                         getattr(output, "grid", None) or scene.source.plan.hr_grid(plan.hr))
    if start is not None:
        fuse = array_fusion(plan.method, plan.lr.select(bands).wavelengths, plan.hr.band_names)
        try:
            seconds.update(report_run(plan, scene, output, seconds, progress.child(end, 1.0), start, fuse,
                                      masks.disagreement))
        except Cancelled:  # the fused image is already in place: say so
            raise Cancelled(f"Cancelled by the user after the fusion: the fused image {request.output} "
                            "is complete; its quality report was not written.") from None
    return _Run(seconds, provenance)


def fuse_files(request: FusionRequest, progress: Optional[Progress] = None, *,
               method: Optional["FusionMethod"] = None) -> FusionResult:
    """Fuse the request's LR-HSI with its HR-MSI into a georeferenced HR-HSI GeoTIFF.

    The output has the HR-MSI's CRS and pixel grid and the LR-HSI's bands, band names and
    wavelengths. It is written window by window under a temporary name and renamed when
    complete, with peak memory under the request's bound. The quality report is written beside
    it unless the request turns it off (REPORT empty; see
    :func:`~fusion_core.pipeline.reporting.with_default_report`); ``result.request.report``
    says where. ``method``, a :class:`~fusion_core.methods.base.FusionMethod` instance,
    replaces the request's method (a method of your own; its options are checked by it).
    """
    from .reporting import with_default_report

    return _fuse_files(with_default_report(request), progress, method=method)


@guarded(fusion_files)
def _fuse_files(request: FusionRequest, progress: Optional[Progress] = None, *,
                method: Optional["FusionMethod"] = None) -> FusionResult:
    """:func:`fuse_files` once the outputs' paths are all known: checked and locked first."""
    from ..windows import PairSource, TiledOutput, choose_tile
    from ..windows.distributed import codec_threads, dask_session

    progress = progress or Progress()
    t0 = time.perf_counter()
    plan = plan_run(request, progress, method)
    source = PairSource(plan.inputs.lr.dataset, plan.inputs.hr.dataset, plan.pair, plan.lr.count)
    with dask_session(plan.scheduler, progress, plan.config.device):
        scene = scene_model(plan, source, progress, state_path=request.output)
        if request.degradation_output:
            scene.model.save(request.degradation_output)
        lr = plan.lr
        grid = output_grid(request, scene.source.plan, plan.hr, scene.misregistration)
        output = TiledOutput(request.output, grid, lr.count, choose_tile(scene.grid), lr.band_names,
                             lr.wavelengths, lr.fwhm, request.output_options.with_data_scale(scene.norm),
                             threads=codec_threads(), tags=provenance_tags(plan),
                             bad_bands=_emptied(lr.count, scene.source.lr_bands))
        seconds = _run(plan, scene, output, progress).seconds
    seconds["total"] = time.perf_counter() - t0
    progress.update(1.0, "Done")
    return FusionResult(str(request.output), scene.model, plan.method.name, seconds, request=request)


def _emptied(count: int, used: Optional[Sequence[int]]) -> tuple[int, ...]:
    """The LR-HSI bands left out of the fusion (no valid pixel), written as nodata: the output's
    bad-band list."""
    return () if used is None else tuple(i for i in range(count) if i not in set(used))


def fuse_arrays(request: FusionRequest, lr_hsi: np.ndarray, hr_msi: np.ndarray, *,
                model: Optional[DegradationModel] = None,
                method: Optional["FusionMethod"] = None,
                wavelengths: Optional[np.ndarray] = None,
                msi_band_names: Optional[Sequence[str]] = None,
                progress: Optional[Progress] = None) -> FusionResult:
    """Fuse an LR-HSI ``(C, h, w)`` with an HR-MSI ``(M, r h, r w)`` held in memory.

    The request's settings apply as in :func:`fuse_files` (its paths are not used): the same
    normalisation, blind estimation (unless ``model`` or the request's ``degradation`` is given)
    and windows. NaN marks invalid pixels: where the LR-HSI has one the result is NaN, where
    only the HR-MSI has one it is the LR-HSI alone (the result's ``provenance`` says which).
    The result lies on the HR-MSI's pixels; with ``geometry="hsi"`` it is resampled onto the
    LR-HSI's geometry by the measured shift.

    Args:
        request: the run's settings, e.g. ``FusionRequest(method="udaln", seed=1)``.
        lr_hsi, hr_msi: the two images, on nested grids with one integer ratio.
        model: a degradation model to use instead of estimating one.
        method: a :class:`~fusion_core.methods.base.FusionMethod` instance replacing the
            request's method.
        wavelengths: ``(C,)`` band centres of the LR-HSI in nm (for an SRF prior).
        msi_band_names: names of the HR-MSI's bands (for messages and the model).
        progress: progress and cancel.

    Returns:
        A :class:`FusionResult` whose ``fused`` holds the ``(C, r h, r w)`` image and
        ``provenance`` its codes.
    """
    from ..windows import resolve_scheduler
    from ..windows.in_memory import ArrayOutput, ArraySource

    progress = progress or Progress()
    t0 = time.perf_counter()
    if resolve_scheduler(request.dask_scheduler):
        raise InputError(f"fuse_arrays fuses in this process: leave {request.name_of('dask_scheduler')} "
                         "empty (and $HSI_FUSION_DASK_SCHEDULER unset), or write the images to "
                         "files and use fuse_files.")
    lr, hr, scale = _checked_arrays(lr_hsi, hr_msi)
    method, config = method_and_config(request, method)
    grid = RasterGrid(None, Affine.scale(scale), lr.shape[2], lr.shape[1])
    names = list(msi_band_names) if msi_band_names is not None else [
        f"Band {i + 1}" for i in range(hr.shape[0])]
    lr_info = Raster(np.empty((lr.shape[0], 0, 0), np.float32), grid,
                     [f"Band {i + 1}" for i in range(lr.shape[0])],
                     None if wavelengths is None else np.asarray(wavelengths, np.float64))
    hr_grid = RasterGrid(None, Affine.identity(), hr.shape[2], hr.shape[1])
    hr_info = Raster(np.empty((hr.shape[0], 0, 0), np.float32), hr_grid, names)
    source = ArraySource.whole(lr, hr, scale)
    plan = RunPlan(request=request, method=method, config=config, scheduler="", lr=lr_info, hr=hr_info,
                   pair=source.plan, inputs=Inputs(Delivery("memory", "memory"), Delivery("memory", "memory")))
    scene = scene_model(plan, source, progress, model=model)
    output = ArrayOutput(lr.shape[0], scene.source.hr_shape)
    run = _run(plan, scene, output, progress, codes=True)
    fused = output.data
    if request.geometry == "hsi" and scene.misregistration != (0.0, 0.0):
        fused = to_hsi_geometry(fused, scene.misregistration)
    seconds = dict(run.seconds, total=time.perf_counter() - t0)
    progress.update(1.0, "Done")
    return FusionResult(output.path, scene.model, plan.method.name, seconds, fused, run.provenance,
                        request=request)


def array_fusion(method: "FusionMethod", wavelengths: Optional[np.ndarray] = None,
                 msi_band_names: Optional[Sequence[str]] = None) -> "Fuse":
    """:func:`fuse_arrays` with ``method`` and a given model: the run's fusion in memory that the
    report's reduced-resolution check is handed (the report does not call the pipeline)."""
    def fuse(request: FusionRequest, lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel,
             progress: Optional[Progress]) -> np.ndarray:
        fused = fuse_arrays(request, lr_hsi, hr_msi, model=model, method=method, wavelengths=wavelengths,
                            msi_band_names=msi_band_names, progress=progress).fused
        assert fused is not None
        return fused

    return fuse


def _checked_arrays(lr_hsi: np.ndarray, hr_msi: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Both images as float32 ``(C, h, w)`` / ``(M, H, W)`` and their integer ratio."""
    lr = np.asarray(lr_hsi, dtype=np.float32)
    hr = np.asarray(hr_msi, dtype=np.float32)
    if lr.ndim != 3 or hr.ndim != 3:
        raise InputError(f"Give the LR-HSI as (C, h, w) and the HR-MSI as (M, H, W); got shapes "
                         f"{lr.shape} and {hr.shape}.")
    (_, h, w), (_, big_h, big_w) = lr.shape, hr.shape
    scale = big_h // h if h else 0
    if scale < 2 or (big_h, big_w) != (scale * h, scale * w):
        raise InputError(f"The HR-MSI ({big_h}×{big_w}) must be an integer multiple (at least 2) of "
                         f"the LR-HSI ({h}×{w}) along both axes.")
    if lr.shape[0] <= hr.shape[0]:
        raise InputError(f"The LR-HSI has {lr.shape[0]} bands and the HR-MSI {hr.shape[0]}: the "
                         "hyperspectral image must have more bands (are they swapped?).")
    return lr, hr, scale

