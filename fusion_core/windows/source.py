"""Where the windows' pixels come from: the two input rasters, read one window at a time.

A :class:`PairSource` holds paths and a :class:`~fusion_core.io.pair.PairPlan`, not pixels,
so it is small to send to a Dask worker, and each worker reads only the windows it fuses. An
input the plan warps is read through GDAL's warper, window by window. Invalid pixels are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional, Protocol

import numpy as np
from rasterio.windows import Window

from ..io import PairPlan, read_raster
from ..io.pair import Rect
from ..io.reading import open_raster
from ..io.resample import read_warped
from ..spectral.multiresolution import MsiSharpening
from ..threads import on_threads, run_threads

__all__ = ["PairSource", "Rect", "Source", "read_within"]



class Source(Protocol):
    """What the windows read pixels from: a pair of files, or arrays in memory."""

    @property
    def lr_bands(self) -> Optional[tuple[int, ...]]: ...
    @property
    def hr_sharpening(self) -> Optional[MsiSharpening]: ...

    @property
    def scale(self) -> int: ...
    @property
    def lr_shape(self) -> tuple[int, int]: ...
    @property
    def hr_shape(self) -> tuple[int, int]: ...
    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray: ...
    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray: ...
    def sample_step(self, max_values: int) -> int: ...
    def read_lr_sample(self, step: int) -> np.ndarray: ...
    @property
    def plan(self) -> PairPlan: ...
    def with_bands(self, lr_bands: Optional[tuple[int, ...]]) -> "Source": ...
    def with_plan(self, plan: PairPlan) -> "Source": ...
    def with_sharpening(self, sharpening: Optional[MsiSharpening]) -> "Source": ...


class PlannedSource:
    """What the two sources share: shapes from their :class:`PairPlan`, and copies with other
    bands, plan or sharpening (mixed into frozen dataclasses with those three fields)."""

    plan: PairPlan
    lr_count: int

    @property
    def scale(self) -> int:
        return self.plan.scale

    @property
    def lr_shape(self) -> tuple[int, int]:
        """(rows, cols) of the fused LR area."""
        return self.plan.lr_window[2], self.plan.lr_window[3]

    @property
    def hr_shape(self) -> tuple[int, int]:
        rows, cols = self.lr_shape
        return rows * self.scale, cols * self.scale

    def sample_step(self, max_values: int) -> int:
        """Decimation step that leaves at most ``max_values`` LR-HSI values (1: all of them)."""
        rows, cols = self.lr_shape
        return max(1, int(np.ceil(np.sqrt(self.lr_count * rows * cols / max(max_values, 1)))))

    def with_bands(self, lr_bands: Optional[tuple[int, ...]]):
        return replace(self, lr_bands=lr_bands)  # type: ignore[type-var]

    def with_plan(self, plan: PairPlan):
        return replace(self, plan=plan)  # type: ignore[type-var]

    def with_sharpening(self, sharpening: Optional[MsiSharpening]):
        return replace(self, hr_sharpening=sharpening)  # type: ignore[type-var]


@dataclass(frozen=True)
class PairSource(PlannedSource):
    """An LR-HSI / HR-MSI pair on nested grids, as seen by the windows.

    Coordinates are those of the fused area: LR pixel ``(0, 0)`` is pixel ``plan.lr_window[:2]``
    of the LR-HSI (or of its warp), HR pixel ``(0, 0)`` pixel ``plan.hr_window[:2]`` of the
    HR-MSI (or of its warp). ``lr_bands`` are the positions of the LR-HSI bands used (all when
    None): bands without a single valid pixel are left out of the computation.
    ``hr_sharpening`` gives HR-MSI bands resampled from coarser pixels the sharp bands' detail
    as they are read (:mod:`fusion_core.spectral.multiresolution`). ``lr_count``: the LR-HSI's
    bands (from the plan's metadata, so that the file's is read once).
    """

    lr_path: str
    hr_path: str
    plan: PairPlan
    lr_count: int
    lr_bands: Optional[tuple[int, ...]] = None
    hr_sharpening: Optional[MsiSharpening] = None

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        """LR-HSI pixels of ``rect`` (whole fused area when None), float32 ``(C, rows, cols)``."""
        data = read_within(lambda full: _read(self.lr_path, "LR-HSI", self.plan.lr_warp, full),
                           self.plan.lr_window, rect)
        return data if self.lr_bands is None else data[list(self.lr_bands)]

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        """HR-MSI pixels of ``rect`` (whole fused area when None), float32 ``(M, rows, cols)``."""
        data = read_within(lambda full: _read(self.hr_path, "HR-MSI", self.plan.hr_warp, full),
                           self.plan.hr_window, rect, self.plan.hr_bounds)
        return sharpened(data, self.hr_sharpening, self.plan.hr_window, rect)

    def read_lr_sample(self, step: int) -> np.ndarray:
        """The LR-HSI keeping every ``step``-th pixel of every ``step``-th row, ``(C, rows, cols)``.

        A decimated read lets GDAL decode each tile once, whatever the scene size; the bands of a
        band-interleaved file are read in groups on the run's threads.
        """
        if step == 1 or self.plan.lr_warp is not None:
            return self.read_lr()[:, ::step, ::step]
        rows, cols = self.lr_shape
        off_r, off_c = self.plan.lr_window[:2]
        bands = list(self.lr_bands) if self.lr_bands is not None else list(range(self.lr_count))
        threads = min(run_threads(), len(bands)) if _band_interleaved(self.lr_path, "LR-HSI") else 1

        def read(group: list[int]) -> np.ndarray:
            return read_raster(self.lr_path, "LR-HSI", window=Window(off_c, off_r, cols, rows),
                               out_shape=(max(1, rows // step), max(1, cols // step)), bands=group).data

        n = len(bands)
        groups = [bands[k * n // threads:(k + 1) * n // threads] for k in range(threads)]
        return np.concatenate(list(on_threads(threads)(read, groups)))


def _band_interleaved(path: str, role: str) -> bool:
    """Whether the raster stores each band's blocks apart (a GeoTIFF with INTERLEAVE=BAND): then
    groups of bands read on threads decode none of the same blocks."""
    with open_raster(path, role) as ds:
        return ds.count > 1 and ds.interleaving is not None and ds.interleaving.name == "band"



def sharpened(data: np.ndarray, sharpening: Optional[MsiSharpening], area: Rect,
              rect: Optional[Rect]) -> np.ndarray:
    """HR pixels ``data`` read at ``rect`` of the fused ``area`` with ``sharpening`` applied in
    the coordinates of the image ``area`` lies in (where it was fitted)."""
    if sharpening is None:
        return data
    row0, col0 = (rect[0], rect[1]) if rect is not None else (0, 0)
    return sharpening.apply(data, (area[0] + row0, area[1] + col0))


def read_within(read: Callable[[Rect], np.ndarray], area: Rect, rect: Optional[Rect],
                bounds: Optional[tuple[int, int]] = None) -> np.ndarray:
    """Pixels ``rect`` of the fused ``area`` (all of it when None) of an image, by
    ``read(rectangle in the image)``; where ``area`` reaches past the image's ``bounds``
    (rows, cols), the pixels outside are NaN (nodata)."""
    row0, col0, rows, cols = rect if rect is not None else (0, 0, area[2], area[3])
    full = (row0 + area[0], col0 + area[1], rows, cols)
    if bounds is None:
        return read(full)
    top, left = min(max(full[0], 0), bounds[0] - 1), min(max(full[1], 0), bounds[1] - 1)
    bottom, right = min(full[0] + rows, bounds[0]), min(full[1] + cols, bounds[1])
    if (top, left, bottom, right) == (full[0], full[1], full[0] + rows, full[1] + cols):
        return read(full)
    inside = read((top, left, max(bottom - top, 1), max(right - left, 1)))
    out = np.full((inside.shape[0], rows, cols), np.nan, dtype=np.float32)
    if bottom > top and right > left:
        out[:, top - full[0]:bottom - full[0], left - full[1]:right - full[1]] = inside
    return out


def _read(path: str, role: str, warp, full: Rect) -> np.ndarray:
    """Pixels ``full`` ``(row0, col0, rows, cols)`` of a raster (or of its warp)."""
    row0, col0, rows, cols = full
    if warp is not None:
        return read_warped(path, warp, full, role)
    return read_raster(path, role, window=Window(col0, row0, cols, rows)).data
