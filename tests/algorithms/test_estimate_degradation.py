"""hsifusion:estimatedegradation run headless: a model file fusion accepts, and a plot."""

import numpy as np

from fusion_core.degradation import DegradationModel, psf_error


def test_estimated_model_is_close_to_the_truth_and_plotted(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=30, n_msi=4, snr_db=40)
    model_path, plot = tmp_path / "model.json", tmp_path / "model.png"
    qgis.run_algorithm("hsifusion:estimatedegradation", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "OUTPUT": model_path, "PLOT": plot})
    model = DegradationModel.load(model_path)
    assert model.scale == 4 and model.srf.shape == (30, 4)
    assert psf_error(model.psf, pair.model.psf, 4) < 0.15
    effect = np.einsum("chw,cm->mhw", pair.reference, model.srf)
    truth = np.einsum("chw,cm->mhw", pair.reference, pair.model.srf)
    assert np.linalg.norm(effect - truth) / np.linalg.norm(truth) < 0.05
    assert plot.stat().st_size > 10_000 and plot.read_bytes()[:4] == b"\x89PNG"
    used = tmp_path / "used.json"
    qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": pair.lr_path, "HR_MSI": pair.hr_path, "DEGRADATION": model_path,
        "OUTPUT": tmp_path / "fused.tif", "DEGRADATION_OUTPUT": used})
    np.testing.assert_allclose(DegradationModel.load(used).psf, model.psf)  # fusion accepted the file
