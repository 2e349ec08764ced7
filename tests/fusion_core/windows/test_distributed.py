"""Tests of fusion_core.windows.distributed: windows fused on a Dask cluster give the same output
as in one process, even when a worker dies mid-run; the scheduler comes from the parameter or
the environment. Clusters here listen on loopback only and are shut down by each test."""

import dataclasses
import json
import os
import signal
import sys
import threading
import time

import cloudpickle
import dask
import numpy as np
import psutil
import pytest
import rasterio
import torch
from distributed import Client, LocalCluster

from fusion_core import FusionRequest, fuse_files
from fusion_core.dask_settings import worker_settings
from fusion_core.errors import Cancelled, InputError
from fusion_core.io import read_raster, read_raster_info
from fusion_core.methods.base import FusionConfig
from fusion_core.progress import Progress
from fusion_core.report import assemble as report_assemble
from fusion_core.report.region_scan import RegionMeasure
from fusion_core.windows import TiledOutput, WindowJob, distributed
from fusion_core.windows.distributed import ENV_VAR, resolve_scheduler
from fusion_core.windows.region_writer import RegionWriter, aligned_end

from .conftest import RidgeFusion, grid_for, run, source_of

# Workers cannot import test modules: send the test method's code along with it.
cloudpickle.register_pickle_by_value(sys.modules[RidgeFusion.__module__])


def test_the_parameter_wins_over_the_environment_variable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "tcp://127.0.0.1:8786")
    assert resolve_scheduler(None) == "tcp://127.0.0.1:8786"
    assert resolve_scheduler("") == "tcp://127.0.0.1:8786"
    assert resolve_scheduler("local") == "local"
    monkeypatch.delenv(ENV_VAR)
    assert resolve_scheduler(None) == ""


def test_the_local_cluster_fuses_one_window_per_core_or_one_on_a_gpu():
    assert distributed.local_cluster_shape(torch.device("cuda")) == (1, 1)
    assert distributed.local_cluster_shape(torch.device("cpu")) == (os.cpu_count(), 1)


def test_a_worker_resolves_the_device_itself_with_one_torch_thread(tmp_rasters, monkeypatch):
    pair = tmp_rasters(size=32, n_hsi=8)
    job = WindowJob(source_of(pair), RidgeFusion(), pair.model, FusionConfig(), 1.0, grid_for(pair, 4),
                    torch_threads=2, worker_device="bogus")
    with pytest.raises(InputError, match="Unknown device 'bogus'"):
        distributed.fuse_on_worker(job, False, (0, 0))
    seen = {}
    monkeypatch.setattr(distributed, "fuse_window", lambda job, key, keep, results: seen.update(
        device=job.config.device, threads=job.torch_threads))
    distributed.fuse_on_worker(dataclasses.replace(job, worker_device="cpu"), False, (0, 0))
    assert seen == {"device": torch.device("cpu"), "threads": 1}


def test_a_worker_measures_its_region_on_the_inputs_its_window_read(tmp_rasters, tmp_path):
    # Reading them again for the report's measures decoded each region's inputs twice.
    pair = tmp_rasters(size=32, n_hsi=8)
    grid = grid_for(pair, 8)
    job = WindowJob(source_of(pair), RidgeFusion(), pair.model, FusionConfig(), 1.0, grid)
    fused = distributed.fuse_on_worker(job, True, (0, 0))
    (y, x, h, w), lr, hr = fused[1]
    assert (y, x, h, w) == grid.window(0, 0).lr_read
    np.testing.assert_array_equal(lr, source_of(pair).read_lr((y, x, h, w)))
    assert hr.shape[1:] == (h * grid.scale, w * grid.scale)
    assert distributed.fuse_on_worker(job, False, (0, 0))[1] is None
    output = TiledOutput(tmp_path / "out.tif", read_raster_info(pair.hr_path).grid, 8, 16)
    output.open()
    output.close()
    writer = RegionWriter.of(output, tmp_path / "regions")
    writer.folder.mkdir()
    measured = []
    distributed.write_on_worker(writer, grid, lambda rect, values, inputs: measured.append(inputs),
                                lambda size: aligned_end(output.path), (0, 0), fused, [])
    assert measured == [fused[1]]


