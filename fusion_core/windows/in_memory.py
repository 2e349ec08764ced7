"""The pixels and the result of an in-memory run: arrays in place of the two rasters and the output.

:func:`fusion_core.pipeline.fuse_arrays` runs the same scene model and window loop as a
file-to-file run; :class:`ArraySource` and :class:`ArrayOutput` stand where
:class:`~fusion_core.windows.source.PairSource` and :class:`~fusion_core.windows.output.TiledOutput`
stand, so both paths compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .source import Rect

__all__ = ["ArraySource", "ArrayOutput"]


@dataclass(frozen=True)
class ArraySource:
    """An LR-HSI ``(C, h, w)`` and an HR-MSI ``(M, r h, r w)`` in memory (NaN marks invalid)."""

    lr: np.ndarray
    hr: np.ndarray
    scale: int

    @property
    def lr_shape(self) -> tuple[int, int]:
        return int(self.lr.shape[1]), int(self.lr.shape[2])

    @property
    def hr_shape(self) -> tuple[int, int]:
        return int(self.hr.shape[1]), int(self.hr.shape[2])

    def read_lr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return _cut(self.lr, rect)

    def read_hr(self, rect: Optional[Rect] = None) -> np.ndarray:
        return _cut(self.hr, rect)

    def sample_step(self, max_values: int) -> int:
        rows, cols = self.lr_shape
        return max(1, int(np.ceil(np.sqrt(self.lr.shape[0] * rows * cols / max(max_values, 1)))))

    def read_lr_sample(self, step: int) -> np.ndarray:
        return np.ascontiguousarray(self.lr[:, ::step, ::step])


def _cut(array: np.ndarray, rect: Optional[Rect]) -> np.ndarray:
    if rect is None:
        return np.asarray(array, dtype=np.float32)
    row0, col0, rows, cols = rect
    return np.asarray(array[:, row0:row0 + rows, col0:col0 + cols], dtype=np.float32)


class ArrayOutput:
    """The fused image ``(C, H, W)`` float32, filled region by region like a tiled output."""

    path = "memory"

    def __init__(self, count: int, shape: tuple[int, int]):
        self.data = np.zeros((count, *shape), dtype=np.float32)

    def open(self, resume_from=None) -> None:
        """Nothing to open: the array exists from the start."""

    def write(self, rect: Rect, data: np.ndarray) -> None:
        self.data[:, rect[0]:rect[0] + rect[2], rect[1]:rect[1] + rect[3]] = data

    def flush(self) -> None:
        """Nothing to flush in memory."""

    close = finish = discard = flush
