"""Every figure of a run's report, computed from the pair, the result and the degradation model.

The whole scene is scanned once (residual maps, per-band residuals, quick-looks): while the
windows write the result, region by region (:mod:`.region_scan`, set up with the noise by
:func:`start_report` before the windows), or, when that scan did not see every region (a resumed
run, or :func:`assemble_report` called on a finished result), strip by strip from the result read
back (:mod:`.scan`). What needs a full method run or many band pairs (the geometry the result is
on, HQNR, the reduced-resolution check, sample spectra) is computed on tiles spread over the whole
scene, side by side in one mosaic (:mod:`.tiles`), so the report costs a fraction of the fusion
whatever the scene size; the inputs' noise is the one the run judged its disagreement map
against, measured on the most textured crop (:mod:`fusion_core.measure.crop`). The
reduced-resolution check, the longest of these, runs on a thread of its own beside the others
(after the windows the report's work uses one core): the report's wall time, not its CPU time.
"""

from __future__ import annotations

import platform
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, TypeVar

import numpy as np

from ..degradation import DegradationModel
from ..errors import Cancelled
from ..measure.consistency import Geometry, NoiseLevels, band_rms, choose_geometry, spectral_residual, summary
from ..measure.disagreement import Disagreement, cross_normal, find_disagreement
from ..measure.scene_pass import crop_noise
from ..progress import Progress
from ..request import FusionRequest, request_fields
from ..windows.in_memory import ArraySource
from .alerts import alerts, headline, uncovered_ranges
from .qnr import hqnr
from .quicklook import block_mean, hsi_rgb_bands, msi_rgb_bands, stretch
from .reduced import Fuse, fallback_share, reduced_resolution_check
from .region_scan import RegionScan
from .samples import msi_centres, sample_pixels, sample_spectra
from .scan import FusedReader, SceneScan, scan_scene, spatial_bands
from .tiles import Tiles, scene_tiles

if TYPE_CHECKING:
    from ..methods.base import FusionMethod
    from ..windows.layout import WindowGrid
    from ..windows.sampling import Texture
    from ..windows.source import Source

__all__ = ["ReportInputs", "ReportStart", "Report", "start_report", "assemble_report", "array_reader",
           "MAP_PIXELS"]

#: Side of the maps kept in the JSON (block means).
MAP_PIXELS = 64


@dataclass
class ReportStart:
    """What the report measures on the inputs alone, before the windows.

    Attributes:
        tiles: the tiles the scene-level figures are computed on (:mod:`.tiles`).
        noise: the inputs' noise levels.
        rgb: (HSI bands, MSI bands) shown as red, green and blue.
        scan: the scan the windows feed with each region they write (None: none is fed).
        seconds: time this took.
    """

    tiles: Tiles
    noise: NoiseLevels
    rgb: tuple[list[int], list[int]]
    scan: Optional[RegionScan] = None
    seconds: float = 0.0


@dataclass(frozen=True)
class ReportInputs:
    """What a report is made from.

    Attributes:
        request: the run's settings.
        method: the method instance that fused.
        fuse: the run's fusion in memory, for the reduced-resolution check.
        source: the pair's pixels (:class:`~fusion_core.windows.source.Source`).
        read_fused: reads the result over an HR rectangle.
        model: the degradation model used.
        output: where the result is (a path, or ``"memory"``).
        hsi_wavelengths: ``(C,)`` LR-HSI band centres in nm, when known.
        msi_band_names: names of the HR-MSI bands.
        seconds: the run's time by stage.
        estimated: whether the model was estimated blindly by this run.
        budget_bytes: working memory of the scan.
        pixel_size: the HR pixel size in metres (CRS units), when known.
        start: what :func:`start_report` measured before the windows (None: measured now).
        disagreement: the disagreement map the run fused from the LR-HSI alone
            (DISAGREEMENT_FROM_HSI), shown as it is; None: found by the report's scan.
        delivered: what the inputs were, as given, and when acquired
            (:func:`fusion_core.pipeline.lineage.input_facts`; empty: not known).
    """

    request: FusionRequest
    method: "FusionMethod"
    fuse: Fuse
    source: "Source"
    read_fused: FusedReader
    model: DegradationModel
    output: str
    hsi_wavelengths: Optional[np.ndarray]
    msi_band_names: list[str]
    seconds: dict[str, float] = field(default_factory=dict)
    estimated: bool = True
    budget_bytes: int = 2 ** 28
    pixel_size: Optional[float] = None
    start: Optional[ReportStart] = None
    disagreement: Optional[Disagreement] = None
    delivered: dict = field(default_factory=dict)


