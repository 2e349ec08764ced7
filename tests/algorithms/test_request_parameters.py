"""QGIS parameters generated from the requests: optional outputs, the report's dialog default, and
every algorithm's parameters as released."""

import pytest

qgis_core = pytest.importorskip("qgis.core")

from hsi_fusion.algorithms.request_parameters import request_parameters  # noqa: E402
from hsi_fusion.fusion_core.request import FusionRequest  # noqa: E402


def test_the_report_is_written_by_default_in_the_dialog_and_the_maps_are_not():
    outputs = ("report", "consistency_map", "agreement_mask")
    report, consistency, agreement = request_parameters(FusionRequest, outputs)
    assert isinstance(report, qgis_core.QgsProcessingParameterFileDestination)
    assert report.createByDefault() and report.defaultFileExtension() == "html"
    for raster in (consistency, agreement):
        assert isinstance(raster, qgis_core.QgsProcessingParameterRasterDestination)
        assert not raster.createByDefault()
        assert raster.flags() & qgis_core.QgsProcessingParameterDefinition.FlagOptional


def test_the_fused_output_stays_required():
    (output,) = request_parameters(FusionRequest, ("output",))
    assert output.createByDefault()
    assert not output.flags() & qgis_core.QgsProcessingParameterDefinition.FlagOptional


def test_a_text_setting_keeps_its_default_so_runs_with_default_parameters_pass_qgis_checks():
    (quality,) = request_parameters(FusionRequest, ("quality_mask",))
    assert quality.defaultValue() == FusionRequest().quality_mask == "cloud, shadow, cirrus, saturated"
    assert quality.checkValueIsAcceptable(quality.defaultValue())


RELEASED = {  # each algorithm's parameter keys, as released (models and scripts name them)
    "simulatepair": ["REFERENCE", "SCALE", "SENSOR", "SRF_FILE", "MSI_BANDS", "PSF_FWHM", "PSF_FILE", "SNR",
                     "SEED", "LR_HSI", "HR_MSI", "TRUE_DEGRADATION"],
    "qualitymetrics": ["REFERENCE", "ESTIMATE", "SCALE", "REPORT"],
    "estimatedegradation": ["LR_HSI", "HR_MSI", "SENSOR", "SRF_FILE", "MSI_BANDS", "WAVELENGTHS",
                            "RESAMPLE_HR_MSI", "COREGISTER", "MAX_MEMORY_GB", "PSF_SIZE", "OUTPUT", "PLOT"],
    "installdependencies": ["BUILD", "WHEELS"],
}


def test_every_algorithm_keeps_its_released_parameters():
    from hsi_fusion.algorithms.estimate_degradation import EstimateDegradation
    from hsi_fusion.algorithms.install_dependencies import InstallDependencies
    from hsi_fusion.algorithms.quality_metrics import QualityMetrics
    from hsi_fusion.algorithms.simulate_pair import SimulatePair

    for algorithm in (SimulatePair(), QualityMetrics(), EstimateDegradation(), InstallDependencies()):
        algorithm.initAlgorithm()
        assert [p.name() for p in algorithm.parameterDefinitions()] == RELEASED[algorithm.name()]


def test_the_evaluation_parameters_keep_their_released_types_and_defaults():
    from hsi_fusion.fusion_core.job_requests import MetricsRequest, SimulationRequest

    params = {p.name(): p for p in request_parameters(SimulationRequest)}
    assert type(params["REFERENCE"]) is qgis_core.QgsProcessingParameterRasterLayer  # a layer, not a product
    assert (params["SCALE"].defaultValue(), params["SCALE"].minimum(), params["SCALE"].maximum()) == (4, 2, 64)
    flags = qgis_core.QgsProcessingParameterDefinition
    assert params["PSF_FWHM"].minimum() == 0.1 and params["PSF_FWHM"].flags() & flags.FlagOptional
    assert params["SEED"].flags() & flags.FlagAdvanced
    assert not params["TRUE_DEGRADATION"].createByDefault() and params["LR_HSI"].createByDefault()
    report = {p.name(): p for p in request_parameters(MetricsRequest)}["REPORT"]
    assert report.defaultFileExtension() == "txt" and "*.md" in report.fileFilter()


def test_the_install_build_keeps_its_enum_order():
    from hsi_fusion.algorithms.install_dependencies import InstallRequest

    (build, wheels) = request_parameters(InstallRequest)
    assert build.options() == ["CPU (any computer)", "CUDA (NVIDIA GPU with a recent driver)"]
    assert build.defaultValue() == 0 and InstallRequest.param_of("build").choices == ("cpu", "cuda")
    assert wheels.behavior() == qgis_core.QgsProcessingParameterFile.Folder
