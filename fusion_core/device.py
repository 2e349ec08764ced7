"""Choice of the torch device and of reproducible random state."""

from __future__ import annotations

import random

import numpy as np
import torch

from .errors import InputError

__all__ = ["resolve_device", "seed_everything"]


def resolve_device(name: str = "auto", what: str = "device") -> torch.device:
    """Map ``"auto"``, ``"cpu"`` or ``"cuda"`` to a torch device; CUDA when asked and present.

    ``what`` names the setting in the caller's vocabulary, for messages.
    """
    name = (name or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError(
                f"{what} is 'cuda' but torch sees no CUDA GPU on this machine: "
                "choose 'auto' or 'cpu', or install a CUDA build of torch."
            )
        return torch.device(name)
    raise InputError(f"Unknown {what} {name!r}: use 'auto', 'cpu' or 'cuda'.")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch so a run is reproducible; returns a CPU generator."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
