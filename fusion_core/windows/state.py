"""Resume state of a windowed run: what is done, kept next to the output until it is complete.

For an output ``fused.tif`` a run keeps, beside it:

* ``fused.tif.part``: the BigTIFF being written (see :mod:`fusion_core.windows.output`);
* ``fused.tif.resume.json``: this state, rewritten atomically after each window::

      {"format": "hsifusion-resume", "version": 1,
       "fingerprint": "…",            # hash of the inputs (paths, sizes, dates) and settings
       "layout": {"core_lr": 80, "halo_lr": 3, "ramp_lr": 3, "scale": 3, "tile": 240},
       "norm": 5437.0,                # the scene's common normalising factor
       "model": {…},                  # the degradation model used (DegradationModel JSON)
       "done": [[0, 0], …],           # windows fused
       "written": [[0, 0], …]}        # output core regions written to the .part file

* ``fused.tif.resume/``: blending contributions of done windows to regions not yet written
  (``w<i>_<j>-r<k>_<l>.npy``), so a resumed run recomputes no finished window.

A resumed run reuses the layout, factor and model of the state (so it estimates nothing again)
when the fingerprint matches; all three are removed when the output is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..degradation import DegradationModel

__all__ = ["ResumeState", "fingerprint", "file_facts"]

FORMAT = "hsifusion-resume"
VERSION = 1

Key = tuple[int, int]


def fingerprint(**facts: Any) -> str:
    """A hash of what makes two runs the same run (JSON-serialisable facts)."""
    text = json.dumps(facts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def file_facts(path: str | os.PathLike) -> dict[str, Any]:
    """Path, size and modification time of an input file, for a fingerprint."""
    st = os.stat(path)
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
        self.fingerprint = fingerprint_
        self.layout = layout
        self.norm = float(norm)
        self.model = model
        self.done: set[Key] = set(done or ())
        self.written: set[Key] = set(written or ())

    @classmethod
    def load(cls, final: str | os.PathLike, fingerprint_: str) -> Optional["ResumeState"]:
        """The saved state of ``final`` when it exists and belongs to the same run, else None."""
        p = Path(final)
        path = p.with_name(p.name + ".resume.json")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if raw.get("format") != FORMAT or raw.get("fingerprint") != fingerprint_:
            return None
        return cls(final, fingerprint_, raw["layout"], raw["norm"],
                   DegradationModel.from_dict(raw["model"]),
                   {tuple(k) for k in raw["done"]}, {tuple(k) for k in raw["written"]})

    @staticmethod
    def exists(final: str | os.PathLike) -> bool:
        p = Path(final)
        return p.with_name(p.name + ".resume.json").exists()

    def save(self) -> None:
        """Write the state atomically."""
        if self.path is None:
            return
        raw = {"format": FORMAT, "version": VERSION, "fingerprint": self.fingerprint,
               "layout": self.layout, "norm": self.norm, "model": self.model.to_dict(),
               "done": sorted(self.done), "written": sorted(self.written)}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(raw), encoding="utf-8")
        os.replace(tmp, self.path)

    def _piece(self, window: Key, region: Key) -> Path:
        if self.stash is None:
            raise ValueError("An in-memory resume state keeps no pieces on disk.")
        return self.stash / f"w{window[0]}_{window[1]}-r{region[0]}_{region[1]}.npy"

    def stash_piece(self, window: Key, region: Key, data: np.ndarray) -> None:
        """Keep a window's contribution to a region not yet written (atomically)."""
        if self.stash is None:
            return
        self.stash.mkdir(exist_ok=True)
        target = self._piece(window, region)
        tmp = target.with_name(target.stem + ".tmp.npy")
        np.save(tmp, data)
        os.replace(tmp, target)

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

    def remove(self) -> None:
        """Delete the state file and the stash."""
        if self.path is None or self.stash is None:
            return
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.stash, ignore_errors=True)
