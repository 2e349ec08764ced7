"""Does the fused image give back its two inputs? Residuals of the observation model in noise units.

Blurred by the estimated PSF and decimated, the fused image ``X`` must give the LR-HSI ``Y``;
integrated by the estimated SRF and scaled by the gains, it must give the HR-MSI ``Z``:

* spatial residual ``D(X) − Y``, per HSI band and LR pixel;
* spectral residual ``g ∘ Sᵀ X − Z``, per MSI band and HR pixel.

Were ``X`` the true scene, each residual would be that input's own noise, so the value that is
normal for a band is the noise standard deviation that :mod:`fusion_core.spectral.noise` measures
in that input. A residual of about one noise unit is all the data can tell; several units mean
the result (or the degradation model) does not explain the input. The normal value never goes
below :data:`NOISE_FLOOR` of the band's RMS: no imaging sensor's data are cleaner than that, and
a noise-free simulation would otherwise call round-off a misfit.

A blind PSF that came out off centre has absorbed a shift between the sensors; a method may put
its result on either image's geometry (SSCF moves the HR-MSI onto the HSI's by default).
:func:`choose_geometry` tries both and keeps the one the result fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

from ..degradation import DegradationModel, spatial_degrade, spectral_degrade
from ..spectral import hsi_noise_std, msi_noise_std

__all__ = ["NOISE_FLOOR", "NoiseLevels", "Geometry", "as_batch", "input_noise", "model_geometry",
           "choose_geometry", "spatial_residual", "spectral_residual", "noise_units",
           "band_rms", "summary"]

#: Smallest noise standard deviation a band is credited with, as a share of its RMS.
NOISE_FLOOR = 1e-3
#: Grid offsets below this (HR pixels) leave one geometry only.
_SHIFT_TOLERANCE = 0.05


@dataclass(frozen=True)
class NoiseLevels:
    """Noise of the two inputs as measured, and the band RMS it is compared with.

    Attributes:
        hsi, msi: noise standard deviation per band ``(C,)`` / ``(M,)``, input units.
        hsi_rms, msi_rms: RMS of each band ``(C,)`` / ``(M,)``.
    """

    hsi: np.ndarray
    msi: np.ndarray
    hsi_rms: np.ndarray
    msi_rms: np.ndarray

    @property
    def hsi_normal(self) -> np.ndarray:
        """The spatial residual's normal value per HSI band."""
        return np.maximum(self.hsi, NOISE_FLOOR * self.hsi_rms)

    @property
    def msi_normal(self) -> np.ndarray:
        """The spectral residual's normal value per MSI band."""
        return np.maximum(self.msi, NOISE_FLOOR * self.msi_rms)

    def snr_db(self, which: str) -> np.ndarray:
        """Signal-to-noise ratio per band in dB (band RMS over noise std) of ``"hsi"``/``"msi"``."""
        rms, std = (self.hsi_rms, self.hsi) if which == "hsi" else (self.msi_rms, self.msi)
        with np.errstate(divide="ignore"):
            return 20.0 * np.log10(rms / np.maximum(std, 1e-30))


@dataclass(frozen=True)
class Geometry:
    """The operators the fused image is checked with: a PSF and a shift of the HR-MSI.

    Attributes:
        name: ``"HR-MSI's"`` (the model as estimated: an off-centre PSF put the result on the
            HR-MSI's grid) or ``"LR-HSI's"`` (the PSF re-centred, the HR-MSI moved).
        psf: the kernel ``(K, K)`` that degrades the fused image to the LR-HSI.
        shift: ``(dy, dx)`` HR pixels the HR-MSI is moved by before comparing.
    """

    name: str
    psf: np.ndarray
    shift: tuple[float, float] = (0.0, 0.0)

    def move(self, image: np.ndarray) -> np.ndarray:
        """An image ``(B, H, W)`` on the HR-MSI's grid (the HR-MSI, or a reference) moved by
        :attr:`shift` onto this geometry."""
        if self.shift == (0.0, 0.0):
            return image
        from ..methods.sscf.alignment import warp

        moved = warp(torch.from_numpy(np.asarray(image, np.float64)), *self.shift, 0.0)
        return moved.numpy()


def as_batch(image: np.ndarray) -> torch.Tensor:
    """An image ``(B, H, W)`` as a float32 batch ``(1, B, H, W)`` for the degradation operators
    (float32 leaves round-off far below :data:`NOISE_FLOOR`)."""
    return torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None]


def band_rms(image: np.ndarray) -> np.ndarray:
    """RMS of each band of ``(B, H, W)`` over its valid (finite) pixels."""
    return np.sqrt(np.nanmean(np.square(image, dtype=np.float64), axis=(1, 2)))


