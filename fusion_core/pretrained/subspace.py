"""A fixed-size spectral layout for pretrained networks: the scene's own spectral subspace.

Pretrained fusion networks (UAL, UAO) have a fixed number of input and output channels, but the
scenes have 100–220 HSI bands and 6–12 MSI bands, VNIR only or VNIR–SWIR. So the networks work
on ``K`` coefficients of a spectral subspace computed from each scene's LR-HSI, and the fused
coefficients are decoded back to all bands:

* basis: the principal axes of the LR-HSI's centred pixels, as many as carry signal above its
  noise (the count of :func:`fusion_core.spectral.signal_subspace`), at most ``K``;
  the remaining columns are zeros. Axes are ordered by variance and signed so that their
  largest entry is positive, so channel ``k`` means the same thing in training and at test;
* coefficients are divided by their standard deviation over the LR pixels, so every channel
  has unit spread whatever the scene's radiometry (zero channels stay zero);
* MSI guidance: a ridge map fitted at low resolution from the HR-MSI blurred and decimated with
  the scene's PSF to the LR-HSI's coefficients
  (:func:`fusion_core.spectral.fit_ridge_map`), applied to the HR-MSI, and its
  error at low resolution (the map's output degraded with the PSF minus the LR-HSI's
  coefficients) taken away after bicubic upsampling, as generalised Laplacian pyramid
  pansharpening injects detail: ``K`` channels on the HR grid, the linear estimate of the
  coefficients that the networks correct;
* what the subspace leaves out of the LR-HSI is added back upsampled when the subspace is full
  (more signal components than ``K``), and dropped as noise otherwise (:meth:`SubspaceAdapter.outside`).

This is a gap-fill: the papers train on 31-band CAVE images with one camera; none says how a
pretrained network should serve other band layouts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..baselines import bicubic_upsample
from ..degradation import spatial_degrade
from ..errors import InputError
from ..spectral import RidgeMap, fit_ridge_map, hsi_noise_std, pixel_samples, principal_axes, signal_subspace

__all__ = ["DEFAULT_K", "LAYOUT", "SubspaceAdapter"]

#: Number of subspace coefficients the pretrained networks work on.
DEFAULT_K = 12
#: How the weights records describe the spectral layout the networks support.
LAYOUT = "any band count — works on a K-dimensional subspace of the scene's own spectra"


@dataclass
class SubspaceAdapter:
    """Encoder/decoder between a scene's bands and ``K`` normalised subspace coefficients.

    Attributes:
        mean: ``(C,)`` mean spectrum of the LR-HSI.
        basis: ``(C, K)`` orthonormal axes, zero columns past the signal dimension.
        spread: ``(K,)`` standard deviation of each coefficient over the LR pixels (1 for zero
            columns).
        guide: ridge map from the ``M`` MSI bands to the ``K`` normalised coefficients.
        rank: number of non-zero columns of ``basis``.
        psf: the PSF ``(K, K)`` the guidance was fitted with.
        scale: the resolution ratio r.

    Example:
        >>> adapter = SubspaceAdapter.fit(lr_hsi, hr_msi, model.psf, model.scale)
        >>> guidance, y_up = adapter.network_inputs(lr_hsi, hr_msi)   # (1, K, H, W) each
        >>> fused = adapter.decode(network(guidance, y_up)) + adapter.outside(lr_hsi, r)
    """

    mean: torch.Tensor
    basis: torch.Tensor
    spread: torch.Tensor
    guide: RidgeMap
    rank: int
    psf: torch.Tensor
    scale: int

    @property
    def k(self) -> int:
        return int(self.basis.shape[1])

    @classmethod
    def fit(cls, lr_hsi: torch.Tensor, hr_msi: torch.Tensor, psf: np.ndarray | torch.Tensor,
            scale: int, k: int = DEFAULT_K) -> "SubspaceAdapter":
        """Fit basis, spreads and MSI guidance from one LR-HSI ``(C, h, w)`` and HR-MSI ``(M, H, W)``.

        Args:
            lr_hsi: the scene's LR-HSI.
            hr_msi: its HR-MSI, ``H = scale · h``, ``W = scale · w``.
            psf: the scene's PSF (estimated), used to bring the HR-MSI to the LR grid.
            scale: resolution ratio r.
            k: number of coefficients.

        Raises:
            InputError: ``k`` < 1, or the images do not nest with ratio ``scale``.
        """
        if k < 1:
            raise InputError(f"The subspace needs at least one coefficient, got K = {k}.")
        (c, h, w), (_, big_h, big_w) = lr_hsi.shape, hr_msi.shape
        if (big_h, big_w) != (scale * h, scale * w):
            raise InputError(
                f"The HR-MSI ({big_h}×{big_w}) is not the LR-HSI ({h}×{w}) times the ratio {scale}: "
                "pass windows that nest exactly."
            )
        samples = pixel_samples(lr_hsi)
        mean = samples.mean(1)
        axes, _ = principal_axes(samples - mean[:, None])
        rank = min(k, signal_subspace(lr_hsi, hsi_noise_std(lr_hsi), max_dim=k).shape[1])
        basis = torch.zeros(c, k, dtype=torch.float64, device=lr_hsi.device)
        basis[:, :rank] = axes[:, :rank] * _signs(axes[:, :rank])
        coeffs = basis.T @ (lr_hsi.reshape(c, -1).double() - mean[:, None])
        spread = coeffs.std(1)
        spread = torch.where(spread > 0, spread, torch.ones_like(spread))
        lr_coeffs = (coeffs / spread[:, None]).reshape(k, h, w)
        lr_msi = spatial_degrade(hr_msi[None].double(), psf, scale)[0]
        guide = fit_ridge_map(lr_msi, lr_coeffs)
        psf_t = torch.as_tensor(psf, dtype=torch.float32, device=lr_hsi.device)
        return cls(mean.float(), basis.float(), spread.float(), guide, rank, psf_t, scale)

    def encode(self, hsi: torch.Tensor) -> torch.Tensor:
        """Normalised coefficients ``(B, K, H, W)`` of an image ``(B, C, H, W)`` (any resolution)."""
        centred = hsi - self.mean.to(hsi)[None, :, None, None]
        coeffs = torch.einsum("bchw,ck->bkhw", centred, self.basis.to(hsi))
        return coeffs / self.spread.to(hsi)[None, :, None, None]

    def decode(self, coeffs: torch.Tensor) -> torch.Tensor:
        """The image ``(B, C, H, W)`` of normalised coefficients ``(B, K, H, W)``; differentiable."""
        scaled = coeffs * self.spread.to(coeffs)[None, :, None, None]
        image = torch.einsum("bkhw,ck->bchw", scaled, self.basis.to(coeffs))
        return image + self.mean.to(coeffs)[None, :, None, None]

    def guidance(self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor) -> torch.Tensor:
        """The MSI's linear estimate of the normalised coefficients, corrected at low resolution
        against the LR-HSI ``(C, h, w)``: ``(1, K, H, W)`` float32 from the HR-MSI ``(M, H, W)``."""
        mapped = self.guide(hr_msi.double()).float()[None]
        error = spatial_degrade(mapped, self.psf, self.scale) - self.encode(lr_hsi[None].float())
        return mapped - bicubic_upsample(error, self.scale)

    def network_inputs(self, lr_hsi: torch.Tensor, hr_msi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two inputs of a pretrained fusion network, both ``(1, K, H, W)`` float32:
        the MSI guidance and the LR-HSI's coefficients upsampled bicubically."""
        upsampled = bicubic_upsample(self.encode(lr_hsi[None].float()), self.scale)
        return self.guidance(lr_hsi, hr_msi), upsampled

    def outside(self, lr_hsi: torch.Tensor, scale: int) -> torch.Tensor:
        """The part of the LR-HSI ``(C, h, w)`` outside the subspace, upsampled bicubically to
        ``(1, C, H, W)``, when the subspace is full (``rank == K``: the scene has more signal
        components than ``K``, so what is left out is signal); zeros otherwise (it is noise)."""
        y = lr_hsi[None].float()
        if self.rank < self.k:
            return y.new_zeros(1, y.shape[1], y.shape[2] * scale, y.shape[3] * scale)
        return bicubic_upsample(y - self.decode(self.encode(y)), scale)


def _signs(axes: torch.Tensor) -> torch.Tensor:
    """``±1`` per column so that each column's largest-magnitude entry is positive."""
    peak = axes.gather(0, axes.abs().argmax(0, keepdim=True))
    return torch.where(peak < 0, -torch.ones_like(peak), torch.ones_like(peak))