@pytest.mark.timeout(120)
def test_workers_on_any_host_are_handed_ranges_of_the_output_that_never_overlap():
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        ranges = distributed.FileRanges(client, "test", 8192)
        sizes = [4096 * (1 + k % 5) for k in range(40)]
        starts = client.gather(client.map(lambda size, ranges: ranges(size), sizes, ranges=ranges, pure=False))
        ranges.close()
    given = sorted(zip(starts, sizes))
    assert given[0][0] == 8192
    assert all(start + size == following for (start, size), (following, _) in zip(given, given[1:]))


def test_an_unreachable_scheduler_is_a_clear_error(tmp_rasters, tmp_path, monkeypatch):
    monkeypatch.setattr(distributed, "_CONNECT_TIMEOUT_S", 1)
    pair = tmp_rasters(size=32, n_hsi=8)
    with pytest.raises(InputError, match="Cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run(pair, RidgeFusion(), tmp_path / "fused.tif", grid_for(pair, 4), scheduler="tcp://127.0.0.1:9")
    assert not any(tmp_path.glob("fused.tif*"))


@pytest.mark.timeout(120)
def test_windows_on_a_cluster_are_sized_by_its_workers_memory_and_threads():
    beside = distributed.WORKER_PROCESS_BYTES + distributed.WORKER_GDAL_CACHE_BYTES
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, memory_limit="3GiB",
                      dashboard_address=None) as limited:  # Dask spills at 70 % of the limit
        assert distributed.cluster_room(limited.scheduler_address, 8 * 2**30) == (int(0.7 * 3 * 2**30) - beside) // 2
    with dask.config.set(worker_settings()), \
            LocalCluster(n_workers=1, threads_per_worker=2, processes=False, memory_limit="3GiB",
                         dashboard_address=None) as limited:  # as python -m fusion_core worker runs
        assert distributed.cluster_room(limited.scheduler_address, 8 * 2**30) == (3 * 2**30 - beside) // 2
    with LocalCluster(n_workers=1, threads_per_worker=4, processes=False, memory_limit=0,
                      dashboard_address=None) as unbounded:  # no limit: the run's bound per worker
        assert distributed.cluster_room(unbounded.scheduler_address, 8 * 2**30) == (8 * 2**30 - beside) // 4


@pytest.mark.timeout(120)
def test_workers_that_cannot_see_the_output_folder_are_refused_before_any_window(tmp_rasters, tmp_path,
                                                                                monkeypatch):
    pair = tmp_rasters(size=64, n_hsi=12)
    method = RidgeFusion()
    monkeypatch.setattr(distributed, "_missing", lambda paths: paths)  # a worker on another machine
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with pytest.raises(InputError, match=r"cannot see the output's folder .* on storage they share"):
            run(pair, method, tmp_path / "fused.tif", grid_for(pair, 8), scheduler=cluster.scheduler_address)
    assert method.calls == 0 and not list(tmp_path.glob("fused.tif*"))


@pytest.mark.timeout(120)
def test_embedded_workers_start_with_the_engine_loaded_and_glibcs_own_allocator_settings(monkeypatch):
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)  # a nanny started here sets it here
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    with distributed._local_cluster(1) as client:
        (state,) = client.run(lambda: ("MALLOC_TRIM_THRESHOLD_" in os.environ,
                                       {"torch", "fusion_core.device"} <= set(sys.modules),
                                       os.environ.get("OMP_NUM_THREADS"))).values()
        assert "OMP_NUM_THREADS" not in os.environ  # the nannies' setting for their workers, not QGIS's
    assert state == (False, True, "1")
    assert "OMP_NUM_THREADS" not in os.environ


@pytest.mark.timeout(120)
def test_a_released_embedded_cluster_is_no_longer_handed_out_and_is_gone_when_the_run_ends():
    cpu = torch.device("cpu")
    with distributed.dask_session("local", Progress(), cpu):
        with distributed.dask_client("local", Progress(), cpu) as client:
            workers = list(client.run(os.getpid).values())
        distributed.release_session("local")  # the windows are done: it stops while the report is written
        assert distributed._session_client("local") is None
        distributed.release_session("local")  # again: nothing more to do
    assert workers and not any(psutil.pid_exists(pid) for pid in workers)


