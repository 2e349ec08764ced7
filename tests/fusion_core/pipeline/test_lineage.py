"""A fused GeoTIFF says what it was made from (inputs as given, products, acquisition dates),
how (method, settings, version) and when; the log and the report give the dates and warn when
the inputs were acquired far apart."""

import json
from datetime import datetime, timedelta, timezone

import pytest
import rasterio

import fusion_core
from fusion_core import FusionRequest, fuse_files
from fusion_core.progress import Progress

LR_DATE, HR_DATE = "2022-07-24T10:31:05Z", "2022-08-20T10:00:00Z"


@pytest.fixture
def dated_pair(tmp_rasters):
    """A pair whose metadata gives acquisition times 27 days apart."""
    pair = tmp_rasters(size=32, n_hsi=12)
    for path, when in ((pair.lr_path, LR_DATE), (pair.hr_path, HR_DATE)):
        with rasterio.open(path, "r+") as ds:
            ds.update_tags(ACQUISITION_DATETIME=when)
    return pair


def _fuse(pair, out, **settings):
    log: list[str] = []
    fuse_files(FusionRequest(str(pair.lr_path), str(pair.hr_path), str(out), **settings),
               Progress(log=log.append))
    with rasterio.open(out) as ds:
        return ds.tags(), log


def test_the_output_carries_its_provenance(dated_pair, tmp_path):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    tags, _ = _fuse(dated_pair, tmp_path / "fused.tif", method="sscf", seed=3)
    assert tags["HSI_FUSION_LR_HSI"] == str(dated_pair.lr_path)
    assert tags["HSI_FUSION_HR_MSI"] == str(dated_pair.hr_path)
    assert tags["HSI_FUSION_LR_HSI_PRODUCT"] == tags["HSI_FUSION_HR_MSI_PRODUCT"] == "raster"
    assert (tags["HSI_FUSION_LR_HSI_ACQUIRED"], tags["HSI_FUSION_HR_MSI_ACQUIRED"]) == (LR_DATE, HR_DATE)
    assert tags["HSI_FUSION_DAYS_APART"] == "26.98"
    assert tags["HSI_FUSION_METHOD"] == "sscf"
    settings = json.loads(tags["HSI_FUSION_SETTINGS"])
    assert settings["METHOD"] == "sscf" and settings["SEED"] == 3
    assert "OUTPUT" not in settings and "LR_HSI" not in settings
    assert tags["HSI_FUSION_VERSION"] == fusion_core.__version__
    assert tags["TIFFTAG_SOFTWARE"] == f"HSI Fusion {fusion_core.__version__}"
    processed = datetime.fromisoformat(tags["HSI_FUSION_PROCESSED"].replace("Z", "+00:00"))
    assert before <= processed <= datetime.now(timezone.utc)


def test_a_cloud_optimized_output_keeps_its_provenance(dated_pair, tmp_path):
    tags, _ = _fuse(dated_pair, tmp_path / "fused.tif", output_format="COG")
    assert tags["HSI_FUSION_LR_HSI_ACQUIRED"] == LR_DATE and tags["HSI_FUSION_METHOD"] == "sscf"


def test_dates_far_apart_are_logged_and_reported_with_a_warning(dated_pair, tmp_path):
    _, log = _fuse(dated_pair, tmp_path / "fused.tif", report=str(tmp_path / "report.html"))
    assert f"Acquired: LR-HSI {LR_DATE}, HR-MSI {HR_DATE} (27.0 days apart)." in log
    warning = f"The LR-HSI ({LR_DATE}) and the HR-MSI ({HR_DATE}) were acquired 27 days apart"
    assert any(line.startswith("Warning: " + warning) for line in log)
    facts = json.loads((tmp_path / "report.json").read_text())
    assert facts["inputs"]["lr_hsi"] == {"given": str(dated_pair.lr_path), "product": "raster",
                                         "acquired": LR_DATE, "masks": []}
    assert facts["inputs"]["hr_msi"]["acquired"] == HR_DATE
    assert facts["inputs"]["days_apart"] == pytest.approx(26.98, abs=0.01)
    assert any(w.startswith(warning) for w in facts["warnings"])
    page = (tmp_path / "report.html").read_text()
    assert f"<th>LR-HSI acquired</th><td>{LR_DATE}</td>" in page


def test_undated_inputs_are_logged_as_unknown_without_a_warning(tmp_rasters, tmp_path):
    tags, log = _fuse(tmp_rasters(size=32, n_hsi=12), tmp_path / "fused.tif")
    assert "Acquired: LR-HSI unknown, HR-MSI unknown." in log
    assert not any("acquired" in line and "apart" in line for line in log)
    assert tags["HSI_FUSION_LR_HSI_ACQUIRED"] == "unknown" and "HSI_FUSION_DAYS_APART" not in tags
