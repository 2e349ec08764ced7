"""Blind estimation of the degradation model (PSF, SRF, grid offset) from an LR-HSI/HR-MSI pair.

The pair obeys one relation: the HR-MSI blurred and decimated by the PSF equals the LR-HSI
integrated by the SRF. The estimate solves it in three steps, each a small exact problem:

1. **Localise** the PSF on a generous window (``2r+1``, grown by ``r`` while the kernel's mass
   reaches the window's rim) with the SRF projected out (:mod:`.psf_estimator`). An off-centre
   kernel — a sub-pixel or larger shift between the grids — is found here.
2. **Choose the support**: the smallest rectangle keeping 99 % of that kernel, plus a margin.
3. **Fit jointly** PSF and SRF on that support, a convex QP solved exactly (:mod:`.joint`),
   with the PSF's smoothness chosen by GCV; with a prior, the prior is first shifted and
   stretched to fit the data, then used as a pull, twice (:mod:`.srf_estimator`, :mod:`.prior_fit`).

Only LR pixels whose whole PSF window lies inside the image (and is finite) enter the
equations, so reflected borders never bias the estimate. Noise of the LR-HSI is kept out of the
localisation by its signal subspace; the HR-MSI's noise, which sits inside the regression
matrix, acts as a slight ridge on the PSF (errors-in-variables) that the GCV choice accounts for.
"""

from __future__ import annotations

import time
from typing import Optional, Sequence

import numpy as np
import torch

from ..degradation import DegradationModel, normalize_srf, psf_fwhm, spatial_degrade, spectral_degrade
from ..errors import InputError
from ..progress import Progress
from ..spectral import hsi_noise_std, subspace_dimension
from ..srf.prior import SrfPrior
from .confidence import srf_confidence
from .joint import joint_fit
from .prior_fit import fit_with_prior
from .psf_estimator import SMOOTHNESS_GRID, choose_smoothness, locate_psf, rim_mass, trim_window
from .windows import Window, count_interior, gather_patches, interior

__all__ = ["estimate_degradation", "check_msi_bands", "unexplained_band", "RIM_LIMIT", "MIN_PIXELS"]

#: Rim mass of the localised kernel above which the window is grown by the ratio.
RIM_LIMIT = 0.03
#: Fewest LR pixels accepted; and equations per PSF unknown (pixels × bands / K²).
MIN_PIXELS, EQUATIONS_PER_UNKNOWN = 16, 2.0
#: Share of the misfit that per-band radiometric gains between the sensors must explain to be
#: modelled. Two instruments calibrated alike (simulated pairs: 1–5 %) keep SRFs summing to one,
#: which determines them better; real pairs with other gains (Hyperion/ALI: 86 %) get gains, or
#: the PSF would absorb the contrast difference.
GAIN_EVIDENCE = 0.2
#: A band whose consistency residual exceeds this and 3× the median cannot be from the HSI.
UNEXPLAINED = 0.3
#: Relative weight of the HR-MSI bands that are not at the image's own resolution in the joint
#: fit: small enough that they do not shape the PSF, large enough for the solver to fit their SRF.
COARSE_BAND_WEIGHT = 1e-3
_MAP_SIZE = 128