@pytest.mark.timeout(120)
def test_the_embedded_cluster_gives_the_single_process_result(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid = grid_for(pair, 8)
    run(pair, RidgeFusion(), tmp_path / "here.tif", grid)
    run(pair, RidgeFusion(), tmp_path / "dask.tif", grid, scheduler="local")
    np.testing.assert_array_equal(read_raster(tmp_path / "dask.tif").data,
                                  read_raster(tmp_path / "here.tif").data)


@pytest.mark.timeout(120)
def test_killing_a_worker_mid_run_still_gives_the_complete_correct_output(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid = grid_for(pair, 4)
    run(pair, RidgeFusion(), tmp_path / "here.tif", grid)
    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        victim = min(client.run(os.getpid).values())

        def kill_after_two_windows(percent, message):
            if message.startswith("Window 2/") and not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        stats = run(pair, RidgeFusion(delay_s=0.3), tmp_path / "dask.tif", grid,
                    scheduler=cluster.scheduler_address, progress=Progress(kill_after_two_windows))
        survivors = client.run(os.getpid).values()
    assert killed and victim not in survivors
    assert stats.fused == len(grid) == 16
    np.testing.assert_array_equal(read_raster(tmp_path / "dask.tif").data,
                                  read_raster(tmp_path / "here.tif").data)


@pytest.mark.timeout(60)
def test_waiting_for_futures_that_do_not_finish_in_time_keeps_no_hold_on_them():
    # distributed.wait(timeout=…) left a coroutine holding the futures after each timeout, so
    # the windows' results stayed on the workers until Python's cycle collector ran.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        slow = client.submit(time.sleep, 2, pure=False)
        key = slow.key
        assert distributed.wait_some([slow]) == set()
        assert distributed.wait_some([slow]) == set()
        del slow
        deadline = time.monotonic() + 5
        while key in client.futures and time.monotonic() < deadline:
            time.sleep(0.05)
        assert key not in client.futures  # released without a collection of cycles


@pytest.mark.timeout(120)
def test_a_windows_result_stays_on_the_worker_that_fused_it(tmp_rasters, tmp_path):
    # Left to the scheduler, a region's task often ran on the other worker, which then received
    # a copy of the whole window's result (and held it beside its own windows).
    pair = tmp_rasters(size=64, n_hsi=12)
    grid = grid_for(pair, 4)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit=0) as cluster, Client(cluster) as client:
        run(pair, RidgeFusion(delay_s=0.1), tmp_path / "dask.tif", grid, scheduler=cluster.scheduler_address)

        def received(dask_worker) -> list:
            return [key for transfer in dask_worker.transfer_incoming_log for key in transfer["keys"]]

        moved = [key for keys in client.run(received).values() for key in keys]
    assert any(key.startswith("hsi-fusion-strip-") for key in moved)  # strips do travel
    assert not [key for key in moved if key.startswith("hsi-fusion-window-")]


@pytest.mark.timeout(120)
def test_a_worker_lends_its_windows_results_again_and_lets_go_of_them_at_the_runs_end(tmp_rasters, tmp_path,
                                                                                    lent_again):
    from fusion_core.methods.sscf.method import SSCF

    pair = tmp_rasters(size=96, scale=4, n_hsi=20, snr_db=40)
    grid = grid_for(pair, 8, halo=8, ramp=4)
    run(pair, SSCF(), tmp_path / "here.tif", grid)
    lent_again.clear()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        run(pair, SSCF(), tmp_path / "dask.tif", grid, scheduler=cluster.scheduler_address)  # worker in this process
    assert len(lent_again) == len(grid) == 9 and any(lent_again)
    assert distributed._RESULTS == []
    # the same within float32 rounding (one torch thread there, every one here)
    np.testing.assert_allclose(read_raster(tmp_path / "dask.tif").data, read_raster(tmp_path / "here.tif").data,
                               rtol=1e-6, atol=1e-8)


def grid_keys(grid) -> set:
    return {window.key for window in grid}


@pytest.mark.timeout(180)
def test_workers_write_the_regions_and_a_resumed_run_fuses_only_what_is_missing(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid = grid_for(pair, 4)
    run(pair, RidgeFusion(), tmp_path / "here.tif", grid)
    out = tmp_path / "dask.tif"
    regions = out.with_name("dask.tif.regions")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, memory_limit=0) as cluster:
        stop = Progress(is_cancelled=lambda: len(list(regions.glob("r*.json"))) >= 6)
        with pytest.raises(Cancelled):
            run(pair, RidgeFusion(delay_s=0.2), out, grid, scheduler=cluster.scheduler_address,
                keep_partial=True, progress=stop)
        time.sleep(2)  # the windows running when it was cancelled finish and write their regions
        written = {tuple(map(int, p.stem[1:].split("_"))) for p in regions.glob("r*.json")}
        assert 6 <= len(written) < len(grid) and not out.exists()
        log: list[str] = []
        stats = run(pair, RidgeFusion(), out, grid, scheduler=cluster.scheduler_address, keep_partial=True,
                    progress=Progress(log=log.append))
    assert f"Resuming: {len(written)} of {len(grid)} output regions were already written." in log
    needed = {w for region in grid_keys(grid) - written for w in grid.region_contributors(*region)}
    assert stats.fused == len(needed) and stats.resumed == len(grid) - len(needed)
    assert not regions.exists() and not list(tmp_path.glob("dask.tif.*"))
    np.testing.assert_array_equal(read_raster(out).data, read_raster(tmp_path / "here.tif").data)


@pytest.mark.timeout(60)
def test_inside_a_dask_task_a_run_never_opens_a_cluster_of_its_own(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "local")
    assert resolve_scheduler(None) == "local"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,  # in process: no network
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert client.submit(resolve_scheduler, None).result() == ""
        assert client.submit(resolve_scheduler, "tcp://127.0.0.1:8786").result() == ""


@pytest.mark.timeout(300)
def test_on_a_cluster_the_workers_measure_the_report_and_it_says_what_one_process_says(tmp_rasters, tmp_path,
                                                                                      monkeypatch):
    pair = tmp_rasters(size=96, n_hsi=12, snr_db=40)
    pair.model.save(tmp_path / "model.json")

    def fuse(name: str, scheduler: str) -> dict:
        request = FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / f"{name}.tif"),
                                degradation=str(tmp_path / "model.json"), window_size=32,
                                dask_scheduler=scheduler, report=str(tmp_path / f"{name}.html"))
        fuse_files(request)
        return json.loads((tmp_path / f"{name}.json").read_text())

    here = fuse("here", "")

    def not_here(*args, **kwargs):
        raise AssertionError("this process measured a region, or read one back")

    monkeypatch.setattr(RegionMeasure, "__call__", not_here)
    monkeypatch.setattr(report_assemble, "scan_scene", not_here)
    on_cluster = fuse("dask", "local")
    for figure in ("spatial", "spectral", "inputs"):
        np.testing.assert_allclose(on_cluster["consistency"][figure]["residual_rms"],
                                   here["consistency"][figure]["residual_rms"], rtol=1e-5)
    np.testing.assert_allclose(on_cluster["consistency"]["spatial_map"], here["consistency"]["spatial_map"],
                               rtol=1e-5)
    for figure in ("PSNR", "SAM"):
        np.testing.assert_allclose(on_cluster["reduced_resolution"][figure], here["reduced_resolution"][figure],
                                   rtol=1e-5)
    np.testing.assert_array_equal(read_raster(tmp_path / "dask.tif").data, read_raster(tmp_path / "here.tif").data)


