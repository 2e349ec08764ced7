"""Tests of fusion_core.batch.run and ``python -m fusion_core batch``: every scene is fused with its
report, a scene that fails is listed with its error while the others finish, progress goes over
the whole batch; on a cluster by address (a scheduler and ``python -m fusion_core worker``
processes on loopback) each scene is one task that opens no cluster of its own."""

import json

import numpy as np
import pytest

from fusion_core.batch import run_batch, scenes_from_globs
from fusion_core.cli import main
from fusion_core.io import read_raster
from fusion_core.progress import Progress
from fusion_core.request import FusionRequest
from fusion_core.windows.distributed import ENV_VAR

from ...dask_cluster import address_cluster


@pytest.fixture
def archive(tmp_rasters, tmp_path):
    """Two good 32×32 pairs and one with a truncated LR-HSI, as data/<name>_lr_hsi.tif …"""
    folder = tmp_path / "data"
    folder.mkdir()
    for k, name in enumerate(("may", "june")):
        pair = tmp_rasters(size=32, n_hsi=12, snr_db=40, seed=k, name=name)
        for path in (pair.lr_path, pair.hr_path):
            path.rename(folder / path.name)
    data = (folder / "may_lr_hsi.tif").read_bytes()
    (folder / "broken_lr_hsi.tif").write_bytes(data[: len(data) // 2])
    (folder / "broken_hr_msi.tif").write_bytes((folder / "may_hr_msi.tif").read_bytes())
    return folder


def test_the_batch_command_fuses_every_scene_and_lists_the_failure(archive, tmp_path, capsys):
    out = tmp_path / "fused"
    code = main(["batch", str(out), "--lr", str(archive / "*_lr_hsi.tif"), "--hr",
                 str(archive / "*_hr_msi.tif"), "--window-size", "16"])
    assert code == 1
    printed = capsys.readouterr()
    lines = [json.loads(line) for line in printed.out.splitlines() if line.startswith("{")]
    assert [(r["scene"], r["ok"]) for r in lines] == [("broken", False), ("june", True), ("may", True)]
    assert "1 of 3 scene(s) failed: broken: LR_HSI" in printed.err and "is truncated" in printed.err
    for name in ("june", "may"):
        assert read_raster(out / f"{name}_fused.tif").data.shape == (12, 32, 32)
        assert (out / f"{name}_report.html").exists()
    summary = json.loads((out / "batch.json").read_text())
    assert [(s["name"], s["ok"]) for s in summary] == [("broken", False), ("june", True), ("may", True)]
    assert not any(out.glob("broken*"))


def test_progress_goes_over_the_whole_batch(archive, tmp_path):
    scenes = scenes_from_globs(str(archive / "*_lr_hsi.tif"), str(archive / "*_hr_msi.tif"),
                               str(tmp_path), FusionRequest(window_size=16), report=False)
    seen = []
    results = run_batch(scenes, "", Progress(lambda percent, message: seen.append((percent, message))))
    assert [r.ok for r in results] == [False, True, True]
    batch = [(round(p, 1), m.split(";")[0]) for p, m in seen if " scenes; about " in m]
    assert batch == [(33.3, "1/3 scenes"), (66.7, "2/3 scenes"), (100.0, "3/3 scenes")]
    first, second = (k for k, (_, m) in enumerate(seen) if m.startswith(("1/3 scenes", "2/3 scenes")))
    june = [p for p, _ in seen[first + 1:second]]  # the second scene's own progress, in its share
    assert june and all(100 / 3 - 1e-6 <= p <= 200 / 3 + 1e-6 for p in june)


@pytest.mark.timeout(300)
def test_on_a_cluster_each_scene_is_a_task_that_opens_no_cluster(archive, tmp_path, monkeypatch):
    for folder in ("here", "dask", "cluster"):
        (tmp_path / folder).mkdir()
    here = run_batch(scenes_from_globs(str(archive / "*_lr_hsi.tif"), str(archive / "*_hr_msi.tif"),
                                       str(tmp_path / "here"), FusionRequest(window_size=16), report=False))
    monkeypatch.setenv(ENV_VAR, "local")  # the workers inherit it: a nested cluster would start
    with address_cluster(tmp_path / "cluster", workers=1) as (_, scheduler_file):
        results = run_batch(scenes_from_globs(
            str(archive / "*_lr_hsi.tif"), str(archive / "*_hr_msi.tif"), str(tmp_path / "dask"),
            FusionRequest(window_size=16)), str(scheduler_file))
    assert [(r.name, r.ok) for r in results] == [("broken", False), ("june", True), ("may", True)]
    assert "is truncated" in results[0].error
    assert "embedded Dask cluster" not in (tmp_path / "cluster" / "worker0.log").read_text()
    for mine, theirs in zip(here[1:], results[1:]):
        np.testing.assert_array_equal(read_raster(theirs.output).data, read_raster(mine.output).data)
        assert theirs.report and (tmp_path / "dask" / f"{theirs.name}_report.html").exists()
