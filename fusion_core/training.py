"""The one optimisation loop every trained fusion method runs.

A method describes its training as a list of :class:`Stage` objects (what to optimise, with which
Adam settings, for how many iterations, against which loss closure, under which learning-rate
schedule) and hands them to :func:`run_stages`. The loop owns what all methods share: progress
reports, prompt cancellation, a few logged loss values, and the check that the loss stays finite.

It draws no random numbers itself: seed the run (:func:`fusion_core.device.seed_everything`)
before building the networks and the result is reproducible on a given device.

Example:
    >>> w = torch.nn.Parameter(torch.zeros(3))
    >>> stage = Stage("fit", [w], lambda: ((w - 1.0) ** 2).sum(), 200, AdamSettings(lr=0.05))
    >>> run_stages([stage], Progress())[0].name
    'fit'
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

import torch

from .errors import FusionError, InputError
from .progress import Progress, format_duration

__all__ = ["AdamSettings", "Stage", "StageResult", "run_stages", "linear_decay", "decay_after", "step_decay"]

#: Longest stretch of compute between two progress reports (seconds); cancel is checked every
#: iteration regardless.
REPORT_INTERVAL_S = 0.5
#: Progress is also reported each time this fraction of a stage is done.
REPORT_FRACTION = 0.01
#: Fractions of a stage at which the loss is written to the log.
LOG_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class AdamSettings:
    """Settings of the Adam optimiser a stage creates.

    Attributes:
        lr: initial learning rate (the schedule multiplies it).
        betas: Adam's moment decay rates.
        weight_decay: L2 penalty added by Adam to the gradients.
    """

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0


@dataclass
class Stage:
    """One training stage.

    Attributes:
        name: short description shown in progress messages, e.g. ``"degradation"``.
        parameters: tensors to optimise, or torch parameter groups (dicts with ``"params"`` and
            their own ``"lr"``) when parts need different rates.
        loss: closure computing the scalar loss from the current parameters.
        iterations: number of optimiser steps; 0 skips the stage.
        optimizer: Adam settings; each stage starts a fresh optimiser.
        schedule: maps the 0-based iteration to a factor on every group's initial learning rate
            (e.g. :func:`linear_decay`); constant when ``None``.
        after_step: called without gradients after every step, e.g. to project parameters back
            onto their constraints.
        weight: share of the progress bar relative to the other stages (default: iterations);
            give cheap and expensive stages weights proportional to their run time.
    """

    name: str
    parameters: Iterable[Any]
    loss: Callable[[], torch.Tensor]
    iterations: int
    optimizer: AdamSettings = field(default_factory=AdamSettings)
    schedule: Optional[Callable[[int], float]] = None
    after_step: Optional[Callable[[], None]] = None
    weight: Optional[float] = None


@dataclass
class StageResult:
    """What a stage ended with: its name, last loss and the logged (iteration, loss) points."""

    name: str
    final_loss: float
    history: list[tuple[int, float]]


def linear_decay(iterations: int, decay_start: int) -> Callable[[int], float]:
    """Constant rate, then a linear decay towards zero over the last iterations.

    The factor is 1 for the first ``decay_start`` iterations and then drops by
    ``1 / (iterations - decay_start + 1)`` per iteration, so the last step still moves (the
    schedule of the UDALN authors' code).
    """
    if not 0 <= decay_start <= iterations:
        raise InputError(
            f"The decay must start between iteration 0 and the last one ({iterations}), "
            f"got {decay_start}."
        )
    steps = iterations - decay_start + 1

    def factor(iteration: int) -> float:
        return 1.0 if iteration < decay_start else 1.0 - (iteration - decay_start + 1) / steps

    return factor


def run_stages(stages: Sequence[Stage], progress: Progress, label: str = "Training") -> list[StageResult]:
    """Run ``stages`` in order, reporting progress and honouring cancel.

    Args:
        stages: the stages; each creates its own Adam optimiser over its parameters.
        progress: receives "``label`` stage i/n: it/total, loss L, about T left in this stage"
            updates about every 1 % of a stage (and at least every half second; T from the
            stage's pace so far), is checked for cancel at every iteration, and logs the loss a
            few times per stage.
        label: prefix of the messages, usually the method's short name.

    Returns:
        One :class:`StageResult` per stage.

    Raises:
        Cancelled: when ``progress`` reports that the user asked to stop.
        FusionError: when a loss becomes NaN or infinite (the message names stage and iteration).
    """
    weights = [float(s.iterations if s.weight is None else s.weight) for s in stages]
    total = sum(weights) or 1.0
    results, done = [], 0.0
    for index, stage in enumerate(stages):
        sub = progress.child(done / total, (done + weights[index]) / total)
        prefix = f"{label} stage {index + 1}/{len(stages)} ({stage.name})"
        results.append(_run_stage(stage, sub, prefix))
        done += weights[index]
    return results


def _run_stage(stage: Stage, progress: Progress, prefix: str) -> StageResult:
    if stage.iterations < 0:
        raise InputError(f"{prefix}: the number of iterations must be >= 0, got {stage.iterations}.")
    n = stage.iterations
    if n == 0:
        progress.update(1.0, f"{prefix}: skipped (0 iterations)")
        return StageResult(stage.name, math.nan, [])
    settings = stage.optimizer
    optimizer = torch.optim.Adam(
        list(stage.parameters), lr=settings.lr, betas=settings.betas, weight_decay=settings.weight_decay
    )
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    report_every = max(1, int(n * REPORT_FRACTION))
    log_at = {min(n, max(1, round(f * n))) for f in LOG_FRACTIONS}
    history: list[tuple[int, float]] = []
    started = last_report = time.monotonic()
    loss_value = math.nan
    progress.update(0.0, f"{prefix}: 0/{n}")
    for it in range(n):
        if stage.schedule is not None:
            factor = stage.schedule(it)
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr * factor
        optimizer.zero_grad(set_to_none=True)
        loss = stage.loss()
        loss.backward()
        optimizer.step()
        if stage.after_step is not None:
            with torch.no_grad():
                stage.after_step()
        step = it + 1
        now = time.monotonic()
        if step in log_at or step % report_every == 0 or now - last_report >= REPORT_INTERVAL_S:
            loss_value = _finite(loss, prefix, step)
            left = format_duration((now - started) / step * (n - step))
            progress.update(step / n, f"{prefix}: {step}/{n}, loss {loss_value:.4g}, "
                                      f"about {left} left in this stage")
            last_report = now
            if step in log_at:
                history.append((step, loss_value))
                progress.info(f"{prefix}: iteration {step}/{n}, loss {loss_value:.6g}")
        else:
            progress.check_cancelled()
    return StageResult(stage.name, loss_value, history)


def _finite(loss: torch.Tensor, prefix: str, step: int) -> float:
    value = float(loss.detach())
    if not math.isfinite(value):
        raise FusionError(
            f"{prefix}: the loss became {value} at iteration {step}; training diverged. "
            "Lower the learning rate or check the inputs for NaN or extreme values."
        )
    return value


def decay_after(iterations: int, fraction: float) -> Callable[[int], float]:
    """:func:`linear_decay` starting after ``fraction`` (0–1) of the stage's iterations."""
    return linear_decay(iterations, int(round(fraction * iterations)))


def step_decay(milestones: tuple[int, ...], gamma: float) -> Callable[[int], float]:
    """Factor ``gamma ** (number of milestones <= iteration)`` (torch's MultiStepLR)."""
    return lambda iteration: gamma ** sum(iteration >= m for m in milestones)
