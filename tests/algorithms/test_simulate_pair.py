"""hsifusion:simulatepair run headless: LR grid = SCALE × HR grid, same origin and CRS."""

import json

import numpy as np
import rasterio

from fusion_core.io import read_raster_info

S2_VNIR_SWIR = "B2,B3,B4,B8,B11,B12"


def test_simulated_pair_nests_on_the_reference_grid(qgis, tmp_rasters, tmp_path, grid_of):
    pair = tmp_rasters(size=40, n_hsi=24)
    lr, hr, model = tmp_path / "lr.tif", tmp_path / "hr.tif", tmp_path / "true.json"
    qgis.run_algorithm("hsifusion:simulatepair", {
        "REFERENCE": pair.reference_path, "SCALE": 4, "SENSOR": 0, "MSI_BANDS": S2_VNIR_SWIR,
        "SNR": 35, "LR_HSI": lr, "HR_MSI": hr, "TRUE_DEGRADATION": model})
    ref_crs, ref_t, w, h, c = grid_of(pair.reference_path)
    lr_crs, lr_t, lw, lh, lc = grid_of(lr)
    hr_crs, hr_t, hw, hh, hc = grid_of(hr)
    assert lr_crs == hr_crs == ref_crs
    assert hr_t == ref_t and (hw, hh) == (w, h)
    assert (lw, lh, lc) == (w // 4, h // 4, c) and hc == 6
    assert lr_t[0] == 4 * ref_t[0] and lr_t[4] == 4 * ref_t[4] and lr_t[2] == ref_t[2] and lr_t[5] == ref_t[5]
    info = read_raster_info(lr)
    np.testing.assert_allclose(info.wavelengths, pair.hsi_wavelengths, atol=1e-3)
    assert read_raster_info(hr).band_names[0].startswith("B2")
    saved = json.loads(model.read_text())
    assert saved["scale"] == 4 and np.asarray(saved["srf"]).shape == (c, 6)


def test_a_kernel_file_and_a_csv_srf_are_accepted(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=24, n_hsi=16)
    kernel = tmp_path / "motion.csv"
    np.savetxt(kernel, np.eye(5) / 5.0, delimiter=",")
    wl = np.arange(400, 2501, 5.0)
    curves = [np.exp(-0.5 * ((wl - c) / 30.0) ** 2) for c in (500, 650, 850)]
    csv = tmp_path / "srf.csv"
    np.savetxt(csv, np.column_stack([wl, *curves]), delimiter=",", header="wavelength_nm,blue,red,nir",
               comments="")
    lr, hr, model = tmp_path / "lr.tif", tmp_path / "hr.tif", tmp_path / "true.json"
    qgis.run_algorithm("hsifusion:simulatepair", {
        "REFERENCE": pair.reference_path, "SCALE": 3, "SRF_FILE": csv, "PSF_FILE": kernel,
        "LR_HSI": lr, "HR_MSI": hr, "TRUE_DEGRADATION": model})
    with rasterio.open(hr) as ds:
        assert ds.count == 3                    # names from the CSV, with each band's centre
        assert [d.rsplit(" (", 1)[0] for d in ds.descriptions] == ["blue", "red", "nir"]
        assert all(d.endswith(" nm)") for d in ds.descriptions)
    saved = json.loads(model.read_text())
    np.testing.assert_allclose(saved["psf"], np.eye(5) / 5.0)


def test_without_an_srf_the_message_says_what_to_give(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=24, n_hsi=16)
    out = qgis.run_failing("hsifusion:simulatepair", {
        "REFERENCE": pair.reference_path, "SCALE": 4, "LR_HSI": tmp_path / "lr.tif",
        "HR_MSI": tmp_path / "hr.tif"})
    assert "sensor preset or an SRF CSV" in out
    assert not (tmp_path / "lr.tif").exists()
