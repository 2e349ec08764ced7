"""hsifusion:qualitymetrics run headless: numeric outputs, report file, clear errors."""

import numpy as np

from fusion_core.io import write_raster


def test_metrics_of_a_perturbed_image(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=12)
    noisy = pair.reference + 0.01 * np.random.default_rng(0).standard_normal(pair.reference.shape)
    estimate = tmp_path / "estimate.tif"
    write_raster(estimate, noisy.astype(np.float32), pair.hr_grid)
    report = tmp_path / "report.txt"
    results = qgis.run_algorithm("hsifusion:qualitymetrics", {
        "REFERENCE": pair.reference_path, "ESTIMATE": estimate, "SCALE": 4, "REPORT": report})
    assert 20 < results["PSNR"] < 60
    assert results["SAM"] > 0 and 0 < results["CC"] < 1 and 0 < results["SSIM"] < 1
    assert "PSNR" in report.read_text()


def test_images_of_different_sizes_are_refused(qgis, tmp_rasters):
    pair = tmp_rasters(size=32, n_hsi=12)
    out = qgis.run_failing("hsifusion:qualitymetrics", {
        "REFERENCE": pair.reference_path, "ESTIMATE": pair.lr_path, "SCALE": 4})
    assert "same size and bands" in out
