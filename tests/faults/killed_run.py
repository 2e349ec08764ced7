"""A fusion run that dies by SIGKILL at a chosen point, for ``test_kill_resume.py``.

``python tests/faults/killed_run.py LR HR OUT POINT K [SCHEDULER]`` fuses LR and HR into OUT with
RESUME on, 16-pixel windows and the quick test method, and kills itself (``kill -9``) at POINT:

* ``window``: once window K is fused and blended;
* ``flush``: in the K-th flush of the output, after its tiles are on disk, before the state says so;
* ``save``: in the K-th save of the state, after the new state is written, before it replaces
  the old one;
* ``none``: never (the run completes, or is killed from outside).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent / "fusion_core" / "windows")]

import cloudpickle  # noqa: E402
from conftest import RidgeFusion  # noqa: E402  (tests/fusion_core/windows/conftest.py)

from fusion_core import FusionRequest, fuse_files  # noqa: E402
from fusion_core.progress import Progress  # noqa: E402

# Dask workers cannot import test modules: send the test method's code along with it.
cloudpickle.register_pickle_by_value(sys.modules["conftest"])


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def on_kth_call(owner, name: str, k: int, before, counts=lambda *args: True) -> None:
    """Replace ``owner.name`` by a version that, on its ``k``-th call (of those ``counts``
    accepts), runs ``before`` instead and dies."""
    original, calls = getattr(owner, name), []

    def patched(*args, **kwargs):
        if counts(*args):
            calls.append(1)
            if len(calls) == k:
                before(*args, **kwargs)
                die()
        return original(*args, **kwargs)

    setattr(owner, name, patched)


def main(lr: str, hr: str, out: str, point: str, k: int, scheduler: str = "") -> None:
    from fusion_core.windows import output, state

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    progress = Progress(log=log)
    if point == "window":
        progress = Progress(lambda pct, msg: die() if msg.startswith(f"Window {k}/") else None,
                            log=log)
    elif point == "flush":
        on_kth_call(output.TiledOutput, "flush", k, before=lambda self: self._ds.close())
    elif point == "save":
        def write_only(target, write):  # the new state in its temporary file, not renamed
            with open(target.with_name(f".{target.name}.killed.tmp"), "wb") as f:
                write(f)

        on_kth_call(state, "_replace_atomically", k, before=write_only,
                    counts=lambda target, write: target.name.endswith(".resume.json"))
    delay = 0.3 if scheduler else 0.0  # slow enough to be killed from outside mid-run
    request = FusionRequest(lr, hr, out, window_size=16, resume=True, dask_scheduler=scheduler)
    fuse_files(request, progress, method=RidgeFusion(adaptive=False, delay_s=delay))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), *sys.argv[6:])