def estimate_degradation(
    lr_hsi: np.ndarray,
    hr_msi: np.ndarray,
    scale: int,
    *,
    srf_prior: Optional[np.ndarray | SrfPrior] = None,
    psf_size: Optional[int] = None,
    hsi_wavelengths: Optional[np.ndarray] = None,
    msi_band_names: Optional[Sequence[str]] = None,
    psf_bands: Optional[Sequence[int]] = None,
    check_bands: bool = True,
    progress: Optional[Progress] = None,
) -> DegradationModel:
    """Estimate PSF, SRF and grid offset of a pair from the pair alone.

    Args:
        lr_hsi: LR-HSI ``(C, h, w)``; non-finite values mark unusable pixels.
        hr_msi: HR-MSI ``(M, H, W)`` with ``H = r h`` and ``W = r w``; both images on one common
            radiometric scale (any common factor).
        scale: the integer ratio r.
        srf_prior: optional SRF prior: a :class:`~fusion_core.srf.SrfPrior` (a preset or CSV with
            its curves, best) or a ``(C, M)`` matrix on the HSI bands. It may be shifted or too
            wide or narrow: the data correct it.
        psf_size: PSF support in HR pixels (``>= r``); chosen from the data when None.
        hsi_wavelengths: ``(C,)`` band centres in nm (for the SRF's smoothness and the prior).
        msi_band_names: names of the ``M`` HR-MSI bands, for messages and the model file.
        psf_bands: the HR-MSI bands at the image's own resolution (all when None). The others
            (bands resampled from coarser pixels, e.g. Sentinel-2's 20 m bands in a 10 m stack,
            whose leftover blur would narrow the PSF) are weighted :data:`COARSE_BAND_WEIGHT`
            times less: the PSF comes from the sharp bands, and each band's own SRF column,
            which for a given PSF does not depend on its weight, is fitted as before.
        check_bands: refuse an HR-MSI band the LR-HSI cannot explain (:func:`check_msi_bands`);
            a caller that may still leave out pixels where the images disagree checks later.
        progress: progress reporter; raises ``Cancelled`` when the user stops.

    Returns:
        The :class:`DegradationModel`; its ``diagnostics`` give the support chosen, grid offset,
        per-band consistency residual and gain, a residual map, iterations and time.

    Raises:
        InputError: shapes that do not nest, too few pixels for the support asked for, a prior of
            the wrong shape, or an HR-MSI band the LR-HSI cannot explain.
    """
    start = time.perf_counter()
    progress = progress or Progress()
    lr, hr, r, names = _check_shapes(lr_hsi, hr_msi, scale, msi_band_names)
    c, m = lr.shape[0], hr.shape[0]
    wl = _check_vector(hsi_wavelengths, c, "hsi_wavelengths")
    prior = _check_prior(srf_prior, wl, c, m, names)
    bad_lr, bad_hr = ~np.all(np.isfinite(lr), axis=0), ~np.all(np.isfinite(hr), axis=0)
    lr, hr = np.where(np.isfinite(lr), lr, 0.0), np.where(np.isfinite(hr), hr, 0.0)
    factor = float(np.mean(np.abs(lr[:, ~bad_lr]))) if (~bad_lr).any() else 0.0
    if not factor > 0:
        raise InputError("The LR-HSI has no valid non-zero pixel: check the input raster and its nodata.")
    lr, hr = lr / factor, hr / factor
    weights = 1.0 / np.maximum(np.mean(hr[:, ~bad_hr] ** 2, axis=1), 1e-30)
    if psf_bands is not None:
        coarse = np.ones(m, bool)
        coarse[list(psf_bands)] = False
        weights[coarse] *= COARSE_BAND_WEIGHT
    noise_std = hsi_noise_std(torch.from_numpy(lr[:, ~bad_lr])).numpy()

    def patches_of(window: Window):
        return gather_patches(lr, hr, r, window, bad_hr, bad_lr)

    progress.update(0.02, "Localising the PSF")
    diag: dict = {"estimator": "joint simplex least squares (exact QP)", "warnings": []}
    if psf_size is not None:
        window = Window.centred(_check_support(psf_size, lr.shape, hr.shape, r, m), r)
        diag["psf_support_auto"] = False
    else:
        window, located, facts = _localise(patches_of, noise_std, lr.shape, hr.shape, r, m)
        diag.update(facts)
        window = trim_window(located, window)
        diag["psf_support_auto"] = True
    progress.update(0.4, "Fitting PSF and SRF jointly")
    patches = patches_of(window)
    fit = joint_fit(patches, weights, window, SMOOTHNESS_GRID[0], wl)
    alike = joint_fit(patches, weights, window, SMOOTHNESS_GRID[0], wl, free_gains=False)
    free_gains = alike.rss - fit.rss > GAIN_EVIDENCE * alike.rss
    fit = fit if free_gains else alike
    smooth = choose_smoothness(patches, weights, fit.srf * fit.gains, window)
    if smooth != SMOOTHNESS_GRID[0]:
        fit = joint_fit(patches, weights, window, smooth, wl, start=fit, free_gains=free_gains)
    iterations = {"joint": fit.iterations}
    if prior is not None:
        progress.update(0.75, "Fitting the SRF prior to the data")
        fit, adapted, iterations["joint_with_prior"] = fit_with_prior(prior, patches, weights, window, smooth, wl, fit,
                                                                      noise_std, free_gains)
        diag["srf_prior"] = {"name": prior.name, "shift": adapted.shifts, "stretch": adapted.stretches,
                             "shift_std": adapted.shift_std, "common_shift": adapted.common_shift,
                             "common_shift_std": adapted.common_std,
                             "shift_unit": "nm" if prior.wavelengths is not None else "bands"}
    diag["srf_confidence"] = srf_confidence(patches, fit.srf, noise_std, prior is not None)
    psf = window.embed(fit.kernel, r)
    progress.update(0.9, "Checking consistency")
    model = DegradationModel(r, psf, fit.srf, wl, names, diag, msi_gain=fit.gains if free_gains else None)
    diag.update({
        "psf_support": int(psf.shape[0]),
        "psf_window": {"top": window.top, "left": window.left, "height": window.height, "width": window.width},
        "psf_offset_px": list(model.psf_offset),
        "psf_fwhm_px": list(psf_fwhm(psf)),
        "psf_smoothness": smooth,
        "pixels_used": patches.n_pixels,
        "iterations": iterations,
        "solver_ridge": fit.ridge,
        "msi_gains_modelled": bool(free_gains),
        "hsi_noise_rms": float(np.sqrt(np.mean(noise_std ** 2))) * factor,
    })
    diag.update(_consistency(lr, hr, model, bad_lr, bad_hr))
    diag["time_s"] = time.perf_counter() - start
    if check_bands:
        check_msi_bands(model)
    progress.update(1.0, "Degradation estimated")
    return model


