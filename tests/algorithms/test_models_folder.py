"""The shipped graphical model: it runs headless through qgis_process, and the plugin lists it
under Models in the Processing Toolbox while it is loaded."""

import json
import subprocess

from qgis_run import REPO, environment, qgis_process_binary

from fusion_core.io import read_raster, read_raster_info
from fusion_core.metrics import format_report, quality_metrics

MODEL = REPO / "models" / "hsi_fusion_wald.model3"
MODEL_ID = "model:HSI fusion, Wald's protocol"


def test_the_wald_model_runs_in_qgis_process_and_reports_the_metrics(qgis, tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=20)
    out = {"simulate:LR_HSI": tmp_path / "lr.tif", "simulate:HR_MSI": tmp_path / "hr.tif",
           "estimate:DEGRADATION": tmp_path / "model.json", "fuse:FUSED": tmp_path / "fused.tif",
           "metrics:REPORT": tmp_path / "metrics.md"}
    args = [f"REFERENCE={pair.reference_path}", "SCALE=4", "SENSOR=0", "MSI_BANDS=B2,B3,B4,B8",
            *(f"{k}={v}" for k, v in out.items())]
    proc = subprocess.run([qgis_process_binary(), "--json", "run", str(MODEL), "--", *args],
                          env=environment(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(proc.stdout[proc.stdout.find("{"):])["results"]
    assert results == {k: str(v) for k, v in out.items()}
    assert read_raster_info(out["simulate:LR_HSI"]).grid.width == 8
    assert json.loads(out["estimate:DEGRADATION"].read_text())["scale"] == 4
    fused = read_raster(out["fuse:FUSED"])
    reference = read_raster(pair.reference_path)
    assert fused.grid == reference.grid
    expected = format_report(quality_metrics(reference.data, fused.data, 4), "fused.tif vs scene_reference.tif")
    assert out["metrics:REPORT"].read_text() == expected


def test_the_plugin_lists_its_models_under_models_while_loaded(pyqgis):
    from qgis.core import QgsApplication, QgsSettings

    registry = QgsApplication.processingRegistry()
    before = QgsSettings().value("Processing/Configuration/MODELS_FOLDER")
    pyqgis.initGui()
    try:
        assert registry.algorithmById(MODEL_ID) is not None
        assert str(MODEL.parent) in QgsSettings().value("Processing/Configuration/MODELS_FOLDER")
        assert QgsSettings().value("Processing/Configuration/MODELS_FOLDER").split(";")[0] != str(MODEL.parent)
    finally:
        pyqgis.unload()
        pyqgis.initProcessing()  # other tests use the provider
    assert registry.algorithmById(MODEL_ID) is None
    assert str(MODEL.parent) not in (QgsSettings().value("Processing/Configuration/MODELS_FOLDER") or "")
    assert before is None or QgsSettings().value("Processing/Configuration/MODELS_FOLDER") == before
