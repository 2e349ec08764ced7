"""Shared by the tests of the methods trained on the window."""

from __future__ import annotations

import torch

from fusion_core.methods.base import FusionConfig, FusionMethod
from fusion_core.progress import Progress


def run_method(method: FusionMethod, pair, preset: str = "fast", options: dict | None = None,
               device: torch.device = torch.device("cpu"), seed: int = 0, progress=None, model=None):
    """Fuse a simulated pair (``tmp_rasters`` or a benchmark pair) with ``method``; returns
    ``(output, method)`` so a test can look at what the method learned."""
    out = method.fuse(
        torch.from_numpy(pair.lr_hsi).to(device),
        torch.from_numpy(pair.hr_msi).to(device),
        pair.model if model is None else model,
        FusionConfig(preset=preset, device=device, seed=seed, options=dict(options or {})),
        progress or Progress(),
    )
    return out, method