@dataclass
class Report:
    """A computed report: its figures' numbers (``facts``, the JSON) and the full-size maps."""

    facts: dict
    scan: SceneScan
    disagreement: Disagreement
    quicklooks: dict[str, np.ndarray]


def start_report(source: "Source", model: DegradationModel, hsi_wavelengths: Optional[np.ndarray],
                 grid: Optional["WindowGrid"] = None, texture: Optional["Texture"] = None,
                 noise: Optional[NoiseLevels] = None, spectral_map: bool = False) -> ReportStart:
    """Choose the scene's tiles, measure the inputs' noise unless given (on the crop chosen on
    the run's ``texture``, as the run's disagreement map does) and, given the run's window
    ``grid``, set up the scan its windows feed (which keeps the tiles of the inputs and of the
    result as they pass; ``spectral_map``: and measures the spectral residual over the whole
    scene, for CONSISTENCY_MAP)."""
    t0 = time.perf_counter()
    r = model.scale
    tiles = scene_tiles(source.lr_shape, r)
    noise = noise or crop_noise(source, model, texture)
    hsi_rgb = hsi_rgb_bands(hsi_wavelengths, model.n_hsi_bands)
    rgb = (hsi_rgb, msi_rgb_bands(model, hsi_rgb))
    scan = (RegionScan(source, grid, model, noise, rgb, tiles.rects(r), spectral=spectral_map, layout=tiles)
            if grid is not None else None)
    return ReportStart(tiles, noise, rgb, scan, time.perf_counter() - t0)


def _versions() -> dict[str, str]:
    import numpy
    import torch

    from .. import __version__

    return {"HSI Fusion": __version__, "Python": platform.python_version(),
            "numpy": numpy.__version__, "torch": torch.__version__,
            "platform": platform.platform()}


def _parameters(request: FusionRequest) -> dict:
    values = {}
    for name, spec in request_fields():
        value = getattr(request, name)
        values[spec.key] = dict(value) if name == "options" else value
    return values


def _noise_facts(noise: NoiseLevels) -> dict:
    hsi, msi = noise.snr_db("hsi"), noise.snr_db("msi")
    return {"hsi_std": noise.hsi, "msi_std": noise.msi, "hsi_snr_db": hsi, "msi_snr_db": msi,
            "hsi_snr_db_median": float(np.median(hsi)), "msi_snr_db_median": float(np.median(msi))}


def _degradation_facts(inputs: ReportInputs) -> dict:
    from ..degradation import psf_fwhm

    model = inputs.model
    shift = model.diagnostics.get("misregistration_hr_px", model.psf_offset)
    return {"scale": model.scale, "psf": model.psf, "psf_fwhm_px": list(psf_fwhm(model.psf)),
            "psf_offset_px": list(model.psf_offset), "misregistration_hr_px": [float(v) for v in shift],
            "srf": model.srf, "msi_gain": model.msi_gain, "hsi_wavelengths_nm": model.hsi_wavelengths,
            "msi_band_names": inputs.msi_band_names, "msi_centres_nm": msi_centres(model),
            "source": "estimated blindly from the pair" if inputs.estimated else "given",
            "estimation_warnings": list(model.diagnostics.get("warnings", [])),
            "srf_confidence": model.diagnostics.get("srf_confidence"),
            "srf_shift_std_nm": (model.diagnostics.get("srf_prior") or {}).get("shift_std")}


