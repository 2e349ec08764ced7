"""hsifusion:blindfusion run headless: georeferenced output that beats bicubic; clear refusals."""

import numpy as np
import rasterio
import torch
from affine import Affine
from rasterio.crs import CRS

from fusion_core.baselines import bicubic_upsample
from fusion_core.degradation import DegradationModel
from fusion_core.io import RasterGrid, read_raster, read_raster_info, write_raster
from fusion_core.metrics import psnr


def test_blind_fusion_output_is_georeferenced_and_beats_bicubic(qgis, tmp_rasters, tmp_path, grid_of):
    pair = tmp_rasters(size=48, n_hsi=30, n_msi=4, snr_db=40)
    out, model = tmp_path / "fused.tif", tmp_path / "model.json"
    results = qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "METHOD": 0, "PRESET": 0, "SEED": 1,
        "OUTPUT": out, "DEGRADATION_OUTPUT": model})
    # The quality report, not asked for, is written beside the output and returned.
    assert results["REPORT"] == str(tmp_path / "fused_report.html")
    assert (tmp_path / "fused_report.html").read_text().startswith("<!DOCTYPE html>")
    hr_crs, hr_t, hw, hh, _ = grid_of(pair.hr_path)
    crs, t, w, h, c = grid_of(out)
    assert (crs, t, w, h, c) == (hr_crs, hr_t, hw, hh, 30)
    with rasterio.open(out) as ds:
        assert ds.dtypes[0] == "float32" and ds.compression is not None
        # Tiled: square blocks of a multiple of 16 pixels (a strip spans the width in a few rows).
        # Not profile["tiled"]: rasterio >= 1.4 reports False when one tile covers the image.
        (tile_h, tile_w), = set(ds.block_shapes)
        assert tile_h == tile_w and tile_w % 16 == 0
        assert ds.descriptions[0] == read_raster_info(pair.lr_path).band_names[0]
    np.testing.assert_allclose(read_raster_info(out).wavelengths, pair.hsi_wavelengths, atol=1e-3)
    fused = read_raster(out).data
    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4).numpy()
    assert psnr(pair.reference, fused) > psnr(pair.reference, bicubic) + 3.0
    assert model.exists()


def test_a_given_degradation_model_is_used(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20, n_msi=4)
    given = DegradationModel(4, np.full((4, 4), 1 / 16), pair.model.srf)  # a box PSF the data do not show
    given.save(tmp_path / "given.json")

    def fused_with(name, **degradation):
        used = tmp_path / f"{name}_used.json"
        qgis.run_algorithm("hsifusion:blindfusion", {
            "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": tmp_path / f"{name}.tif",
            "DEGRADATION_OUTPUT": used, **degradation})
        return read_raster(tmp_path / f"{name}.tif").data, DegradationModel.load(used)

    with_given, used = fused_with("given", DEGRADATION=tmp_path / "given.json")
    estimated_fused, estimated = fused_with("estimated")
    np.testing.assert_allclose(used.psf, given.psf)
    np.testing.assert_allclose(used.srf, given.srf)
    assert estimated.psf.shape != given.psf.shape or not np.allclose(estimated.psf, given.psf, atol=1e-3)
    assert not np.allclose(with_given, estimated_fused)


def test_a_model_for_other_rasters_is_refused(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20, n_msi=4)
    other = tmp_rasters(size=32, n_hsi=16, n_msi=4, name="other")
    model = tmp_path / "other.json"
    other.model.save(model)
    out = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "DEGRADATION": model,
        "OUTPUT": tmp_path / "fused.tif"})
    assert "16 HSI bands in the model vs 20 in the LR-HSI" in out
    assert not (tmp_path / "fused.tif").exists()


def _rewrite(path, out, crs=None, transform=None):
    raster = read_raster(path)
    grid = RasterGrid(crs or raster.grid.crs, transform or raster.grid.transform,
                      raster.grid.width, raster.grid.height)
    write_raster(out, raster.data, grid, raster.band_names, raster.wavelengths)
    return out


def test_a_wrong_crs_that_puts_the_images_apart_is_refused_before_any_compute(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20)
    lr = _rewrite(pair.lr_path, tmp_path / "lr_zone34.tif", crs=CRS.from_epsg(32634))
    out = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": lr, "HR_MSI": pair.hr_path, "OUTPUT": tmp_path / "fused.tif"})
    assert "do not overlap" in out and "different CRSs (LR-HSI EPSG:32634, HR-MSI EPSG:32633)" in out
    assert "Localising the PSF" not in out  # the estimation, the first compute, never started
    assert not list(tmp_path.glob("fused.tif*"))


