"""Resume state of a windowed run: what is done, kept next to the output until it is complete.

For an output ``fused.tif`` a run keeps, beside it:

* ``fused.tif.<token>.part``: the BigTIFF being written, its name unique to the run that
  started it (see :mod:`fusion_core.windows.output`);
* ``fused.tif.resume.json``: this state, rewritten atomically after each window::

      {"format": "hsifusion-resume", "version": 2,
       "fingerprint": "…",            # hash of the inputs (paths, sizes, dates) and settings
       "partial": "fused.tif.3fa2c1d0.part",  # the partial output, continued on resume
       "layout": {"core_lr": 80, "halo_lr": 3, "ramp_lr": 3, "scale": 3, "tile": 240},
       "norm": 5437.0,                # the scene's common normalising factor
       "model": {…},                  # the degradation model used (DegradationModel JSON,
                                      # its arrays restored bit for bit on resume)
       "done": [[0, 0], …],           # windows fused
       "written": [[0, 0], …]}        # output core regions written to the .part file

* ``fused.tif.resume/``: blending contributions of done windows to regions not yet written
  (``w<i>_<j>-r<k>_<l>.npy``), so a resumed run recomputes no finished window.
* ``fused.tif.regions/``: on a Dask cluster, where the workers placed each output region's
  tiles in the ``.part`` file (``r<i>_<j>.json``, :mod:`.region_writer`).

A resumed run reuses the layout, factor and model of the state (so it estimates nothing again)
when the fingerprint matches; all three are removed when the output is complete. Only the run
holding the output's lock (:mod:`fusion_core.io.lock`) touches them, so the fixed names of the
state and the stash cannot be written by two runs at once.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..degradation import DegradationModel

__all__ = ["ResumeState", "fingerprint", "file_facts"]

FORMAT = "hsifusion-resume"
VERSION = 2

Key = tuple[int, int]


def fingerprint(**facts: Any) -> str:
    """A hash of what makes two runs the same run (JSON-serialisable facts)."""
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def file_facts(path: str | os.PathLike) -> dict[str, Any]:
    """Path, size and modification time of an input file (a folder: of the folder; a GDAL
    subdataset or ``/vsi`` name: the name alone), for a fingerprint."""
    try:
        st = os.stat(path)
    except OSError:
        return {"path": str(path)}
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class ResumeState:
    """The state file and the contribution stash of one output."""

    def __init__(self, final: Optional[str | os.PathLike], fingerprint_: str, layout: dict,
                 norm: float, model: DegradationModel, done: Optional[set] = None,
                 written: Optional[set] = None):
        """``final`` None keeps the state in memory only (an in-memory run: nothing to resume)."""
        p = Path(final) if final is not None else None
        self.path = p.with_name(p.name + ".resume.json") if p is not None else None
        self.stash = p.with_name(p.name + ".resume") if p is not None else None
        #: Where Dask workers record the output's regions they wrote (:mod:`.region_writer`).
        self.regions = p.with_name(p.name + ".regions") if p is not None else None
        self.partial: Optional[Path] = None
        self.fingerprint = fingerprint_
        self.layout = layout
        self.norm = float(norm)
        self.model = model
        self._model_dict: Optional[tuple[DegradationModel, dict]] = None  # saved after every window
        self.done: set[Key] = set(done or ())
        self.written: set[Key] = set(written or ())

    @classmethod
    def load(cls, final: str | os.PathLike, fingerprint_: str) -> Optional["ResumeState"]:
        """The saved state of ``final`` when it exists, belongs to the same run and still has
        its partial output (if it wrote any), else None."""
        p = Path(final)
        path = p.with_name(p.name + ".resume.json")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (raw.get("format") != FORMAT or raw.get("version") != VERSION
                or raw.get("fingerprint") != fingerprint_):
            return None
        partial = p.with_name(raw["partial"]) if raw.get("partial") else None
        if raw["written"] and (partial is None or not partial.exists()):
            return None
        state = cls(final, fingerprint_, raw["layout"], raw["norm"], _exact_model(raw["model"]),
                    {tuple(k) for k in raw["done"]}, {tuple(k) for k in raw["written"]})
        state.partial = partial
        return state

    @staticmethod
    def exists(final: str | os.PathLike) -> bool:
        p = Path(final)
        return p.with_name(p.name + ".resume.json").exists()

    def save(self) -> None:
        """Write the state atomically (no temporary file is left when the write fails)."""
        if self.path is None:
            return
        raw = {"format": FORMAT, "version": VERSION, "fingerprint": self.fingerprint,
               "partial": self.partial.name if self.partial is not None else None,
               "layout": self.layout, "norm": self.norm, "model": self._model_as_dict(),
               "done": sorted(self.done), "written": sorted(self.written)}
        _replace_atomically(self.path, lambda f: f.write(json.dumps(raw).encode("utf-8")))

    def _model_as_dict(self) -> dict:
        """The model's dictionary, made once per model (0.5 CPU-s of a 36-window run made it for
        each window)."""
        if self._model_dict is None or self._model_dict[0] is not self.model:
            self._model_dict = (self.model, self.model.to_dict())
        return self._model_dict[1]

    def _piece(self, window: Key, region: Key) -> Path:
        if self.stash is None:
            raise ValueError("An in-memory resume state keeps no pieces on disk.")
        return self.stash / f"w{window[0]}_{window[1]}-r{region[0]}_{region[1]}.npy"

    def stash_piece(self, window: Key, region: Key, data: np.ndarray) -> None:
        """Keep a window's contribution to a region not yet written (atomically)."""
        if self.stash is None:
            return
        self.stash.mkdir(exist_ok=True)
        _replace_atomically(self._piece(window, region), lambda f: np.save(f, data))

    def stashed_piece(self, window: Key, region: Key) -> Optional[np.ndarray]:
        """A kept contribution, or None when there is none."""
        if self.stash is None:
            return None
        path = self._piece(window, region)
        return np.load(path) if path.exists() else None

    def drop_pieces(self, region: Key, windows: list[Key]) -> None:
        """Delete the kept contributions to a written region."""
        if self.stash is None:
            return
        for window in windows:
            self._piece(window, region).unlink(missing_ok=True)

    def regions_done(self) -> bool:
        """Whether Dask workers wrote regions of this output (their records kept for a resumed run)."""
        return self.regions is not None and self.regions.is_dir() and any(self.regions.iterdir())

    def remove(self) -> None:
        """Delete the state file, the stash, the regions written by Dask workers, and temporary
        state files a killed run left."""
        if self.path is None or self.stash is None or self.regions is None:
            return
        shutil.rmtree(self.regions, ignore_errors=True)
        self.path.unlink(missing_ok=True)
        for leftover in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(self.stash, ignore_errors=True)


def _replace_atomically(target: Path, write: Callable[[Any], Any]) -> None:
    """``write`` into (the open binary file of) a temporary sibling of ``target``, then rename it
    onto ``target``; on failure (a full disk) the temporary file is deleted and ``target`` keeps
    its old content."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _exact_model(raw: dict) -> DegradationModel:
    """The model of a state as the run that saved it held it: the constructor normalises the PSF
    and SRF again, which can move them by a rounding error, so the saved arrays (exact in JSON)
    are put back."""
    model = DegradationModel.from_dict(raw)
    model.psf = np.asarray(raw["psf"], dtype=np.float64)
    model.srf = np.asarray(raw["srf"], dtype=np.float64)
    model.msi_gain = np.asarray(raw["msi_gain"], dtype=np.float64)
    return model