@pytest.mark.timeout(300)
def test_regions_placed_by_workers_make_the_scaled_int16_cog_one_process_writes(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=12, snr_db=40)
    pair.model.save(tmp_path / "model.json")
    for name, scheduler in (("here", ""), ("dask", "local")):
        fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / f"{name}.tif"),
                                 degradation=str(tmp_path / "model.json"), window_size=32, report="",
                                 dask_scheduler=scheduler, output_format="COG", output_type="int16",
                                 output_compression="DEFLATE"))
    with rasterio.open(tmp_path / "here.tif") as here, rasterio.open(tmp_path / "dask.tif") as dask:
        assert dask.profile == here.profile and dask.overviews(1) == here.overviews(1) != []
        assert dask.scales == here.scales and dask.tags(1) == here.tags(1)
        np.testing.assert_array_equal(dask.read(), here.read())
        np.testing.assert_array_equal(dask.read(1, out_shape=(48, 48)), here.read(1, out_shape=(48, 48)))


@pytest.mark.timeout(60)
def test_a_scene_in_a_dask_task_compresses_on_its_workers_threads_only():
    assert distributed.codec_threads() == "ALL_CPUS"
    with LocalCluster(n_workers=1, threads_per_worker=3, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        assert client.submit(distributed.codec_threads).result() == 3


class ThreadNoting(RidgeFusion):
    """RidgeFusion that notes the thread each window is fused on."""

    threads: list[str] = []

    def fuse(self, *args, **kwargs):
        ThreadNoting.threads.append(threading.current_thread().name)
        return super().fuse(*args, **kwargs)


@pytest.mark.timeout(120)
def test_a_scene_on_a_one_thread_worker_is_fused_on_the_tasks_thread_and_outside_one_ahead_of_it(
        tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid = grid_for(pair, 8)
    ThreadNoting.threads.clear()
    run(pair, ThreadNoting(), tmp_path / "here.tif", grid)  # read ahead, fused and written on threads
    assert set(ThreadNoting.threads) == {"hsi-fusion-fuse_0"}
    ThreadNoting.threads.clear()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.submit(run, pair, ThreadNoting(), tmp_path / "task.tif", grid, pure=False).result()
    assert len(ThreadNoting.threads) == len(grid) and not any(n.startswith("hsi-fusion") for n in ThreadNoting.threads)
    np.testing.assert_array_equal(read_raster(tmp_path / "task.tif").data, read_raster(tmp_path / "here.tif").data)


#: A worker preload noting every read from a decoded copy in the file $READS_LOG.
SPY_ON_COPY_READS = """
import os
from fusion_core.windows import decoded
def read(self, rect, real_read=decoded.RawRows.read):
    with open(os.environ["READS_LOG"], "a") as log:
        log.write(f"{rect}\\n")
    return real_read(self, rect)
if not hasattr(decoded.RawRows.read, "spied"):  # Dask may run a preload twice
    read.spied = True
    decoded.RawRows.read = read
"""


@pytest.mark.timeout(180)
def test_workers_on_this_machine_read_the_scans_decoded_copy_and_others_decode_the_inputs(
        tmp_rasters, tmp_path, monkeypatch):
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    pair.model.save(tmp_path / "model.json")
    reads = tmp_path / "reads.log"
    monkeypatch.setenv("READS_LOG", str(reads))

    def fuse(name: str, scheduler: str = "") -> np.ndarray:
        fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / name), device="cpu",
                                 degradation=str(tmp_path / "model.json"), window_size=32, report="",
                                 dask_scheduler=scheduler), method=RidgeFusion(adaptive=False))
        return read_raster(tmp_path / name).data

    here = fuse("here.tif")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None,
                      memory_limit=0, preload=[SPY_ON_COPY_READS]) as cluster:
        assert distributed.workers_on_this_machine(cluster.scheduler_address)
        np.testing.assert_array_equal(fuse("same_machine.tif", cluster.scheduler_address), here)
        assert len(reads.read_text().splitlines()) >= 2 * 9  # each of the 9 windows read both images from it
        reads.unlink()
        monkeypatch.setattr(distributed, "workers_on_this_machine", lambda scheduler: False)
        np.testing.assert_array_equal(fuse("elsewhere.tif", cluster.scheduler_address), here)
        assert not reads.exists()
    assert not [p for p in tmp_path.iterdir() if "decoded" in p.name]