def _finite(mosaic: np.ndarray) -> np.ndarray:
    """``np.nan_to_num(mosaic)``, in place (the mosaic is the report's own): one sum where every value
    is finite, as most are (the copy and the three passes were 0.06 s of a 512² scene's report)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = mosaic.sum()
    return mosaic if np.isfinite(total) else np.nan_to_num(mosaic, copy=False)


def array_reader(fused: np.ndarray) -> FusedReader:
    """Reads an in-memory result ``(C, H, W)`` over an HR rectangle."""
    return lambda rect: fused[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]]


def assemble_report(inputs: ReportInputs, progress: Optional[Progress] = None) -> Report:
    """Compute every figure of the report of a finished run."""
    progress = progress or Progress()
    parts: dict[str, float] = {}
    mark = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        parts[name], mark[0] = now - mark[0], now

    model, source, r = inputs.model, inputs.source, inputs.model.scale
    progress.update(0.05, "Measuring the noise of both inputs")
    start = inputs.start or start_report(source, model, inputs.hsi_wavelengths)
    tiles, noise = start.tiles, start.noise
    written = start.scan if start.scan is not None and start.scan.complete else None
    if written is not None:                      # kept by the scan as the windows passed
        mosaics = written.mosaics or tuple(tiles.stitch(parts) for parts in (*written.tile_inputs,
                                                                             written.tile_values))
        lr, hr, fused = (_finite(mosaic) for mosaic in mosaics)
    else:
        lr, hr = _finite(tiles.read(source.read_lr)), _finite(tiles.read(source.read_hr, r))
        fused = _finite(tiles.read(inputs.read_fused, r))
    geometry = choose_geometry(fused, lr, hr, model, noise, spatial_bands(model.n_hsi_bands))
    lap("noise and geometry")
    progress.update(0.1, "Reduced-resolution check: fusing the pair degraded by the ratio, beside the rest")
    from_hsi = (fallback_share(inputs.disagreement.mask, model, tiles.rects())
                if inputs.disagreement is not None and inputs.disagreement.mask.any() else 0.0)
    with _beside(progress, lambda quiet: _timed(reduced_resolution_check, inputs.request, inputs.fuse, lr, hr,
                                                model, quiet, geometry, noise.hsi, from_hsi)) as checking:
        facts, scan, disagreement = _facts(inputs, start, written, (lr, hr, fused), geometry, progress, lap)
        reduced, beside = checking.result()
    lap("reduced-resolution check, waited for")
    facts["reduced_resolution"] = reduced
    facts["warnings"] = alerts(facts, inputs.pixel_size)
    facts["headline"] = headline(facts)
    lap("warnings")
    earlier = {"noise and geometry": start.seconds if inputs.start is not None else 0.0,   # before
               "scan": start.scan.seconds if start.scan is not None else 0.0}      # and while writing
    facts["run"]["report_seconds"] = {name: value + earlier.get(name, 0.0) for name, value in parts.items()}
    # its own time, beside the parts above (which add up to the report's time)
    facts["run"]["report_seconds_beside"] = {"reduced-resolution check": beside}
    looks = scan.quicklooks
    lr_look, limits = stretch(looks["lr"])
    quicklooks = {"LR-HSI": lr_look, "HR-MSI": stretch(looks["hr"])[0],
                  "result": stretch(looks["fused"], limits)[0]}
    progress.update(1.0, "Quality report computed")
    return Report(facts, scan, disagreement, quicklooks)


def _facts(inputs: ReportInputs, start: ReportStart, written: Optional[RegionScan],
           mosaics: tuple[np.ndarray, np.ndarray, np.ndarray], geometry: Geometry, progress: Progress,
           lap: Callable[[str], None]) -> tuple[dict[str, Any], SceneScan, Disagreement]:
    """Every figure of the report but the reduced-resolution check's, the warnings and the
    headline, from the mosaics (LR-HSI, HR-MSI, result) and the scan (``written``: the one the
    windows fed, complete; None: scanned now); with the scan and the disagreement map."""
    model, source, r = inputs.model, inputs.source, inputs.model.scale
    tiles, noise, (hsi_rgb, msi_rgb) = start.tiles, start.noise, start.rgb
    lr, hr, fused = mosaics
    if written is not None:
        scan = written.result(geometry)
    else:
        whole = tiles.lr_pixels == source.lr_shape       # a small scene: scan what is already read
        scan = scan_scene(ArraySource.whole(lr, hr, r) if whole else source,
                          array_reader(fused) if whole else inputs.read_fused, model, geometry,
                          noise, (hsi_rgb, msi_rgb), inputs.budget_bytes, progress.child(0.1, 0.5))
    disagreement = inputs.disagreement or find_disagreement(scan.cross_units)
    lap("scan")
    progress.update(0.5, "HQNR index")
    quality = hqnr(fused, lr, hr, model)
    lap("HQNR")
    progress.update(0.6, "Sample spectra and warnings")
    names = inputs.msi_band_names
    facts: dict[str, Any] = {
        "run": {"method": inputs.method.name, "method_label": getattr(inputs.method, "label", inputs.method.name),
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "output": inputs.output,
                "scene_lr_pixels": list(source.lr_shape), "tiles_lr": tiles.rects(),
                "parameters": _parameters(inputs.request), "versions": _versions(),
                "seconds": dict(inputs.seconds)},
        "inputs": dict(inputs.delivered),
        "degradation": _degradation_facts(inputs),
        "noise": _noise_facts(noise),
        "consistency": {
            "geometry": geometry.name,
            "spatial": {**summary(scan.spatial_rms, noise.hsi_normal[scan.spatial_bands],
                                  noise.hsi_rms[scan.spatial_bands]), "hsi_bands": scan.spatial_bands},
            "spectral": summary(band_rms(spectral_residual(fused, geometry.move(hr), model))
                                if scan.spectral_rms is None else scan.spectral_rms,
                                noise.msi_normal, noise.msi_rms, names),
            "inputs": summary(scan.cross_rms, cross_normal(noise, model), noise.msi_rms, names),
            "spatial_map": block_mean(scan.spatial_units, MAP_PIXELS),
            "spectral_map": block_mean(scan.spectral_units, MAP_PIXELS) if scan.spectral_units.size else None},
        "reduced_resolution": None,                                  # the check's, beside these
        "hqnr": quality,
        "disagreement": {"threshold": disagreement.threshold, "share": disagreement.share,
                         "areas": disagreement.areas, "map": block_mean(disagreement.score, MAP_PIXELS),
                         "fused_from_hsi": inputs.disagreement is not None},
        "coverage": {"uncovered": uncovered_ranges(model)},
        "samples": sample_spectra(lr, hr, fused, model,
                                  sample_pixels(lr), tiles.scene_pixel),
        "quicklook": {"hsi_bands": hsi_rgb, "msi_bands": msi_rgb},
    }
    lap("samples")
    return facts, scan, disagreement


T = TypeVar("T")


def _timed(work: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``work(*args)`` and the seconds it took."""
    t0 = time.perf_counter()
    return work(*args), time.perf_counter() - t0


@contextmanager
def _beside(progress: Progress, work: Callable[[Progress], T]) -> Iterator["Future[T]"]:
    """``work(quiet)`` on a thread of its own while the caller goes on (the report's work after
    the windows runs on one core, the reduced-resolution check's fusion on another): ``quiet``
    shows no progress (the caller's would jump back and forth) and cancels when ``progress``
    does or the caller fails."""
    stop = threading.Event()

    def cancelled() -> bool:
        try:
            progress.check_cancelled()
        except Cancelled:
            return True
        return stop.is_set()

    with ThreadPoolExecutor(1, thread_name_prefix="reduced-check") as pool:
        future = pool.submit(work, Progress(is_cancelled=cancelled))
        try:
            yield future
        except BaseException:
            stop.set()
            raise
