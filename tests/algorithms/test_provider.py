"""The provider loads in qgis_process with the ids and parameter names scripts rely on."""

import subprocess

from qgis_run import environment, qgis_process_binary


def _help(algorithm: str) -> str:
    proc = subprocess.run([qgis_process_binary(), "help", algorithm], env=environment(),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_all_four_algorithms_are_listed(qgis):
    proc = subprocess.run([qgis_process_binary(), "list"], env=environment(), capture_output=True, text=True)
    for algorithm in ("simulatepair", "estimatedegradation", "blindfusion", "qualitymetrics"):
        assert f"hsifusion:{algorithm}" in proc.stdout


def test_blind_fusion_keeps_its_public_parameters_and_method_order(qgis):
    text = _help("hsifusion:blindfusion")
    for name in ("LR_HSI", "HR_MSI", "METHOD", "DEGRADATION", "PRESET", "DEVICE", "SEED", "OUTPUT",
                 "SENSOR", "SRF_FILE"):
        assert f"{name}:" in text or f"\n{name}" in text, name
    order = [text.index(f"{i}: {name}") for i, name in enumerate(("Default", "UDALN", "M2U-Net", "Stable"))]
    assert order == sorted(order)


def test_metrics_are_numeric_outputs(qgis):
    text = _help("hsifusion:qualitymetrics")
    for name in ("PSNR", "SAM", "ERGAS", "RMSE", "CC", "SSIM", "UIQI"):
        assert f"{name}: <" in text, name


def test_the_quality_report_is_an_html_output_for_the_results_viewer(qgis):
    text = _help("hsifusion:blindfusion")
    assert "REPORT: <outputHtml>" in text
    assert "CONSISTENCY_MAP: <outputRaster>" in text and "AGREEMENT: <outputRaster>" in text
