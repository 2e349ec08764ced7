"""hsifusion:blindfusion on a product pair as the archives deliver it, headless: an EnMAP-like
int16 swath with nodata and a Sentinel-2-like DN tile with its offset and a nodata corner, on
grids 5 m apart and different extents, all at once, with default parameters."""

import numpy as np
import rasterio

from benchmarks.product_geometry import read_physical
from benchmarks.products import tiny_products
from benchmarks.real_products import bicubic, on_grid, score


def test_a_realistic_product_pair_runs_with_defaults_and_beats_bicubic(qgis, tmp_path):
    p = tiny_products(tmp_path / "products", ["all_at_once"])["all_at_once"]
    out = tmp_path / "fused.tif"
    qgis.run_algorithm("hsifusion:blindfusion", {"LR_HSI": p.lr_path, "HR_MSI": p.hr_path,
                                                 "OUTPUT": out})
    with rasterio.open(out) as ds, rasterio.open(p.hr_path) as hr:
        assert np.isnan(ds.nodata) and ds.crs == hr.crs
        steps = ((ds.transform.c - hr.transform.c) / hr.transform.a,
                 (ds.transform.f - hr.transform.f) / hr.transform.e)
        assert ds.res == hr.res and all(abs(s - round(s)) < 1e-9 for s in steps)
    truth, grid = read_physical(str(p.truth_path))
    fused, _ = on_grid(out, grid)
    ours = score(truth, fused, p.score_mask, p.scale)
    assert ours["covered"] > 0.99
    assert ours["PSNR"] > score(truth, bicubic(p, grid), p.score_mask, p.scale)["PSNR"] + 3.0


def test_the_output_geometry_is_a_parameter(qgis, tmp_path):
    p = tiny_products(tmp_path / "products", ["misregistered"])["misregistered"]
    runs = {}
    for geometry in (0, 1):
        runs[geometry] = tmp_path / f"fused_{geometry}.tif"
        qgis.run_algorithm("hsifusion:blindfusion", {"LR_HSI": p.lr_path, "HR_MSI": p.hr_path,
                                                     "GEOMETRY": geometry, "OUTPUT": runs[geometry]})
    with rasterio.open(runs[0]) as msi, rasterio.open(runs[1]) as hsi, rasterio.open(p.hr_path) as hr:
        steps = ((msi.transform.c - hr.transform.c) / hr.transform.a,
                 (msi.transform.f - hr.transform.f) / hr.transform.e)
        assert msi.res == hr.res and all(abs(s - round(s)) < 1e-9 for s in steps)  # MSI's pixels
        moved = np.hypot(hsi.transform.c - msi.transform.c, hsi.transform.f - msi.transform.f)
        assert 25 < moved < 50                               # the planted 36 m E, 15 m N: 39 m
