"""LR_HSI / HR_MSI take products as delivered, not only what QGIS loads as a layer: through
``processing.run`` (the ``pyqgis`` fixture), ``qgis_process`` (the ``qgis`` fixture) and the
dialog's widget, with default parameters; a project layer still works."""

import zipfile
from types import SimpleNamespace

import pytest

qgis_core = pytest.importorskip("qgis.core")

from hsi_fusion.algorithms.product_input import ProductInputParameter  # noqa: E402

NO_PRODUCT = "that holds no product HSI Fusion reads"
QGIS_REFUSAL = "Could not load source layer"


@pytest.fixture
def delivered(tmp_rasters, tmp_path):
    """A pair whose LR-HSI is a GeoTIFF inside a ZIP (``/vsizip/…``), and a ZIP and a folder that
    hold no product."""
    pair = tmp_rasters(size=32, n_hsi=12)
    archive = tmp_path / "delivery.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(pair.lr_path, "PRODUCT/scene-SPECTRAL_IMAGE.TIF")
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("readme.txt", "no raster")
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "readme.txt").write_text("no raster")
    return SimpleNamespace(lr_path=pair.lr_path, hr_path=pair.hr_path, empty_zip=str(empty),
                           folder=str(folder), vsizip=f"/vsizip/{archive}/PRODUCT/scene-SPECTRAL_IMAGE.TIF")


def _estimate(processing, lr, hr, out):
    return processing.run("hsifusion:estimatedegradation", {"LR_HSI": lr, "HR_MSI": hr, "OUTPUT": str(out)})


def test_processing_run_takes_a_vsizip_raster_a_layer_and_a_plain_path(pyqgis, project, delivered, tmp_path):
    import processing

    layer = qgis_core.QgsRasterLayer(delivered.vsizip, "LR-HSI in its ZIP")
    assert layer.isValid()
    project.addMapLayer(layer)
    for n, lr in enumerate((delivered.vsizip, layer, layer.id(), str(delivered.lr_path))):
        out = tmp_path / f"model{n}.json"
        assert _estimate(processing, lr, str(delivered.hr_path), out)["OUTPUT"] == str(out)
        assert out.exists()


@pytest.mark.parametrize("holder", ["empty_zip", "folder"])
def test_processing_run_names_a_zip_or_folder_without_a_product_in_our_words(pyqgis, delivered, holder,
                                                                             tmp_path):
    import processing

    with pytest.raises(qgis_core.QgsProcessingException) as refused:
        _estimate(processing, getattr(delivered, holder), str(delivered.hr_path), tmp_path / "m.json")
    assert NO_PRODUCT in str(refused.value) and QGIS_REFUSAL not in str(refused.value)


def test_qgis_process_fuses_a_vsizip_raster_with_default_parameters(qgis, delivered, tmp_path, grid_of):
    out = tmp_path / "fused.tif"
    results = qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": delivered.vsizip, "HR_MSI": delivered.hr_path, "OUTPUT": out})
    assert results["OUTPUT"] == str(out)
    assert grid_of(out)[:4] == grid_of(delivered.hr_path)[:4]


def test_qgis_process_names_a_zip_without_a_product_in_our_words(qgis, delivered, tmp_path):
    message = qgis.run_failing("hsifusion:blindfusion", {
        "LR_HSI": delivered.empty_zip, "HR_MSI": delivered.hr_path, "OUTPUT": tmp_path / "fused.tif"})
    assert f"The LR_HSI {delivered.empty_zip} is a ZIP {NO_PRODUCT}" in message
    assert QGIS_REFUSAL not in message and "Traceback" not in message


def test_the_parameters_take_any_text_and_refuse_nothing_given(pyqgis):
    algorithm = qgis_core.QgsApplication.processingRegistry().createAlgorithmById("hsifusion:blindfusion")
    for name in ("LR_HSI", "HR_MSI", "LR_MASK", "HR_MASK"):
        parameter = algorithm.parameterDefinition(name)
        assert isinstance(parameter, ProductInputParameter) and parameter.type() == "raster"
        assert parameter.checkValueIsAcceptable('SENTINEL2_L2A:"/d/S2B.SAFE/MTD_MSIL2A.xml":10m:EPSG_32633')
    lr = algorithm.parameterDefinition("LR_HSI")
    assert not lr.checkValueIsAcceptable("") and not lr.checkValueIsAcceptable(None)
    assert algorithm.parameterDefinition("LR_MASK").checkValueIsAcceptable(None)
    copy = lr.clone()
    assert isinstance(copy, ProductInputParameter) and copy.checkValueIsAcceptable("/d/p.he5")
    assert copy.flags() == lr.flags() and copy.help() == lr.help()


