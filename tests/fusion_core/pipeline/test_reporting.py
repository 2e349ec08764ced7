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

FIGURES = {"quicklook LR-HSI", "quicklook HR-MSI", "quicklook result", "map spatial", "map spectral",
           "map disagreement", "degradation", "consistency", "spectra"}


def _check_report(html_path):
    facts = json.loads(html_path.with_suffix(".json").read_text())
    page = html_path.read_text()
    assert facts["format"] == "hsifusion-report" and set(facts["figures"]) == FIGURES
    assert page.count("data:image/png;base64,") == len(FIGURES)
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
    assert "report" in json.loads(capsys.readouterr().out)["seconds"]
    _check_report(report)


def test_no_report_is_computed_unless_asked(tmp_rasters, tmp_path):
    pair = tmp_rasters(size=32, n_hsi=16, n_msi=4)
    result = fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / "f.tif")))
    assert "report" not in result.seconds
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".html", ".json")) == []


def test_an_int16_result_is_read_back_in_physical_values(tmp_rasters, tmp_path):
    from types import SimpleNamespace

    from fusion_core.pipeline.reporting import _reader

    pair = tmp_rasters(size=64, n_hsi=24, n_msi=4, snr_db=35)
    for name, kind in (("f.tif", "float32"), ("i.tif", "int16")):
        fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(tmp_path / name),
                                 output_type=kind))
    rect = (8, 4, 40, 48)
    as_float = _reader(SimpleNamespace(final=tmp_path / "f.tif"))(rect)
    as_int16 = _reader(SimpleNamespace(final=tmp_path / "i.tif"), (0, 5))(rect)
    with rasterio.open(tmp_path / "i.tif") as ds:
        step = ds.scales[0]
    np.testing.assert_allclose(as_int16, as_float[[0, 5]], atol=step)
