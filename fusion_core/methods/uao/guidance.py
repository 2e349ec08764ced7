"""How the PSF k and the SRF P guide the reconstruction network, whatever the band layout.

The paper's reconstruction network takes k and P as extra inputs (Fig. 2b: "k is utilized with
Z to generate features focusing on spatial information, while P together with Ẑ aims to
generate features relate with spectral information") but does not say how. A network fed with k
and P themselves would be tied to one kernel size and one pair of band counts, and the benchmark
scenes have 102–218 HSI bands and 6–12 MSI bands. Gap-fill: both enter through what they do to
the rough estimate's K spectral-subspace coefficient maps, which has a fixed layout.

* Spatial guidance: the detail k removes, ``c - k ⊛ c`` (a stride-1 blur of every coefficient
  map with the current PSF, borders reflected). A wide k leaves much detail, a narrow one little.
* Spectral guidance: ``S c`` with ``S = A Aᵀ / ||A Aᵀ||₂`` and ``A = Dᵀ P`` (K × M), D the
  subspace's decoding matrix (C × K): the coefficient directions the MSI bands observe, weighted
  by how strongly they observe them. It depends on P only through the MSI-visible part of the
  subspace, so it is the same for any number of HSI or MSI bands.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["spatial_guidance", "spectral_guidance"]


def spatial_guidance(coefficients: torch.Tensor, psf: torch.Tensor) -> torch.Tensor:
    """The detail the PSF removes from every map of ``coefficients`` ``(B, K, H, W)``.

    Args:
        coefficients: subspace coefficient maps of an HR estimate.
        psf: kernel ``(k, k)`` summing to one.

    Returns:
        ``(B, K, H, W)``: the maps minus their stride-1 blur by ``psf``.
    """
    b, k, h, w = coefficients.shape
    size = psf.shape[-1]
    before, after = (size - 1) // 2, size // 2
    mode = "reflect" if after < min(h, w) else "replicate"
    flat = F.pad(coefficients.reshape(b * k, 1, h, w), (before, after, before, after), mode=mode)
    kernel = psf.to(coefficients)[None, None]
    blurred = F.conv2d(flat, kernel).reshape(b, k, h, w)
    return coefficients - blurred


def spectral_guidance(coefficients: torch.Tensor, srf: torch.Tensor,
                      decode_matrix: torch.Tensor) -> torch.Tensor:
    """The MSI-visible part of every pixel's coefficients ``(B, K, H, W)``.

    Args:
        coefficients: subspace coefficient maps of an HR estimate.
        srf: SRF ``(C, M)``, columns summing to one.
        decode_matrix: ``(C, K)`` matrix mapping coefficients to spectra.

    Returns:
        ``(B, K, H, W)``: ``S c`` per pixel, ``S`` as in the module docstring.
    """
    a = decode_matrix.to(coefficients).T @ srf.to(coefficients)  # (K, M)
    gram = a @ a.T
    gram = gram / torch.linalg.matrix_norm(gram, ord=2).clamp_min(torch.finfo(gram.dtype).tiny)
    return torch.einsum("jk,bkhw->bjhw", gram, coefficients)
