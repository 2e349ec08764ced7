"""HR-MSI stacks whose bands have different native resolutions (Sentinel-2's 20 m bands at 10 m).

Users stack Sentinel-2's red-edge and SWIR bands, resampled from 20 m, beside the 10 m bands: they
carry spectral information the fusion needs, but no detail finer than 20 m. Taken as they are,
their blur passes for the scene's (the PSF estimate comes out too narrow) and the fused bands that
depend on them get too little detail. So each coarse band is first given the detail it lacks from
the sharp bands, by detail injection as in multi-resolution pansharpening (Aiazzi et al., "MTF-
tailored multiscale fusion of high-resolution MS and Pan imagery", PE&RS 2006): a regression ``P``
of the band on the sharp bands, minus ``P`` passed through the band's own resampling, is added to
it. That resampling (block averaging onto the coarse grid, then interpolation back) is estimated
from the data as a *polyphase* operator: one small kernel per position of a pixel inside the
coarse block, which represents any such linear resampling exactly.

:func:`coarse_bands` finds the bands resampled from coarser pixels, for every common resampling:
nearest neighbour (what ``gdal_translate -tr`` and ``gdalbuildvrt`` do by default) repeats each
coarse pixel in a k×k block exactly (:func:`block_factor`); bilinear or cubic interpolation leaves
the band without detail at the finest scale (its power above the Nyquist frequency of 2× coarser
pixels is nearly gone, :func:`_cutoff_ratio`). A reader's word on a band's native resolution beats
both (``known``). :func:`fit_sharpening` fits, per coarse band,
the regression, the block size (2, 3, 4 or 6 pixels, the one the data fit best) and the kernels,
once for the scene; :meth:`MsiSharpening.apply` applies them to any window, given where the window
lies in the image (the polyphase operator depends on the block grid's phase).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from scipy.ndimage import correlate
from scipy.optimize import nnls

__all__ = ["coarse_bands", "block_factor", "BandSharpening", "MsiSharpening", "fit_sharpening",
           "CANDIDATE_FACTORS"]

#: Block sizes looked for (Sentinel-2: 20 m and 60 m bands in a 10 m stack, 60 m in a 20 m one).
CANDIDATE_FACTORS = (2, 3, 6)
#: A band is coarse when its power just above the Nyquist frequency of 2× coarser pixels
#: (relative to just below it) is under this share of the sharp bands'. 20 m bands stacked by
#: bilinear or cubic interpolation read 0.06-0.09 of it on the EnMAP and AVIRIS crops of
#: REAL_PRODUCTS.md and up to 0.14 on the synthetic sample scene, whose smooth 10 m B8 reads 0.26.
COARSE_SHARE = 0.2
#: A band repeats in k×k blocks when the variance within them is under this share of its
#: variance: nearest-neighbour resampling copies values exactly (0 up to rounding), while the
#: 10 m bands of real scenes keep percents of their variance within 2×2 blocks.
BLOCK_SHARE = 1e-6
#: Pixels sampled to fit a band's operator (all of them when fewer).
FIT_PIXELS = 20_000
_ITERATIONS = 4
#: The smallest block whose held-out fit is within this factor of the best one is taken.
_FIT_TOLERANCE = 1.02


def _spectrum(band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radial frequency (cycles per pixel) and power of a band, Hann-windowed against edges."""
    h, w = int(band.shape[0]), int(band.shape[1])
    window = np.outer(np.hanning(h), np.hanning(w))
    power = np.abs(np.fft.fft2((band - band.mean()) * window)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(h, d=1.0), np.fft.fftfreq(w, d=1.0), indexing="ij")
    return np.hypot(fy, fx), power


def _cutoff_ratio(band: np.ndarray) -> float:
    """Power in 0.25–0.5 cycles/pixel over power in 0.125–0.25: near zero for a band resampled
    from 2× (or more) coarser pixels."""
    freq, power = _spectrum(band.astype(np.float64))
    above = power[(freq >= 0.25) & (freq < 0.5)].sum()
    below = power[(freq >= 0.125) & (freq < 0.25)].sum()
    return float(above / below) if below > 0 else 0.0


