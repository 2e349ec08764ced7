"""The report of a fusion run, as the pipeline asks for it: one call before the windows, one after.

:func:`report_start` and :func:`report_run` serve :func:`~fusion_core.pipeline.fuse_files` (so
the QGIS algorithm and the command line) and :func:`~fusion_core.pipeline.fuse_arrays` alike.
The first measures the inputs' noise and sets up the scan that the windows feed with each region
they write (:mod:`.region_scan`); the second reads the crop of the result back from the finished
output (file or array), computes the figures (:mod:`.assemble`) and writes what the request asks
for — the HTML report and its JSON (REPORT) with its sample spectra as a spectral library
(:mod:`.speclib`), the consistency map (CONSISTENCY_MAP) and the agreement mask (AGREEMENT) on
the output's grid — each atomically.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Optional

import numpy as np

from ..io import RasterGrid, write_raster
from ..progress import Progress
from ..request import FusionRequest
from .assemble import Report, ReportInputs, ReportStart, array_reader, assemble_report, start_report
from .disagreement import Disagreement
from .figures import consistency_figure, degradation_figure, image_png, map_png, spectra_figure
from .quicklook import block_mean
from .render import write_report_files
from .scan import FusedReader
from .speclib import spectral_library_path, write_spectral_library

if TYPE_CHECKING:
    from ..pipeline.plan import RunPlan
    from ..pipeline.scene import SceneModel

__all__ = ["wants_report", "report_start", "report_run", "write_report", "write_maps", "NOTES", "DISPLAY_PIXELS"]

#: Longest side of a map as the HTML shows it (block means of larger maps).
DISPLAY_PIXELS = 480

#: One sentence per section of the HTML, saying how to read it.
NOTES = {
    "quicklook": "True colour from the bands nearest 640, 550 and 470 nm; the LR-HSI and the result "
                 "share one stretch.",
    "consistency": "The result blurred by the estimated PSF and decimated should give the LR-HSI, "
                   "and integrated by the estimated SRF (times the gains) the HR-MSI, each up to "
                   "that input's measured noise (black: the noise per band, the normal value). "
                   "About 1 noise unit is "
                   "as good as the data can tell; many units mean the result does not reproduce "
                   "that input there.",
    "reduced": "Both inputs degraded once more by the ratio with the estimated model, fused with the "
               "same method and settings, and scored against this LR-HSI: a quality estimate "
               "measured on this scene, one scale down.",
    "hqnr": "Hybrid Quality with No Reference (Aiazzi et al., SPIE 9244, 2014): Khan's spectral "
            "distortion through the estimated PSF and the QNR spatial distortion (Alparone et al., "
            "PE&RS 2008) with every HR-MSI band as the panchromatic image.",
    "disagreement": "The HR-MSI blurred by the PSF against the LR-HSI integrated by the SRF, in "
                    "noise units; outlined: areas that stand out of the scene's own spread "
                    "(clouds, shadows, changes between dates).",
    "noise": "Measured in each input from the data alone (HySime-style regression for the LR-HSI; "
             "factor analysis and the cross-sensor residual for the HR-MSI); per band in the "
             "consistency plot above.",
    "spectra": "Four pixels at the extremes of the scene's first two principal components.",
}


def wants_report(request: FusionRequest) -> bool:
    """Whether the request asks for the report or one of its maps."""
    return bool(request.report or request.consistency_map or request.agreement_mask)


def _reader(output, bands: Optional[tuple[int, ...]] = None) -> FusedReader:
    """Reads the finished result over an HR rectangle, from an in-memory or a file output;
    only ``bands`` (the LR-HSI bands fused; all when None), in physical values (an int16
    output's scale and offset applied, nodata as NaN)."""
    data = getattr(output, "data", None)
    if data is not None:
        return array_reader(data if bands is None else data[list(bands)])
    from rasterio.windows import Window

    from ..io import read_raster

    path = str(output.final)

    def read(rect):
        values = read_raster(path, "fused result", window=Window(rect[1], rect[0], rect[3], rect[2])).data
        return values if bands is None else values[list(bands)]

    return read


def _map_top(values: np.ndarray) -> float:
    """Upper end of a map's colour scale: its 99th percentile, at least 2 noise units."""
    finite = values[np.isfinite(values)]
    return max(float(np.percentile(finite, 99)) if finite.size else 1.0, 2.0)


def write_report(path: str, report: Report, hsi_wavelengths: Optional[np.ndarray]) -> None:
    """Draw the figures of ``report`` and write the HTML and its JSON at ``path``."""
    t0 = time.perf_counter()
    facts = report.facts
    degradation = facts["degradation"]
    centres = degradation["msi_centres_nm"]
    from ..degradation import DegradationModel

    model = DegradationModel(degradation["scale"], degradation["psf"], degradation["srf"],
                             hsi_wavelengths, degradation["msi_band_names"],
                             msi_gain=degradation["msi_gain"])
    shown = {name: block_mean(values, DISPLAY_PIXELS) for name, values in (
        ("spatial", report.scan.spatial_units), ("spectral", report.scan.spectral_units),
        ("disagreement", report.disagreement.score))}
    outline = block_mean(report.disagreement.mask.astype(np.float32), DISPLAY_PIXELS) > 0
    tops = {name: _map_top(values) for name, values in shown.items()}
    tops["disagreement"] = max(2.0 * report.disagreement.threshold, tops["disagreement"])
    figures = {f"quicklook {name}": image_png(rgb) for name, rgb in report.quicklooks.items()}
    figures.update({f"map {name}": map_png(values, tops[name],
                                           outline if name == "disagreement" else None)
                    for name, values in shown.items()})
    figures.update({
        "degradation": degradation_figure(model),
        "consistency": consistency_figure(facts["consistency"], hsi_wavelengths),
        "spectra": spectra_figure(facts["samples"], hsi_wavelengths, centres),
    })
    facts["run"]["report_seconds"]["figures"] = time.perf_counter() - t0
    write_report_files(path, facts, figures, NOTES, tops)


def write_maps(request: FusionRequest, report: Report, grid: RasterGrid, scale: int) -> None:
    """The consistency map and the agreement mask, on the output's HR grid, when asked for."""
    def to_hr(lr_map: np.ndarray) -> np.ndarray:
        return np.kron(lr_map, np.ones((scale, scale), np.float32))

    if request.consistency_map:
        data = np.stack([report.scan.spectral_units, to_hr(report.scan.spatial_units)])
        write_raster(request.consistency_map, data.astype(np.float32), grid,
                     ["vs HR-MSI (noise units)", "vs LR-HSI (noise units)"])
    if request.agreement_mask:
        agree = np.where(np.isfinite(report.scan.cross_units), ~report.disagreement.mask, np.nan)
        write_raster(request.agreement_mask, to_hr(agree.astype(np.float32))[None], grid,
                     ["1: the inputs agree, 0: they disagree"])


def report_start(plan: "RunPlan", scene: "SceneModel") -> Optional[ReportStart]:
    """Before the windows: the noise and the scan they feed (pass its ``scan.add`` to
    :func:`~fusion_core.windows.run_windows`), when the run asks for a report or a map."""
    if not wants_report(plan.request):
        return None
    bands = scene.source.lr_bands
    lr = plan.lr if bands is None else plan.lr.select(bands)
    return start_report(scene.source, scene.model, lr.wavelengths, scene.grid, scene.texture)


def report_run(plan: "RunPlan", scene: "SceneModel", output, seconds: dict[str, float],
               progress: Progress, start: ReportStart,
               disagreement: Optional[Disagreement] = None) -> dict[str, float]:
    """Compute and write the report and maps of ``start`` (:func:`report_start`); returns
    ``{"report": seconds}``, counting the time spent before and during the windows.
    ``disagreement``: the map the run fused from the LR-HSI alone, shown as it is."""
    from ..pipeline.lineage import input_facts

    request = plan.request
    t0 = time.perf_counter()
    progress.info("Computing the quality report.")
    grid = getattr(output, "grid", None) or scene.source.plan.hr_grid(plan.hr)  # the result's own grid
    bands = scene.source.lr_bands
    lr = plan.lr if bands is None else plan.lr.select(bands)
    inputs = ReportInputs(request, plan.method, scene.source, _reader(output, bands), scene.model,
                          str(getattr(output, "final", output.path)), lr.wavelengths,
                          list(plan.hr.band_names), dict(seconds), "estimation" in scene.seconds,
                          max(request.memory_bytes // 8, 2 ** 26),
                          grid.pixel_size[0] if grid.crs is not None else None, start,
                          disagreement, input_facts(plan.inputs))
    report = assemble_report(inputs, progress.child(0.0, 0.9))
    t1 = time.perf_counter()
    write_maps(request, report, grid, scene.model.scale)
    report.facts["run"]["report_seconds"]["maps"] = time.perf_counter() - t1
    if request.report:
        write_report(request.report, report, lr.wavelengths)
        library = spectral_library_path(request.report)
        write_spectral_library(library, report.facts["samples"], report.facts["run"]["crop_lr"][:2],
                               scene.model.scale, grid, lr.wavelengths, report.facts["degradation"]["msi_centres_nm"])
        progress.info(f"Quality report written to {request.report} "
                      f"({len(report.facts['warnings'])} warning(s)); its sample spectra to {library}.")
    earlier = start.seconds + (start.scan.seconds if start.scan is not None else 0.0)
    return {"report": time.perf_counter() - t0 + earlier}
