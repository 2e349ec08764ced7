"""Batches: many scenes fused one per task, each with its output and report.

:mod:`.pairs` reads the list of scenes (a CSV file, or an LR-HSI and an HR-MSI glob paired by
what their wildcards match); :mod:`.run` fuses them here one after another or on a Dask cluster
one scene per task, keeps going past a scene that fails and lists the failures.
"""

from .pairs import Scene, scenes_from_csv, scenes_from_globs
from .run import SceneResult, run_batch, write_summary

__all__ = ["Scene", "scenes_from_csv", "scenes_from_globs", "SceneResult", "run_batch", "write_summary"]
