"""Warnings in plain words, decided from the report's own figures.

Each rule reads the figures the report shows (so a reader can check it) and speaks when
something is off: the inputs were acquired far apart, the degradation model explains the pair
poorly, the result does not give back an input, the images are misregistered by more than an
HR-MSI pixel, HSI bands lie outside every MSI band (their detail is predicted, not observed),
the images disagree somewhere, or the reduced-resolution check does no better than
interpolation. The blind estimation's own warnings come last.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..degradation import DegradationModel
from ..io.dates import date_gap_warning

__all__ = ["POOR_FIT_UNITS", "POOR_FIT_PERCENT", "MISREGISTRATION_HR_PX", "band_ranges",
           "uncovered_ranges", "alerts", "headline"]

#: A residual is a misfit when it exceeds this many noise units…
POOR_FIT_UNITS = 3.0
#: …and this share of the band's RMS (%), so round-off on clean data never counts.
POOR_FIT_PERCENT = 1.0
#: Misregistration (HR pixels) above which the report warns.
MISREGISTRATION_HR_PX = 1.0
_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def _axis(model: DegradationModel) -> np.ndarray:
    """The HSI bands' wavelengths in nm, or their indices when unknown."""
    if model.hsi_wavelengths is not None:
        return model.hsi_wavelengths
    return np.arange(model.n_hsi_bands, dtype=float)


def band_ranges(model: DegradationModel) -> np.ndarray:
    """Range ``(M, 2)`` of each MSI band on the HSI band axis: its estimated SRF's centre ± half
    its FWHM (of the Gaussian with the same second moment), which a sparse blind estimate leaves
    stable. In nm with the HSI's wavelengths, else in band indices."""
    x = _axis(model)
    centre = x @ model.srf
    spread = np.sqrt(np.maximum(((x[:, None] - centre[None]) ** 2 * model.srf).sum(axis=0), 0.0))
    step = float(np.min(np.diff(np.sort(x)))) if x.size > 1 else 1.0
    half = np.maximum(_FWHM_PER_SIGMA / 2 * spread, step / 2)
    return np.stack([centre - half, centre + half], axis=1)


def uncovered_ranges(model: DegradationModel) -> list[dict]:
    """Runs of HSI bands outside every MSI band's range (:func:`band_ranges`)."""
    x = _axis(model)
    ranges = band_ranges(model)
    outside = ~((x[:, None] >= ranges[None, :, 0]) & (x[:, None] <= ranges[None, :, 1])).any(axis=1)
    runs, start = [], None
    for band, out in enumerate(list(outside) + [False]):
        if out and start is None:
            start = band
        elif not out and start is not None:
            run: dict[str, Any] = {"first_band": start, "last_band": band - 1, "bands": band - start}
            if model.hsi_wavelengths is not None:
                run["nm"] = [float(x[start]), float(x[band - 1])]
            runs.append(run)
            start = None
    return runs


def _misfit(part: dict) -> bool:
    return (part["noise_units_median"] > POOR_FIT_UNITS
            and float(np.median(part["residual_percent"])) > POOR_FIT_PERCENT)


def _worst_bands(part: dict, count: int = 3) -> str:
    names = part.get("bands") or [f"band {i + 1}" for i in range(len(part["noise_units"]))]
    order = np.argsort(part["noise_units"])[::-1][:count]
    return ", ".join(f"{names[i]} ({part['residual_percent'][i]:.1f} %)" for i in order)


def _range_text(run: dict) -> str:
    if "nm" in run:
        span = f"{run['nm'][0]:.0f}–{run['nm'][1]:.0f}" if run["bands"] > 1 else f"{run['nm'][0]:.0f}"
        return f"{span} nm"
    first, last = run["first_band"] + 1, run["last_band"] + 1
    return f"bands {first}–{last}" if run["bands"] > 1 else f"band {first}"


