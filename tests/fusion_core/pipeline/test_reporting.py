"""The report of a run, written by fuse_files, fuse_arrays and the CLI through the same function."""

import json
import re

import numpy as np
import rasterio
from osgeo import ogr

from fusion_core import FusionRequest, fuse_arrays, fuse_files
from fusion_core.cli import main
from fusion_core.io import read_raster_info
from fusion_core.windows import PairSource

IMAGES = {"quicklook LR-HSI", "quicklook HR-MSI", "quicklook result", "map spatial", "map disagreement"}
PLOTS = {"degradation", "consistency", "spectra"}


def _check_report(html_path):
    facts = json.loads(html_path.with_suffix(".json").read_text())
    page = html_path.read_text()
    assert facts["format"] == "hsifusion-report" and set(facts["figures"]) == IMAGES | PLOTS
    assert page.count("data:image/png;base64,") == len(IMAGES) + 1      # and the PSF under its plot
    assert page.count("<svg ") >= len(PLOTS) and facts["headline"] in page
    assert not re.search(r'src="(?!data:)', page)               # self-contained: nothing to fetch
    assert not list(html_path.parent.glob("*.part*"))           # written atomically, nothing left
    return facts


def test_fuse_files_writes_the_report_and_maps_on_the_output_grid(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    request = FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "fused.tif"),
                            report=str(tmp_path / "report.html"),
                            consistency_map=str(tmp_path / "consistency.tif"),
                            agreement_mask=str(tmp_path / "agreement.tif"))
    result = fuse_files(request)
    facts = _check_report(tmp_path / "report.html")
    assert result.seconds["report"] > 0 and facts["run"]["parameters"]["METHOD"] == "sscf"
    assert facts["consistency"]["spatial"]["noise_units_median"] < 3.0
    assert facts["reduced_resolution"]["PSNR"] > facts["reduced_resolution"]["bicubic"]["PSNR"]
    grid = read_raster_info(tmp_path / "fused.tif").grid
    for name, bands in (("consistency.tif", 2), ("agreement.tif", 1)):
        info = read_raster_info(tmp_path / name)
        assert info.grid == grid and info.count == bands
    with rasterio.open(tmp_path / "fused.tif") as ds:       # the sample spectra, at their points
        fused, library = ds.read(), ogr.Open(str(tmp_path / "report.spectra.gpkg"))
        for feature in library.GetLayer(0):
            row, col = ds.index(*feature.GetGeometryRef().GetPoint_2D())
            assert (row, col) == (feature["row"], feature["col"])
            assert np.allclose(json.loads(feature["fused"])["y"], fused[:, row, col], rtol=1e-6)
    with rasterio.open(tmp_path / "agreement.tif") as ds:
        agreement = ds.read(1)
    judged = np.isfinite(agreement)
    assert set(np.unique(agreement[judged])) <= {0.0, 1.0}
    assert judged[16:-16, 16:-16].all()                 # not where the PSF reaches past the scene
    assert not judged[0].any() and not judged[:, -1].any()


def test_the_report_chooses_its_crop_on_the_sample_the_run_read_for_its_factor(tmp_rasters, tmp_path,
                                                                               monkeypatch):
    steps = []
    sample = PairSource.read_lr_sample
    monkeypatch.setattr(PairSource, "read_lr_sample", lambda self, step: steps.append(step) or sample(self, step))
    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "fused.tif"),
                             report=str(tmp_path / "report.html"), disagreement_from_hsi=True))
    assert len(steps) == 1                              # every tile of the LR-HSI decoded once


def test_fuse_arrays_writes_the_same_report(pair, tmp_path):
    p = pair(size=64, snr_db=35)
    fuse_arrays(FusionRequest(report=str(tmp_path / "mem.html")), p.lr_hsi, p.hr_msi,
                wavelengths=p.model.hsi_wavelengths)
    facts = _check_report(tmp_path / "mem.html")
    assert facts["run"]["output"] == "memory"


def test_cli_report_flag(tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    report = tmp_path / "cli.html"
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif"),
                 "--report", str(report)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert "report" in printed["seconds"] and printed["report"] == str(report)
    _check_report(report)


def test_cli_writes_the_report_beside_the_output_by_default_and_no_report_turns_it_off(
        tmp_rasters, tmp_path, capsys):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif")]) == 0
    assert json.loads(capsys.readouterr().out)["report"] == str(tmp_path / "f_report.html")
    _check_report(tmp_path / "f_report.html")
    assert main(["-q", "fuse", str(pair.lr_path), str(pair.hr_path), str(tmp_path / "g.tif"),
                 "--no-report"]) == 0
    assert json.loads(capsys.readouterr().out)["report"] is None
    assert not list(tmp_path.glob("g_report*"))


def test_fuse_files_writes_the_report_beside_the_output_unless_turned_off(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    result = fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif")))
    assert result.request.report == str(tmp_path / "f_report.html") and "report" in result.seconds
    assert _check_report(tmp_path / "f_report.html")["run"]["output"] == str(tmp_path / "f.tif")
    off = fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "g.tif"),
                                   report=False))
    assert off.request.report == "" and "report" not in off.seconds
    assert not list(tmp_path.glob("g_report*"))


def test_the_default_report_replaces_an_earlier_report_of_the_output_and_nothing_else(tmp_path):
    from fusion_core.pipeline.reporting import with_default_report

    request = FusionRequest("lr.tif", "hr.tif", str(tmp_path / "fused.tif"))
    assert with_default_report(request).report == str(tmp_path / "fused_report.html")
    (tmp_path / "fused_report.json").write_text(json.dumps(
        {"format": "hsifusion-report", "run": {"output": str(tmp_path / "fused.tif")}}))
    (tmp_path / "fused_report.html").write_text("<!DOCTYPE html>")
    assert with_default_report(request).report == str(tmp_path / "fused_report.html")   # an earlier run's
    (tmp_path / "fused_report.json").write_text(json.dumps(
        {"format": "hsifusion-report", "run": {"output": str(tmp_path / "other.tif")}}))
    assert with_default_report(request).report == str(tmp_path / "fused_report_2.html")
    (tmp_path / "fused_report_2.html").write_text("the user's notes")                   # no JSON: theirs
    assert with_default_report(request).report == str(tmp_path / "fused_report_3.html")
    assert with_default_report(request.with_(report=False)).report == ""
    assert with_default_report(FusionRequest()).report is None                         # in memory: none


def test_an_int16_result_is_read_back_in_physical_values(tmp_rasters, tmp_path):
    from types import SimpleNamespace

    from fusion_core.pipeline.reporting import _reader

    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    for name, kind in (("f.tif", "float32"), ("i.tif", "int16")):
        fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / name),
                                 output_type=kind, report=False))
    rect = (8, 4, 40, 48)
    as_float = _reader(SimpleNamespace(final=tmp_path / "f.tif"))(rect)
    as_int16 = _reader(SimpleNamespace(final=tmp_path / "i.tif"), (0, 5))(rect)
    with rasterio.open(tmp_path / "i.tif") as ds:
        step = ds.scales[0]
    np.testing.assert_allclose(as_int16, as_float[[0, 5]], atol=step)
