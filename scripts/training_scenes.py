"""The real scenes the pretrained networks (UAL's fusion module, UAO's reconstruction network)
are trained on, never a benchmark scene, and how they are loaded: one table and one loader for
``scripts/pretrain_ual.py`` and ``scripts/pretrain_uao.py``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io as sio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.scenes import AVIRIS_BAD_NM  # noqa: E402

__all__ = ["SHARED", "TRAINING_SCENES", "Scene", "load_training_scene"]

SHARED = REPO.parent / "shared" / "data"
#: Training scenes: file, and the nominal wavelength range (nm) of those stored without one.
TRAINING_SCENES = {
    "aviris_santa_barbara_90x90x224.mat": None,
    "hydice_urban_crop_100x80x162.mat": (400.0, 2500.0),
    "hydice_urban_r162_subimg_34x78x162.mat": (400.0, 2500.0),
    "pavia_university_rosis_subimg_50x50x103.mat": None,
}


@dataclass
class Scene:
    """A training cube ``(C, H, W)`` in [0, 1] and its band centres (nm)."""

    name: str
    cube: np.ndarray
    wavelengths: np.ndarray


def load_training_scene(file: str, shared: Path = SHARED) -> Scene:
    """Scene ``file`` of :data:`TRAINING_SCENES` clipped at zero, divided by its maximum, with its
    bands left constant dropped and, for AVIRIS, its water-vapour bands (as
    ``benchmarks/scenes.py`` loads scenes)."""
    mat = sio.loadmat(shared / file)
    cube = np.clip(np.asarray(mat["cube"], dtype=np.float64), 0.0, None)
    nominal = TRAINING_SCENES[file]
    if nominal is None:
        key = "wavelengths_nm" if "wavelengths_nm" in mat else "wavelengths_nm_nominal"
        wl = np.asarray(mat[key], dtype=np.float64).ravel()
    else:
        wl = np.linspace(*nominal, cube.shape[2])
    keep = cube.reshape(-1, cube.shape[2]).std(axis=0) > 0
    for lo, hi in AVIRIS_BAD_NM if file.startswith("aviris") else ():
        keep &= ~((wl >= lo) & (wl < hi))
    cube = cube[:, :, keep].transpose(2, 0, 1)
    return Scene(file.split(".")[0], cube / cube.max(), wl[keep])
