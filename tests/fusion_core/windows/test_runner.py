"""Tests of fusion_core.windows.runner: windowed and whole-image results agree, no seam shows,
the output is a tiled compressed BigTIFF written atomically, progress has the time left, cancel
leaves nothing behind, and an interrupted run resumes without fusing finished windows again."""

import shutil
import signal
import threading
import time

import numpy as np
import pytest
import rasterio
import torch

from fusion_core.errors import Cancelled, InputError
from fusion_core.io import read_raster
from fusion_core.methods.base import FusionConfig
from fusion_core.methods.m2unet.method import M2UNet
from fusion_core.metrics import psnr
from fusion_core.progress import Progress
from fusion_core.windows import PairSource, TiledOutput, plan_grid
from fusion_core.windows.memory import (
    GDAL_CACHE_BYTES,
    WORKER_GDAL_CACHE_BYTES,
    WORKER_PROCESS_BYTES,
    input_copies,
    process_bytes,
    window_bytes,
)

from .conftest import RidgeFusion, grid_for, run, source_of, whole


def leftovers(tmp_path, name="fused.tif"):
    return sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(name))


def border_mask(grid, shape):
    """HR pixels within 3 pixels of an inner core edge, or in the ramp after it."""
    r, mask = grid.scale, np.zeros(shape, bool)
    for b in grid.rows.bounds[1:-1]:
        mask[b * r - 3:(b + grid.rows.ramp) * r + 3, :] = True
    for b in grid.cols.bounds[1:-1]:
        mask[:, b * r - 3:(b + grid.cols.ramp) * r + 3] = True
    return mask


def rmse(a, b, mask):
    return float(np.sqrt(((a - b) ** 2).mean(axis=0)[mask].mean()))


def seam_index(fused, reference, grid):
    """Mean jump of the error between neighbour pixels across inner core edges, over the same
    elsewhere: about 1 without seams, more where windows disagree at their borders."""
    err, r = fused - reference, grid.scale
    dy = np.abs(np.diff(err, axis=1)).mean(axis=0)
    dx = np.abs(np.diff(err, axis=2)).mean(axis=0)
    across_y, across_x = np.zeros(dy.shape[0], bool), np.zeros(dx.shape[1], bool)
    across_y[[b * r - 1 for b in grid.rows.bounds[1:-1]]] = True
    across_x[[b * r - 1 for b in grid.cols.bounds[1:-1]]] = True
    border = np.concatenate([dy[across_y].ravel(), dx[:, across_x].ravel()])
    inside = np.concatenate([dy[~across_y].ravel(), dx[:, ~across_x].ravel()])
    return border.mean() / inside.mean()


def fuse_both(pair, tmp_path, method_factory, grid):
    run(pair, method_factory(), tmp_path / "whole.tif", whole(pair))
    run(pair, method_factory(), tmp_path / "windows.tif", grid)
    return read_raster(tmp_path / "whole.tif").data, read_raster(tmp_path / "windows.tif").data


