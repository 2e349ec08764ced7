"""QGIS parameters generated from the request: optional outputs and the report's dialog default."""

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