def input_noise(lr_hsi: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> NoiseLevels:
    """Noise of an LR-HSI ``(C, h, w)`` and its HR-MSI ``(M, r h, r w)`` with the project's
    estimators (HySime-style regression for the HSI, factor analysis and cross-sensor residual
    for the MSI). Nodata (NaN) is left out as SSCF leaves it out: the gaps are filled smoothly
    (zeros would make the edge of a nodata swath look like noise) and only the LR pixels whose
    PSF footprint is wholly valid are regressed on."""
    from ..methods.gaps import fill_gaps, finite_pixels, support_valid, valid_pixels

    y = torch.from_numpy(np.asarray(lr_hsi, np.float64))
    z = torch.from_numpy(np.asarray(hr_msi, np.float64))
    lr_ok, hr_ok = finite_pixels(y), finite_pixels(z)
    valid = None
    if not (bool(lr_ok.all()) and bool(hr_ok.all())):
        valid = support_valid(lr_ok, hr_ok, model.psf, model.scale)
        valid = valid if bool(valid.any()) else None
        y, z = fill_gaps(y), fill_gaps(z)
    y_pixels = valid_pixels(y, valid)
    sigma_y = hsi_noise_std(y_pixels)
    lr_msi = spatial_degrade(z[None], model.psf, model.scale)[0]
    gain = float(np.sum(model.psf ** 2))
    sigma_z = msi_noise_std(z, valid_pixels(lr_msi, valid), y_pixels, sigma_y, torch.from_numpy(model.srf),
                            gain)
    return NoiseLevels(sigma_y.numpy(), sigma_z.numpy(), band_rms(lr_hsi), band_rms(hr_msi))


def spatial_residual(fused: np.ndarray, lr_hsi: np.ndarray, psf: np.ndarray, scale: int) -> np.ndarray:
    """``D(X) − Y`` ``(C, h, w)``: the fused image ``(C, H, W)`` blurred, decimated, minus the LR-HSI."""
    return spatial_degrade(as_batch(fused), psf, scale)[0].numpy() - lr_hsi


def spectral_residual(fused: np.ndarray, hr_msi: np.ndarray, model: DegradationModel) -> np.ndarray:
    """``g ∘ Sᵀ X − Z`` ``(M, H, W)``: the fused image integrated by the SRF, scaled by the gains,
    minus the HR-MSI."""
    integrated = spectral_degrade(as_batch(fused), model.srf)[0].numpy()
    return integrated * np.asarray(model.msi_gain)[:, None, None] - hr_msi


def noise_units(residual: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Per pixel, the RMS over bands of a residual ``(B, H, W)`` divided by each band's normal value."""
    return np.sqrt(np.mean((residual / normal[:, None, None]) ** 2, axis=0))


def model_geometry(model: DegradationModel) -> list[Geometry]:
    """The geometries a result of ``model`` may be on: the HR-MSI's (the model as estimated) and,
    when the PSF is off centre, the LR-HSI's."""
    found = [Geometry("HR-MSI's", model.psf)]
    dy, dx = model.psf_offset
    if max(abs(dy), abs(dx)) >= _SHIFT_TOLERANCE:
        found.append(Geometry("LR-HSI's", recentred_psf(model.psf, (dy, dx)), (-dy, -dx)))
    return found


def recentred_psf(psf: np.ndarray, offset: tuple[float, float]) -> np.ndarray:
    """``psf`` moved by ``-offset`` (its centre of mass onto its block's centre), non-negative
    and summing to one: the PSF of a result moved onto the LR-HSI's geometry."""
    import math

    import torch.nn.functional as F

    from ..methods.sscf.alignment import warp

    k = torch.as_tensor(psf, dtype=torch.float64)
    pad = int(math.ceil(max(abs(offset[0]), abs(offset[1])))) + 2
    moved = warp(F.pad(k, (pad,) * 4)[None], -offset[0], -offset[1], 0.0)[0]
    moved = moved[pad:pad + k.shape[0], pad:pad + k.shape[1]].clamp_min(0.0)
    return (moved / moved.sum()).numpy()


def choose_geometry(fused: np.ndarray, lr_hsi: np.ndarray, hr_msi: np.ndarray,
                    model: DegradationModel, noise: NoiseLevels,
                    bands: Optional[Sequence[int]] = None) -> Geometry:
    """The geometry (of :func:`model_geometry`) under which the fused image best gives back both
    inputs, in noise units summed over the two residuals; the spatial residual on the LR-HSI
    ``bands`` (all when None: blurring every band of the fused image was most of the time)."""
    candidates = model_geometry(model)
    if len(candidates) == 1:
        return candidates[0]
    chosen = list(range(lr_hsi.shape[0])) if bands is None else list(bands)

    def misfit(g: Geometry) -> float:
        spatial = spatial_residual(fused[chosen], lr_hsi[chosen], g.psf, model.scale)
        spectral = spectral_residual(fused, g.move(hr_msi), model)
        return float(np.mean(noise_units(spatial, noise.hsi_normal[chosen]) ** 2)
                     + np.mean(noise_units(spectral, noise.msi_normal) ** 2))

    return min(candidates, key=misfit)


def summary(residual_rms: np.ndarray, normal: np.ndarray, signal_rms: np.ndarray,
            names: Optional[list[str]] = None) -> dict:
    """Per band and overall: residual RMS, its normal value, both as % of the band's RMS, and
    the residual in noise units."""
    ratio = residual_rms / normal
    out = {
        "residual_rms": residual_rms.tolist(),
        "normal": normal.tolist(),
        "residual_percent": (100.0 * residual_rms / np.maximum(signal_rms, 1e-30)).tolist(),
        "normal_percent": (100.0 * normal / np.maximum(signal_rms, 1e-30)).tolist(),
        "noise_units": ratio.tolist(),
        "noise_units_median": float(np.median(ratio)),
        "noise_units_rms": float(np.sqrt(np.mean(ratio ** 2))),
    }
    if names is not None:
        out["bands"] = list(names)
    return out