def unexplained_band(model: DegradationModel) -> Optional[int]:
    """The HR-MSI band of an estimated model far less consistent with the LR-HSI than the others
    (residual above :data:`UNEXPLAINED` and 3× the others' median), or None."""
    residual = np.asarray(model.diagnostics["consistency_residual"])
    if len(residual) < 2:
        return None
    worst = int(np.argmax(residual))
    others = np.median(np.delete(residual, worst))
    return worst if residual[worst] > UNEXPLAINED and residual[worst] > 3.0 * others else None


def check_msi_bands(model: DegradationModel, disagreeing: float = 0.0) -> Optional[str]:
    """Check that no HR-MSI band of an estimated model is far less consistent with the LR-HSI
    than the others.

    Without disagreement such a band lies outside the hyperspectral range: :class:`InputError`.
    When a share ``disagreeing`` of the pixels was found to disagree and left out, the band may
    also see ground that differs between the images (a change that dips below the threshold in
    places): the pair is fused, so the warning is returned and added to the model's
    ``diagnostics["warnings"]`` (the report shows it) instead. Returns None when every band is
    explained.
    """
    residual = np.asarray(model.diagnostics["consistency_residual"])
    names = model.msi_band_names or [f"band {i + 1}" for i in range(len(residual))]
    worst = unexplained_band(model)
    if worst is None:
        return None
    others = np.median(np.delete(residual, worst))
    found = (f"HR-MSI {names[worst]} cannot be explained by the LR-HSI (consistency residual "
             f"{100 * residual[worst]:.0f} % against {100 * others:.0f} % for the other bands)")
    if not disagreeing:
        raise InputError(f"{found}: it most likely lies outside the hyperspectral wavelength "
                         "range; drop it from the HR-MSI.")
    warning = (f"{found}, after the {100 * disagreeing:.0f} % of the pixels where the two images "
               "disagree were left out of the estimation: ground that differs between the images "
               "(changes between the dates, clouds) may remain in it, so the estimated PSF and SRF "
               "and the fused detail of that band are less certain; those areas are fused from "
               "the LR-HSI alone. If the band lies outside the hyperspectral wavelength range, drop "
               "it from the HR-MSI.")
    model.diagnostics.setdefault("warnings", []).append(warning)
    return warning


