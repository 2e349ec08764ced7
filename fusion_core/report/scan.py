"""One pass over the whole scene, strip by strip, for the report's maps and per-band residuals.

A run's windows feed the same figures to :class:`.region_scan.RegionScan` as they write the
result; this pass reads the result back, for a run whose scan did not see every region (a
resumed run) and for a report computed on a finished result. Each strip of LR rows is read with
a halo of rows above and below (the PSF's reach), so every residual is the one the whole image
would give, and memory stays under the budget whatever the scene size. The pass also keeps a
decimated true-colour copy of the three images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..degradation import DegradationModel
from ..measure.consistency import Geometry, NoiseLevels, noise_units, spatial_residual, spectral_residual
from ..measure.disagreement import cross_normal, judged_cross_residual
from ..progress import Progress

__all__ = ["SceneScan", "BandSums", "scan_scene", "scan_halo", "quicklook_steps", "QUICKLOOK_PIXELS",
           "FusedReader", "SPATIAL_BANDS", "spatial_bands"]

#: Longest side of a quick-look, in pixels.
QUICKLOOK_PIXELS = 480
#: LR-HSI bands the spatial residual is measured on, evenly spread over the band list: blurring
#: every band of the result was most of the scan's time (198 bands at 1024²: 1.6 s of a 13 s
#: run); the map is the residual's RMS over these bands, the per-band figure shows them.
SPATIAL_BANDS = 32
Rect = tuple[int, int, int, int]
#: Reads the fused image over an HR rectangle ``(row0, col0, rows, cols)`` as ``(C, rows, cols)``.
FusedReader = Callable[[Rect], np.ndarray]


@dataclass
class SceneScan:
    """The whole scene's residual maps (noise units), per-band residual RMS and quick-looks.

    Attributes:
        spatial_units: ``(h, w)`` the fused image's spatial residual per LR pixel.
        spectral_units: ``(H, W)`` its spectral residual per HR pixel.
        cross_units: ``(h, w)`` the inputs' cross-sensor residual per LR pixel.
        spatial_rms, spectral_rms, cross_rms: residual RMS per band ``(S,)`` (the LR-HSI bands
            ``spatial_bands``), ``(M,)``, ``(M,)``; ``spectral_rms`` None (and
            ``spectral_units`` empty) when the spectral residual was not measured over the scene.
        spatial_bands: the LR-HSI bands the spatial residual is measured on (:func:`spatial_bands`).
        quicklooks: ``"lr"``, ``"hr"``, ``"fused"``: ``(3, rows, cols)`` decimated RGB bands.
    """

    spatial_units: np.ndarray
    spectral_units: np.ndarray
    cross_units: np.ndarray
    spatial_rms: np.ndarray
    spectral_rms: Optional[np.ndarray]
    cross_rms: np.ndarray
    spatial_bands: list[int] = field(default_factory=list)
    quicklooks: dict[str, np.ndarray] = field(default_factory=dict)


def spatial_bands(count: int) -> list[int]:
    """The :data:`SPATIAL_BANDS` bands (all when fewer) of ``count``, evenly spread."""
    return sorted({int(round(v)) for v in np.linspace(0, count - 1, min(count, SPATIAL_BANDS))})


class BandSums:
    """Running per-band sums of squares over finite values."""

    def __init__(self, bands: int):
        self.total = np.zeros(bands)
        self.count = np.zeros(bands)

    def add(self, residual: np.ndarray) -> None:
        finite = np.isfinite(residual)
        self.total += np.square(np.where(finite, residual, 0.0)).sum(axis=(1, 2))
        self.count += finite.sum(axis=(1, 2))

    def rms(self) -> np.ndarray:
        return np.sqrt(self.total / np.maximum(self.count, 1))


def _strips(rows: int, per_strip: int):
    for start in range(0, rows, per_strip):
        yield start, min(rows, start + per_strip)


def every(start: int, step: int) -> int:
    """First local index, in a run starting at global index ``start``, of a multiple of ``step``."""
    return (-start) % step


def scan_halo(model: DegradationModel, geometry: Geometry) -> int:
    """LR pixels read beyond a piece of the scene so that its residuals are the whole image's."""
    r = model.scale
    reach = max(max(geometry.psf.shape), max(model.psf.shape))
    return math.ceil(((reach - r) // 2 + 1) / r) + 1


def quicklook_steps(lr_shape: tuple[int, int], scale: int) -> tuple[int, int]:
    """Decimation steps (LR, HR) of the quick-looks of a scene of ``lr_shape`` LR pixels."""
    longest = max(lr_shape)
    return (max(1, math.ceil(longest / QUICKLOOK_PIXELS)),
            max(1, math.ceil(longest * scale / QUICKLOOK_PIXELS)))


def scan_scene(source, read_fused: FusedReader, model: DegradationModel, geometry: Geometry,
               noise: NoiseLevels, rgb: tuple[list[int], list[int]], budget_bytes: int,
               progress: Optional[Progress] = None) -> SceneScan:
    """Residual maps and per-band residuals of the whole fused scene.

    Args:
        source: the pair (:class:`~fusion_core.windows.source.Source`), in the fused area's
            coordinates.
        read_fused: reads the fused image over an HR rectangle.
        model: the degradation model of the run.
        geometry: the geometry the result is checked in (:func:`.consistency.choose_geometry`).
        noise: the inputs' noise levels.
        rgb: (HSI bands, MSI bands) shown as red, green and blue.
        budget_bytes: working memory of one strip.
        progress: reports and cancels.
    """
    r = model.scale
    rows, cols = source.lr_shape
    c, m = model.n_hsi_bands, model.n_msi_bands
    chosen = spatial_bands(c)
    halo = scan_halo(model, geometry)
    per_row = 8 * 4 * (r * r * cols * (c + 2 * m) + cols * c)
    per_strip = max(1, budget_bytes // per_row)
    step_lr, step_hr = quicklook_steps(source.lr_shape, r)
    spatial_map = np.full((rows, cols), np.nan, np.float32)
    cross_map = np.full((rows, cols), np.nan, np.float32)
    spectral_map = np.full((rows * r, cols * r), np.nan, np.float32)
    sums = {"spatial": BandSums(len(chosen)), "spectral": BandSums(m), "cross": BandSums(m)}
    looks: dict[str, list[np.ndarray]] = {"lr": [], "hr": [], "fused": []}
    hsi_rgb, msi_rgb = rgb
    spatial_normal, spectral_normal = noise.hsi_normal[chosen], noise.msi_normal
    cross_norm = cross_normal(noise, model)
    for a, b in _strips(rows, per_strip):
        a0, b0 = max(0, a - halo), min(rows, b + halo)
        lr = source.read_lr((a0, 0, b0 - a0, cols))
        hr = source.read_hr((a0 * r, 0, (b0 - a0) * r, cols * r))
        fused = read_fused((a0 * r, 0, (b0 - a0) * r, cols * r))
        inner, inner_hr = slice(a - a0, b - a0), slice((a - a0) * r, (b - a0) * r)
        spatial = spatial_residual(fused[chosen], lr[chosen], geometry.psf, r)[:, inner]
        spectral = spectral_residual(fused[:, inner_hr], geometry.move(hr)[:, inner_hr], model)
        cross = judged_cross_residual(lr, hr, model)[:, inner]
        for name, residual in (("spatial", spatial), ("spectral", spectral), ("cross", cross)):
            sums[name].add(residual)
        spatial_map[a:b] = noise_units(spatial, spatial_normal)
        spectral_map[a * r:b * r] = noise_units(spectral, spectral_normal)
        cross_map[a:b] = noise_units(cross, cross_norm)
        i_lr, i_hr = every(a, step_lr), every(a * r, step_hr)
        looks["lr"].append(lr[hsi_rgb][:, inner][:, i_lr::step_lr, ::step_lr])
        looks["hr"].append(hr[msi_rgb][:, inner_hr][:, i_hr::step_hr, ::step_hr])
        looks["fused"].append(fused[hsi_rgb][:, inner_hr][:, i_hr::step_hr, ::step_hr])
        if progress is not None:
            progress.update(b / rows, "Checking the result against its inputs")
    return SceneScan(spatial_map, spectral_map, cross_map, sums["spatial"].rms(),
                     sums["spectral"].rms(), sums["cross"].rms(), chosen,
                     {k: np.concatenate(v, axis=1) for k, v in looks.items()})