def alerts(facts: dict, pixel_size: Optional[float] = None) -> list[str]:
    """The warnings of a report's figures (``facts``, as written to its JSON)."""
    delivered = facts.get("inputs") or {}
    dates = date_gap_warning(*(delivered.get(k, {}).get("acquired") for k in ("lr_hsi", "hr_msi")))
    found = [dates] if dates else []
    consistency = facts["consistency"]
    inputs = consistency["inputs"]
    if _misfit(inputs):
        found.append(
            "The degradation model explains the two images poorly: the HR-MSI blurred by the "
            f"estimated PSF differs from the LR-HSI integrated by the SRF by "
            f"{np.median(inputs['residual_percent']):.1f} % of the signal, "
            f"{inputs['noise_units_median']:.1f} times what their noise explains (worst: "
            f"{_worst_bands(inputs)}). Check that both images show the same area and date, and "
            "look at the PSF and SRF below; a degradation model estimated on a better pair can be "
            "given instead.")
    for key, what, ref in (("spatial", "blurred by the PSF and decimated", "LR-HSI"),
                           ("spectral", "integrated by the SRF", "HR-MSI")):
        part = consistency[key]
        if _misfit(part):
            found.append(
                f"The result, {what}, differs from the {ref} by "
                f"{np.median(part['residual_percent']):.1f} % of the signal "
                f"({part['noise_units_median']:.1f} times the {ref}'s noise; worst: "
                f"{_worst_bands(part)}): it does not reproduce that input, so its values there "
                "are the method's guess. See the map below for where.")
    dy, dx = facts["degradation"]["misregistration_hr_px"]
    shift = float(np.hypot(dy, dx))
    if shift > MISREGISTRATION_HR_PX:
        metres = f" ({shift * pixel_size:.1f} m)" if pixel_size else ""
        found.append(
            f"The two images are misregistered by {shift:.1f} HR pixels{metres} (rows {dy:+.2f}, "
            f"columns {dx:+.2f}). The estimated PSF absorbed the shift and the result is on the "
            f"{facts['consistency']['geometry']} geometry; edges may look doubled or soft. "
            "Co-register the images (or check their georeferencing) if they should match better.")
    uncovered = facts["coverage"]["uncovered"]
    if uncovered:
        count = sum(run["bands"] for run in uncovered)
        found.append(
            f"{count} HSI bands lie outside every HR-MSI band's range "
            f"({', '.join(_range_text(run) for run in uncovered)}): no HR-MSI band observes "
            "them, so their spatial detail is predicted from the other bands, not observed.")
    disagreement = facts["disagreement"]
    if disagreement["areas"]:
        found.append(
            f"The two images disagree over {100 * disagreement['share']:.1f} % of the scene "
            f"({disagreement['areas']} area(s), map below): clouds or shadows in one image only, "
            "or changes between the acquisition dates. "
            + ("There the result is the LR-HSI alone brought to the HR grid (fused from the LR-HSI "
               "alone, as asked): it shows what the LR-HSI sees, at its resolution."
               if disagreement.get("fused_from_hsi") else
               "There the result follows the HR-MSI's content and is not confirmed by the LR-HSI; "
               "DISAGREEMENT_FROM_HSI (--disagreement-from-hsi, on by default and turned off for "
               "this run) fuses those areas from the LR-HSI alone."))
    reduced = facts["reduced_resolution"]
    as_fused = reduced.get("fused_PSNR", reduced.get("PSNR"))   # the reduced result itself, as bicubic's
    if as_fused is not None and as_fused <= reduced["bicubic"]["PSNR"]:
        found.append(
            f"At reduced resolution the method scores {as_fused:.1f} dB, no better than "
            f"bicubic interpolation ({reduced['bicubic']['PSNR']:.1f} dB): on this pair its "
            "added detail is not supported by the data.")
    found.extend(facts["degradation"].get("estimation_warnings", []))
    return found


def headline(facts: dict) -> str:
    """The report in one sentence: the quality estimate, the fit to the LR-HSI, the warnings."""
    reduced = facts["reduced_resolution"]
    if "PSNR" in reduced:
        quality = (f"Estimated quality {reduced['PSNR']:.1f} dB PSNR (bicubic interpolation "
                   f"{reduced['bicubic']['PSNR']:.1f} dB), measured on this pair one scale down")
    else:
        quality = "No quality estimate (the pair is too small to be degraded once more)"
    spatial = facts["consistency"]["spatial"]["noise_units_median"]
    count = len(facts["warnings"])
    return (f"{quality}; the result gives back the LR-HSI within {spatial:.1f} noise units; "
            f"{count} warning{'' if count == 1 else 's'}.")