def block_factor(band: np.ndarray, valid: np.ndarray) -> int:
    """The largest block size of :data:`CANDIDATE_FACTORS` at which ``band`` ``(H, W)`` repeats
    each value over k×k blocks (nearest-neighbour resampling from k× coarser pixels), whatever
    the blocks' phase; 1 when it does at none. Only blocks wholly ``valid`` count.

    Every block's sums come from summed-area tables of the band and its square, so all k² phases
    of a block size cost one pass over the blocks (the band is centred first: the squares' sums
    then carry its variance, not its offset, and keep their precision)."""
    if not valid.any():
        return 1
    data = band.astype(np.float64)
    data -= data[valid].mean()
    total = float(np.mean(data[valid] ** 2))
    if total <= 0:
        return 1
    sums = _summed_area(np.where(valid, data, 0.0))
    squares = _summed_area(np.where(valid, data * data, 0.0))
    invalid = _summed_area((~valid).astype(np.int64))
    for k in sorted(CANDIDATE_FACTORS, reverse=True):
        for py in range(k):
            for px in range(k):
                rows, cols = (data.shape[0] - py) // k, (data.shape[1] - px) // k
                if rows < 2 or cols < 2:
                    continue
                corners = (slice(py, py + rows * k + 1, k), slice(px, px + cols * k + 1, k))
                ok = _block_sums(invalid[corners]) == 0
                if ok.sum() < 16:
                    continue
                mean = _block_sums(sums[corners])[ok] / (k * k)
                within = _block_sums(squares[corners])[ok] / (k * k) - mean * mean
                if within.mean() < BLOCK_SHARE * total:
                    return k
    return 1


def _summed_area(image: np.ndarray) -> np.ndarray:
    """``table[i, j]`` = the sum of ``image[:i, :j]`` ``(H + 1, W + 1)``."""
    table = np.zeros((image.shape[0] + 1, image.shape[1] + 1), image.dtype)
    np.cumsum(image, axis=0, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    return table


def _block_sums(corners: np.ndarray) -> np.ndarray:
    """The sums over blocks from a summed-area table's values at their corners."""
    return corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]


