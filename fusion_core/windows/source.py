"""Where the windows' pixels come from: the two input rasters, read one window at a time.

A :class:`PairSource` holds paths and a :class:`~fusion_core.io.resample.PairPlan`, not pixels,
so it is small to send to a Dask worker, and each worker reads only the windows it fuses. The
HR-MSI is read through the planned GDAL warp when it does not nest in the LR-HSI's grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

import numpy as np
import rasterio
from rasterio.windows import Window

from ..errors import InputError
from ..io import read_raster
from ..io.resample import PairPlan, read_aligned_hr

__all__ = ["PairSource", "Rect", "Source"]

Rect = tuple[int, int, int, int]  # (row0, col0, rows, cols)


class Source(Protocol):
    """What the windows read pixels from: a pair of files, or arrays in memory."""

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


@dataclass(frozen=True)
class PairSource:
    """An LR-HSI / HR-MSI pair on nested grids, as seen by the windows.

    Coordinates are those of the fused area: LR pixel ``(0, 0)`` is LR-HSI pixel
    ``plan.lr_window[:2]``, and HR pixel ``(0, 0)`` is the top-left of the (warped) HR-MSI.
    """

    lr_path: str
    hr_path: str
    plan: PairPlan

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

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        """LR-HSI pixels of ``rect`` (whole fused area when None), float32 ``(C, rows, cols)``."""
        row0, col0, rows, cols = rect if rect is not None else (0, 0, *self.lr_shape)
        off_r, off_c = self.plan.lr_window[:2]
        window = Window(col0 + off_c, row0 + off_r, cols, rows)
        return read_raster(self.lr_path, "LR-HSI", window=window).data

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        """HR-MSI pixels of ``rect`` (whole fused area when None), float32 ``(M, rows, cols)``."""
        if self.plan.alignment is None:
            window = None if rect is None else Window(rect[1], rect[0], rect[3], rect[2])
            return read_raster(self.hr_path, "HR-MSI", window=window).data
        data = read_aligned_hr(self.hr_path, self.plan.alignment, rect)
        if not np.isfinite(data).all():
            raise InputError(
                f"The HR-MSI {self.hr_path}, resampled onto the LR-HSI grid, has NaN or nodata "
                "pixels inside the area to fuse: fill them ('Fill nodata') before fusion."
            )
        return data

    def sample_step(self, max_values: int) -> int:
        """Decimation step that leaves at most ``max_values`` LR-HSI values (1: all of them)."""
        rows, cols = self.lr_shape
        with rasterio.open(self.lr_path) as ds:
            count = ds.count
        return max(1, int(np.ceil(np.sqrt(count * rows * cols / max(max_values, 1)))))

    def read_lr_sample(self, step: int) -> np.ndarray:
        """The LR-HSI keeping every ``step``-th pixel of every ``step``-th row, ``(C, rows, cols)``.

        A decimated read lets GDAL decode each tile once, whatever the scene size.
        """
        if step == 1:
            return self.read_lr()
        rows, cols = self.lr_shape
        off_r, off_c = self.plan.lr_window[:2]
        return read_raster(self.lr_path, "LR-HSI", window=Window(off_c, off_r, cols, rows),
                           out_shape=(max(1, rows // step), max(1, cols // step))).data
