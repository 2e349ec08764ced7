"""The degradation operators of the observation model, as differentiable torch functions.

Observation model (arrays are band-first, ``(B, C, H, W)`` tensors):

* LR-HSI ``Y = spatial_degrade(X, psf, r)``: each band is correlated with the PSF and sampled
  every ``r`` pixels. LR pixel ``(i, j)`` covers the HR block ``[i r, (i+1) r) × [j r, (j+1) r)``
  (same origin, LR pixel size = r × HR pixel size). A kernel of size ``K >= r`` is centred on that
  block: it reads HR rows ``i r - p … i r - p + K - 1`` with ``p = (K - r) // 2``. A PSF whose
  centre of mass is off the kernel centre thus models a sub-pixel shift between the grids. Image
  borders are extended by reflection.
* HR-MSI ``Z = spectral_degrade(X, srf)``: ``Z[m] = sum_c srf[c, m] X[c]``; SRF columns sum to one.

These functions are the single implementation used by simulation, estimation and every fusion
method, so all agree on the model.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError

__all__ = ["spatial_degrade", "spectral_degrade", "psf_padding", "as_kernel_tensor", "blur_spectrum",
           "alias_mean"]


#: Bytes of image :func:`spatial_degrade` convolves at a time on the CPU. oneDNN convolves a
#: batch of many large single-channel images 2–5× slower than the same images a few MB at a time
#: (27 maps of 624² in float32: 52 → 10 ms; 198 bands of 300² in float64: 111 → 45 ms; one and
#: two threads alike, AMD EPYC); a GPU takes the batch whole.
CONV_BATCH_BYTES = 4 * 2**20


def psf_padding(kernel_size: int, scale: int) -> tuple[int, int]:
    """(before, after) padding that centres a ``kernel_size`` kernel on an ``scale`` block."""
    if kernel_size < scale:
        raise InputError(
            f"PSF kernel of size {kernel_size} is smaller than the ratio {scale}: "
            "pad it with zeros to at least the ratio."
        )
    before = (kernel_size - scale) // 2
    return before, kernel_size - scale - before


def as_kernel_tensor(psf: np.ndarray | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The PSF as a tensor with the dtype and device of ``like``."""
    k = torch.as_tensor(psf)
    return k.to(dtype=like.dtype, device=like.device)


def spatial_degrade(x: torch.Tensor, psf: np.ndarray | torch.Tensor, scale: int) -> torch.Tensor:
    """Blur every band with ``psf`` and decimate by ``scale``.

    Args:
        x: HR image ``(B, C, H, W)`` with H and W multiples of ``scale``.
        psf: kernel ``(K, K)`` with ``K >= scale``; differentiable when a tensor.
        scale: integer resolution ratio r.

    Returns:
        LR image ``(B, C, H / r, W / r)``.
    """
    if x.ndim != 4:
        raise InputError(f"Expected an image of shape (B, C, H, W), got {tuple(x.shape)}.")
    b, c, h, w = x.shape
    if h % scale or w % scale:
        raise InputError(f"Image size {h}×{w} is not a multiple of the ratio {scale}.")
    k = as_kernel_tensor(psf, x)
    kh, kw = k.shape
    top, bottom = psf_padding(kh, scale)
    left, right = psf_padding(kw, scale)
    pads = (left, right, top, bottom)
    mode = "reflect" if max(top, bottom) < h and max(left, right) < w else "replicate"
    flat, kernel = x.reshape(b * c, 1, h, w), k.reshape(1, 1, kh, kw)
    step = b * c if x.device.type != "cpu" else max(1, CONV_BATCH_BYTES // (h * w * x.element_size()))
    parts = [F.conv2d(F.pad(part, pads, mode=mode) if any(pads) else part, kernel, stride=scale)
             for part in flat.split(step)]
    out = parts[0] if len(parts) == 1 else torch.cat(parts)
    return out.reshape(b, c, h // scale, w // scale)


def blur_spectrum(psf: np.ndarray | torch.Tensor, scale: int, height: int, width: int,
                  like: torch.Tensor) -> torch.Tensor:
    """2-D DFT ``(height, width)`` of the blur that :func:`spatial_degrade` samples every ``scale``
    pixels, on a periodic grid, with the dtype (made complex) and device of ``like``.

    Same alignment as :func:`spatial_degrade`: sampling the blurred image at multiples of
    ``scale`` gives its output, with the image wrapped around instead of reflected at its borders.
    """
    k = as_kernel_tensor(psf, like)
    kh, kw = k.shape
    image = torch.zeros(height, width, dtype=k.dtype, device=k.device)
    rows = (psf_padding(kh, scale)[0] - torch.arange(kh, device=k.device)) % height
    cols = (psf_padding(kw, scale)[0] - torch.arange(kw, device=k.device)) % width
    image.index_put_((rows[:, None], cols[None, :]), k, accumulate=True)
    return torch.fft.fft2(image)


def alias_mean(spectrum: torch.Tensor, scale: int) -> torch.Tensor:
    """The LR spectrum ``(..., H / r, W / r)`` of an HR one ``(..., H, W)`` sampled every ``scale`` pixels.

    Sampling folds the ``r²`` HR frequencies ``(m + i h, n + j w)`` onto LR frequency ``(m, n)``;
    with unnormalised DFTs the LR coefficient is their mean.
    """
    *lead, h, w = spectrum.shape
    r = scale
    # Folded one axis at a time, each a sum over an outer axis of contiguous rows: a mean over
    # the two strided axes at once reduces complex values element by element (5-10× slower).
    rows = spectrum.reshape(*lead, r, h // r, w).sum(-3)
    return rows.reshape(*lead, h // r, r, w // r).sum(-2) / (r * r)


def spectral_degrade(x: torch.Tensor, srf: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Integrate the spectra of ``x`` ``(B, C, H, W)`` with ``srf`` ``(C, M)`` → ``(B, M, H, W)``."""
    s = torch.as_tensor(srf).to(dtype=x.dtype, device=x.device)
    if s.shape[0] != x.shape[1]:
        raise InputError(
            f"SRF has {s.shape[0]} rows but the image has {x.shape[1]} bands: "
            "the SRF must have one row per hyperspectral band."
        )
    return torch.einsum("bchw,cm->bmhw", x, s)
