"""fusion_core.pipeline.fuse_files runs through the windowed engine: windows sized by the memory
bound, the degradation estimated once (on a crop when the scene is too big), resampling of an
HR-MSI whose grid does not nest, and resume."""

import numpy as np
import pytest
from affine import Affine

from fusion_core import pipeline
from fusion_core.errors import Cancelled, InputError
from fusion_core.io import RasterGrid, read_raster, read_raster_info, write_raster
from fusion_core.metrics import psnr
from fusion_core.pipeline import estimate
from fusion_core.progress import Progress
from fusion_core.request import FusionRequest

from .conftest import RidgeFusion


def fuse(pair, out, method, log=None, **settings):
    model = out.with_name("true_model.json")
    if not model.exists():
        pair.model.save(model)
    settings.setdefault("degradation", str(model))
    request = FusionRequest(str(pair.lr_path), str(pair.hr_path), str(out), device="cpu", **settings)
    return pipeline.fuse_files(request, Progress(log=log), method=method)


def test_small_windows_give_the_whole_image_result(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    log = []
    fuse(pair, tmp_path / "whole.tif", RidgeFusion(adaptive=False))
    fuse(pair, tmp_path / "windows.tif", RidgeFusion(adaptive=False), log.append, window_size=32)
    assert any(line.startswith("9 window(s) (3×3) with cores of 32 HR pixels") for line in log)
    whole, windows = read_raster(tmp_path / "whole.tif").data, read_raster(tmp_path / "windows.tif").data
    assert abs(psnr(pair.reference, windows) - psnr(pair.reference, whole)) < 0.1


def test_a_scene_too_big_for_the_bound_is_estimated_on_a_crop(tmp_rasters, tmp_path, monkeypatch):
    monkeypatch.setattr(estimate, "ESTIMATION_MEMORY_FACTOR", 50_000)  # 24² LR px: 10 GB
    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    log = []
    result = fuse(pair, tmp_path / "fused.tif", RidgeFusion(), log.append, degradation=None)
    assert any("estimated on the" in line and "most textured crop" in line for line in log)
    assert result.model.scale == 4 and (tmp_path / "fused.tif").exists()


def shifted_hr(pair, tmp_path, dx_m):
    """The pair's HR-MSI moved east by ``dx_m`` metres (its grid no longer nests)."""
    hr = read_raster(pair.hr_path)
    t = hr.grid.transform
    grid = RasterGrid(hr.grid.crs, Affine(t.a, 0, t.c + dx_m, 0, t.e, t.f), hr.grid.width, hr.grid.height)
    path = tmp_path / "hr_shifted.tif"
    write_raster(path, hr.data, grid, hr.band_names, hr.wavelengths)
    return path


def test_a_shifted_hr_msi_is_fused_on_its_own_grid_or_resampled_on_request(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=20)
    pair.hr_path = shifted_hr(pair, tmp_path, dx_m=3.0)
    log = []
    fuse(pair, tmp_path / "fused.tif", RidgeFusion(), log.append, degradation=None)
    assert any("lies -0.30, +0.00 HR pixels (x, y) from the HR-MSI's" in line for line in log)
    assert read_raster_info(tmp_path / "fused.tif").grid == read_raster_info(pair.hr_path).grid
    log = []
    fuse(pair, tmp_path / "resampled.tif", RidgeFusion(), log.append, resample_hr_msi=True)
    assert any("GDAL warp" in line for line in log)
    out, lr = read_raster_info(tmp_path / "resampled.tif"), read_raster_info(pair.lr_path)
    t = lr.grid.transform
    assert out.grid.transform == Affine(t.a / 4, 0, t.c + t.a, 0, t.e / 4, t.f)  # first LR column dropped
    assert (out.grid.width, out.grid.height) == (60, 64)


def test_resume_continues_an_interrupted_run(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    out = tmp_path / "fused.tif"
    with pytest.raises(RuntimeError, match="simulated crash"):
        fuse(pair, out, RidgeFusion(fail_after=5), window_size=16, resume=True)
    assert len(list(tmp_path.glob("fused.tif.*.part"))) == 1
    assert (tmp_path / "fused.tif.resume.json").exists()
    log, again = [], RidgeFusion()
    fuse(pair, out, again, log.append, window_size=16, resume=True, report=False)
    assert again.calls == 11 and any("Resuming: 5 of 16 windows" in line for line in log)
    fuse(pair, tmp_path / "straight.tif", RidgeFusion(), window_size=16)
    np.testing.assert_array_equal(read_raster(out).data, read_raster(tmp_path / "straight.tif").data)
    assert sorted(p.name for p in tmp_path.glob("fused.tif*")) == ["fused.tif"]


def test_a_resumed_run_reports_what_an_uninterrupted_one_reports(tmp_rasters, tmp_path):
    # the resumed run's scan sees only the regions it writes, so its report reads the result back
    import json

    pair = tmp_rasters(size=64, n_hsi=12)
    out = tmp_path / "fused.tif"
    with pytest.raises(RuntimeError, match="simulated crash"):
        fuse(pair, out, RidgeFusion(fail_after=5), window_size=16, resume=True,
             report=str(tmp_path / "resumed.html"))
    fuse(pair, out, RidgeFusion(), window_size=16, resume=True, report=str(tmp_path / "resumed.html"))
    fuse(pair, tmp_path / "straight.tif", RidgeFusion(), window_size=16,
         report=str(tmp_path / "straight.html"))
    resumed, straight = (json.loads((tmp_path / f"{name}.json").read_text())["consistency"]
                         for name in ("resumed", "straight"))
    for part in ("spatial", "spectral", "inputs"):     # float32 round-off of sums taken in another order
        np.testing.assert_allclose(resumed[part]["residual_rms"], straight[part]["residual_rms"],
                                   rtol=1e-4)
    np.testing.assert_allclose(resumed["spatial_map"], straight["spatial_map"], atol=1e-3)  # noise units


def test_without_resume_a_crash_leaves_nothing_behind(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=12)
    with pytest.raises(RuntimeError):
        fuse(pair, tmp_path / "fused.tif", RidgeFusion(fail_after=2), window_size=16)
    assert not list(tmp_path.glob("fused.tif*"))


def test_a_scaled_int16_output_reads_back_as_the_float32_one(tmp_rasters, tmp_path):
    """OUTPUT_TYPE int16: half the bytes per value, scale and offset in the file, nodata -32768;
    GDAL applies the scale, so the values read are the float32 run's to within half a count."""
    import rasterio

    pair = tmp_rasters(size=64, n_hsi=12)
    fuse(pair, tmp_path / "float.tif", RidgeFusion(adaptive=False), window_size=32)
    fuse(pair, tmp_path / "int16.tif", RidgeFusion(adaptive=False), window_size=32,
         output_type="int16", output_compression="DEFLATE")
    with rasterio.open(tmp_path / "int16.tif") as ds:
        assert ds.dtypes[0] == "int16" and ds.nodata == -32768
        assert ds.compression.name.upper() == "DEFLATE"
        step = ds.scales[0]
    as_float = read_raster(tmp_path / "float.tif").data
    assert 0 < step < 1e-3 * np.nanmax(np.abs(as_float))
    np.testing.assert_allclose(read_raster(tmp_path / "int16.tif").data, as_float, atol=0.51 * step)


def test_output_layout_settings_are_checked_before_compute():
    with pytest.raises(InputError, match="COG always has overviews"):
        FusionRequest(output_format="COG", output_overviews=True)
    with pytest.raises(InputError, match="OUTPUT_TYPE must be one of float32, int16"):
        FusionRequest(output_type="uint8", caller="qgis")


def test_windows_read_from_the_scans_decoded_copy_give_the_same_output_and_leave_no_file(
        tmp_rasters, tmp_path, monkeypatch):
    from fusion_core.windows import decoded

    pair = tmp_rasters(size=96, n_hsi=20, snr_db=40)
    kept, reads = tmp_path / "kept", []
    kept.mkdir()
    real_read = decoded.RawRows.read
    monkeypatch.setattr(decoded.RawRows, "read", lambda self, rect: (reads.append(rect), real_read(self, rect))[1])
    fuse(pair, kept / "fused.tif", RidgeFusion(adaptive=False), window_size=32, report="")
    assert len(reads) >= 2 * 9  # each of the 9 windows read both images from the copy
    assert sorted(p.name for p in kept.iterdir()) == ["fused.tif", "true_model.json"]  # the fixture's model
    monkeypatch.setattr(decoded, "free_bytes", lambda _: 0)  # no room for the copy: the inputs
    reads.clear()
    fuse(pair, tmp_path / "direct.tif", RidgeFusion(adaptive=False), window_size=32, report="")
    assert reads == []
    np.testing.assert_array_equal(read_raster(kept / "fused.tif").data, read_raster(tmp_path / "direct.tif").data)


def test_a_cancel_while_the_report_is_computed_says_the_fused_image_is_complete(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=12)
    out = tmp_path / "fused.tif"
    reporting = {"on": False}

    def log(message: str) -> None:
        reporting["on"] = reporting["on"] or message.startswith("Computing the quality report")

    with pytest.raises(Cancelled, match=f"the fused image {out} is complete; its quality report was not"):
        pipeline.fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(out)),
                            Progress(is_cancelled=lambda: reporting["on"], log=log))
    assert read_raster_info(out).count == 12
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("fused") and p != out]  # no partial report
