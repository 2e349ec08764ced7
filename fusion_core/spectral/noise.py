"""Noise levels of the two inputs, estimated from the inputs alone.

They set how much the method trusts each input: the spectral mapping is regularised against the
HR-MSI's noise (which it would amplify), the subspace keeps only components above the LR-HSI's
noise, and the LR residual is shrunk by the share of it that is noise.

* LR-HSI: each band is regressed on its spectral neighbours and on the leading principal
  components of the other bands; the residual variance (degrees of freedom corrected) is the
  noise variance (the multiple-regression idea of HySime, Bioucas-Dias & Nascimento 2008).
  Hyperspectral bands are so redundant that the signal left in that residual is small.
* HR-MSI: a few broad bands are not redundant enough for that, so two estimates are combined:

  1. a factor analysis of the bands' high-pass images (Laplacian), whose cross-band covariance
     is low rank for the scene's edges plus a diagonal for the noise. Fine texture that is not
     low rank reads as noise, so this one errs high, by up to a few per cent of the signal;
  2. the cross-sensor residual: the LR-MSI regressed on the LR-HSI integrated by the SRF and on
     the LR-HSI's principal components leaves the MSI's blurred noise (variance ``σ² Σ k²``)
     plus the HSI's propagated noise, which is subtracted. It is exact on clean data but its
     sampling error grows as ``1 / Σ k²`` (large PSFs) and with few LR pixels.

  The cross-sensor value is used where it is below the factor-analysis one by more than twice
  its error (sampling error of the residual variance and error of the subtracted HSI noise),
  the factor-analysis one elsewhere (or the cross-sensor one alone when
  there are too few bands for a factor analysis). Each band's noise-to-signal ratio is then
  shrunk halfway towards the median over the bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np
import torch

from .linalg import principal_axes

__all__ = ["hsi_noise_std", "msi_noise_std", "pixel_samples", "MAX_SAMPLES", "SampleMoments", "sample_moments"]

#: Pixels used by the regressions at most (a regular subsample beyond that).
MAX_SAMPLES = 20000
_NEIGHBOURS = 2
_COMPONENTS = 5
_CROSS_COMPONENTS = 20
#: Relative error of the propagated HSI noise variance (the HSI noise std is known to ~10 %).
_PROPAGATED_ERROR = 0.2
_FA_ITERS = 300


def pixel_samples(x: torch.Tensor) -> torch.Tensor:
    """``(C, N)`` pixels of an image ``(C, H, W)``, regularly subsampled to at most MAX_SAMPLES."""
    flat = x.reshape(x.shape[0], -1)
    step = max(1, flat.shape[1] // MAX_SAMPLES)
    return flat[:, ::step].double()


@dataclass(frozen=True)
class SampleMoments:
    """Centred second moments of an LR-HSI's :func:`pixel_samples` and of other bands sampled at
    the same pixels (an LR-MSI): what the noise estimates and the signal subspace are computed
    from. One ``(C + M)²`` Gram matrix of the pixels serves them all, instead of a pass over the
    pixels in each (a window's fusion made three ``C × C`` products of the same pixels).

    Attributes:
        gram: ``(C + M, C + M)`` Gram matrix of the centred samples (float64).
        mean: ``(C + M,)`` the samples' means.
        count: number of samples ``n``.
        bands: ``C``, the LR-HSI's bands (the first rows).
    """

    gram: torch.Tensor
    mean: torch.Tensor
    count: int
    bands: int

    @property
    def hsi(self) -> torch.Tensor:
        """``(C, C)`` Gram matrix of the LR-HSI's centred samples."""
        return self.gram[:self.bands, :self.bands]

    @cached_property
    def hsi_axes(self) -> torch.Tensor:
        """``(C, C)`` principal axes of the LR-HSI's samples, largest first (computed once for
        both noise estimates)."""
        return principal_axes(self.hsi, self.hsi)[0]


def sample_moments(lr_hsi: torch.Tensor, others: Optional[torch.Tensor] = None,
                   every_pixel: bool = False) -> SampleMoments:
    """:class:`SampleMoments` of an LR-HSI ``(C, h, w)`` (or its pixels ``(C, n, 1)``) and of
    ``others`` ``(M, h, w)`` on the same pixels (none when None), in float64: the
    regressions subtract large sums from each other to find a noise variance that may be
    1e-8 of the signal's, which single precision would lose. Over :func:`pixel_samples`, or
    over every pixel when ``every_pixel``."""
    def samples(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1).double() if every_pixel else pixel_samples(x)

    y = samples(lr_hsi)
    if others is not None:
        y = torch.cat([y, samples(others)])
    mean = y.mean(1)
    # centred in place where ``y`` is a copy of its own (a view of the caller's pixels is not)
    y = y.sub_(mean[:, None]) if others is not None else y - mean[:, None]
    return SampleMoments(y @ y.T, mean, y.shape[1], lr_hsi.shape[0])


def hsi_noise_std(lr_hsi: torch.Tensor, moments: Optional[SampleMoments] = None) -> torch.Tensor:
    """Per-band noise standard deviation ``(C,)`` of an LR-HSI ``(C, h, w)`` (float64).

    Every band's regression (on its spectral neighbours and on the leading principal components
    without its own share) uses regressors that are linear combinations of the bands, so all
    ``C`` regressions are solved from one ``C × C`` Gram matrix of the pixels: ``C`` small
    systems instead of ``C`` passes over the pixels. ``moments``: the LR-HSI's
    :func:`sample_moments` when the caller has them.
    """
    moments = moments or sample_moments(lr_hsi)
    gram, n = moments.hsi, moments.count
    c = gram.shape[0]
    k = min(_COMPONENTS, max(c - 1, 0))
    q = min(2 * _NEIGHBOURS, c - 1)
    u = moments.hsi_axes[:, :k]                                             # (C, k)
    # Regressors of band b, as rows of a map from the bands: its neighbours, then each
    # component's score without the band's own term (u_j·y - u[b, j] y_b).
    select = torch.zeros(c, q + k, c, dtype=gram.dtype, device=gram.device)
    bands = torch.arange(c, device=gram.device)
    start = (bands - _NEIGHBOURS).clamp(0, max(c - q - 1, 0))               # (C,) first of q + 1
    window = start[:, None] + torch.arange(q + 1, device=gram.device)       # (C, q + 1)
    others = window[window != bands[:, None]].reshape(c, q)                 # the q neighbours
    select[bands[:, None], torch.arange(q, device=gram.device)[None], others] = 1.0
    select[:, q:] = u.T
    select[bands, q:, bands] = 0.0
    rhs = select @ gram[:, :, None]                                 # (C, q + k, 1): regressors·y_b
    system = select @ gram @ select.transpose(1, 2)                 # (C, q + k, q + k)
    ridge = 1e-10 * system.diagonal(dim1=1, dim2=2).sum(-1)[:, None, None] * torch.eye(
        q + k, dtype=gram.dtype, device=gram.device)
    coef = torch.linalg.solve(system + ridge, rhs)
    rss = gram.diagonal() - 2.0 * (coef * rhs).sum((1, 2)) + (coef * (system @ coef)).sum((1, 2))
    return (rss.clamp_min(0.0) / max(n - 1 - q - k, 1)).sqrt()


def _high_pass_samples(x: torch.Tensor) -> torch.Tensor:
    """:func:`pixel_samples` of the Laplacian of each band ``(M, H, W)`` (scaled to unit gain for
    white noise, borders cut), computed at the sampled pixels only."""
    m, h, w = x.shape
    n = (h - 2) * (w - 2)
    step = max(1, n // MAX_SAMPLES)
    if step == 1:  # every pixel: shifted slices, no gather
        def shifted(dy: int, dx: int) -> torch.Tensor:
            return x[:, 1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx].reshape(m, n)
    else:
        index = torch.arange(0, n, step, device=x.device)
        rows, cols = index // (w - 2) + 1, index % (w - 2) + 1

        def shifted(dy: int, dx: int) -> torch.Tensor:
            return x[:, rows + dy, cols + dx]
    weights = ((1.0, -2.0, 1.0), (-2.0, 4.0, -2.0), (1.0, -2.0, 1.0))
    out = torch.zeros(m, -(-n // step), dtype=torch.float64, device=x.device)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out += (weights[dy + 1][dx + 1] / 6.0) * shifted(dy, dx).double()
    return out


def _factor_noise(samples: torch.Tensor) -> Optional[torch.Tensor]:
    """Unique variances ``ψ`` of a factor-analysis model ``L Lᵀ + diag(ψ)`` of ``samples (M, n)``.

    Fitted by the EM-like PCA iteration on the whitened covariance, with as many factors as the
    non-flat bands identify (Ledermann bound minus one). Flat bands get zero. ``None`` when too
    few bands vary for the model to be identified.
    """
    cov = (samples @ samples.T).cpu().numpy() / samples.shape[1]
    var = np.diag(cov).copy()
    live = var > 1e-12 * max(float(var.max()), 1e-300)
    n_factors = _ledermann_factors(int(live.sum())) - 1
    if n_factors < 1:
        return None
    s = cov[np.ix_(live, live)]
    d = np.diag(s)
    psi = 0.5 * d
    for _ in range(_FA_ITERS):
        ph = 1.0 / np.sqrt(psi)
        w, v = np.linalg.eigh(s * ph[:, None] * ph[None])
        w, v = w[::-1][:n_factors], v[:, ::-1][:, :n_factors]
        load = v * np.sqrt(np.clip(w - 1.0, 0.0, None)) / ph[:, None]
        psi = np.maximum(d - (load ** 2).sum(1), 1e-6 * d)
    out = np.zeros_like(var)
    out[live] = psi
    return torch.as_tensor(out, dtype=torch.float64, device=samples.device)


def _ledermann_factors(m: int) -> int:
    """The most factors a diagonal-plus-low-rank covariance of ``m`` variables identifies."""
    return int(math.floor((2 * m + 1 - math.sqrt(8 * m + 1)) / 2))


def msi_noise_std(
    hr_msi: torch.Tensor,
    lr_msi: torch.Tensor,
    lr_hsi: torch.Tensor,
    hsi_noise: torch.Tensor,
    srf: torch.Tensor,
    lr_noise_gain: float,
    moments: Optional[SampleMoments] = None,
) -> torch.Tensor:
    """Per-band noise standard deviation ``(M,)`` of the HR-MSI (float64).

    Args:
        hr_msi: ``(M, H, W)`` HR-MSI.
        lr_msi: ``(M, h, w)`` the HR-MSI degraded by the scene's PSF (and aligned to the HSI).
        lr_hsi: ``(C, h, w)`` LR-HSI.
        hsi_noise: ``(C,)`` noise std of the LR-HSI bands.
        srf: ``(C, M)`` the scene's SRF; with it the LR-HSI predicts the LR-MSI almost exactly,
            and the leading principal components absorb what an approximate SRF misses.
        lr_noise_gain: variance of the LR-MSI's noise per unit variance of HR-MSI noise
            (``Σ k²`` of the kernel that maps the HR-MSI to ``lr_msi``).
        moments: :func:`sample_moments` of ``lr_hsi`` and ``lr_msi`` when the caller has them.
    """
    m = hr_msi.shape[0]
    # Cross-sensor bound: the regression of the LR-MSI on the LR-HSI's SRF integrals and
    # principal components, from the samples' Gram matrix.
    moments = moments or sample_moments(lr_hsi, lr_msi)
    c, n = moments.bands, moments.count
    gram_y, gram_yz, gram_z = moments.hsi, moments.gram[:c, c:], moments.gram[c:, c:]
    p = max(0, min(_CROSS_COMPONENTS, n // 4 - m, c))
    loadings = torch.cat([srf.double().to(gram_y.device), moments.hsi_axes[:, :p]], 1)
    gram = loadings.T @ gram_y @ loadings                            # regressors' Gram (M + p)²
    gram = gram + 1e-10 * float(gram.diagonal().mean()) * torch.eye(
        gram.shape[0], dtype=gram.dtype, device=gram.device)
    covariance = loadings.T @ gram_yz                                # regressors·z (M + p, M)
    beta = torch.linalg.solve(gram, covariance)                       # (M + p, M)
    rss = gram_z.diagonal() - 2.0 * (beta * covariance).sum(0) + (beta * (gram @ beta)).sum(0)
    dof = max(n - gram.shape[0] - 1, 1)
    var = rss.clamp_min(0.0) / dof
    propagated = ((loadings @ beta) ** 2 * (hsi_noise.double() ** 2)[:, None]).sum(0)
    gain = max(lr_noise_gain, 1e-12)
    cross = (var - propagated).clamp_min(0.0) / gain
    if min(hr_msi.shape[1:]) <= 4:
        return _pooled(cross, hr_msi)
    # Factor-analysis bound; the cross-sensor one replaces it where it is clearly smaller.
    hp = _high_pass_samples(hr_msi)
    fa = _factor_noise(hp - hp.mean(1, keepdim=True))
    if fa is None:
        return _pooled(cross, hr_msi)
    spread = 2.0 * torch.hypot(var * (2.0 / dof) ** 0.5, _PROPAGATED_ERROR * propagated) / gain
    return _pooled(torch.where(cross + spread < fa, cross, fa), hr_msi)


def _pooled(variance: torch.Tensor, hr_msi: torch.Tensor) -> torch.Tensor:
    """Noise std per band, its noise-to-signal ratio shrunk halfway to the median over bands.

    Per-band estimates from a few bands and few LR pixels scatter (a band may read zero or
    half again too much); the bands of one sensor have similar signal-to-noise ratios, so
    averaging each band's variance with the one the median ratio gives it steadies them.
    """
    rms = pixel_samples(hr_msi).std(1)
    ratio = (variance.sqrt() / rms.clamp_min(1e-30)).median()
    return (0.5 * (variance + (ratio * rms) ** 2)).sqrt()