def _localise(patches_of, noise_std: np.ndarray, lr_shape, hr_shape, r: int, m: int):
    """Localised kernel on the smallest window (from 2r+1 up to 3r+1) whose rim it leaves empty.

    Returns:
        The window, the kernel on it, and the facts for the diagnostics (with a ``warnings`` list).
    """
    size = 2 * r + 1
    while size > r and not _enough(size, lr_shape, hr_shape, r, m):
        size -= 1
    _check_support(size, lr_shape, hr_shape, r, m)
    while True:
        window = Window.centred(size, r)
        patches = patches_of(window)
        dimension = subspace_dimension(torch.from_numpy(patches.y), torch.from_numpy(noise_std))
        kernel, _ = locate_psf(patches, 1.0 / np.mean(patches.a.mean(axis=2) ** 2, axis=1), dimension, window)
        rim = rim_mass(kernel)
        grown = size + r
        if rim <= RIM_LIMIT or size >= 3 * r + 1 or not _enough(grown, lr_shape, hr_shape, r, m):
            break
        size = grown
    warnings = []
    if rim > RIM_LIMIT:
        warnings.append(
            f"{100 * rim:.0f} % of the PSF's mass lies on the rim of the largest window the images "
            f"allow ({size} px): the PSF may be larger or the grids shifted by more; check the plot.")
    facts = {"localisation_window": size, "localisation_rim_mass": rim, "hsi_subspace_dim": dimension,
             "warnings": warnings}
    return window, kernel, facts


def _enough(size: int, lr_shape, hr_shape, r: int, m: int) -> bool:
    n = count_interior(lr_shape[1:], hr_shape[1:], r, Window.centred(size, r))
    return n >= MIN_PIXELS and n * m >= EQUATIONS_PER_UNKNOWN * size * size


def _check_support(size: int, lr_shape, hr_shape, r: int, m: int) -> int:
    size = int(size)
    if size < r:
        raise InputError(f"The PSF support ({size} px) must be at least the ratio ({r} px).")
    if not _enough(size, lr_shape, hr_shape, r, m):
        n = count_interior(lr_shape[1:], hr_shape[1:], r, Window.centred(size, r))
        need = max(MIN_PIXELS, int(np.ceil(EQUATIONS_PER_UNKNOWN * size * size / m)))
        largest = max((k for k in range(r, size) if _enough(k, lr_shape, hr_shape, r, m)), default=None)
        hint = (f"choose a PSF support of at most {largest} px" if largest
                else "use larger images (more LR pixels)")
        raise InputError(
            f"Too few pixels to estimate a {size}×{size} PSF: {n} LR pixels have their whole "
            f"support inside the image, {need} are needed with {m} HR-MSI band(s); {hint}.")
    return size