def coarse_bands(hr_msi: np.ndarray, valid: Optional[np.ndarray] = None,
                 known: Optional[dict[int, int]] = None) -> dict[int, Optional[int]]:
    """Bands of ``hr_msi`` ``(M, H, W)`` (finite values) resampled from coarser pixels than the
    sharpest bands', each with its block size when it is known (a reader said so, or the band
    repeats in blocks) or None (interpolated: the block size is fitted); empty when all bands (or
    none) look alike. ``valid``: the pixels to judge on (default: all); ``known``: block sizes
    given for some bands (1: native), which are not judged."""
    valid = np.ones(hr_msi.shape[1:], bool) if valid is None else valid
    known = dict(known or {})
    found: dict[int, Optional[int]] = {b: k for b, k in known.items() if k > 1}
    judged = [b for b in range(hr_msi.shape[0]) if b not in known]
    for b in judged:
        k = block_factor(hr_msi[b], valid)
        if k > 1:
            found[b] = k
    smooth = [b for b in judged if b not in found]  # repeated blocks would pass for detail
    if smooth:
        ratios = np.array([_cutoff_ratio(hr_msi[b]) for b in smooth])
        reference = np.median(np.sort(ratios)[-max(1, len(ratios) // 3):])
        found.update({b: None for b, v in zip(smooth, ratios)
                      if reference > 0 and v < COARSE_SHARE * reference})
    return found if len(found) < hr_msi.shape[0] else {}


def _phase_grid(shape: tuple[int, int], factor: int, origin: tuple[int, int]) -> np.ndarray:
    """Each pixel's phase index ``(y mod k) k + (x mod k)`` in absolute image coordinates."""
    ys = (np.arange(shape[0]) + origin[0]) % factor
    xs = (np.arange(shape[1]) + origin[1]) % factor
    return ys[:, None] * factor + xs[None, :]


def _resample(image: np.ndarray, kernels: np.ndarray, factor: int,
              origin: tuple[int, int]) -> np.ndarray:
    """The polyphase operator: pixel p gets ``kernels[phase(p)]`` correlated around it."""
    phases = _phase_grid((int(image.shape[0]), int(image.shape[1])), factor, origin)
    out = np.empty_like(image, dtype=np.float64)
    for phase, kernel in enumerate(kernels):
        where = phases == phase
        out[where] = correlate(image.astype(np.float64), kernel, mode="reflect")[where]
    return out


@dataclass(frozen=True)
class BandSharpening:
    """How one coarse band gets its detail back.

    Attributes:
        band: its position in the HR-MSI.
        factor: the block size of its resampling (2 for 20 m in a 10 m stack).
        weights: ``(n_sharp + 1,)``: the band as a combination of the sharp bands plus a constant.
        kernels: ``(factor², K, K)``: its resampling, one kernel per phase in the block.
    """

    band: int
    factor: int
    weights: tuple[float, ...]
    kernels: tuple[tuple[tuple[float, ...], ...], ...]


@dataclass(frozen=True)
class MsiSharpening:
    """Detail injection into the coarse bands of an HR-MSI stack (see the module docstring).

    Attributes:
        sharp: positions of the native-resolution bands.
        bands: one :class:`BandSharpening` per coarse band.
        origin: where the image it was fitted on starts (row, column), in the coordinates
            :meth:`apply` is given: the blocks' phase.
    """

    sharp: tuple[int, ...]
    bands: tuple[BandSharpening, ...]
    origin: tuple[int, int] = (0, 0)

    @classmethod
    def from_dict(cls, data: dict) -> "MsiSharpening":
        """Inverse of :func:`dataclasses.asdict` (e.g. after a JSON round trip)."""
        bands = tuple(BandSharpening(int(b["band"]), int(b["factor"]), tuple(b["weights"]),
                                     tuple(tuple(tuple(row) for row in k) for k in b["kernels"]))
                      for b in data["bands"])
        return cls(tuple(data["sharp"]), bands, tuple(data["origin"]))

    @property
    def reach(self) -> int:
        """HR pixels beyond a window's edge that change its result (the kernels' reach)."""
        return max(len(b.kernels[0]) // 2 for b in self.bands)

    def apply(self, hr_msi: np.ndarray, origin: tuple[int, int] = (0, 0)) -> np.ndarray:
        """``hr_msi`` ``(M, H, W)`` with the coarse bands given the sharp bands' detail; ``origin``
        is the window's top-left pixel, in the coordinates of :attr:`origin` (the block phase).
        Invalid pixels (NaN) stay invalid."""
        origin = (origin[0] - self.origin[0], origin[1] - self.origin[1])
        out = np.array(hr_msi, dtype=np.float32, copy=True)
        sharp = np.nan_to_num(hr_msi[list(self.sharp)].astype(np.float64))
        for spec in self.bands:
            w = np.asarray(spec.weights)
            predicted = np.tensordot(w[:-1], sharp, axes=1)
            detail = predicted - _resample(predicted, np.asarray(spec.kernels), spec.factor, origin)
            out[spec.band] += detail.astype(np.float32)
        return out

    def describe(self, names: Optional[Sequence[str]] = None) -> str:
        """One line for the log."""
        count = 1 + max([b.band for b in self.bands] + list(self.sharp))
        names = names or [f"band {b + 1}" for b in range(count)]
        shown = ", ".join(f"{names[b.band]} (×{b.factor})" for b in self.bands)
        return (f"HR-MSI bands resampled from coarser pixels: {shown}. They are given the sharp "
                "bands' detail (detail injection through their own estimated resampling), so "
                "that their blur is not taken for the scene's.")


def _sample(valid: np.ndarray, limit: int, seed: int = 0) -> np.ndarray:
    """Flat indices of at most ``limit`` valid pixels, spread evenly (reproducible)."""
    index = np.flatnonzero(valid.ravel())
    if index.size <= limit:
        return index
    return np.sort(np.random.default_rng(seed).choice(index, limit, replace=False))


def _fit_band(target: np.ndarray, sharp: np.ndarray, valid: np.ndarray, factor: int
              ) -> tuple[BandSharpening, float]:
    """Alternate the regression on the sharp bands and the polyphase kernels (non-negative) on
    half the sampled pixels; returns the fit and its residual mean square on the other half."""
    size = 2 * factor + 3
    half = size // 2
    kernels = np.zeros((factor * factor, size, size))
    kernels[:, half, half] = 1.0
    phases = _phase_grid((int(target.shape[0]), int(target.shape[1])), factor, (0, 0))
    sampled = np.random.default_rng(1).permutation(_sample(valid, 2 * FIT_PIXELS))
    index, held = np.sort(sampled[0::2]), np.sort(sampled[1::2])
    ys, xs = np.unravel_index(index, target.shape)
    z = target.ravel()[index]
    for _ in range(_ITERATIONS):
        design = np.stack([_resample(s, kernels, factor, (0, 0)).ravel()[index] for s in sharp]
                          + [np.ones(index.size)], axis=1)
        weights, *_ = np.linalg.lstsq(design, z, rcond=None)
        predicted = np.pad(np.tensordot(weights[:-1], sharp, axes=1), half, mode="reflect")
        patches = np.stack([predicted[ys + dy, xs + dx] for dy in range(size)
                            for dx in range(size)], axis=1)
        for phase in range(factor * factor):
            rows = phases.ravel()[index] == phase
            if rows.sum() > size * size:
                kernels[phase] = nnls(patches[rows], z[rows] - weights[-1])[0].reshape(size, size)
    design = np.stack([_resample(s, kernels, factor, (0, 0)).ravel()[held] for s in sharp]
                      + [np.ones(held.size)], axis=1)
    residual = float(np.mean((design @ weights - target.ravel()[held]) ** 2))
    kernel_tuple = tuple(tuple(tuple(float(v) for v in row) for row in k) for k in kernels)
    return BandSharpening(-1, factor, tuple(float(w) for w in weights), kernel_tuple), residual


def fit_sharpening(hr_msi: np.ndarray, origin: tuple[int, int] = (0, 0),
                   known: Optional[dict[int, int]] = None) -> Optional[MsiSharpening]:
    """The detail injection for ``hr_msi`` ``(M, H, W)`` (NaN marks invalid pixels) whose top-left
    pixel is ``origin`` in the coordinates :meth:`MsiSharpening.apply` will be given; None when
    every band is native. ``known``: block sizes a reader gave for some bands (1: native)."""
    valid = np.all(np.isfinite(hr_msi), axis=0)
    if valid.sum() < 1024:
        return None
    filled = np.where(np.isfinite(hr_msi), hr_msi, np.nanmean(hr_msi, axis=(1, 2), keepdims=True))
    coarse = coarse_bands(filled, valid, known)
    if not coarse:
        return None
    sharp_ids = tuple(b for b in range(hr_msi.shape[0]) if b not in coarse)
    sharp = filled[list(sharp_ids)].astype(np.float64)
    fits = []
    for band, factor in sorted(coarse.items()):
        target = filled[band].astype(np.float64)
        factors = CANDIDATE_FACTORS if factor is None else (factor,)
        tried = [_fit_band(target, sharp, valid, k) for k in factors]
        best = min(residual for _, residual in tried)
        fit = next(f for f, residual in tried if residual <= _FIT_TOLERANCE * best)
        fits.append(BandSharpening(band, fit.factor, fit.weights, fit.kernels))
    return MsiSharpening(sharp_ids, tuple(fits), (int(origin[0]), int(origin[1])))