def test_a_non_integer_ratio_is_fused_on_the_hr_msi_grid_with_the_lr_hsi_warped(qgis, tmp_rasters, tmp_path,
                                                                                grid_of):
    pair = tmp_rasters(size=32, n_hsi=20)
    t = pair.lr_grid.transform
    lr = _rewrite(pair.lr_path, tmp_path / "lr_35m.tif",
                  transform=Affine(t.a * 0.875, 0, t.c, 0, t.e * 0.875, t.f))
    out = tmp_path / "fused.tif"
    qgis.run_algorithm("hsifusion:blindfusion", {"LR_HSI": lr, "HR_MSI": pair.hr_path, "OUTPUT": out})
    crs, fused_t, *_ = grid_of(out)
    hr_crs, hr_t, *_ = grid_of(pair.hr_path)
    assert crs == hr_crs and fused_t[0] == hr_t[0] and fused_t[4] == hr_t[4]


def test_swapped_inputs_are_refused(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20)
    out = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": pair.hr_path, "HR_MSI": pair.lr_path, "OUTPUT": tmp_path / "fused.tif"})
    assert "HR-MSI" in out and "LR-HSI" in out


def test_method_options_are_passed_and_checked(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20, n_msi=4)
    model = tmp_path / "true.json"
    pair.model.save(model)

    def fused(name, options):
        qgis.run_algorithm("hsifusion:blindfusion", {
            "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "DEGRADATION": model,
            "METHOD_OPTIONS": options, "OUTPUT": tmp_path / name})
        return read_raster(tmp_path / name).data

    # Without the local map and the consistency solve, SSCF is its global spectral map alone.
    assert not np.allclose(fused("default.tif", ""), fused("reduced.tif", "local=false; cg_iters=0"))
    bad = tmp_path / "bad.tif"
    message = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "METHOD_OPTIONS": "iterations=3", "OUTPUT": bad})
    assert "Unknown SSCF option(s) iterations; valid options are" in message
    assert not bad.exists()


def test_the_quality_report_is_an_html_output_with_its_json_and_maps(qgis, tmp_rasters, tmp_path, grid_of):
    import json

    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    out, report = tmp_path / "fused.tif", tmp_path / "report.html"
    results = qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": out, "REPORT": report,
        "AGREEMENT": tmp_path / "agreement.tif"})
    assert results["REPORT"] == str(report) and report.read_text().startswith("<!DOCTYPE html>")
    facts = json.loads(report.with_suffix(".json").read_text())
    assert {"consistency", "quicklook result", "map disagreement"} <= set(facts["figures"])
    assert facts["run"]["parameters"]["LR_HSI"] == str(pair.lr_path)
    assert grid_of(tmp_path / "agreement.tif")[:4] == grid_of(out)[:4]
    assert results["CONSISTENCY_MAP"] is None and not (tmp_path / "consistency.tif").exists()


def test_an_empty_report_writes_none(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    results = qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": tmp_path / "fused.tif", "REPORT": ""})
    assert results["REPORT"] is None and not list(tmp_path.glob("*.html"))


def test_a_change_seen_only_by_the_hr_msi_is_fused_from_the_lr_hsi_alone(qgis, planted_rasters, tmp_path):
    import json

    from ..conftest import PLANTED

    pair = planted_rasters()
    out, report = tmp_path / "fused.tif", tmp_path / "report.html"
    qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": out, "REPORT": report,
        "DISAGREEMENT_FROM_HSI": True})
    facts = json.loads(report.with_suffix(".json").read_text())
    assert facts["run"]["parameters"]["DISAGREEMENT_FROM_HSI"] is True
    assert facts["disagreement"]["fused_from_hsi"] is True and facts["disagreement"]["areas"] >= 1
    patch = (slice(None), *PLANTED)
    bicubic = bicubic_upsample(torch.from_numpy(pair.lr_hsi), 4).numpy()
    # There the result is the LR-HSI alone: as close to the truth as interpolating it, not the donor.
    assert psnr(pair.reference[patch], read_raster(out).data[patch]) > psnr(pair.reference[patch], bicubic[patch])
