"""Tests of ``python -m fusion_core worker`` (fusion_core.worker): a worker started from the plugin's
folder runs jobs sent by the engine loaded as the plugin's subpackage (as QGIS and qgis_process
load it, ``hsi_fusion.fusion_core``: before, every task failed with "No module named
'hsi_fusion'"), giving the output of a run in one process, and its errors come back as the
client's own. The cluster (a scheduler and one worker) listens on loopback only."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fusion_core.cli import main
from fusion_core.io import read_raster
from fusion_core.pipeline import fuse_files
from fusion_core.request import FusionRequest

from ..dask_cluster import address_cluster

REPO = Path(__file__).resolve().parents[2]

PLUGIN_CLIENT = """
import json, sys
from functools import partial
sys.path.insert(0, sys.argv[1])
from distributed import Client
from hsi_fusion.fusion_core.device import resolve_device
from hsi_fusion.fusion_core.errors import InputError
from hsi_fusion.fusion_core.pipeline import fuse_files
from hsi_fusion.fusion_core.portable import Shipped, alias_top_level
from hsi_fusion.fusion_core.request import FusionRequest

lr, hr, model, out, scheduler = sys.argv[2:7]
fuse_files(FusionRequest(lr, hr, out, degradation=model, window_size=16, dask_scheduler=scheduler))
alias_top_level()
with Client(scheduler, timeout=30) as client:
    try:
        client.submit(Shipped(partial(resolve_device, "bogus"))).result(timeout=60)
        error = None
    except InputError as exc:
        error = str(exc)
print(json.dumps({"error": error}))
"""


def test_the_worker_command_takes_dask_workers_arguments(capsys):
    assert main(["worker", "--help"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Usage: python -m fusion_core worker [OPTIONS] [SCHEDULER]")
    assert all(option in shown for option in ("--scheduler-file", "--nthreads", "--memory-limit"))
    assert main(["worker", "tcp://127.0.0.1:8786", "--nthreads", "many"]) == 2
    assert "'many' is not a valid integer" in capsys.readouterr().err


def test_the_worker_command_needs_a_scheduler(capsys):
    assert main(["worker", "--nthreads", "1"]) == 2
    assert "Give the scheduler's address (python -m fusion_core worker tcp://host:8786)" in \
        capsys.readouterr().err


@pytest.mark.timeout(300)
def test_a_worker_from_the_plugin_folder_runs_jobs_sent_from_the_plugin_package(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12, snr_db=40)
    pair.model.save(tmp_path / "model.json")
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hsi_fusion").symlink_to(REPO, target_is_directory=True)
    fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "here.tif"),
                             degradation=str(tmp_path / "model.json"), window_size=16))
    with address_cluster(tmp_path) as (address, _):
        done = subprocess.run(
            [sys.executable, "-c", PLUGIN_CLIENT, str(plugins), str(pair.lr_path), str(pair.hr_path),
             str(tmp_path / "model.json"), str(tmp_path / "dask.tif"), address],
            cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    said = json.loads(done.stdout.splitlines()[-1])
    assert said["error"] is not None and "Unknown device 'bogus'" in said["error"]
    np.testing.assert_array_equal(read_raster(tmp_path / "dask.tif").data,
                                  read_raster(tmp_path / "here.tif").data)


@pytest.mark.timeout(180)
def test_a_worker_runs_with_glibcs_own_allocator_settings(tmp_path, monkeypatch):
    from distributed import Client

    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # a nanny started here sets it here

    with address_cluster(tmp_path) as (address, _), Client(address, timeout=30) as client:
        environ = client.run(lambda: dict(os.environ))
    (worker_environ,) = environ.values()
    # Dask's nanny would set MALLOC_TRIM_THRESHOLD_=65536: every window's arrays on fresh pages
    assert "MALLOC_TRIM_THRESHOLD_" not in worker_environ
    assert worker_environ["OMP_NUM_THREADS"] == "1"


def test_the_worker_command_leaves_torch_to_the_worker_process():
    # the command's process is the worker's nanny, which runs no task: torch there is 0.2 GB lost
    shown = subprocess.run([sys.executable, "-c", "import sys\nfrom fusion_core.cli import main\n"
                            "main(['worker', '--help'])\nprint('torch' in sys.modules)"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert shown.stdout.splitlines()[-1] == "False", shown.stderr[-2000:]
