"""Runs of the engine, from a :class:`~fusion_core.request.FusionRequest` to a result.

A fusion run goes down three steps, each a function of the request: :func:`plan_run` (metadata
only: method, grids, warps), :func:`scene_model` (degradation model, normalisation, windows,
resume) and the window loop (:mod:`fusion_core.windows`). :func:`fuse_files` runs them on files,
:func:`fuse_arrays` on arrays in memory. :mod:`.jobs` holds the other file-to-file jobs.
"""

from .fuse import FusionResult, fuse_arrays, fuse_files
from .jobs import estimate_files, load_psf_kernel, metrics_files, simulate_pair_files
from .plan import RunPlan, plan_run
from .scene import SceneModel, scene_model

__all__ = ["FusionResult", "fuse_files", "fuse_arrays", "RunPlan", "plan_run", "SceneModel",
           "scene_model", "simulate_pair_files", "estimate_files", "metrics_files",
           "load_psf_kernel"]
