"""Fusion methods, listed in the order of the QGIS METHOD enum.

This module imports neither torch nor any method, so the QGIS layer can build its dialogs
before it knows whether torch is installed; :func:`load_method` imports a method on demand.
The order of :data:`CATALOG` is frozen: new methods are appended, never reordered, because
scripts and models refer to methods by index.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["MethodEntry", "CATALOG", "load_method", "method_index"]


@dataclass(frozen=True)
class MethodEntry:
    """Where a method lives and how it is shown."""

    id: str
    label: str
    module: str
    cls: str


CATALOG: tuple[MethodEntry, ...] = (
    MethodEntry("sscf", "Default: SSCF spectral mapping + subspace consistency (fast)",
                "fusion_core.methods.sscf", "SSCF"),
    MethodEntry("udaln", "UDALN (Li et al., GRSL 2022)", "fusion_core.methods.udaln", "UDALN"),
    MethodEntry("m2unet", "M2U-Net (Li et al., TGRS 2024)", "fusion_core.methods.m2unet", "M2UNet"),
    MethodEntry("stable_vae", "Stable lightweight VAE fusion (Guo et al., CVPR 2023)",
                "fusion_core.methods.stable_vae", "StableVAE"),
    MethodEntry("ual", "UAL (Zhang et al., CVPR 2020)", "fusion_core.methods.ual", "UAL"),
    MethodEntry("uao", "UAO blind alternating optimisation (Nie et al.)", "fusion_core.methods.uao", "UAO"),
)


def method_index(key: str | int, what: str = "fusion method") -> int:
    """Index in :data:`CATALOG` of a method given by index or id (``"default"`` is index 0).

    ``what`` names the setting in the caller's vocabulary, for the message.
    """
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
        i = int(key)
        if 0 <= i < len(CATALOG):
            return i
    elif key.lower() == "default":
        return 0
    else:
        for i, entry in enumerate(CATALOG):
            if entry.id == key.lower():
                return i
    valid = ", ".join(f"{i} = {e.id}" for i, e in enumerate(CATALOG))
    raise InputError(f"Unknown {what} {key!r}; choose one of: {valid}.")


def load_method(key: str | int):
    """An instance of the method given by index or id (imports torch)."""
    entry = CATALOG[method_index(key)]
    package = __name__.rsplit(".", 1)[0]  # "fusion_core", or "hsi_fusion.fusion_core" inside QGIS
    module = importlib.import_module(entry.module.replace("fusion_core", package, 1))
    return getattr(module, entry.cls)()
