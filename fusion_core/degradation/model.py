"""The degradation model of a scene (scale, PSF, SRF) and its JSON file format.

The model is estimated once per scene and reused by every fusion window, so it is a small,
serialisable value object. File format (JSON, UTF-8)::

    {
      "format": "hsifusion-degradation", "version": 1,
      "scale": 4,
      "psf": [[...], ...],                       # K×K, sums to one
      "psf_offset_px": [dy, dx],                 # centre of mass vs kernel centre (HR px)
      "psf_fwhm_px": [fy, fx],
      "srf": [[...], ...],                       # C×M, columns sum to one
      "msi_gain": [...] | null,                  # M: MSI band = gain × SRF-integrated HSI
      "hsi_wavelengths_nm": [...] | null,
      "msi_band_names": [...] | null,
      "diagnostics": {...}                       # how it was obtained (estimator, residuals)
    }
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..errors import InputError
from ..srf.normalise import normalize_srf
from .psf import block_centre, normalize_psf, psf_centroid, psf_fwhm

if TYPE_CHECKING:
    import torch

__all__ = ["DegradationModel", "normalize_srf"]

FORMAT = "hsifusion-degradation"
VERSION = 1


@dataclass
class DegradationModel:
    """How the LR-HSI and HR-MSI were obtained from the unknown HR-HSI.

    Attributes:
        scale: integer resolution ratio r (LR pixel size / HR pixel size).
        psf: ``(K, K)`` kernel, ``K >= r``, non-negative, sums to one.
        srf: ``(C, M)`` matrix, non-negative, columns sum to one.
        hsi_wavelengths: ``(C,)`` band centres in nm, when known.
        msi_band_names: names of the M HR-MSI bands, when known.
        diagnostics: free-form facts about how the model was obtained (shown, never acted on).
        msi_gain: ``(M,)`` radiometric gain of each HR-MSI band over the LR-HSI integrated by
            the SRF (two sensors calibrated alike: all one, the default). Methods whose
            networks assume SRFs summing to one divide the HR-MSI by it
            (:meth:`calibrated_msi`).
        matched_shift: the whole HR-pixel shift (row, column) the pair was matched at when the
            model was made (co-registration); a run given the model matches its pair there again.
    """

    scale: int
    psf: np.ndarray
    srf: np.ndarray
    hsi_wavelengths: Optional[np.ndarray] = None
    msi_band_names: Optional[list[str]] = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    msi_gain: Optional[np.ndarray] = None
    matched_shift: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        self.scale = int(self.scale)
        self.matched_shift = (int(self.matched_shift[0]), int(self.matched_shift[1]))
        if self.scale < 1:
            raise InputError(f"The resolution ratio must be a positive integer, got {self.scale}.")
        self.psf = normalize_psf(self.psf)
        if min(self.psf.shape) < self.scale:
            self.psf = _pad_to(self.psf, self.scale)
        self.srf = normalize_srf(self.srf, self.msi_band_names)
        gain = np.ones(self.srf.shape[1]) if self.msi_gain is None else np.asarray(self.msi_gain, np.float64).ravel()
        if gain.size != self.srf.shape[1] or not np.all(np.isfinite(gain) & (gain > 0)):
            raise InputError(f"msi_gain must hold {self.srf.shape[1]} positive numbers, one per MSI band.")
        self.msi_gain = gain
        if self.hsi_wavelengths is not None:
            self.hsi_wavelengths = np.asarray(self.hsi_wavelengths, dtype=np.float64).ravel()
            if self.hsi_wavelengths.size != self.srf.shape[0]:
                raise InputError(
                    f"{self.hsi_wavelengths.size} HSI wavelengths for an SRF with "
                    f"{self.srf.shape[0]} rows."
                )

    @property
    def _gain(self) -> np.ndarray:
        """:attr:`msi_gain`, which :meth:`__post_init__` always sets."""
        assert self.msi_gain is not None
        return self.msi_gain

    @property
    def n_hsi_bands(self) -> int:
        return int(self.srf.shape[0])

    @property
    def n_msi_bands(self) -> int:
        return int(self.srf.shape[1])

    @property
    def psf_offset(self) -> tuple[float, float]:
        """Grid offset (row, column) in HR pixels: the PSF's centre of mass minus its block centre."""
        cy, cx = psf_centroid(self.psf)
        kh, kw = self.psf.shape
        return (cy + (kh - 1) / 2.0 - block_centre(kh, self.scale),
                cx + (kw - 1) / 2.0 - block_centre(kw, self.scale))

    def calibrated_msi(self, hr_msi: "torch.Tensor") -> "torch.Tensor":
        """The HR-MSI ``(..., M, H, W)`` divided band by band by :attr:`msi_gain`."""
        gain = self._gain.reshape(-1, 1, 1)
        if np.all(gain == 1.0):
            return hr_msi
        import torch
        return hr_msi / torch.as_tensor(gain, dtype=hr_msi.dtype, device=hr_msi.device)

    def check_compatible(self, n_hsi_bands: int, n_msi_bands: int, scale: int,
                         what: str = "degradation") -> None:
        """Raise :class:`InputError` when this model does not fit the given pair.

        ``what`` names the setting that gave the model, in the caller's vocabulary.
        """
        problems = []
        if self.scale != scale:
            problems.append(f"ratio {self.scale} in the model vs {scale} between the rasters")
        if self.n_hsi_bands != n_hsi_bands:
            problems.append(f"{self.n_hsi_bands} HSI bands in the model vs {n_hsi_bands} in the LR-HSI")
        if self.n_msi_bands != n_msi_bands:
            problems.append(f"{self.n_msi_bands} MSI bands in the model vs {n_msi_bands} in the HR-MSI")
        if problems:
            raise InputError(
                "The degradation model does not match the input rasters (" + "; ".join(problems)
                + f"): estimate it again from these rasters, or leave {what} empty."
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary in the documented file format."""
        return {
            "format": FORMAT,
            "version": VERSION,
            "scale": self.scale,
            "psf": self.psf.tolist(),
            "psf_offset_px": list(self.psf_offset),
            "psf_fwhm_px": list(psf_fwhm(self.psf)),
            "srf": self.srf.tolist(),
            "msi_gain": self._gain.tolist(),
            "hsi_wavelengths_nm": None if self.hsi_wavelengths is None else self.hsi_wavelengths.tolist(),
            "msi_band_names": self.msi_band_names,
            "coregistration_shift_hr_px": list(self.matched_shift),
            "diagnostics": _jsonable(self.diagnostics),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DegradationModel":
        """Inverse of :meth:`to_dict`; raises :class:`InputError` on a malformed dictionary."""
        if data.get("format") != FORMAT:
            raise InputError(
                "This JSON file is not a degradation model written by HSI Fusion "
                f"(format field is {data.get('format')!r}); create one with 'Estimate degradation'."
            )
        try:
            return cls(
                scale=int(data["scale"]),
                psf=np.asarray(data["psf"], dtype=np.float64),
                srf=np.asarray(data["srf"], dtype=np.float64),
                hsi_wavelengths=data.get("hsi_wavelengths_nm"),
                msi_band_names=data.get("msi_band_names"),
                diagnostics=data.get("diagnostics") or {},
                msi_gain=data.get("msi_gain"),
                # files written before 0.3 kept the shift among the diagnostics
                matched_shift=tuple(data.get("coregistration_shift_hr_px")
                                    or (data.get("diagnostics") or {}).get("coregistration_shift_hr_px")
                                    or (0, 0)),
            )
        except KeyError as exc:
            raise InputError(f"Degradation model file lacks the field {exc.args[0]!r}.") from None

    def save(self, path: str | os.PathLike) -> None:
        """Write the model as JSON atomically (temporary file, then rename)."""
        from ..io.raster import atomic_output

        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "DegradationModel":
        """Read a model written by :meth:`save`."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"Cannot read the degradation model file {path}: {exc.strerror}.") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}).") from None
        return cls.from_dict(data)


def _pad_to(kernel: np.ndarray, size: int) -> np.ndarray:
    """Zero-pad a kernel symmetrically to at least ``size`` × ``size``."""
    ph, pw = max(size - kernel.shape[0], 0), max(size - kernel.shape[1], 0)
    return np.pad(kernel, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
