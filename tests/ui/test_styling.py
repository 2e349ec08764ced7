"""A spectral layer styled as results load: bands from the wavelengths, a 2–98 % percentile
stretch, nodata transparent; rendered headless through QGIS's map renderer."""

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from render_styled import render_image  # noqa: E402

from fusion_core.io import write_raster  # noqa: E402
from fusion_core.io.raster import write_spectral_metadata  # noqa: E402
from fusion_core.sample import make_sample_scene  # noqa: E402

NODATA = -9999.0


@pytest.fixture
def scene_file(tmp_path):
    scene = make_sample_scene(40, 40, 60, seed=3)
    path = tmp_path / "scene.tif"
    write_raster(path, scene.cube, scene.grid, scene.band_names, scene.wavelengths_nm)
    return scene, path


def test_a_hyperspectral_layer_shows_true_colour_stretched_between_its_percentiles(pyqgis, scene_file):
    from qgis.core import QgsRasterLayer

    from hsi_fusion.ui.styling import style_spectral_layer

    scene, path = scene_file
    layer = QgsRasterLayer(str(path), "scene")
    bands = style_spectral_layer(layer)
    renderer = layer.renderer()
    assert bands.rule == "true colour"
    assert (renderer.redBand(), renderer.greenBand(), renderer.blueBand()) == (bands.red, bands.green, bands.blue)
    for band, target in zip((bands.red, bands.green, bands.blue), (640, 550, 470)):
        assert abs(scene.wavelengths_nm[band - 1] - target) < 40
    enhancements = (renderer.redContrastEnhancement(), renderer.greenContrastEnhancement(),
                    renderer.blueContrastEnhancement())
    for band, enhancement in zip((bands.red, bands.green, bands.blue), enhancements):
        values = scene.cube[band - 1]
        low, high = np.percentile(values, [2, 98])
        tolerance = 0.01 * float(values.max() - values.min())  # QGIS reads percentiles off a histogram
        assert enhancement.minimumValue() == pytest.approx(low, abs=tolerance)
        assert enhancement.maximumValue() == pytest.approx(high, abs=tolerance)
    image = render_image(layer, 64)                              # as the map canvas draws it
    assert (image.width(), image.height()) == (64, 64)


def test_nodata_pixels_of_a_shown_band_are_transparent(pyqgis, scene_file, tmp_path):
    from qgis.core import QgsRasterLayer
    from qgis.PyQt.QtGui import qAlpha

    from hsi_fusion.ui.styling import style_spectral_layer

    scene, _ = scene_file
    data = scene.cube.copy()
    data[:, :10, :] = NODATA                                   # the top quarter is nodata
    path = tmp_path / "with_nodata.tif"
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=data.shape[0],
                       dtype="float32", crs=scene.grid.crs, transform=scene.grid.transform,
                       nodata=NODATA) as dst:
        dst.write(data)
        write_spectral_metadata(dst, scene.band_names, scene.wavelengths_nm)
    layer = QgsRasterLayer(str(path), "nodata")
    bands = style_spectral_layer(layer)
    provider = layer.dataProvider()
    for band in (bands.red, bands.green, bands.blue):
        assert provider.sourceHasNoDataValue(band) and provider.useSourceNoDataValue(band)
    block = layer.renderer().block(1, layer.extent(), 40, 40)
    assert qAlpha(block.color(5, 20)) == 0 and qAlpha(block.color(30, 20)) == 255
    low = layer.renderer().redContrastEnhancement().minimumValue()
    assert low > NODATA / 2                                     # the stretch ignores nodata


def test_a_layer_without_wavelengths_is_spread_over_its_bands(pyqgis, tmp_path):
    from qgis.core import QgsRasterLayer

    from hsi_fusion.ui.styling import style_spectral_layer

    scene = make_sample_scene(24, 24, 9)
    path = tmp_path / "bare.tif"
    write_raster(path, scene.cube, scene.grid)
    layer = QgsRasterLayer(str(path), "bare")
    bands = style_spectral_layer(layer)
    assert (layer.renderer().redBand(), layer.renderer().blueBand()) == (7, 3)
    assert bands.rule == "spread over the bands (no wavelengths)"