def test_a_local_method_gives_the_whole_image_result_window_by_window(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    grid = grid_for(pair, 8)
    assert len(grid) == 9
    at_once, windowed = fuse_both(pair, tmp_path, lambda: RidgeFusion(adaptive=False), grid)
    assert abs(psnr(pair.reference, windowed) - psnr(pair.reference, at_once)) < 0.1
    np.testing.assert_allclose(windowed, at_once, atol=1e-5 * np.abs(at_once).max())


def test_windows_leave_no_seam_and_lose_nothing_against_the_whole_image(tmp_rasters, tmp_path):
    # RidgeFusion fits its spectral map on each window, so neighbours disagree at their borders.
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    grid = grid_for(pair, 8)
    at_once, windowed = fuse_both(pair, tmp_path, RidgeFusion, grid)
    ref = pair.reference
    assert psnr(ref, windowed) > psnr(ref, at_once) - 0.1
    border = border_mask(grid, at_once.shape[1:])
    ratio_border = rmse(windowed, ref, border) / rmse(at_once, ref, border)
    ratio_inside = rmse(windowed, ref, ~border) / rmse(at_once, ref, ~border)
    assert ratio_border <= 1.05 * ratio_inside
    assert seam_index(windowed, ref, grid) <= 1.05 * seam_index(at_once, ref, grid)


def test_the_seam_test_sees_the_seams_of_naive_tiling(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    naive = grid_for(pair, 8, halo=0, ramp=0)
    at_once, tiled = fuse_both(pair, tmp_path, RidgeFusion, naive)
    assert seam_index(tiled, pair.reference, naive) > 1.3 * seam_index(at_once, pair.reference, naive)


def test_output_is_a_tiled_compressed_bigtiff_with_the_lr_bands_and_nothing_else(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=20)
    out = tmp_path / "fused.tif"
    stats = run(pair, RidgeFusion(), out, grid_for(pair, 4))
    assert (stats.fused, stats.windows) == (16, 16)
    with rasterio.open(out) as ds, rasterio.open(pair.hr_path) as hr:
        assert (ds.crs, ds.transform, ds.width, ds.height) == (hr.crs, hr.transform, hr.width, hr.height)
        assert ds.count == 20 and ds.dtypes[0] == "float32"
        # 16×16 blocks on a 64×64 image are tiles (strips span the width); rasterio >= 1.4 sets
        # profile["tiled"] only when a tile is narrower than the image, so it is not read here.
        assert set(ds.block_shapes) == {(16, 16)} and ds.compression is not None
        assert ds.tags(1)["wavelength_units"] == "Nanometers"
    with open(out, "rb") as f:
        assert f.read(4) in (b"II+\x00", b"MM\x00+")  # BigTIFF magic
    assert leftovers(tmp_path) == ["fused.tif"]


def test_windows_are_sized_by_the_memory_bound(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=20)
    source, method = source_of(pair), RidgeFusion()
    roomy = plan_grid(source, method, pair.model, 64 * 2**30)
    assert len(roomy) == 1
    tight = plan_grid(source, method, pair.model, process_bytes() + GDAL_CACHE_BYTES + 6 * 2**20)
    assert len(tight) > 1 and tight.core * 4 % 16 == 0
    with pytest.raises(InputError, match="raise max_memory_gb"):
        plan_grid(source, method, pair.model, process_bytes())


def test_a_window_size_asked_for_keeps_every_core_on_the_output_tile_grid(tmp_rasters):
    # Dask workers place whole tiles in the output: a core as wide as the ramp (9 LR pixels at
    # r = 4) would have ended mid-tile.
    pair = tmp_rasters(size=96, n_hsi=8)
    source, method = source_of(pair), RidgeFusion()
    method.halo_lr_pixels = 8
    grid = plan_grid(source, method, pair.model, 64 * 2**30, window_hr=32)
    assert grid.rows.ramp > 8 and len(grid) > 1
    assert all(rect[0] % 16 == 0 and rect[1] % 16 == 0 for rect in (grid.region(*w.key) for w in grid))
    assert grid.core * grid.scale % 16 == 0 and grid.core >= grid.rows.ramp


def test_local_dask_workers_are_counted_at_a_fresh_workers_size_not_the_clients(tmp_rasters,
                                                                              monkeypatch):
    """After the estimation the client holds 3 GB; each worker process only Python, torch and
    GDAL's cache, so two workers fit a bound that three copies of the client would not."""
    from fusion_core.windows import runner

    client = 3 * 2**30
    monkeypatch.setattr(runner, "process_bytes", lambda: client)
    pair = tmp_rasters(size=96, n_hsi=20)
    source, method = source_of(pair), RidgeFusion()
    bound = client + GDAL_CACHE_BYTES + 2 * (WORKER_PROCESS_BYTES + WORKER_GDAL_CACHE_BYTES) + 64 * 2**20
    assert bound < 3 * client
    assert len(plan_grid(source, method, pair.model, bound, worker_processes=2)) >= 1
    with pytest.raises(InputError, match="raise max_memory_gb"):
        plan_grid(source, method, pair.model, bound - 64 * 2**20, worker_processes=2)


def test_a_wider_network_gets_smaller_windows(tmp_rasters):
    pair = tmp_rasters(size=256, n_hsi=60)
    source, method = source_of(pair), M2UNet()
    bound = process_bytes() + GDAL_CACHE_BYTES + 2**30

    fast = plan_grid(source, method, pair.model, bound, config=FusionConfig(preset="fast"))
    paper = plan_grid(source, method, pair.model, bound, config=FusionConfig(preset="paper"))

    assert method.window_memory_factor(FusionConfig(preset="paper"), 60) > 2 * method.memory_factor
    assert paper.core < fast.core


def test_on_a_gpu_windows_also_fit_its_free_memory(tmp_rasters, monkeypatch):
    pair = tmp_rasters(size=96, n_hsi=20)
    source, method = source_of(pair), RidgeFusion()
    gpu = FusionConfig(device=torch.device("cuda"))
    free = {"bytes": 2**30}
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (free["bytes"], 80 * 2**30))
    messages = []

    assert len(plan_grid(source, method, pair.model, 64 * 2**30, config=gpu)) == 1
    free["bytes"] = 6 * 2**20
    small = plan_grid(source, method, pair.model, 64 * 2**30, log=messages.append, config=gpu)
    assert len(small) > 1 and any("free on cuda" in m for m in messages)
    free["bytes"] = 2**16
    with pytest.raises(InputError, match="choose device cpu"):
        plan_grid(source, method, pair.model, 64 * 2**30, config=gpu)


def test_progress_reports_each_window_with_the_time_left(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    messages = []
    run(pair, RidgeFusion(), tmp_path / "fused.tif", grid_for(pair, 8),
        progress=Progress(lambda pct, msg: messages.append((pct, msg))))
    windows = [m for _, m in messages if m.startswith("Window")]
    assert windows[0].startswith("Window 1/4 fused; about ") and windows[0].endswith(" s left")
    assert windows[-1] == "Window 4/4 fused; about 0 s left" and len(windows) == 4
    assert messages[-1][0] == pytest.approx(100.0)


def test_cancel_stops_between_windows_and_leaves_no_output(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    method = RidgeFusion()
    progress = Progress(is_cancelled=lambda: method.calls >= 2)
    with pytest.raises(Cancelled):
        run(pair, method, tmp_path / "fused.tif", grid_for(pair, 4), progress=progress)
    assert method.calls in (2, 3)  # the window fusing while the last one was written may finish
    assert leftovers(tmp_path) == []


def test_an_interrupted_run_resumes_without_fusing_finished_windows_again(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid, out = grid_for(pair, 4), tmp_path / "fused.tif"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(pair, RidgeFusion(fail_after=6), out, grid, keep_partial=True)
    partial, stash, state = leftovers(tmp_path)
    assert (partial.endswith(".part"), stash, state) == (True, "fused.tif.resume", "fused.tif.resume.json")
    again = RidgeFusion()
    stats = run(pair, again, out, grid, keep_partial=True)
    assert (stats.resumed, stats.fused, again.calls) == (6, 10, 10)
    assert leftovers(tmp_path) == ["fused.tif"]
    run(pair, RidgeFusion(), tmp_path / "straight.tif", grid)
    np.testing.assert_array_equal(read_raster(out).data, read_raster(tmp_path / "straight.tif").data)


def test_each_region_is_handed_over_once_with_the_values_written(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid, out = grid_for(pair, 6), tmp_path / "fused.tif"
    seen: dict = {}
    run(pair, RidgeFusion(), out, grid, on_region=lambda rect, data: seen.setdefault(rect, []).append(
        np.array(data)))
    rows, cols = grid.shape
    assert sorted(seen) == sorted(grid.region(i, j) for i in range(rows) for j in range(cols))
    written = read_raster(out).data
    for (y, x, h, w), [data] in seen.items():
        np.testing.assert_array_equal(data, written[:, y:y + h, x:x + w])


def test_each_window_hands_its_inputs_over_as_read(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid, source = grid_for(pair, 6), source_of(pair)
    handed: dict = {}
    run(pair, RidgeFusion(), tmp_path / "fused.tif", grid, norm=3.0,
        on_inputs=lambda window, lr, hr: handed.setdefault(window.key, []).append((window, lr, hr)))
    assert sorted(handed) == sorted(window.key for window in grid)
    for [(window, lr, hr)] in handed.values():         # once each, in input units (not normalised)
        np.testing.assert_array_equal(lr, source.read_lr(window.lr_read))
        np.testing.assert_array_equal(hr, source.read_hr(window.hr_read))


def test_a_window_fused_again_on_resuming_hands_nothing_for_a_region_already_written(tmp_rasters,
                                                                                     tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid, out = grid_for(pair, 4), tmp_path / "fused.tif"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(pair, RidgeFusion(fail_after=6), out, grid, keep_partial=True)
    shutil.rmtree(tmp_path / "fused.tif.resume")      # the finished windows' pieces are lost
    written = {(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)}   # by the six windows fused
    handed = []
    stats = run(pair, RidgeFusion(), out, grid, keep_partial=True,
                on_inputs=lambda window, lr, hr: handed.append(window.key))
    assert stats.fused > 10                            # windows whose pieces were lost, again
    assert sorted(handed) == sorted(w.key for w in grid if w.key not in written)


def test_the_inputs_kept_for_the_report_are_counted_in_the_memory_bound(tmp_rasters, monkeypatch):
    from fusion_core.windows import runner

    monkeypatch.setattr(runner, "process_bytes", lambda: 2**30)
    pair = tmp_rasters(size=256, n_hsi=60)
    source, method = source_of(pair), RidgeFusion()
    core, halo, ramp, r, (n_hsi, n_msi) = 16, 3, 2, 4, (60, pair.model.n_msi_bands)
    kept = (window_bytes(core, halo, ramp, r, n_hsi, n_msi, 2.0 + input_copies(n_hsi, n_msi, r))
            - window_bytes(core, halo, ramp, r, n_hsi, n_msi, 2.0))
    side = core + ramp + 2 * halo                      # a window's LR-HSI and HR-MSI, float32
    assert kept == pytest.approx(4 * (n_hsi * side ** 2 + n_msi * (side * r) ** 2), rel=1e-9)
    cores = [(plan_grid(source, method, pair.model, bound, keep_inputs=True).core,
              plan_grid(source, method, pair.model, bound).core)
             for bound in range(2**30 + GDAL_CACHE_BYTES + 2**25, 2**30 + GDAL_CACHE_BYTES + 2**28, 2**22)]
    assert all(kept <= plain for kept, plain in cores) and any(kept < plain for kept, plain in cores)


def test_a_state_of_other_inputs_is_not_resumed(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    grid, out = grid_for(pair, 4), tmp_path / "fused.tif"
    with pytest.raises(RuntimeError):
        run(pair, RidgeFusion(fail_after=3), out, grid, keep_partial=True, fingerprint="first")
    again = RidgeFusion()
    stats = run(pair, again, out, grid, fingerprint="other settings")
    assert (stats.resumed, again.calls) == (0, 16)


def test_one_window_at_a_time_the_next_is_read_and_the_last_written_while_it_fuses(tmp_rasters, tmp_path,
                                                                                    monkeypatch):
    # A GPU fuses one window at a time: GDAL's reading and writing must not leave it idle.
    pair = tmp_rasters(size=64, n_hsi=12)
    spans: dict[str, list[tuple[float, float]]] = {"read": [], "fuse": [], "write": []}

    def timed(name, original, pause=0.0):
        def call(self, *args, **kwargs):
            t0 = time.monotonic()
            out = original(self, *args, **kwargs)
            time.sleep(pause)
            spans[name].append((t0, time.monotonic()))
            return out
        return call

    monkeypatch.setattr(RidgeFusion, "fuse", timed("fuse", RidgeFusion.fuse, 0.2))
    monkeypatch.setattr(PairSource, "read_lr", timed("read", PairSource.read_lr))
    monkeypatch.setattr(TiledOutput, "write", timed("write", TiledOutput.write, 0.1))
    run(pair, RidgeFusion(), tmp_path / "fused.tif", grid_for(pair, 4, halo=3, ramp=3))

    def during_a_fusion(span) -> bool:
        return any(span[0] < end and start < span[1] for start, end in spans["fuse"])

    assert len(spans["fuse"]) == 16
    # windows are read while another fuses (one by one: never), and so are regions written
    assert sum(map(during_a_fusion, spans["read"])) >= 12
    assert sum(map(during_a_fusion, spans["write"])) >= 12


@pytest.mark.parametrize("threads", [1, 2])
def test_ctrl_c_stops_the_windows_on_other_threads_before_the_run_returns(tmp_rasters, tmp_path,
                                                                        monkeypatch, threads):
    # Ctrl-C reaches the main thread only: a window fusing on another thread must stop, and
    # report nothing more, before the interrupt leaves the run. The command line prints its
    # last line while it handles the interrupt (whose traceback still holds the run's frames):
    # a window going on then would print after it.
    from fusion_core.windows import runner

    monkeypatch.setattr(runner, "window_threads", lambda method, config: threads)
    monkeypatch.setattr(TiledOutput, "write", lambda self, *args: signal.raise_signal(signal.SIGINT))
    pair = tmp_rasters(size=64, n_hsi=12)
    reports: list[float] = []
    try:
        run(pair, RidgeFusion(delay_s=1.0), tmp_path / "fused.tif", grid_for(pair, 4),
            progress=Progress(lambda pct, msg: reports.append(time.monotonic())))
    except KeyboardInterrupt:
        returned = time.monotonic()
        running = [t.name for t in threading.enumerate() if t.name.startswith("hsi-fusion")]
        time.sleep(1.2)
    else:
        pytest.fail("the interrupt did not leave the run")
    assert running == []
    assert reports and max(reports) <= returned


@pytest.mark.parametrize("threads", [1, 2])
def test_windows_write_their_results_into_memory_the_run_lends_again(tmp_rasters, tmp_path, monkeypatch,
                                                                   lent_again, threads):
    # SSCF composes each window's bands into memory the run lends (fusion_core.methods.result_memory):
    # a later window reuses it once the earlier one is written, and the output is the one that
    # new memory for every window gives.
    from fusion_core.methods.result_memory import ResultPool
    from fusion_core.methods.sscf.method import SSCF
    from fusion_core.windows import runner

    pair = tmp_rasters(size=96, scale=4, n_hsi=20, snr_db=40)
    grid = grid_for(pair, 8, halo=8, ramp=4)
    monkeypatch.setattr(runner, "window_threads", lambda method, config: threads)
    run(pair, SSCF(), tmp_path / "reused.tif", grid)
    assert len(lent_again) == len(grid) == 9 and any(lent_again)
    monkeypatch.setattr(runner, "ResultPool", lambda size: ResultPool(0))  # keeps nothing
    lent_again.clear()
    run(pair, SSCF(), tmp_path / "new.tif", grid)
    assert len(lent_again) == 9 and not any(lent_again)
    np.testing.assert_array_equal(read_raster(tmp_path / "reused.tif").data, read_raster(tmp_path / "new.tif").data)
