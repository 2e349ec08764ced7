"""Where to estimate the degradation of a scene too big to estimate whole: a representative crop.

The PSF can only be seen where the scene has edges, so among a few candidate crops of the size
the memory bound allows, spread over the scene, the one with the most texture (gradient energy
of the band-mean image, measured on a decimated LR-HSI) is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Texture", "estimation_crop"]

_CANDIDATES_PER_AXIS = 3


@dataclass(frozen=True)
class Texture:
    """What crops are chosen on: the LR-HSI decimated by ``step``, averaged over its bands
    ``(rows / step, cols / step)`` (a run reads the decimated LR-HSI once, for its factor).

    Attributes:
        mean: the band mean of the decimated LR-HSI.
        step: the decimation step.
    """

    mean: np.ndarray
    step: int

    @classmethod
    def of(cls, sample: np.ndarray, step: int) -> "Texture":
        """The texture of ``sample``, the LR-HSI decimated by ``step`` ``(C, rows / step, cols / step)``."""
        return cls(sample.mean(axis=0), step)


def estimation_crop(texture: Texture, lr_shape: tuple[int, int], side: int) -> tuple[int, int, int, int]:
    """LR rectangle ``(row0, col0, rows, cols)`` of at most ``side`` pixels a side, the most
    textured of a few spread over an LR-HSI of ``lr_shape`` (rows, cols)."""
    rows, cols = lr_shape
    h, w = min(side, rows), min(side, cols)
    mean, step = texture.mean, texture.step
    energy = np.zeros_like(mean)
    energy[:-1, :] += np.diff(mean, axis=0) ** 2
    energy[:, :-1] += np.diff(mean, axis=1) ** 2
    best, best_score = (0, 0), -1.0
    for r0 in np.linspace(0, rows - h, _CANDIDATES_PER_AXIS).astype(int):
        for c0 in np.linspace(0, cols - w, _CANDIDATES_PER_AXIS).astype(int):
            part = energy[r0 // step:(r0 + h) // step + 1, c0 // step:(c0 + w) // step + 1]
            score = float(part.mean()) if part.size else 0.0
            if score > best_score:
                best, best_score = (int(r0), int(c0)), score
    return best[0], best[1], h, w
