"""The algorithms from Python, as scripts, the console, the dialog and the batch interface call
them: ``processing.run``, ``processing.runAndLoadResults``, ``QgsProcessingAlgRunnerTask`` and
``QgsProcessingAlgorithm.run``, in a standalone PyQGIS application (the ``pyqgis`` fixture)."""

import json

import numpy as np
import pytest

from fusion_core.io import read_raster, read_raster_info
from fusion_core.io.display import rgb_bands
from fusion_core.metrics import quality_metrics

S2_RGB_NIR = "B2,B3,B4,B8"


def _shown_bands(layer) -> tuple[int, int, int]:
    renderer = layer.renderer()
    return renderer.redBand(), renderer.greenBand(), renderer.blueBand()


def _expected_bands(path) -> tuple[int, int, int]:
    info = read_raster_info(path)
    bands = rgb_bands(info.wavelengths, info.count)
    return bands.red, bands.green, bands.blue


def _layers_by_source(project) -> dict:
    return {layer.source(): layer for layer in project.mapLayers().values()}


def test_the_wald_chain_runs_through_processing_run(pyqgis, tmp_rasters, tmp_path):
    import processing

    pair = tmp_rasters(size=32, n_hsi=20)
    sim = processing.run("hsifusion:simulatepair", {
        "REFERENCE": str(pair.reference_path), "SCALE": 4, "SENSOR": 0, "MSI_BANDS": S2_RGB_NIR,
        "LR_HSI": str(tmp_path / "lr.tif"), "HR_MSI": str(tmp_path / "hr.tif")})
    assert read_raster_info(sim["LR_HSI"]).grid.width == 8 and read_raster_info(sim["HR_MSI"]).count == 4
    est = processing.run("hsifusion:estimatedegradation", {
        "LR_HSI": sim["LR_HSI"], "HR_MSI": sim["HR_MSI"], "OUTPUT": str(tmp_path / "model.json")})
    assert json.loads((tmp_path / "model.json").read_text())["scale"] == 4
    fused = processing.run("hsifusion:blindfusion", {
        "LR_HSI": sim["LR_HSI"], "HR_MSI": sim["HR_MSI"], "DEGRADATION": est["OUTPUT"],
        "OUTPUT": str(tmp_path / "fused.tif")})
    assert read_raster_info(fused["OUTPUT"]).grid == read_raster_info(pair.reference_path).grid
    assert fused["REPORT"] == str(tmp_path / "fused_report.html")           # on by default
    assert json.loads((tmp_path / "fused_report.json").read_text())["run"]["output"] == fused["OUTPUT"]
    metrics = processing.run("hsifusion:qualitymetrics", {
        "REFERENCE": str(pair.reference_path), "ESTIMATE": fused["OUTPUT"], "SCALE": 4})
    engine = quality_metrics(read_raster(pair.reference_path).data, read_raster(fused["OUTPUT"]).data, 4)
    for key in ("PSNR", "SAM", "ERGAS", "RMSE", "CC", "SSIM", "UIQI"):
        assert metrics[key] == pytest.approx(engine[key], rel=1e-6), key


def test_run_and_load_results_loads_every_raster_output_styled(pyqgis, project, tmp_rasters, tmp_path):
    import processing

    pair = tmp_rasters(size=32, n_hsi=20)
    sim = processing.runAndLoadResults("hsifusion:simulatepair", {
        "REFERENCE": str(pair.reference_path), "SCALE": 4, "SENSOR": 0, "MSI_BANDS": S2_RGB_NIR,
        "LR_HSI": str(tmp_path / "lr.tif"), "HR_MSI": str(tmp_path / "hr.tif")})
    est = processing.runAndLoadResults("hsifusion:estimatedegradation", {
        "LR_HSI": sim["LR_HSI"], "HR_MSI": sim["HR_MSI"], "OUTPUT": str(tmp_path / "model.json")})
    fused = processing.runAndLoadResults("hsifusion:blindfusion", {
        "LR_HSI": sim["LR_HSI"], "HR_MSI": sim["HR_MSI"], "DEGRADATION": est["OUTPUT"],
        "OUTPUT": str(tmp_path / "fused.tif")})
    metrics = processing.runAndLoadResults("hsifusion:qualitymetrics", {
        "REFERENCE": str(pair.reference_path), "ESTIMATE": fused["OUTPUT"], "SCALE": 4})
    assert np.isfinite(metrics["PSNR"])
    layers = _layers_by_source(project)
    assert set(layers) == {sim["LR_HSI"], sim["HR_MSI"], fused["OUTPUT"]}
    assert _shown_bands(layers[sim["HR_MSI"]]) == (3, 2, 1)          # B4, B3, B2
    for path in (sim["LR_HSI"], fused["OUTPUT"]):
        assert _shown_bands(layers[path]) == _expected_bands(path)


