"""A computed report (:mod:`.assemble`) written as the request asks: the HTML report and its JSON
(REPORT; its sample spectra as a spectral library: :mod:`.speclib`), the consistency map
(CONSISTENCY_MAP) and the agreement mask (AGREEMENT) on the output's grid, each atomically.
"""

from __future__ import annotations

import time
from typing import Optional

import numpy as np

from ..io import RasterGrid, write_raster
from ..request import FusionRequest
from .assemble import Report
from .figures import consistency_figure, degradation_figure, image_png, map_png, spectra_figure
from .quicklook import block_mean
from .render import write_report_files

__all__ = ["wants_report", "write_report", "write_maps", "NOTES", "DISPLAY_PIXELS"]

#: Longest side of a map as the HTML shows it (block means of larger maps).
DISPLAY_PIXELS = 480

#: One sentence per section of the HTML, saying how to read it.
NOTES = {
    "quicklook": "True colour from the bands nearest 640, 550 and 470 nm; the LR-HSI and the result "
                 "share one stretch.",
    "consistency": "The result blurred by the estimated PSF and decimated should give the LR-HSI "
                   "up to its measured noise (black: the noise per band, the normal value). About 1 "
                   "noise unit is as good as the data can tell; many units mean the result does not "
                   "reproduce the LR-HSI there. (The result integrated by the SRF against the HR-MSI "
                   "is checked too, and warned about when it misses by several noise units, but not "
                   "shown as a figure: a method that copies the HR-MSI fits it best whether or not "
                   "its spectra are right.)",
    "reduced": "Both inputs, cut from tiles spread over the whole scene, degraded once more by the "
               "ratio with the estimated model, fused with the same method and settings, and scored "
               "against this LR-HSI's signal: a quality estimate measured on this scene, one scale "
               "down. PSNR and ERGAS take out what fitting the method's map on the r² times fewer "
               "pixels of the reduced pair costs, and count the areas this run took from the "
               "LR-HSI alone with the error of that interpolation, measured on the HR-MSI.",
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
        ("spatial", report.scan.spatial_units), ("disagreement", report.disagreement.score))}
    outline = block_mean(report.disagreement.mask.astype(np.float32), DISPLAY_PIXELS) > 0
    tops = {name: _map_top(values) for name, values in shown.items()}
    tops["disagreement"] = max(2.0 * report.disagreement.threshold, tops["disagreement"])
    figures: dict[str, bytes | str] = {f"quicklook {name}": image_png(rgb)
                                       for name, rgb in report.quicklooks.items()}
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
