"""Products as the archives deliver them go through `python -m fusion_core fuse` with default
settings: nodata swaths, scaled integers, other extents and grids, another UTM zone, a shift
between the images, 20 m bands stacked at 10 m, no wavelengths (benchmarks/products.py makes
small versions of the REAL_PRODUCTS.md pairs)."""

import json

import numpy as np
import pytest

from benchmarks.product_geometry import read_physical
from benchmarks.products import tiny_products
from benchmarks.real_products import bicubic, on_grid, score
from fusion_core.cli import main
from fusion_core.io import read_raster, read_raster_info


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    return tiny_products(tmp_path_factory.mktemp("products"))


def fuse(product, tmp_path, capsys, *flags):
    """Run the CLI on a product; returns the output path and the log lines."""
    out = tmp_path / f"{product.variant}_fused.tif"
    code = main(["fuse", str(product.lr_path), str(product.hr_path), str(out), *flags])
    log = capsys.readouterr().err
    assert code == 0, log
    return out, log


def on_msi_pixels(out, hr_path) -> tuple[float, float]:
    """Check the output has the HR-MSI's pixels; returns how many of them (x, y) it starts in."""
    o, h = read_raster_info(out).grid.transform, read_raster_info(hr_path).grid.transform
    steps = ((o.c - h.c) / h.a, (o.f - h.f) / h.e)
    assert (o.a, o.b, o.d, o.e) == (h.a, h.b, h.d, h.e) and all(s == round(s) for s in steps)
    return steps


def quality(product, out):
    """PSNR of the output and of bicubic on the product's scored area."""
    truth, grid = read_physical(str(product.truth_path))
    fused, _ = on_grid(out, grid)
    return (score(truth, fused, product.score_mask, product.scale)["PSNR"],
            score(truth, bicubic(product, grid), product.score_mask, product.scale)["PSNR"])


def test_an_int16_swath_with_nodata_is_fused_on_its_valid_area_in_physical_units(products, tmp_path, capsys):
    p = products["enmap_int16_swath"]
    out, log = fuse(p, tmp_path, capsys)
    assert "int16 × 0.0001, nodata -32768" in log.replace("−", "-")
    fused, lr = read_raster(out), read_raster(p.lr_path)
    assert fused.grid == read_raster_info(p.hr_path).grid
    with_data = np.all(np.isfinite(fused.data), axis=0)
    lr_valid = np.repeat(np.repeat(np.all(np.isfinite(lr.data), axis=0), 3, 0), 3, 1)
    assert not with_data[~lr_valid[:with_data.shape[0], :with_data.shape[1]]].any()  # nodata stays nodata
    assert with_data.mean() > 0.5 and np.nanmax(fused.data) < 2.0                   # reflectance, not DN
    with __import__("rasterio").open(out) as ds:
        assert np.isnan(ds.nodata)
    ours, cubic = quality(p, out)
    assert ours > cubic + 3.0


def test_sentinel2_dn_with_an_offset_is_read_as_reflectance(products, tmp_path, capsys):
    p = products["s2_dn_offset"]
    out, log = fuse(p, tmp_path, capsys)
    assert "uint16 × 0.0001 - 0.1, nodata 0" in log.replace("−", "-")
    ours, cubic = quality(p, out)
    assert ours > cubic + 3.0


def test_a_larger_msi_is_fused_on_the_overlap_on_its_own_pixel_grid(products, tmp_path, capsys):
    p = products["larger_extent"]
    out, log = fuse(p, tmp_path, capsys)
    assert "fused on its overlap" in log
    assert all(s > 0 for s in on_msi_pixels(out, p.hr_path))
    ours, cubic = quality(p, out)
    assert ours > cubic + 3.0


def test_grids_half_a_pixel_apart_are_fused_without_resampling_the_msi(products, tmp_path, capsys):
    p = products["half_pixel_offset"]
    out, log = fuse(p, tmp_path, capsys)
    assert "from the HR-MSI's: the degradation model places the PSF there" in log
    assert "GDAL warp" not in log
    assert on_msi_pixels(out, p.hr_path) == (0, 0)


def test_an_hsi_in_the_neighbouring_utm_zone_is_warped_not_the_msi(products, tmp_path, capsys):
    p = products["utm_neighbour"]
    out, log = fuse(p, tmp_path, capsys)
    assert "The LR-HSI" in log and "reprojected into the HR-MSI's CRS" in log
    assert read_raster_info(out).grid.crs == read_raster_info(p.hr_path).grid.crs
    ours, cubic = quality(p, out)
    assert ours > cubic


