"""The request declares each output once: its kind says it is one, and the rest follows."""

from fusion_core.pipeline.preflight import fusion_files
from fusion_core.request import INPUT_KINDS, OUTPUT_KINDS, FusionRequest, fields_of_kind, param_of


def test_the_outputs_are_the_fields_declared_with_an_output_kind():
    assert fields_of_kind(*OUTPUT_KINDS) == ("output", "degradation_output", "report", "consistency_map",
                                             "agreement_mask", "provenance")
    assert fields_of_kind(*INPUT_KINDS) == ("lr_hsi", "hr_msi", "degradation", "srf_file", "lr_mask", "hr_mask")


def test_without_puts_the_named_fields_back_at_their_defaults():
    request = FusionRequest("lr.tif", "hr.tif", "fused.tif", report="r.html", seed=3, resume=True)

    cleared = request.without(*fields_of_kind(*OUTPUT_KINDS), "resume")

    assert (cleared.output, cleared.report, cleared.resume) == ("", None, False)
    assert (cleared.lr_hsi, cleared.seed) == ("lr.tif", 3)


def test_preflight_checks_and_locks_every_declared_output_under_the_callers_name(tmp_path):
    outputs = {name: str(tmp_path / f"{name}.{param_of(name).extension or 'tif'}")
               for name in fields_of_kind(*OUTPUT_KINDS)}

    files = fusion_files(FusionRequest(str(tmp_path / "lr.tif"), str(tmp_path / "hr.tif"), caller="qgis",
                                       **outputs))

    assert files.outputs == {param_of(name).key: path for name, path in outputs.items()}


def test_a_report_is_off_when_given_false_or_empty_and_written_by_default_when_not_given():
    assert FusionRequest(output="f.tif").report is None                 # the default: beside OUTPUT
    assert FusionRequest(output="f.tif", report=False).report == ""
    assert FusionRequest(output="f.tif", report="").report == ""
    assert param_of("report").beside_output == "_report.html"
