"""The report's sample spectra as a spectral library: QGIS opens it as points whose profile
fields EnMAP-Box recognises."""

import json

import numpy as np
from affine import Affine
from rasterio.crs import CRS

from fusion_core.io import RasterGrid
from fusion_core.report.speclib import PROFILE_FIELDS, profile, spectral_library_path, write_spectral_library

WAVELENGTHS = np.array([450.0, 550.0, 650.0])
SAMPLES = [
    {"lr_pixel": [5, 3], "hr_pixel": [16, 10], "lr_hsi": [0.1, 0.2, 0.3], "fused": [0.11, 0.19, 0.31],
     "hr_msi": [0.15, 0.25]},
    {"lr_pixel": [7, 2], "hr_pixel": [22, 7], "lr_hsi": [0.4, 0.5, 0.6], "fused": [0.41, 0.52, 0.58],
     "hr_msi": [0.45, 0.55]},
]


def test_a_spectrum_is_enmap_box_profile_json_with_wavelengths_when_known():
    assert json.loads(profile(np.float32([0.1, 0.2]), [450.0, 550.0])) == {
        "y": [0.1, 0.2], "x": [450.0, 550.0], "xUnit": "nm"}
    assert json.loads(profile([0.1, 0.2])) == {"y": [0.1, 0.2]}


def test_the_library_sits_beside_the_report():
    assert spectral_library_path("/runs/report.html").as_posix() == "/runs/report.spectra.gpkg"


def test_qgis_opens_the_samples_as_points_of_the_result_with_their_spectra(pyqgis, tmp_path):
    from qgis.core import QgsVectorLayer

    grid = RasterGrid(CRS.from_epsg(32633), Affine(10.0, 0, 500000.0, 0, -10.0, 5000000.0), 60, 60)
    path = tmp_path / "report.spectra.gpkg"
    write_spectral_library(path, SAMPLES, grid, WAVELENGTHS, np.array([500.0, 600.0]))

    layer = QgsVectorLayer(str(path), "spectra", "ogr")
    assert layer.isValid() and layer.crs().authid() == "EPSG:32633" and layer.featureCount() == 2
    for name in PROFILE_FIELDS:   # what EnMAP-Box takes for a profile field: text or JSON of any
        field = layer.fields().field(name)          # length, its widget SpectralProfile (the style
        assert field.typeName() == "JSON" and field.length() in (0, -1)      # stored in the file)
        assert field.editorWidgetSetup().type() == "SpectralProfile"
    first, second = sorted(layer.getFeatures(), key=lambda f: f["sample"])
    assert (first["row"], first["col"], first["lr_row"], first["lr_col"]) == (16, 10, 5, 3)
    point = first.geometry().asPoint()
    assert (point.x(), point.y()) == (500105.0, 4999835.0)            # centre of pixel (16, 10)
    assert first["fused"] == {"y": [0.11, 0.19, 0.31], "x": [450.0, 550.0, 650.0], "xUnit": "nm"}
    assert second["lr_hsi"]["y"] == [0.4, 0.5, 0.6] and second["hr_msi"]["x"] == [500.0, 600.0]


def test_without_a_crs_or_msi_wavelengths_the_library_is_still_written(pyqgis, tmp_path):
    from qgis.core import QgsVectorLayer

    path = tmp_path / "plain.spectra.gpkg"
    write_spectral_library(path, SAMPLES[:1], RasterGrid(None, Affine.identity(), 30, 30), None, None)
    (feature,) = QgsVectorLayer(str(path), "spectra", "ogr").getFeatures()
    assert feature.geometry().asPoint().x() == 10.5 and feature["hr_msi"] == {"y": [0.15, 0.25]}
    assert not list(tmp_path.glob("*.part*"))