def test_a_misregistered_msi_is_measured_and_the_geometry_is_chosen(products, tmp_path, capsys):
    p = products["misregistered"]
    out, log = fuse(p, tmp_path, capsys, "--report", str(tmp_path / "report.html"))
    assert "Co-registration" in log and "Warning" in log
    # once matched, the LR-HSI covers the whole HR-MSI: so does the result, on its pixels
    assert read_raster_info(out).grid == read_raster_info(p.hr_path).grid
    reduced = json.loads((tmp_path / "report.json").read_text())["reduced_resolution"]
    assert reduced["PSNR"] > reduced["bicubic"]["PSNR"]     # the reduced pair is not moved again
    assert log.count("Misregistration between the images") == 1  # the reduced run's log stays out
    line = next(x for x in log.splitlines() if x.startswith("Misregistration"))
    dx, dy = (float(v) for v in line.split(": ")[1].split(" HR")[0].split(", "))
    assert abs(abs(dx) * 10 - 36) < 6 and abs(abs(dy) * 10 - 15) < 6   # 36 m E, 15 m N as planted
    (tmp_path / "hsi").mkdir()
    hsi, _ = fuse(p, tmp_path / "hsi", capsys, "--geometry", "hsi")
    a, b = read_raster_info(out).grid.transform, read_raster_info(hsi).grid.transform
    assert (a.a, a.e) == (b.a, b.e)
    assert b.c - a.c == pytest.approx(-dx * a.a, abs=0.1) and b.f - a.f == pytest.approx(-dy * a.e, abs=0.1)


@pytest.mark.parametrize("variant", ["stack_20m_nearest", "stack_20m", "stack_20m_cubic"])
def test_sentinel2_20m_bands_stacked_at_10m_are_recognised(products, variant, tmp_path, capsys):
    """Nearest neighbour (each 20 m pixel repeated 2×2, GDAL's default), bilinear or cubic."""
    out, log = fuse(products[variant], tmp_path, capsys)
    line = next(x for x in log.splitlines() if "resampled from coarser pixels" in x)
    assert "B11 (1613.7 nm) (×2)" in line and "B8 (" not in line, line   # the 10 m B8 is sharp


@pytest.mark.parametrize("variant", ["stack_20m_nearest", "stack_20m"])
def test_on_the_enmap_crop_the_20m_bands_beat_the_10m_ones_and_the_true_psf_ridge(shared_data, variant,
                                                                                   tmp_path, capsys):
    from benchmarks.products import SITES, make_product, truth_at
    from benchmarks.real_products import ridge_true
    from benchmarks.scenes import load_scene

    scene = load_scene("enmap_potsdam", shared_data, reflectance=True)
    truth = truth_at("enmap_potsdam", scene.cube, scene.wavelengths, scene.fwhm, *SITES["enmap_potsdam"])
    stacked, alone = (make_product(truth, v, tmp_path) for v in (variant, "stack_10m_only"))
    out, log = fuse(stacked, tmp_path, capsys)
    # their own blur is not the PSF's: judged on the 10 m bands, the clean pair agrees everywhere
    assert "the two images agree everywhere" in log, log
    out10, _ = fuse(alone, tmp_path, capsys)
    reference, grid = read_physical(str(stacked.truth_path))
    ridge = score(reference, ridge_true(stacked), stacked.score_mask, 3)["PSNR"]
    assert quality(stacked, out)[0] > max(quality(alone, out10)[0], ridge)


def test_a_sensor_preset_takes_the_hr_msis_bands_by_their_names(products, tmp_path, capsys):
    """B2 … B12 in the file's band descriptions choose the preset's bands: no --msi-bands."""
    p = products["stack_20m_nearest"]
    out, log = fuse(p, tmp_path, capsys, "--sensor", "sentinel-2a")
    assert out.exists() and "resampled from coarser pixels" in log


def test_without_wavelengths_blind_fusion_runs_and_a_prior_asks_for_them(products, tmp_path, capsys):
    p = products["no_wavelengths"]
    out, _ = fuse(p, tmp_path, capsys)
    assert out.exists()
    code = main(["-q", "fuse", str(p.lr_path), str(p.hr_path), str(tmp_path / "prior.tif"),
                 "--sensor", "sentinel-2a", "--msi-bands", "B2,B3,B4,B8"])
    err = capsys.readouterr().err
    assert code == 2 and "no wavelength metadata" in err and "--wavelengths" in err
    wl = ", ".join(f"{v:.1f}" for v in np.linspace(420, 2450, read_raster_info(p.lr_path).count))
    assert main(["-q", "fuse", str(p.lr_path), str(p.hr_path), str(tmp_path / "given.tif"),
                 "--sensor", "sentinel-2a", "--msi-bands", "B2,B3,B4,B8", "--wavelengths", wl]) == 0


def test_bands_without_any_valid_pixel_are_left_out_and_written_as_nodata(products, tmp_path, capsys):
    import rasterio

    p = products["stack_10m_only"]
    lr = tmp_path / "dead_bands.tif"
    with rasterio.open(p.lr_path) as src:
        profile, data = src.profile, src.read()
        data[5:8] = profile.get("nodata") if profile.get("nodata") is not None else np.nan
        with rasterio.open(lr, "w", **profile) as dst:
            dst.write(data)
            dst.descriptions = src.descriptions
    out = tmp_path / "fused.tif"
    assert main(["fuse", str(lr), str(p.hr_path), str(out)]) == 0
    assert "3 LR-HSI band(s) have no valid pixel" in capsys.readouterr().err
    fused = read_raster(out).data
    assert np.isnan(fused[5:8]).all() and np.isfinite(fused[[0, 4, 8]]).all()
