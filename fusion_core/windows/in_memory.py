"""The pixels and the result of an in-memory run: arrays in place of the two rasters and the output.

:func:`fusion_core.pipeline.fuse_arrays` runs the same scene model and window loop as a
file-to-file run; :class:`ArraySource` and :class:`ArrayOutput` stand where
:class:`~fusion_core.windows.source.PairSource` and :class:`~fusion_core.windows.output.TiledOutput`
stand, so both paths compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Optional

import numpy as np

from ..io.pair import PairPlan, Rect
from ..spectral.multiresolution import MsiSharpening
from .source import PlannedSource, read_within, sharpened

__all__ = ["ArraySource", "ArrayOutput"]


@dataclass(frozen=True)
class ArraySource(PlannedSource):
    """An LR-HSI ``(C, h, w)`` and an HR-MSI ``(M, H, W)`` in memory (NaN marks invalid), seen
    through a :class:`~fusion_core.io.pair.PairPlan` as :class:`~.source.PairSource` sees files."""

    lr: np.ndarray
    hr: np.ndarray
    plan: PairPlan
    lr_bands: Optional[tuple[int, ...]] = None
    hr_sharpening: Optional[MsiSharpening] = None

    @classmethod
    def whole(cls, lr: np.ndarray, hr: np.ndarray, scale: int) -> "ArraySource":
        """Both arrays whole, nested at ratio ``scale``."""
        rows, cols = int(lr.shape[1]), int(lr.shape[2])
        return cls(lr, hr, PairPlan(scale, (0, 0, rows, cols), (0, 0, rows * scale, cols * scale)))

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        data = read_within(partial(_cut, self.lr), self.plan.lr_window, rect)
        return data if self.lr_bands is None else data[list(self.lr_bands)]

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        data = read_within(partial(_cut, self.hr), self.plan.hr_window, rect, self.plan.hr_bounds)
        return sharpened(data, self.hr_sharpening, self.plan.hr_window, rect)

    @property
    def lr_count(self) -> int:  # type: ignore[override]
        return self.lr.shape[0]

    def read_lr_sample(self, step: int) -> np.ndarray:
        return np.ascontiguousarray(self.read_lr()[:, ::step, ::step])



def _cut(array: np.ndarray, full: Rect) -> np.ndarray:
    row0, col0, rows, cols = full
    return np.asarray(array[:, row0:row0 + rows, col0:col0 + cols], dtype=np.float32)


class ArrayOutput:
    """The fused image ``(C, H, W)`` float32, filled region by region like a tiled output."""

    path = "memory"

    def __init__(self, count: int, shape: tuple[int, int]):
        self.count = count
        self.data = np.full((count, *shape), np.nan, dtype=np.float32)

    def open(self, resume_from=None, durable: bool = True) -> None:
        """Nothing to open: the array exists from the start."""

    def write(self, rect: Rect, data: np.ndarray) -> None:
        self.data[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]] = data

    def flush(self) -> None:
        """Nothing to flush in memory."""

    close = finish = discard = flush