def _check_shapes(lr_hsi, hr_msi, scale, names):
    lr, hr = np.asarray(lr_hsi, dtype=np.float64), np.asarray(hr_msi, dtype=np.float64)
    if lr.ndim != 3 or hr.ndim != 3:
        raise InputError(f"Expected LR-HSI (C, h, w) and HR-MSI (M, H, W), got shapes {lr.shape} and {hr.shape}.")
    if int(scale) != scale or scale < 1:
        raise InputError(f"The ratio must be a positive integer, got {scale}.")
    r = int(scale)
    (_, h, w), (m, big_h, big_w) = lr.shape, hr.shape
    if big_h % r or big_w % r:
        raise InputError(
            f"The ratio {r} does not divide the HR-MSI size {big_w}×{big_h} pixels: crop the HR-MSI "
            f"to {big_w - big_w % r}×{big_h - big_h % r} (and the LR-HSI accordingly) or check the ratio.")
    if (big_h // r, big_w // r) != (h, w):
        raise InputError(
            f"The HR-MSI ({big_w}×{big_h}) is not {r} times the LR-HSI ({w}×{h}): the images must cover "
            f"the same ground with the ratio {r}.")
    if names is not None and len(names) != m:
        raise InputError(f"{len(names)} band names for an HR-MSI with {m} bands.")
    return lr, hr, r, (list(map(str, names)) if names is not None else None)


def _check_vector(values, n: int, what: str) -> Optional[np.ndarray]:
    if values is None:
        return None
    out = np.asarray(values, dtype=np.float64).ravel()
    if out.size != n:
        raise InputError(f"{what} has {out.size} values for {n} LR-HSI bands.")
    return out


def _check_prior(prior, wl, c: int, m: int, names) -> Optional[SrfPrior]:
    """The prior as an :class:`SrfPrior` with normalised columns (a new one: the caller's is kept)."""
    if prior is None:
        return None
    if not isinstance(prior, SrfPrior):
        prior = SrfPrior.from_matrix(np.asarray(prior, dtype=np.float64), wl)
    if prior.shape != (c, m):
        raise InputError(
            f"The SRF prior has shape {prior.shape} but the pair needs ({c}, {m}) (LR-HSI bands × "
            "HR-MSI bands): pick the preset's bands that the HR-MSI has, in its band order.")
    return prior.with_matrix(normalize_srf(prior.matrix, names))


def _consistency(lr: np.ndarray, hr: np.ndarray, model: DegradationModel, bad_lr: np.ndarray,
                 bad_hr: np.ndarray) -> dict:
    """Per-band gain and residual (after the gain) between the two LR-MSIs and a residual map,
    for the diagnostics."""
    r, k = model.scale, model.psf.shape[0]
    with torch.no_grad():
        from_hsi = spectral_degrade(torch.from_numpy(lr)[None], model.srf)[0].numpy()
        from_msi = spatial_degrade(torch.from_numpy(hr)[None], model.psf, r)[0].numpy()
        touched = spatial_degrade(torch.from_numpy(bad_hr[None, None].astype(np.float64)),
                                  np.ones((k, k)), r)[0, 0].numpy() > 0
    start = -((k - r) // 2)
    mask = np.zeros(bad_lr.shape, bool)
    rows, cols = interior(lr.shape[1], hr.shape[1], r, start, k), interior(lr.shape[2], hr.shape[2], r, start, k)
    mask[np.ix_(rows, cols)] = True
    mask &= ~bad_lr & ~touched
    gain = np.sum(from_msi[:, mask] * from_hsi[:, mask], axis=1) / np.sum(from_hsi[:, mask] ** 2, axis=1)
    diff = gain[:, None, None] * from_hsi - from_msi
    rms = np.sqrt(np.mean(from_msi[:, mask] ** 2, axis=1))
    residual = np.sqrt(np.mean(diff[:, mask] ** 2, axis=1)) / rms
    rel_map = np.where(mask, np.sqrt(np.mean((diff / rms[:, None, None]) ** 2, axis=0)), np.nan)
    return {
        "consistency_residual": residual,
        "consistency_residual_total": float(np.sqrt(np.mean(residual ** 2))),
        "msi_band_gain": gain,
        "consistency_map": _shrink(rel_map),
    }


def _shrink(values: np.ndarray) -> list:
    """A map of at most _MAP_SIZE² block means, NaN written as None (JSON null)."""
    step = int(np.ceil(max(values.shape) / _MAP_SIZE))
    if step > 1:
        h, w = values.shape[0] // step * step, values.shape[1] // step * step
        with np.errstate(invalid="ignore"):
            blocks = values[:h, :w].reshape(h // step, step, w // step, step)
            finite = np.isfinite(blocks).sum(axis=(1, 3))
            values = np.where(finite > 0, np.nansum(blocks, axis=(1, 3)) / np.maximum(finite, 1), np.nan)
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in values]