def _handle_results(algorithm, context, feedback, parameters) -> bool:
    """Processing's post-processing, as the dialog runs it after an algorithm (QGIS 3.22 also
    takes showResults, which later versions dropped)."""
    import inspect

    from processing.gui.Postprocessing import handleAlgorithmResults

    quiet = {"showResults": False} if "showResults" in inspect.signature(handleAlgorithmResults).parameters else {}
    return handleAlgorithmResults(algorithm, context, feedback, parameters=parameters, **quiet)


def test_the_dialog_path_runs_in_a_task_and_styles_the_result(pyqgis, project, tmp_rasters, tmp_path):
    from qgis.core import (
        QgsApplication,
        QgsProcessingAlgRunnerTask,
        QgsProcessingContext,
        QgsProcessingFeedback,
        QgsProcessingOutputLayerDefinition,
    )
    from qgis.PyQt.QtCore import QCoreApplication

    pair = tmp_rasters(size=32, n_hsi=20)
    model = tmp_path / "true.json"
    pair.model.save(model)
    out = str(tmp_path / "fused.tif")
    algorithm = QgsApplication.processingRegistry().createAlgorithmById("hsifusion:blindfusion")
    context, feedback = QgsProcessingContext(), QgsProcessingFeedback()
    context.setProject(project)
    parameters = {"LR_HSI": str(pair.lr_path), "HR_MSI": str(pair.hr_path), "DEGRADATION": str(model),
                  "OUTPUT": QgsProcessingOutputLayerDefinition(out, project)}
    finished = {}
    task = QgsProcessingAlgRunnerTask(algorithm, parameters, context, feedback)
    task.executed.connect(lambda ok, results: finished.update(ok=ok, results=results))
    QgsApplication.taskManager().addTask(task)
    while not finished:
        QCoreApplication.processEvents()
    assert finished["ok"] and finished["results"]["OUTPUT"] == out
    assert _handle_results(algorithm, context, feedback, parameters)
    assert _shown_bands(_layers_by_source(project)[out]) == _expected_bands(out)


def test_the_batch_interface_calls_run_once_per_row(pyqgis, project, tmp_rasters, tmp_path):
    from processing.tools import dataobjects
    from qgis.core import QgsApplication, QgsProcessingFeedback, QgsProcessingOutputLayerDefinition

    algorithm = QgsApplication.processingRegistry().algorithmById("hsifusion:simulatepair")
    for row in range(2):
        pair = tmp_rasters(size=24, n_hsi=12, seed=row, name=f"row{row}")
        feedback = QgsProcessingFeedback()
        context = dataobjects.createContext(feedback)
        parameters = {"REFERENCE": str(pair.reference_path), "SCALE": 3, "SENSOR": 0,
                      "MSI_BANDS": S2_RGB_NIR,
                      "LR_HSI": QgsProcessingOutputLayerDefinition(str(tmp_path / f"lr{row}.tif"), project),
                      "HR_MSI": QgsProcessingOutputLayerDefinition(str(tmp_path / f"hr{row}.tif"), project)}
        results, ok = algorithm.run(parameters, context, feedback)
        assert ok, results
        assert _handle_results(algorithm, context, feedback, parameters)
    assert len(project.mapLayers()) == 4


def test_an_engine_refusal_is_a_processing_exception_with_its_message(pyqgis, tmp_rasters, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    pair = tmp_rasters(size=24, n_hsi=12)
    with pytest.raises(QgsProcessingException, match="sensor preset or an SRF CSV"):
        processing.run("hsifusion:simulatepair", {
            "REFERENCE": str(pair.reference_path), "SCALE": 4,
            "LR_HSI": str(tmp_path / "lr.tif"), "HR_MSI": str(tmp_path / "hr.tif")})
    assert not (tmp_path / "lr.tif").exists() and not (tmp_path / "hr.tif").exists()


def test_processing_run_writes_no_report_given_none_nor_the_dialog_for_a_skipped_one(pyqgis, tmp_rasters, tmp_path):
    import processing
    from qgis.core import QgsApplication

    pair = tmp_rasters(size=32, n_hsi=16)
    fused = processing.run("hsifusion:blindfusion", {
        "LR_HSI": str(pair.lr_path), "HR_MSI": str(pair.hr_path), "OUTPUT": str(tmp_path / "fused.tif"),
        "REPORT": None})
    assert fused["REPORT"] is None and not list(tmp_path.glob("*.html"))
    algorithm = QgsApplication.processingRegistry().algorithmById("hsifusion:blindfusion")
    assert algorithm.preprocessParameters({"OUTPUT": "f.tif"}) == {"OUTPUT": "f.tif", "REPORT": ""}
    assert algorithm.preprocessParameters({"REPORT": "r.html"})["REPORT"] == "r.html"
