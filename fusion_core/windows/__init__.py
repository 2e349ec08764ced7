"""Windowed fusion of scenes of any size in bounded memory, in this process or on Dask.

Modules: :mod:`.layout` (window grid), :mod:`.blend` (weights), :mod:`.memory` (window size from
the memory bound), :mod:`.source` (reading windows), :mod:`.task` (one window's work),
:mod:`.assemble` and :mod:`.output` (blending into a tiled BigTIFF), :mod:`.state` (resume),
:mod:`.runner` (the loop) and :mod:`.distributed` (Dask).
"""

from .distributed import ENV_VAR, resolve_scheduler
from .layout import WindowGrid
from .output import TiledOutput, choose_tile
from .runner import RunStats, plan_grid, run_windows
from .source import PairSource
from .state import ResumeState, file_facts, fingerprint
from .task import WindowJob, fuse_window

__all__ = ["ENV_VAR", "resolve_scheduler", "WindowGrid", "TiledOutput", "choose_tile",
           "RunStats", "plan_grid", "run_windows", "PairSource", "ResumeState", "file_facts",
           "fingerprint", "WindowJob", "fuse_window"]
