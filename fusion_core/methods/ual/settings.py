"""UAL's test-time schedules: the presets and the options that override them.

One stage (see :mod:`.method`): the adaptation module and the degeneration network trained
together on the two inputs, each with its own Adam rate and weight decay; the pretrained fusion
module stays fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import option

__all__ = ["UALSchedule", "PRESETS"]


@dataclass(frozen=True)
class UALSchedule:
    """Settings of the unsupervised adaptation."""

    iterations: int = option("optimiser steps (the paper's epochs: each sees the whole window)")
    lr_adaptation: float = option("Adam rate of the adaptation module", above=0)
    weight_decay_adaptation: float = option("Adam weight decay of the adaptation module")
    lr_degeneration: float = option("Adam rate of the degeneration network", above=0)
    weight_decay_degeneration: float = option("Adam weight decay of the degeneration network")
    width: int = option("kernels per convolution of the adaptation module", minimum=1)
    degeneration_size: int = option("kernel size of the degeneration network (at least the given "
                                    "PSF's size and r; 0 keeps the PSF's size)")


PRESETS: dict[str, UALSchedule] = {
    # Section 4.1: 1500 epochs, Adam 9e-5 / wd 1e-3 (adaptation) and 1e-4 / wd 1e-5
    # (degeneration), 64 kernels, a 32×32 degeneration kernel.
    "paper": UALSchedule(
        iterations=1500, lr_adaptation=9e-5, weight_decay_adaptation=1e-3,
        lr_degeneration=1e-4, weight_decay_degeneration=1e-5, width=64, degeneration_size=32,
    ),
    # A few minutes for a 100×100 window on one CPU core: fewer steps at a higher adaptation
    # rate (the loss levels off after about 50 on Jasper Ridge and on the tests' sample scene),
    # a narrower adaptation module, and the given PSF's own kernel size.
    "fast": UALSchedule(
        iterations=100, lr_adaptation=5e-4, weight_decay_adaptation=1e-3,
        lr_degeneration=1e-4, weight_decay_degeneration=1e-5, width=32, degeneration_size=0,
    ),
}