def test_the_file_picker_offers_zip_xml_and_he5_first(pyqgis):
    first = ProductInputParameter("LR_HSI", "LR").createFileFilter().split(";;")[0]
    for pattern in ("*.zip", "*.xml", "*.he5", "*.tif"):
        assert pattern in first


def test_the_dialog_widget_keeps_a_folder_or_subdataset_as_given(pyqgis, delivered):
    from qgis.gui import QgsGui, QgsProcessingGui

    parameter = ProductInputParameter("LR_HSI", "LR")
    wrapper = QgsGui.processingGuiRegistry().createParameterWidgetWrapper(parameter, QgsProcessingGui.Standard)
    context = qgis_core.QgsProcessingContext()
    widget = wrapper.createWrappedWidget(context)  # noqa: F841  (kept alive: the wrapper reads it)
    for value in (delivered.folder, f"SENTINEL2_L2A:{delivered.folder}/MTD_MSIL2A.xml:10m:EPSG_32633"):
        wrapper.setParameterValue(value, context)
        assert wrapper.parameterValue() == value


def test_the_help_says_how_to_give_a_product_folder(pyqgis):
    for name in ("hsifusion:blindfusion", "hsifusion:estimatedegradation"):
        text = qgis_core.QgsApplication.processingRegistry().algorithmById(name).shortHelpString()
        assert "unzipped product folder (…SAFE) through its metadata file" in text


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """An EnMAP L2A delivery (ZIP and folder) and a Sentinel-2 L2A SAFE (ZIP and folder) of one
    small scene, written in the real layouts."""
    from benchmarks.delivered import _enmap, _inside, _safe, simulate
    from benchmarks.products import tiny_truth

    folder = tmp_path_factory.mktemp("products")
    scene = simulate(tiny_truth(96, 40))
    safe = _safe(scene, folder / "hr_folder", zipped=False)
    return SimpleNamespace(scene=scene, enmap_zip=str(_enmap(scene, folder / "lr")),
                           enmap_folder=str(_enmap(scene, folder / "lr_folder", zipped=False)),
                           safe_zip=str(_safe(scene, folder / "hr")), safe_folder=str(safe),
                           mtd=_inside(safe, "MTD_MSIL2A.xml"))


def test_qgis_process_fuses_an_enmap_zip_with_a_sentinel2_safe_zip(qgis, products, tmp_path, grid_of):
    out = tmp_path / "fused.tif"
    results = qgis.run_algorithm("hsifusion:blindfusion", {
        "LR_HSI": products.enmap_zip, "HR_MSI": products.safe_zip, "OUTPUT": out})
    assert results["OUTPUT"] == str(out)
    grid = products.scene.msi_grid
    assert grid_of(out)[2:4] == (grid.width, grid.height)


def test_processing_run_takes_the_unzipped_folder_and_the_sentinel2_metadata_file(pyqgis, products,
                                                                                   tmp_path):
    import processing

    for lr, hr in ((products.enmap_folder, products.mtd), (products.enmap_zip, products.safe_folder)):
        out = tmp_path / "model.json"
        assert _estimate(processing, lr, hr, out)["OUTPUT"] == str(out)
        out.unlink()


def test_a_product_dragged_from_the_browser_or_a_file_manager_reaches_the_readers(pyqgis, products):
    """The QGIS Browser lists the rasters inside a ZIP: dropping the EnMAP image gives its
    /vsizip/ path; a file manager drops the ZIP itself. Either names the whole product."""
    import zipfile

    from qgis.core import QgsMimeDataUtils
    from qgis.gui import QgsProcessingMapLayerComboBox
    from qgis.PyQt.QtCore import QMimeData, QPoint, Qt, QUrl
    from qgis.PyQt.QtGui import QDropEvent

    from hsi_fusion.algorithms.product_input import ProductInputParameter
    from hsi_fusion.fusion_core.products import open_input

    box = QgsProcessingMapLayerComboBox(ProductInputParameter("LR_HSI", "LR-HSI"))
    image = next(n for n in zipfile.ZipFile(products.enmap_zip).namelist()
                 if n.endswith("-SPECTRAL_IMAGE.TIF"))
    browser = QgsMimeDataUtils.Uri()
    browser.layerType, browser.providerKey = "raster", "gdal"
    browser.uri = f"/vsizip/{products.enmap_zip}/{image}"
    manager = QMimeData()
    manager.setUrls([QUrl.fromLocalFile(products.enmap_zip)])
    for mime in (QgsMimeDataUtils.encodeUriList([browser]), manager):
        box.dropEvent(QDropEvent(QPoint(1, 1), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier))
        assert open_input(box.value(), "LR-HSI").product == "EnMAP L2A"
