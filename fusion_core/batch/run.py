"""Fuse a batch's scenes: here one after another, or on a Dask cluster one scene per task.

Each scene is a whole :func:`~fusion_core.pipeline.fuse_files` run (its preflight, lock, output
and report), in this process or in a worker's: a worker reads the scene's inputs and writes its
outputs to the paths of the scene's request (shared storage), and only its result record comes
back. A scene's run inside a Dask task never opens a cluster of its own
(:func:`~fusion_core.windows.distributed.resolve_scheduler`): a worker with ``--nthreads N``
fuses N scenes at once, each with one torch thread. A scene that fails, for any reason, is
recorded with its error and the batch goes on; cancelling stops the whole batch. Progress is over
the batch: the scenes finished of all, and on this process the share of the running scene.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Iterator, Optional

import torch

from ..errors import Cancelled, FusionError
from ..portable import Shipped, alias_top_level
from ..progress import Progress, format_duration
from ..request import FusionRequest
from .pairs import Scene

__all__ = ["SceneResult", "fuse_scene", "run_batch", "write_summary"]


@dataclass
class SceneResult:
    """What became of one scene: its output and report, seconds by stage, or its error."""

    name: str
    output: Optional[str] = None
    report: Optional[str] = None
    seconds: Optional[dict[str, float]] = None
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None


def fuse_scene(request: FusionRequest, progress: Optional[Progress] = None) -> dict[str, float]:
    """Fuse one scene in this process (no cluster of its own); its seconds by stage."""
    from ..pipeline import fuse_files

    return fuse_files(dataclasses.replace(request, dask_scheduler=""), progress).seconds


def _error(exc: BaseException) -> str:
    """A failed scene's error in one line: the engine's message, else the exception's type and text."""
    return str(exc) if isinstance(exc, FusionError) else f"{type(exc).__name__}: {exc}"


def _result(scene: Scene, seconds: Optional[dict[str, float]] = None,
            error: Optional[str] = None) -> SceneResult:
    request = scene.request
    if request is None or error is not None:
        return SceneResult(scene.name, error=error or scene.problem)
    return SceneResult(scene.name, request.output, request.report, seconds)


def _here(scenes: list[tuple[int, Scene]], progress: Progress) -> Iterator[tuple[int, SceneResult]]:
    for k, (index, scene) in enumerate(scenes):
        assert scene.request is not None
        try:
            seconds = fuse_scene(scene.request, progress.child(k / len(scenes), (k + 1) / len(scenes)))
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - a scene's failure is listed, the batch goes on
            yield index, _result(scene, error=_error(exc))
        else:
            yield index, _result(scene, seconds)


def _on_dask(scenes: list[tuple[int, Scene]], scheduler: str,
             progress: Progress) -> Iterator[tuple[int, SceneResult]]:
    from ..windows.distributed import dask_client, wait_some

    alias_top_level()  # a scene's error comes back naming the engine fusion_core
    run = uuid.uuid4().hex[:12]
    with dask_client(scheduler, progress, torch.device("cpu")) as client:
        running = {}
        for index, scene in scenes:
            assert scene.request is not None
            task = Shipped(partial(fuse_scene, scene.request))
            running[client.submit(task, key=f"hsi-fusion-scene-{index}-{run}")] = (index, scene)
        try:
            while running:
                finished = wait_some(list(running))
                progress.check_cancelled()
                for future in finished:
                    index, scene = running.pop(future)
                    try:
                        yield index, _result(scene, future.result())
                    except Exception as exc:  # noqa: BLE001 - listed, the batch goes on
                        yield index, _result(scene, error=_error(exc))
        finally:
            client.cancel(list(running))


def run_batch(scenes: list[Scene], scheduler: str = "",
              progress: Optional[Progress] = None) -> list[SceneResult]:
    """Fuse every runnable scene of ``scenes``; one result per scene, in the list's order.

    Args:
        scenes: the batch (:mod:`.pairs`); scenes with a problem are listed as failed, not run.
        scheduler: ``""`` to fuse here one scene after another (each with every thread), or a
            Dask scheduler (``"local"``, an address or a scheduler file) for one scene per
            task; an embedded cluster shares the scenes' memory bound among its workers.
        progress: progress over the batch, and cancel.
    """
    progress = progress or Progress()
    share = 1.0
    if scheduler == "local":
        from ..windows.distributed import local_cluster_shape

        share = 1.0 / local_cluster_shape()[0]
    todo = [(k, _with_memory_share(scene, share)) for k, scene in enumerate(scenes)
            if scene.request is not None]
    results = {k: _result(scene) for k, scene in enumerate(scenes) if scene.request is None}
    t0 = time.perf_counter()
    done = 0
    for index, result in (_on_dask(todo, scheduler, progress) if scheduler else _here(todo, progress)):
        results[index] = result
        done += 1
        state = "done" if result.ok else f"FAILED: {result.error}"
        progress.info(f"Scene {done}/{len(todo)} {result.name} {state}")
        left = (time.perf_counter() - t0) / done * (len(todo) - done)
        progress.update(done / len(todo), f"{done}/{len(todo)} scenes; about {format_duration(left)} left")
    return [results[k] for k in range(len(scenes))]


def _with_memory_share(scene: Scene, share: float) -> Scene:
    """``scene`` with ``share`` of its memory bound (the scenes of an embedded cluster share it)."""
    if share == 1.0 or scene.request is None:
        return scene
    return dataclasses.replace(scene, request=dataclasses.replace(
        scene.request, max_memory_gb=scene.request.max_memory_gb * share))


def write_summary(results: list[SceneResult], path: str) -> None:
    """Write the batch's results (one record per scene, failures with their error) as JSON."""
    Path(path).write_text(json.dumps([dict(asdict(r), ok=r.ok) for r in results], indent=1),
                          encoding="utf-8")
